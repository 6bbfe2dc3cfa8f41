import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { FieldCipher } from '../src/common/crypto/field-cipher.js';
import { rotateSealedValues } from '../src/common/crypto/key-rotation.repository.js';
import { createDataSource } from '../src/data-source.js';
import { freePort, hasExited, isRunning, postmasterPid, runNode, runTool, type Running } from './support/processes.js';
import { testConfig } from './support/test-context.js';

/**
 * Operating a development or pilot install (no DATABASE_URL): the command-line tools and the
 * gateway share the embedded server of their DATA_DIR. A tool run next to a running gateway
 * attaches to its server and leaves it running; a gateway started while a tool holds the server
 * attaches to it; whoever is last stops it. All real processes, as an operator runs them.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'schakel-attach-'));
// As root the embedded server runs as the postgres user, which must be able to reach the directory.
chmodSync(dataDir, 0o755);
const clusterDir = join(dataDir, 'postgres');
const oldKey = `old:${randomBytes(32).toString('base64')}`;
const newKey = `new:${randomBytes(32).toString('base64')}`;
let env: NodeJS.ProcessEnv;
let base: string;
let databaseUrl: string;

const TOOLS = {
  verify: ['dist/src/cli/log-cli.js', []],
  purge: ['dist/src/cli/log-cli.js', ['purge-expired']],
  rotate: ['dist/src/cli/keys-cli.js', []],
  show: ['dist/src/cli/migration-cli.js', ['show']],
} as const;

function startGateway(): Running {
  return runNode('dist/src/main.js', [], env);
}

/** A tool that, once it holds the database, waits until the test closes its stdin (SCHAKEL_CLI_HOLD). */
async function holdingTool(): Promise<Running> {
  const tool = runNode(TOOLS.verify[0], [], { ...env, SCHAKEL_CLI_HOLD: 'stdin' }, { stdin: 'pipe' });
  await tool.waitFor(/holding the database until stdin closes/);
  return tool;
}

async function token(partner: string, role: string): Promise<string> {
  const { code, stdout, output } = await runTool(
    'dist/src/cli/token-cli.js',
    ['--partner', partner, '--role', role],
    env,
  );
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  return stdout.trim();
}

/** Sealed values of the rows a referral brought in, by key id. */
async function keyIds(dataSource: DataSource): Promise<Set<string>> {
  const rows: Record<string, string | null>[] = await dataSource.query(
    'SELECT identity_sealed AS sealed FROM client UNION ALL SELECT description_sealed FROM referral',
  );
  return new Set(
    rows.flatMap((row) =>
      Object.values(row)
        .filter((v): v is string => !!v)
        .map((v) => v.split('.')[1]!),
    ),
  );
}

