// `npm run bench:start`: how long `npm start` takes until GET /health/ready answers 200, as a
// newcomer sees it, and how long `npm run token` takes. Never asserted in tests: the numbers
// depend on the machine and on what else runs on it (the load average is printed with them).
//
//   fresh  a new DATA_DIR: initialise the embedded cluster, migrate, seed the demo network;
//          compiles too when sources changed, or always with --fresh-build (removes dist/ first)
//   warm   the same DATA_DIR again: nothing to compile, initialise, migrate or seed
//
// Each start is stopped with SIGINT, as Ctrl-C would, before the next one begins.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

const root = join(import.meta.dirname, '..');
const warmRuns = Number(process.env.BENCH_WARM_RUNS ?? 3);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function timedStart(env) {
  const started = performance.now();
  // Its own process group, so SIGINT reaches npm, the build check and the gateway together.
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: 'ignore', detached: true });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let ready;
  while (ready === undefined) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}) before it was ready`);
    const status = await globalThis.fetch(`http://127.0.0.1:${env.PORT}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) ready = performance.now() - started;
    else await delay(50);
  }
  process.kill(-child.pid, 'SIGINT');
  await exited;
  // npm may exit before the gateway has stopped the embedded server: wait for that too.
  while (existsSync(join(env.DATA_DIR, 'postgres', 'postmaster.pid'))) await delay(50);
  return Math.round(ready);
}

const dataDir = mkdtempSync(join(tmpdir(), 'schakel-bench-start-'));
chmodSync(dataDir, 0o755); // as root the embedded server runs as the postgres user
const env = {
  ...process.env,
  DATABASE_URL: '',
  NODE_ENV: 'development',
  DATA_DIR: dataDir,
  PORT: String(await freePort()),
  EMBEDDED_PG_PORT: String(await freePort()),
};
try {
  if (process.argv.includes('--fresh-build')) rmSync(join(root, 'dist'), { recursive: true, force: true });
  const before = loadavg()[0];
  const fresh = await timedStart(env);
  const warm = [];
  for (let i = 0; i < warmRuns; i++) warm.push(await timedStart(env));
  const tokenStarted = performance.now();
  const token = spawnSync('npm', ['run', '-s', 'token', '--', '--partner', 'demo-housing', '--role', 'referrer'], {
    cwd: root,
    env,
    stdio: 'ignore',
  });
  const tokenMs = Math.round(performance.now() - tokenStarted);
  const result = {
    cores: availableParallelism(),
    loadAverage: [before, loadavg()[0]].map((l) => Number(l.toFixed(2))),
    freshStartMs: fresh,
    freshBuild: process.argv.includes('--fresh-build'),
    warmStartMs: warm,
    tokenMs: token.status === 0 ? tokenMs : `failed (${token.status})`,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
