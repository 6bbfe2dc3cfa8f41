import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A compiled entry point (gateway or tool) run as its own process, as an operator runs it. */
export interface Running {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  stdout(): string;
  /** Resolves when the output matches; rejects, with the output, if the process exits first. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number | null>;
}

export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { stdin?: 'pipe' | 'ignore' } = {},
): Running {
  const root = process.cwd();
  let output = '';
  let stdout = '';
  const listeners = new Set<() => void>();
  const child = spawn(process.execPath, [join(root, script), ...args], {
    cwd: root,
    env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const notify = () => listeners.forEach((listener) => listener());
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
    notify();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    notify();
  });
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    exited: () => exit,
    waitFor(pattern) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
        void exit.then((code) => {
          if (!listeners.has(check)) return;
          listeners.delete(check);
          reject(new Error(`${script} exited (${code}) before printing ${pattern}:\n${output}`));
        });
      });
    },
  };
}

/** Runs a tool to its end. */
export async function runTool(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; output: string }> {
  const tool = runNode(script, args, env);
  const code = await tool.exited();
  return { code, stdout: tool.stdout(), output: tool.output() };
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Running and not a zombie: a server whose starter died is nobody's child, and may never be reaped. */
/**
 * Whether a process has gone within `withinMs`: a server removes its pid file just before it
 * exits, so the process may outlive the file by a moment — wait for the state, not a sleep.
 */
export async function hasExited(pid: number, withinMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The pid of the embedded server of a cluster directory, when its pid file is there. */
export function postmasterPid(clusterDir: string): number | undefined {
  const file = join(clusterDir, 'postmaster.pid');
  return existsSync(file) ? Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10) : undefined;
}
