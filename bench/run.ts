import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { createLogger } from '../src/common/logging/logger.js';
import { loadConfig } from '../src/config/config.js';
import { createDataSource } from '../src/data-source.js';
import { openDatabase } from '../src/database/open-database.js';
import { claimBenchLock, freePort, PROJECT_ROOT, runWorker, startServer, type Server } from './support/processes.js';
import { summariseProfile, type ProfileSummary } from './support/profile.js';
import { describeTrace, type SecureReadTrace } from './support/replay.js';
import { freeSpace, logSizeMode, type LogSizeReport } from './support/log-size.js';
import { referralBody, seedNetwork, type Seeded } from './support/seed.js';
import { interleave, sliceLengths, type Measurement, type RowLength } from './support/stats.js';
import type { FloorInput } from './workers/floor.js';
import type { LoadInput, LoadStep } from './workers/load.js';
import type { LogThroughputInput, LogThroughputResult } from './workers/log-throughput.js';
import type { TraceInput } from './workers/trace.js';
import type { VerifyResult } from './workers/verify.js';

const USAGE = `usage: npm run bench [-- --quick] [-- --processes 2] [-- --profile] [-- --only <row,row>] [-- --seconds S --warmup W]
       npm run bench -- --log-size N [--requests R]
  --quick          a smoke check: every row runs, two operations per connection (no figure means anything)
  --processes N    N gateway processes on one database; the load is spread over them and the total reported
  --profile        run the gateway under node --cpu-prof during the secure read and name where the time goes
  --slices K       /health and bare Fastify, and the chained and unchained log, run in K alternating slices
                   each (default 4; 1 with --quick or --profile): a slow minute then weighs on both sides
  --only rows      run only these rows (${'{rows}'})
  --log-size N     a separate mode: seed the access log to N entries (in SQL) and time the privacy officer's
                   searches at 100,000 and at N entries (p50, p95 of R requests each, default 50), with
                   the EXPLAIN of each (bench/results/log-size-explain.md); about 1.4 GiB of disk per million
Database: DATABASE_URL, or the embedded PostgreSQL of DATA_DIR / EMBEDDED_PG_PORT (as npm start); the bench
uses its own database "schakel_bench" on that server, made afresh and dropped at the end.`;

const ROWS = [
  'secure-read',
  'referral',
  'disclosure',
  'log-search',
  'health',
  'log-throughput',
  'verify',
  'floor',
  'bare-nest',
  'bare-fastify',
  'startup',
] as const;
type Row = (typeof ROWS)[number];

const BENCH_DATABASE = 'schakel_bench';
const RESULTS_DIR = join(PROJECT_ROOT, 'bench', 'results');

interface Options {
  quick: boolean;
  processes: number;
  profile: boolean;
  only: Set<Row>;
  seconds: number;
  warmup: number;
  connections: number;
  logSize: number | undefined;
  requests: number;
  slices: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      processes: { type: 'string', default: '1' },
      profile: { type: 'boolean', default: false },
      only: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '32' },
      'log-size': { type: 'string' },
      requests: { type: 'string', default: '50' },
      slices: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const usage = USAGE.replace('{rows}', ROWS.join(', '));
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const only = values.only ? values.only.split(',').map((r) => r.trim()) : values.profile ? ['secure-read'] : [...ROWS];
  const unknown = only.filter((r) => !(ROWS as readonly string[]).includes(r));
  if (unknown.length > 0) throw new Error(`unknown row(s) ${unknown.join(', ')}\n${usage}`);
  const processes = Number(values.processes);
  if (!Number.isInteger(processes) || processes < 1 || processes > 8) throw new Error('--processes must be 1 to 8');
  const logSize = values['log-size'] === undefined ? undefined : Number(values['log-size']);
  if (logSize !== undefined && (!Number.isInteger(logSize) || logSize < 1000 || logSize > 100_000_000))
    throw new Error('--log-size must be a whole number of entries from 1,000 to 100,000,000');
  const slices = Number(values.slices ?? (values.quick || values.profile ? 1 : 4));
  if (!Number.isInteger(slices) || slices < 1 || slices > 20) throw new Error('--slices must be 1 to 20');
  return {
    logSize,
    slices,
    requests: Number(values.requests),
    quick: values.quick,
    processes,
    profile: values.profile,
    // The log-size mode runs none of the table's rows.
    only: new Set(logSize === undefined ? (only as Row[]) : []),
    seconds: Number(values.seconds ?? (values.quick ? 1 : values.profile ? 20 : 8)),
    warmup: Number(values.warmup ?? (values.quick ? 0 : 2)),
    connections: Number(values.connections),
  };
}

