import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../../src/database/embedded-postgres.js';

/** dist/bench (where the compiled workers live). */
export const BENCH_DIST = dirname(dirname(fileURLToPath(import.meta.url)));
/** The project root (the gateway's working directory: policies/ is read relative to it). */
export const PROJECT_ROOT = dirname(dirname(BENCH_DIST));

/**
 * A worker's answer is JSON in the file BENCH_RESULT_FILE names. Not a stdout line: an answer
 * over 64 KB (the 10 M log-size EXPLAINs are ~200 KB) is not one atomic pipe write, and a log
 * line written meanwhile by the app in the worker landed inside it.
 */
const RESULT_FILE = 'BENCH_RESULT_FILE';

/**
 * Every process the bench started and that still runs. When the bench ends in any way but a
 * SIGKILL (a crash, Ctrl-C) they are killed with it: a gateway left running kept linking the log
 * of the next run's database and loaded its CPU, skewing every figure after it.
 */
const children = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  children.add(child);
  child.on('exit', () => children.delete(child));
}

/** Installs the handlers that take the bench's processes down with it (by claimBenchLock, once per run). */
function killChildrenOnExit(): void {
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, () => process.exit(128 + constants.signals[signal]));
}

/**
 * One bench at a time per checkout: two share the embedded database (the first to end stops it
 * under the other) and the CPU (every figure of both is wrong). Refuses while the pid in
 * `<dir>/.running` is alive; the file goes when this process exits.
 */
export function claimBenchLock(dir: string): void {
  const file = join(dir, '.running');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      killChildrenOnExit();
      process.on('exit', () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder))
        throw new Error(
          `another bench (pid ${holder}) is running in this checkout; two at once share its database and the CPU, so wait for it to end`,
          { cause: error },
        );
      unlinkSync(file); // left by a bench that was killed outright
    }
  }
  throw new Error(`could not claim ${file}`);
}

/** Called by a worker: its input comes as JSON in BENCH_INPUT. */
export function workerInput<T>(): T {
  const raw = process.env.BENCH_INPUT;
  if (!raw) throw new Error('BENCH_INPUT is not set: workers are started by bench/run.ts');
  return JSON.parse(raw) as T;
}

/** Called by a worker to hand its result to the orchestrator. */
export function reply(result: unknown): void {
  const file = process.env[RESULT_FILE];
  if (!file) throw new Error(`${RESULT_FILE} is not set: workers are started by bench/run.ts`);
  writeFileSync(file, JSON.stringify(result));
}

/** Runs a worker's main and exits non-zero with its stack on failure. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs one worker (dist/bench/workers/<name>.js) in its own process and returns its result.
 * The worker's stderr is kept (the last lines are shown if it fails).
 */
export async function runWorker<T>(
  name: string,
  input: unknown,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'schakel-bench-'));
  const resultFile = join(dir, 'result.json');
  const child = spawn(process.execPath, [...nodeArgs, join(BENCH_DIST, 'workers', `${name}.js`)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, BENCH_INPUT: JSON.stringify(input), [RESULT_FILE]: resultFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(-8000)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    // 'close': once the worker's output streams are done too.
    child.on('close', (exitCode) => resolve(exitCode));
  });
  let answer: string | null = null;
  try {
    answer = readFileSync(resultFile, 'utf8');
  } catch {
    // no answer: reported below
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (code !== 0 || answer === null) {
    throw new Error(`bench worker "${name}" failed (exit ${code}):\n${stderr.trim() || stdout.slice(-4000)}`);
  }
  return JSON.parse(answer) as T;
}

export interface Server {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn until the readiness URL answered 200. */
  readyAfterMs: number;
  stop(): Promise<number | null>;
}

/**
 * Starts a server process (the gateway, or a bare baseline) and waits until `readyPath` answers
 * 200. Its output goes to `logFile` so a failure can be read afterwards.
 */
export async function startServer(options: {
  script: string;
  args?: string[];
  nodeArgs?: string[];
  env: Record<string, string>;
  port: number;
  readyPath: string;
  logFile: string;
  timeoutMs?: number;
}): Promise<Server> {
  const started = process.hrtime.bigint();
  // Straight into the file: the server's request log must not cost this process any CPU.
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log],
  });
  track(child);
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(`${options.script} exited (code ${exitCode}) before it was ready; see ${options.logFile}`);
    try {
      const response = await fetch(url + options.readyPath);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `${options.script} was not ready within ${options.timeoutMs ?? 120_000} ms; see ${options.logFile}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const readyAfterMs = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    child,
    url,
    readyAfterMs,
    async stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