async function withDatabase<T>(work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = createDataSource(databaseUrl, testConfig(databaseUrl));
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

// Several real processes start one after the other: generous limits for a loaded 2-core CI machine.
const MANY_PROCESSES_MS = 300_000;

describe('command-line tools and the gateway share the embedded server', () => {
  const running: Running[] = [];
  let referrer: string;
  let team: string;
  let referralId: string;

  const ready = async () => (await fetch(`${base}/health/ready`)).status;
  /** A read the gateway must write to the access log before answering. */
  const loggedRead = () =>
    fetch(`${base}/v1/referrals/${referralId}`, {
      headers: { authorization: `Bearer ${team}`, 'x-purpose': 'referral' },
    });

  beforeAll(async () => {
    const [httpPort, pgPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${httpPort}`;
    env = {
      ...process.env,
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      PORT: String(httpPort),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      // The rotation's end state: the new key seals, the old one still opens what it sealed.
      ENCRYPTION_KEYS: `${newKey},${oldKey}`,
    };
  });

  afterAll(async () => {
    for (const { child } of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const pid = postmasterPid(clusterDir);
    if (pid && isRunning(pid)) process.kill(pid, 'SIGQUIT');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'runs log:verify, log:purge-expired, keys:rotate and migration:show next to a running gateway, which keeps serving',
    async () => {
      const gateway = startGateway();
      running.push(gateway);
      await gateway.waitFor(/schakel gateway is running at/);
      expect(gateway.output()).toContain('started by this gateway');
      databaseUrl = `postgres://postgres:${encodeURIComponent(readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim())}@127.0.0.1:${env.EMBEDDED_PG_PORT}/schakel`;

      [referrer, team] = await Promise.all([token('demo-housing', 'referrer'), token('demo-outreach', 'caseworker')]);
      const created = await fetch(`${base}/v1/referrals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${referrer}`, 'x-purpose': 'referral', 'content-type': 'application/json' },
        body: JSON.stringify({
          targetPartnerId: 'demo-outreach',
          tenant: { givenName: 'Mira', familyName: 'Claes' },
          signals: ['rent-arrears'],
          description: 'Post piles up behind the door.',
          evictionStage: 'considered',
          tenantInformed: 'yes',
          contact: { name: 'Housing officer' },
        }),
      });
      expect(created.status).toBe(201);
      referralId = ((await created.json()) as { id: string }).id;
      // Turn the clock back to before the rotation: everything sealed under the old key.
      await withDatabase(async (dataSource) => {
        await rotateSealedValues(dataSource, FieldCipher.fromConfig(`${oldKey},${newKey}`));
        expect(await keyIds(dataSource)).toEqual(new Set(['old']));
      });

      const results: Record<string, { code: number | null; ready: number }> = {};
      const outputs: Record<string, string> = {};
      for (const [name, [script, args]] of Object.entries(TOOLS)) {
        const { code, stdout, output } = await runTool(script, [...args], env);
        results[name] = { code, ready: await ready() };
        outputs[name] = code === 0 ? stdout : output;
      }
      expect(results).toEqual({
        verify: { code: 0, ready: 200 },
        purge: { code: 0, ready: 200 },
        rotate: { code: 0, ready: 200 },
        show: { code: 0, ready: 200 },
      });
      expect(JSON.parse(outputs.verify!)).toMatchObject({ ok: true });
      expect(JSON.parse(outputs.rotate!)).toMatchObject({ activeKey: 'new', resealedRows: { client: 1, referral: 1 } });
      expect(outputs.show).toContain('all migrations applied');

      // The resealed rows are under the new key, and the running gateway reads them back.
      await withDatabase(async (dataSource) => expect(await keyIds(dataSource)).toEqual(new Set(['new'])));
      const read = await loggedRead();
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ givenName: 'Mira', familyName: 'Claes' });
      const health = await fetch(`${base}/health/ready`);
      expect({ status: health.status, body: await health.json() }).toEqual({
        status: 200,
        body: { status: 'ready', checks: { database: 'up', migrations: 'applied' } },
      });
    },
    MANY_PROCESSES_MS,
  );

  it(
    'a gateway stopped while a tool still works leaves the server to the tool, which stops it when done',
    async () => {
      const gateway = running[0]!;
      const tool = await holdingTool();
      running.push(tool);
      const server = postmasterPid(clusterDir)!;

      gateway.child.kill('SIGTERM');
      expect(await gateway.exited()).toBe(0);
      expect(gateway.output()).toContain('left running for the other processes using it');
      expect(isRunning(server)).toBe(true);

      tool.child.stdin!.end();
      expect(await tool.exited()).toBe(0);
      expect(JSON.parse(tool.stdout())).toMatchObject({ ok: true });
      expect(postmasterPid(clusterDir)).toBeUndefined();
      expect(await hasExited(server)).toBe(true);
    },
    MANY_PROCESSES_MS,
  );

  it(
    'a gateway started while a tool holds the server attaches to it, and both finish cleanly',
    async () => {
      const tool = await holdingTool();
      running.push(tool);
      const server = postmasterPid(clusterDir)!;
      expect(isRunning(server)).toBe(true);

      const gateway = startGateway();
      running.push(gateway);
      await gateway.waitFor(/schakel gateway is running at/);
      expect(gateway.output()).toContain('already running, shared');
      expect(postmasterPid(clusterDir)).toBe(server);
      expect((await loggedRead()).status).toBe(200);

      tool.child.stdin!.end();
      expect(await tool.exited()).toBe(0);
      expect(JSON.parse(tool.stdout())).toMatchObject({ ok: true });
      expect(await ready()).toBe(200);
      expect((await loggedRead()).status).toBe(200);

      gateway.child.kill('SIGTERM');
      expect(await gateway.exited()).toBe(0);
      expect(postmasterPid(clusterDir)).toBeUndefined();
      expect(await hasExited(server)).toBe(true);
    },
    MANY_PROCESSES_MS,
  );
});