/** Production-shaped secrets made for this run only (the gateway runs with NODE_ENV=production). */
async function runSecrets(): Promise<Record<string, string>> {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  return {
    GATEWAY_SIGNING_KEY: JSON.stringify(await exportJWK(privateKey)),
    PSEUDONYM_KEY: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
  };
}

/** The environment without the variables that would point a child at another database or data dir. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (['DATABASE_URL', 'DATA_DIR', 'EMBEDDED_PG_DIR', 'EMBEDDED_PG_PORT', 'PORT', 'HOST', 'NODE_ENV'].includes(key))
      continue;
    if (/^(DB_|ACCESS_LOG_|RATE_LIMIT|SEED_|MIGRATIONS_|GATEWAY_|PSEUDONYM_|ENCRYPTION_|LOG_LEVEL)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

const fmt = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value)
    ? '—'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const opts = options();
  const started = Date.now();
  const loadBefore = loadavg()[0];
  mkdirSync(RESULTS_DIR, { recursive: true });
  claimBenchLock(RESULTS_DIR);
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  const logger = createLogger('warn');
  const selected = (row: Row) => opts.only.has(row);
  process.stdout.write(
    `schakel bench (${opts.quick ? 'quick: smoke check, figures mean nothing' : `${opts.warmup} s warm-up + ${opts.seconds} s per row${opts.slices > 1 ? `; rows of a ratio in ${opts.slices} alternating slices` : ''}`}) — ` +
      `${cpus().length} cores, load average ${loadBefore.toFixed(2)} at start${loadBefore > cpus().length / 2 ? ' (the machine is busy: figures are noisy)' : ''}\n`,
  );

  // One database for every row: schakel_bench on the configured server (dev data is never touched).
  const server = await openDatabase(
    config,
    logger,
    'schakel-bench',
    async () => (await import('../src/data-source.js')).createDataSource,
  );
  const adminUrl = server.embedded?.adminUrl ?? config.databaseUrl!;
  await server.dataSource.destroy();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${BENCH_DATABASE}`);
  const serverVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  // PostgreSQL's CPU per operation is read from /proc when the server runs on this machine.
  const postmaster = await admin
    .query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'data_directory'`)
    .then(
      ({ rows }) => Number(readFileSync(join(rows[0].setting, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined,
    )
    .catch(() => undefined);
  const benchUrl = new URL(adminUrl);
  benchUrl.pathname = `/${BENCH_DATABASE}`;
  const databaseUrl = benchUrl.toString();

  const secrets = await runSecrets();
  const gatewayEnv = (port: number): Record<string, string> => ({
    ...baseEnv(),
    ...secrets,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    SEED_DEMO_PARTNERS: 'false',
    // The bench's own load must not be throttled; every other setting is the gateway's default.
    RATE_LIMIT_PER_MINUTE: '1000000',
    PREAUTH_RATE_LIMIT_PER_ADDRESS: '10000000',
    PREAUTH_RATE_LIMIT_PER_ISSUER: '10000000',
  });
  const workerEnv = { ...gatewayEnv(0), LOG_LEVEL: 'warn' };

  // Quick mode counts instead of timing: two operations per connection, however slow the machine.
  const length: RowLength = {
    warmupSeconds: opts.warmup,
    seconds: opts.seconds,
    ...(opts.quick ? { perLoop: 2 } : {}),
  };
  const measurements: Record<string, Measurement> = {};
  const failures: string[] = [];
  let logThroughput: LogThroughputResult | undefined;
  let verify: VerifyResult | undefined;
  let startup: { freshMs: number; warmMs: number } | undefined;
  let profile: (ProfileSummary & { files: string[] }) | undefined;
  let trace: SecureReadTrace | undefined;
  let seeded: Seeded | undefined;
  const gateways: Server[] = [];
  const profileDir = join(RESULTS_DIR, 'profile');

  /** One run of the load generator against these servers; a wrong answer fails the bench. */
  const httpRun = async (
    row: string,
    servers: Server[],
    steps: LoadStep[],
    rowLength: RowLength,
    connections = opts.connections,
  ): Promise<Measurement> => {
    const result = await runWorker<Measurement>('load', {
      urls: servers.map((server) => server.url),
      connections,
      length: rowLength,
      steps,
      cpu: { pids: servers.flatMap((server) => (server.child.pid ? [server.child.pid] : [])), postmaster },
    } satisfies LoadInput);
    // A wrong answer fails the bench; a 503 (the pool's connection timeout under load), a
    // timeout or no answer within the row's time is a figure, reported under the table: it may
    // depend on the machine's speed.
    const unexpected = Object.keys(result.statusCodes ?? {}).filter((code) => !/^(2\d\d|503)$/.test(code));
    if (unexpected.length > 0)
      failures.push(`${row}: ${result.operations} successful, status codes ${JSON.stringify(result.statusCodes)}`);
    return result;
  };
  const http = async (row: string, servers: Server[], steps: LoadStep[]): Promise<Measurement> => {
    process.stdout.write(`  running ${row} …\n`);
    measurements[row] = await httpRun(row, servers, steps, length);
    return measurements[row];
  };
  /**
   * Rows whose figures are compared in a ratio, run in alternating slices (`--slices`; the order
   * reversed every other round): on a shared machine whose speed drifts from minute to minute, a
   * slow stretch then falls on every row of the ratio, not on one.
   */
  const interleaved = async (rows: { row: string; run: (rowLength: RowLength) => Promise<Measurement> }[]) => {
    if (rows.length === 0) return;
    const lengths = sliceLengths(length, opts.slices);
    const split = lengths.length > 1 ? ` in ${lengths.length} alternating slices` : '';
    process.stdout.write(`  running ${rows.map((r) => r.row).join(', ')}${split} …\n`);
    const combined = await interleave(
      length,
      opts.slices,
      rows.map((r) => r.run),
    );
    rows.forEach((r, i) => (measurements[r.row] = combined[i]));
  };

  const dataSource = createDataSource(databaseUrl, { database: { ...config.database, poolSize: 2 } }, 'schakel-bench');
  let logSize: LogSizeReport | undefined;
  try {
    if (opts.logSize) {
      process.stdout.write(`  free disk: ${freeSpace(RESULTS_DIR)}\n`);
      const port = await freePort();
      // One gateway applies the migrations and makes the network; the searches run in a worker.
      const gateway = await startServer({
        script: join(PROJECT_ROOT, 'dist', 'src', 'main.js'),
        nodeArgs: ['--enable-source-maps'],
        env: gatewayEnv(port),
        port,
        readyPath: '/health/ready',
        logFile: join(RESULTS_DIR, 'gateway.log'),
      });
      try {
        await dataSource.initialize();
        seeded = await seedNetwork(gateway.url, dataSource, config.auth.audience);
      } finally {
        await gateway.stop();
      }
      logSize = await logSizeMode({
        size: opts.logSize,
        dataSource,
        config: loadConfig({ ...workerEnv }),
        seeded,
        workerEnv,
        resultsDir: RESULTS_DIR,
        requests: opts.requests,
        out: (line) => process.stdout.write(`${line}\n`),
      });
    }
    // ---- the gateway (its own processes), seeded through its public API ----
    // Every row but the bare Fastify handler and start-up needs the seeded network, made through the gateway.
    const needGateway = [...opts.only].some((row) => row !== 'bare-fastify' && row !== 'startup');
    if (opts.profile) {
      rmSync(profileDir, { recursive: true, force: true });
      mkdirSync(profileDir, { recursive: true });
    }
    // Each run's server logs replace the last run's.
    for (const file of readdirSync(RESULTS_DIR)) if (file.endsWith('.log')) rmSync(join(RESULTS_DIR, file));
    const gatewayLog = join(RESULTS_DIR, 'gateway.log');
    for (let i = 0; i < (needGateway ? opts.processes : 0); i++) {
      const port = await freePort();
      // One after the other: the first applies the migrations.
      gateways.push(
        await startServer({
          script: join(PROJECT_ROOT, 'dist', 'src', 'main.js'),
          nodeArgs: ['--enable-source-maps', ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
          env: gatewayEnv(port),
          port,
          readyPath: '/health/ready',
          logFile: gatewayLog,
        }),
      );
    }
    const urls = gateways.map((g) => g.url);
    if (!dataSource.isInitialized) await dataSource.initialize();
    if (needGateway) {
      seeded = await seedNetwork(urls[0], dataSource, config.auth.audience);
    }
    const bearer = (token: string, purpose: string) => ({ authorization: `Bearer ${token}`, 'x-purpose': purpose });

    if (seeded && (selected('bare-nest') || selected('secure-read'))) {
      // What one secure read sends to PostgreSQL, captured now from the gateway's own code.
      const traceFile = join(RESULTS_DIR, 'secure-read-statements.json');
      await runWorker(
        'trace',
        {
          caseId: seeded.caseId,
          token: seeded.tokens.caseworker,
          purpose: 'care-coordination',
          outFile: traceFile,
        } satisfies TraceInput,
        { ...workerEnv },
      );
      trace = JSON.parse(readFileSync(traceFile, 'utf8')) as SecureReadTrace;
    }

    if (seeded) {
      const s = seeded;
      if (selected('secure-read'))
        await http('secure-read', gateways, [
          { method: 'GET', path: `/v1/cases/${s.caseId}`, headers: bearer(s.tokens.caseworker, 'care-coordination') },
        ]);
      if (selected('referral'))
        await http('referral', gateways, [
          {
            method: 'POST',
            path: '/v1/referrals',
            headers: bearer(s.tokens.referrer, 'referral'),
            body: referralBody(s.partners.outreach),
          },
        ]);
      if (selected('disclosure'))
        await http('disclosure', gateways, [
          {
            method: 'POST',
            path: '/v1/information-requests',
            headers: bearer(s.tokens.pwb, 'duo-follow-up'),
            body: {
              caseId: s.caseId,
              purpose: 'duo-follow-up',
              categories: ['housing', 'social'],
              justification: 'Gezamenlijk huisbezoek over de huurachterstal',
            },
            capture: { name: 'id', field: 'id' },
          },
          {
            method: 'GET',
            path: '/v1/information-requests/{id}/disclosure',
            headers: bearer(s.tokens.pwb, 'duo-follow-up'),
          },
        ]);
      if (selected('log-search'))
        await http('log-search', gateways, [
          { method: 'GET', path: '/v1/access-log?limit=50', headers: bearer(s.tokens.officer, 'privacy-audit') },
        ]);
    }
    // /health and bare Fastify in alternating slices, while the gateways are up (bare Fastify
    // touches no database). The other rows run one after the other, as the log rows need: the
    // bare handler's replayed entries would fail verification, and anything started after the
    // log rows met their entries (the anomaly scan, autovacuum) while it was measured.
    if (selected('health') || selected('bare-fastify')) {
      let bareFastify: Server | undefined;
      if (selected('bare-fastify')) {
        const port = await freePort();
        bareFastify = await startServer({
          script: join(PROJECT_ROOT, 'dist', 'bench', 'workers', 'bare-fastify.js'),
          args: [String(port)],
          env: {},
          port,
          readyPath: '/health',
          logFile: join(RESULTS_DIR, 'bare-fastify.log'),
        });
      }
      try {
        await interleaved([
          ...(selected('health') && gateways.length > 0
            ? [
                {
                  row: 'health',
                  run: (l: RowLength) => httpRun('health', gateways, [{ method: 'GET', path: '/health' }], l),
                },
              ]
            : []),
          ...(bareFastify
            ? [
                {
                  row: 'bare-fastify',
                  run: (l: RowLength) =>
                    httpRun('bare-fastify', [bareFastify], [{ method: 'GET', path: '/health' }], l),
                },
              ]
            : []),
        ]);
      } finally {
        await bareFastify?.stop();
      }
    }
    // The gateways stop here: from now on nothing but the row being measured runs (their chainers
    // would link the log rows' entries, and the log-throughput row prices exactly that).
    for (const gateway of gateways.splice(0)) await gateway.stop();
    if (opts.profile) {
      // Written by each gateway as it exits; only the samples inside the secure read's window count.
      const files = readdirSync(profileDir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(profileDir, f));
      if (files.length === 0) throw new Error(`no CPU profile was written to ${profileDir}`);
      // Several processes run the same code: the busiest one stands for all.
      const summaries = files.map((f) =>
        summariseProfile(f, (measurements['secure-read'] ?? measurements.health)?.windowUs),
      );
      const busiest = summaries.reduce((a, b) => (b.busyMs > a.busyMs ? b : a));
      profile = { ...busiest, files: files.map((f) => f.replace(`${PROJECT_ROOT}/`, '')) };
    }

    if (seeded && selected('log-throughput')) {
      process.stdout.write(
        `  running log-throughput (none, global lock, chained and unchained${opts.slices > 1 && !opts.quick ? ` in ${opts.slices} alternating slices` : ''}) …\n`,
      );
      logThroughput = await runWorker<LogThroughputResult>(
        'log-throughput',
        {
          caseId: seeded.caseId,
          writers: opts.connections,
          length,
          slices: opts.slices,
        } satisfies LogThroughputInput,
        workerEnv,
      );
    }
    if (selected('verify')) {
      // Before the bare handler's row: its replayed log inserts carry a captured entry hash, so
      // the log would no longer verify after it.
      process.stdout.write('  running verify …\n');
      verify = await runWorker<VerifyResult>('verify', {}, workerEnv, ['--expose-gc']);
    }
    if (seeded && selected('floor')) {
      process.stdout.write('  running floor …\n');
      await dataSource.query('CREATE TABLE IF NOT EXISTS bench_floor_log (LIKE access_log_entry INCLUDING ALL)');
      measurements.floor = await runWorker<Measurement>(
        'floor',
        {
          caseId: seeded.caseId,
          clients: opts.connections,
          length,
          logTable: 'bench_floor_log',
          cpu: { pids: [], postmaster },
        } satisfies FloorInput,
        workerEnv,
      );
      // The same four statements sent as the gateway sends them (BEGIN with the SELECT, the INSERT
      // with COMMIT): what the pipelining alone is worth, apart from the rest of the stack.
      process.stdout.write('  running floor, pipelined …\n');
      measurements['floor-pipelined'] = await runWorker<Measurement>(
        'floor',
        {
          caseId: seeded.caseId,
          clients: opts.connections,
          length,
          logTable: 'bench_floor_log',
          pipelined: true,
          cpu: { pids: [], postmaster },
        } satisfies FloorInput,
        workerEnv,
      );
    }
    if (seeded && trace && selected('bare-nest')) {
      const port = await freePort();
      const bare = await startServer({
        script: join(PROJECT_ROOT, 'dist', 'bench', 'workers', 'bare-nest.js'),
        args: [String(port), join(RESULTS_DIR, 'secure-read-statements.json')],
        env: { ...workerEnv, PORT: String(port) },
        port,
        readyPath: '/bare/ready',
        logFile: join(RESULTS_DIR, 'bare-nest.log'),
      });
      try {
        await http('bare-nest', [bare], [{ method: 'GET', path: `/bare/cases/${seeded.caseId}` }]);
      } finally {
        await bare.stop();
      }
    }
  } finally {
    for (const gateway of gateways) await gateway.stop().catch(() => undefined);
    if (dataSource.isInitialized) await dataSource.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await server.embedded?.stop();
  }

  if (selected('startup')) {
    // `node dist/src/main.js` as a newcomer runs it: embedded PostgreSQL, demo network. The bench's
    // own server is stopped by now, so the same port serves.
    process.stdout.write('  running startup (fresh, warm) …\n');
    const dataDir = join(config.dataDir, 'bench-startup');
    rmSync(dataDir, { recursive: true, force: true });
    const start = async () => {
      const port = await freePort();
      const gateway = await startServer({
        script: join(PROJECT_ROOT, 'dist', 'src', 'main.js'),
        nodeArgs: ['--enable-source-maps'],
        env: {
          ...baseEnv(),
          NODE_ENV: 'development',
          DATA_DIR: dataDir,
          // Unset unless configured: the server remembers (or picks) its own port beside the cluster.
          ...(config.embeddedPostgres.port === undefined
            ? {}
            : { EMBEDDED_PG_PORT: String(config.embeddedPostgres.port) }),
          PORT: String(port),
          LOG_LEVEL: 'warn',
        },
        port,
        readyPath: '/health/ready',
        logFile: join(RESULTS_DIR, 'startup.log'),
      });
      await gateway.stop();
      return gateway.readyAfterMs;
    };
    try {
      startup = { freshMs: await start(), warmMs: await start() };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  // ---- the table ----
  const m = measurements;
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  const per = opts.processes > 1 ? ` (${opts.processes} gateway processes, total)` : '';
  out();
  out(
    `Every figure below was measured in this run, on PostgreSQL ${serverVersion} (${server.embedded ? 'embedded' : 'DATABASE_URL'}), database ${BENCH_DATABASE}.`,
  );
  out(
    `The load generator (autocannon) and the DB floor's clients run in their own processes, apart from the server under test; ` +
      `on ${cpus().length} cores they compete with it for CPU — the same for every row.`,
  );
  out(
    'CPU ms/op: CPU time (/proc) the server under test and PostgreSQL used per operation in the measured window — ' +
      'hardly affected by other load on the machine, unlike the rates.',
  );
  if (trace) {
    const t = describeTrace(trace);
    out(
      `The secure read sends ${t.statements} statements to PostgreSQL (${t.inTransaction} in its transaction, BEGIN and COMMIT included); the bare Nest handler replays exactly these (bench/results/secure-read-statements.json).`,
    );
  }
  out();
  const header = ['row', 'conns', 'per second', 'p50 ms', 'p99 ms', 'CPU ms/op server', 'CPU ms/op PG', 'errors'];
  const rows: string[][] = [];
  const add = (label: string, measurement: Measurement | undefined, conns: string, unit = '', divide = 1) => {
    if (!measurement) return;
    rows.push([
      label,
      conns,
      `${fmt(measurement.perSecond / divide)}${unit}`,
      fmt(measurement.p50Ms, 1),
      fmt(measurement.p99Ms, 1),
      measurement.cpuMsPerOp && measurement.cpuMsPerOp.serverMs > 0
        ? fmt(measurement.cpuMsPerOp.serverMs * divide, 2)
        : '',
      measurement.cpuMsPerOp && postmaster ? fmt(measurement.cpuMsPerOp.postgresMs * divide, 2) : '',
      fmt(measurement.errors),
    ]);
  };
  const c = String(opts.connections);
  add(`secure case read  GET /v1/cases/:id${per}`, m['secure-read'], c);
  add('DB floor  SELECT case + INSERT log-shaped row, pg', m.floor, c);
  add('DB floor, pipelined as the gateway sends it (2 round trips)', m['floor-pipelined'], c);
  add('bare NestJS handler, the secure read’s statements', m['bare-nest'], c);
  add(`GET /health, full stack${per}`, m.health, c);
  add('bare Fastify handler, a constant', m['bare-fastify'], c);
  add(`referral  POST /v1/referrals${per}`, m.referral, c);
  add(`information request + disclosure (POST, then GET)${per}`, m.disclosure, c, ' pairs', 2);
  add(`log search  GET /v1/access-log (privacy officer)${per}`, m['log-search'], c);
  if (logThroughput) {
    add('access log: none (read only, TypeORM)', logThroughput.none, c);
    add('access log: chain linked in each transaction, one lock', logThroughput.globalLock, c);
    add('access log: unchained (read + entry)', logThroughput.unchained, c);
    add('access log: chained (read + entry, chainer running)', logThroughput.chained, c);
    add('access log: chained, the chainer not growing the Merkle tree', logThroughput.chainedWithoutTree, c);
  }
  if (verify) {
    const perCpu = (run: { entries: number; cpuSeconds: number }) => `${fmt(run.entries / run.cpuSeconds)}/CPU-s`;
    rows.push([
      `log verification, database (${fmt(verify.entries)} entries)`,
      '1',
      `${fmt(verify.entriesPerSecond)} entries`,
      '',
      '',
      '',
      '',
      `${perCpu(verify)}; peak RSS ${fmt(verify.peakRssMb)} MB, heap ${fmt(verify.peakHeapMb)} MB`,
    ]);
    for (const [name, run] of [
      ['this log exported', verify.export],
      ['synthetic export', verify.synthetic],
    ] as const)
      if (run)
        rows.push([
          `log verification, NDJSON offline, ${name} (${fmt(run.entries)} entries; goal ≥ 200,000/s)`,
          '1',
          `${fmt(run.entriesPerSecond)} entries`,
          '',
          '',
          '',
          '',
          `${perCpu(run)}; heap ${fmt(run.peakHeapMb)} MB`,
        ]);
  }
  if (startup) {
    rows.push(['start-up to /health/ready, fresh DATA_DIR', '', `${fmt(startup.freshMs)} ms`, '', '', '', '', '']);
    rows.push(['start-up to /health/ready, warm DATA_DIR', '', `${fmt(startup.warmMs)} ms`, '', '', '', '', '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ');
  if (rows.length > 0) {
    out(line(header));
    out(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of rows) out(line(row).trimEnd());
  }

  const troubled = Object.entries(m).filter(([, r]) => r.errors > 0 || r.operations === 0);
  if (troubled.length > 0) {
    out();
    out('errors (not counted in per second; HTTP latencies include non-2xx answers):');
    for (const [row, r] of troubled) {
      const codes = Object.entries(r.statusCodes ?? {}).filter(([code]) => !code.startsWith('2'));
      out(
        r.operations === 0 && r.errors === 0
          ? `  ${row}: no answer at all within ${fmt(r.seconds, 1)} s`
          : `  ${row}: ${r.errors} — ${codes.map(([code, n]) => `${n} × ${code}`).join(', ') || 'timeouts or connection errors'}`,
      );
    }
    if (troubled.some(([, r]) => r.statusCodes?.['503']))
      out(
        '  (a 503 is a request that got no pool connection within DB_CONNECTION_TIMEOUT_MS: see bench/results/gateway.log)',
      );
  }

  const ratios: { name: string; value: number | undefined; goal: string }[] = [
    { name: 'secure read / DB floor', value: ratio(m['secure-read']?.perSecond, m.floor?.perSecond), goal: '≥ 0.6' },
    {
      name: 'secure read / bare Nest handler',
      value: ratio(m['secure-read']?.perSecond, m['bare-nest']?.perSecond),
      goal: '≥ 0.85',
    },
    { name: 'secure read p99 / DB floor p99', value: ratio(m['secure-read']?.p99Ms, m.floor?.p99Ms), goal: '≤ 1.5' },
    {
      name: 'secure read / DB floor pipelined',
      value: ratio(m['secure-read']?.perSecond, m['floor-pipelined']?.perSecond),
      goal: '',
    },
    {
      name: 'chained / unchained log',
      value: ratio(logThroughput?.chained.perSecond, logThroughput?.unchained.perSecond),
      goal: '≥ 0.9',
    },
    {
      name: 'chained / chained without the Merkle tree',
      value: ratio(logThroughput?.chained.perSecond, logThroughput?.chainedWithoutTree?.perSecond),
      goal: '',
    },
    {
      name: 'chained log / no log',
      value: ratio(logThroughput?.chained.perSecond, logThroughput?.none.perSecond),
      goal: '',
    },
    {
      name: 'chained / chain in the transaction',
      value: ratio(logThroughput?.chained.perSecond, logThroughput?.globalLock.perSecond),
      goal: '',
    },
    { name: '/health / bare Fastify', value: ratio(m.health?.perSecond, m['bare-fastify']?.perSecond), goal: '≥ 0.5' },
  ].filter((r) => r.value !== undefined);
  if (ratios.length > 0) {
    out();
    out('ratios (goals from issue 12)');
    const width = Math.max(...ratios.map((r) => r.name.length));
    for (const r of ratios)
      out(
        `  ${r.name.padEnd(width)}  ${r.value!.toFixed(2).padStart(6)}   ${r.goal ? `goal ${r.goal}` : ''}`.trimEnd(),
      );
  }
  if (profile) {
    out();
    out(
      `CPU profile of the gateway during the ${m['secure-read'] ? 'secure read' : '/health row'} (${fmt(profile.busyMs)} ms busy of ${fmt(profile.totalMs)} ms sampled; ${profile.files.join(', ')})`,
    );
    out('  top self time:');
    for (const f of profile.top) out(`    ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
    out('  by part:');
    for (const cat of profile.categories.filter((x) => x.share >= 0.005))
      out(`    ${(cat.share * 100).toFixed(1).padStart(5)} %  ${cat.category}`);
  }
  if (logSize) {
    out(
      `The privacy officer's searches (GET /v1/access-log, limit 50, the officer's scope applied), ${opts.requests} requests each, one after the other, ` +
        `over HTTP to the gateway's app in the bench's worker process. ${fmt(logSize.bytesPerEntry)} bytes per entry on disk (entry, link, indexes); ` +
        `seeding took ${fmt(logSize.seedSeconds)} s, log:maintain's compaction of the closed partitions ${fmt(logSize.compactSeconds)} s.`,
    );
    out();
    const sizes = logSize.sizes.map((n) => fmt(n));
    const head = ['search', ...sizes.flatMap((n) => [`p50 ms @${n}`, `p95 ms @${n}`]), 'p95 ratio'];
    const body = logSize.searches.map((s) => [
      s.name,
      ...s.at.flatMap((a) => [fmt(a.p50Ms, 1), fmt(a.p95Ms, 1)]),
      fmt(s.at[s.at.length - 1].p95Ms / s.at[0].p95Ms, 2),
    ]);
    const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
    out(row(head));
    out(w.map((n) => '-'.repeat(n)).join('  '));
    for (const r of body) out(row(r));
    out();
    out(
      `goal (issue 12): p95 at the large size ≤ 2 × p95 at 100,000 for every search. EXPLAINs: ${logSize.explainFile.replace(`${PROJECT_ROOT}/`, '')}`,
    );
    out();
    out(`bytes per entry at ${fmt(logSize.sizes[logSize.sizes.length - 1])} entries, by table (rows) and index:`);
    for (const part of logSize.bytesPerEntryBy) out(`  ${fmt(part.bytes).padStart(6)}  ${part.relation}`);
  }
  const loadAfter = loadavg()[0];
  const seconds = (Date.now() - started) / 1000;
  out();
  out(`load average ${loadBefore.toFixed(2)} at start, ${loadAfter.toFixed(2)} at the end; ${fmt(seconds)} s in all`);
  process.stdout.write(`${lines.join('\n')}\n`);

  const results = {
    at: new Date(started).toISOString(),
    commit: gitCommit(),
    mode: opts.quick ? 'quick' : 'full',
    options: { ...opts, only: [...opts.only] },
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      node: process.version,
      postgres: serverVersion,
      loadBefore,
      loadAfter,
    },
    secureReadStatements: trace?.statements.map((s) => ({ connection: s.connection, text: s.text })),
    measurements,
    logThroughput,
    verify,
    startup,
    ratios: Object.fromEntries(ratios.map((r) => [r.name, r.value])),
    profile,
    logSize,
    seconds,
    failures,
  };
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);
  writeFileSync(join(RESULTS_DIR, `${results.at.replace(/[:.]/g, '-')}.json`), json);
  process.stdout.write(`results: bench/results/latest.json\n`);
  if (failures.length > 0) {
    process.stderr.write(`bench rows that did not work:\n  ${failures.join('\n  ')}\n`);
    process.exit(1);
  }
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT }).toString().trim();
  } catch {
    return null;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
