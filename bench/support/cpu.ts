import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time actually used, read from /proc (Linux): what a row costs the server under test and
 * PostgreSQL per operation. Unlike requests per second, it hardly depends on what else the
 * machine runs, so it compares runs made under different loads. Elsewhere than Linux: nothing.
 */
export interface CpuWatch {
  /** Processes of the server under test (gateways, a bare handler), or none for a DB-only row. */
  pids: number[];
  /** PostgreSQL's postmaster: its children (every backend) are counted. */
  postmaster?: number;
}

export interface CpuUse {
  serverMs: number;
  postgresMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux the bench targets

/** utime + stime of one process, ms (0 if it is gone); and its parent. */
function stat(pid: number): { ms: number; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return null;
  }
}

function children(ppid: number): number[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
  return pids.filter((pid) => stat(pid)?.ppid === ppid);
}

/** The CPU used so far by the watched processes; subtract two readings for a window. */
export function readCpu(watch: CpuWatch | undefined): CpuUse | undefined {
  if (!watch || process.platform !== 'linux') return undefined;
  const sum = (pids: number[]) => pids.reduce((total, pid) => total + (stat(pid)?.ms ?? 0), 0);
  return {
    serverMs: sum(watch.pids),
    postgresMs: watch.postmaster ? sum([watch.postmaster, ...children(watch.postmaster)]) : 0,
  };
}

/** CPU ms per operation between two readings (backends that exited in between are not counted). */
export function cpuPerOperation(
  before: CpuUse | undefined,
  after: CpuUse | undefined,
  operations: number,
): Pick<CpuUse, 'serverMs' | 'postgresMs'> | undefined {
  if (!before || !after || operations === 0) return undefined;
  return {
    serverMs: (after.serverMs - before.serverMs) / operations,
    postgresMs: (after.postgresMs - before.postgresMs) / operations,
  };
}
