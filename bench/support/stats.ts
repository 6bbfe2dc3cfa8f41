import { cpuPerOperation, readCpu, type CpuWatch } from './cpu.js';

/** Throughput and latency of one measured row, in the same shape for every kind of row. */
export interface Measurement {
  /** Completed operations (HTTP requests or transactions) in the measured window. */
  operations: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Operations that failed (non-2xx, timeouts, connection or query errors). */
  errors: number;
  /** Response status counts, for HTTP rows. */
  statusCodes?: Record<string, number>;
  /** Monotonic clock (process.hrtime, microseconds) at the start and end of the window: lines a CPU profile up with it. */
  windowUs?: [number, number];
  /** CPU ms per operation in the window: the server under test and PostgreSQL (Linux only; see cpu.ts). */
  cpuMsPerOp?: { serverMs: number; postgresMs: number };
}

/** Latencies recorded one by one (the DB rows; autocannon keeps its own histogram). */
export class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  private count = 0;

  record(ms: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  get size(): number {
    return this.count;
  }

  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const sorted = this.values.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.max(0, Math.ceil((p / 100) * this.count) - 1))];
  }
}

export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** How long a row runs: for a time (measurements), or a fixed count per loop (the quick smoke check, which must not depend on speed). */
export interface RowLength {
  warmupSeconds: number;
  seconds: number;
  /** When set, each loop (connection) does exactly this many operations, however long they take; no warm-up. */
  perLoop?: number;
}

/**
 * Runs `operation` from `concurrency` loops for `length`, a warm-up of the same load first, not
 * counted. Each loop gets its own index (e.g. its own connection).
 */
export async function closedLoop(
  concurrency: number,
  length: RowLength,
  operation: (loop: number) => Promise<void>,
  cpu?: CpuWatch,
): Promise<Measurement> {
  const run = async (duration: number, recorder: LatencyRecorder | null) => {
    const deadline = length.perLoop ? Infinity : performance.now() + duration * 1000;
    let errors = 0;
    let firstError: unknown;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, loop) => {
        for (let done = 0; performance.now() < deadline && done < (length.perLoop ?? Infinity); done++) {
          const started = performance.now();
          try {
            await operation(loop);
            recorder?.record(performance.now() - started);
          } catch (error) {
            errors += 1;
            firstError ??= error;
          }
        }
      }),
    );
    return { errors, firstError };
  };
  if (length.warmupSeconds > 0 && !length.perLoop) await run(length.warmupSeconds, null);
  const recorder = new LatencyRecorder();
  const cpuBefore = readCpu(cpu);
  const startUs = nowUs();
  const started = performance.now();
  const { errors, firstError } = await run(length.seconds, recorder);
  const elapsed = (performance.now() - started) / 1000;
  const cpuMsPerOp = cpuPerOperation(cpuBefore, readCpu(cpu), recorder.size);
  if (recorder.size === 0) throw firstError instanceof Error ? firstError : new Error('no operation completed');
  return {
    operations: recorder.size,
    seconds: elapsed,
    perSecond: recorder.size / elapsed,
    p50Ms: recorder.percentile(50),
    p99Ms: recorder.percentile(99),
    errors,
    windowUs: [startUs, nowUs()],
    ...(cpuMsPerOp ? { cpuMsPerOp } : {}),
  };
}

/**
 * One row's figure from its slices (see `--slices`): operations and time added up, CPU per
 * operation over all of them, and the median of the slices' p50 and p99 (autocannon keeps no
 * histogram a slice could hand over, so percentiles are not pooled).
 */
export function combineSlices(slices: Measurement[]): Measurement {
  if (slices.length === 1) return slices[0];
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const operations = slices.reduce((sum, s) => sum + s.operations, 0);
  const seconds = slices.reduce((sum, s) => sum + s.seconds, 0);
  const statusCodes: Record<string, number> = {};
  for (const s of slices)
    for (const [code, count] of Object.entries(s.statusCodes ?? {}))
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
  const withCpu = slices.filter((s) => s.cpuMsPerOp && s.operations > 0);
  const cpuOps = withCpu.reduce((sum, s) => sum + s.operations, 0);
  const weighted = (pick: (cpu: NonNullable<Measurement['cpuMsPerOp']>) => number) =>
    withCpu.reduce((sum, s) => sum + pick(s.cpuMsPerOp!) * s.operations, 0) / cpuOps;
  const windows = slices.flatMap((s) => (s.windowUs ? [s.windowUs] : []));
  return {
    operations,
    seconds,
    perSecond: operations / seconds,
    p50Ms: median(slices.map((s) => s.p50Ms)),
    p99Ms: median(slices.map((s) => s.p99Ms)),
    errors: slices.reduce((sum, s) => sum + s.errors, 0),
    ...(Object.keys(statusCodes).length > 0 ? { statusCodes } : {}),
    ...(windows.length > 0 ? { windowUs: [windows[0][0], windows[windows.length - 1][1]] as [number, number] } : {}),
    ...(cpuOps > 0
      ? { cpuMsPerOp: { serverMs: weighted((c) => c.serverMs), postgresMs: weighted((c) => c.postgresMs) } }
      : {}),
  };
}

/**
 * The lengths of a row's slices: the whole warm-up before the first, a short one (connections
 * and caches warm again) before each other; the measured time split evenly. A count (the quick
 * mode) is never split.
 */
export function sliceLengths(length: RowLength, slices: number): RowLength[] {
  if (length.perLoop || slices <= 1) return [length];
  return Array.from({ length: slices }, (_, i) => ({
    warmupSeconds: i === 0 ? length.warmupSeconds : Math.min(1, length.warmupSeconds),
    seconds: length.seconds / slices,
  }));
}

/**
 * Runs rows in alternating slices of `length` (the order reversed every other round), so a slow
 * stretch of a shared machine falls on every row, and gives each row's slices combined.
 */
export async function interleave(
  length: RowLength,
  slices: number,
  rows: ((sliceLength: RowLength) => Promise<Measurement>)[],
): Promise<Measurement[]> {
  const measured = rows.map(() => [] as Measurement[]);
  for (const [i, sliceLength] of sliceLengths(length, slices).entries()) {
    const order = rows.map((_, row) => row);
    if (i % 2 === 1) order.reverse();
    for (const row of order) measured[row].push(await rows[row](sliceLength));
  }
  return measured.map(combineSlices);
}
