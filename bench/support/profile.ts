import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile (node --cpu-prof) read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time inside the window, in ms (all threads of JS execution, idle included). */
  totalMs: number;
  /** Busy time: the window without "(idle)". */
  busyMs: number;
  top: { name: string; where: string; selfMs: number; share: number }[];
  categories: { category: string; selfMs: number; share: number }[];
}

/** The package (or the gateway's own code) a frame belongs to, if any. */
function ownerOf(url: string): string | undefined {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) {
    if (pkg === 'typeorm') return 'TypeORM (query building, entities)';
    if (pkg === 'pg' || pkg.startsWith('pg-') || pkg.startsWith('postgres-'))
      return 'pg (protocol, pool, type parsing)';
    if (pkg === 'jose') return 'jose (JWT)';
    if (pkg.startsWith('@casl/')) return 'CASL (policy)';
    if (pkg.startsWith('@nestjs/') || pkg === 'rxjs' || pkg === 'reflect-metadata') return 'Nest (+ rxjs)';
    if (['fastify', 'find-my-way', 'avvio', 'light-my-request', 'helmet'].includes(pkg) || pkg.startsWith('@fastify/'))
      return 'Fastify (+ helmet)';
    if (['class-validator', 'class-transformer', 'validator', 'libphonenumber-js'].includes(pkg))
      return 'class-validator/transformer';
    if (pkg.startsWith('pino') || ['sonic-boom', 'fast-redact', 'thread-stream'].includes(pkg)) return 'pino (logging)';
    return `other package (${pkg})`;
  }
  if (/\/dist\/src\//.test(url)) return 'gateway code (src/)';
  return undefined;
}

/** A frame's own category when no package owns it: V8, Node internals, JSON. */
function intrinsicCategory(functionName: string, url: string): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 (program: compiling, runtime)';
  if (!url && (functionName === 'parse' || functionName === 'stringify' || functionName.startsWith('JSON')))
    return 'JSON (parse, stringify)';
  if (url.startsWith('node:')) return 'Node internals (unattributed)';
  return 'native (unattributed)';
}

/**
 * Where a sample's self time goes: JSON and GC stand apart; anything else runs on behalf of the
 * nearest package (or the gateway's own code) up the stack — e.g. a socket write (native writev
 * under node:net) called by pg counts for pg, the same call made for an HTTP answer for Fastify.
 */
function categoryFor(id: number, byId: Map<number, Frame>, parent: Map<number, number>): string {
  const own = byId.get(id)!.callFrame;
  const intrinsic = intrinsicCategory(own.functionName, own.url);
  if (intrinsic === 'garbage collection' || intrinsic.startsWith('JSON') || intrinsic.startsWith('V8'))
    return intrinsic;
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const owner = ownerOf(byId.get(at)!.callFrame.url);
    if (owner) return owner;
  }
  return intrinsic;
}

type Frame = CpuProfile['nodes'][number];

/**
 * Self time per function and per category, counting only the samples inside `windowUs` (the
 * measured load, on the same monotonic clock: V8 and process.hrtime both read CLOCK_MONOTONIC).
 */
export function summariseProfile(file: string, windowUs?: [number, number], top = 10): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i];
    const next = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
    if (windowUs && (time < windowUs[0] || time > windowUs[1])) continue;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, next));
  }
  const perFunction = new Map<string, { name: string; where: string; us: number }>();
  const perCategory = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    totalUs += us;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const category = categoryFor(id, byId, parent);
    perCategory.set(category, (perCategory.get(category) ?? 0) + us);
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`
      : `native, for ${category}`;
    const key = `${functionName}@${where}`;
    const entry = perFunction.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    perFunction.set(key, entry);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    top: [...perFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: share(f.us) })),
    categories: [...perCategory.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, selfMs: us / 1000, share: share(us) })),
  };
}
