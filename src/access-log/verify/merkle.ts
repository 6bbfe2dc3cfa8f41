import { hash as oneShot } from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 §2.1 over the access log's chained entries, with no dependency on
 * the gateway (a partner can run it alone): leaf hash `SHA-256(0x00 ‖ leaf)`, node hash
 * `SHA-256(0x01 ‖ left ‖ right)`, the split at the largest power of two below the size. A leaf is
 * the entry as the chain commits to it: its 32-byte content hash (SHA-256 of the canonical entry).
 */

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

const sha256 = (data: Buffer): Buffer => oneShot('sha256', data, 'buffer') as unknown as Buffer;

export const EMPTY_ROOT: Buffer = sha256(Buffer.alloc(0));

export function leafHash(leaf: Uint8Array): Buffer {
  return sha256(Buffer.concat([LEAF_PREFIX, leaf]));
}

// Reused buffers for the two hashes a whole-log verification computes for every entry.
const nodeInput = Buffer.alloc(65, 1);
const entryLeafInput = Buffer.alloc(33, 0);

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) return sha256(Buffer.concat([NODE_PREFIX, left, right]));
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return sha256(nodeInput);
}

/** The leaf hash of an access-log entry, from its content hash (hex): SHA-256(0x00 ‖ 32 bytes). */
export function entryLeafHash(entryHashHex: string): Buffer {
  if (entryLeafInput.write(entryHashHex, 1, 'hex') !== 32) return leafHash(Buffer.from(entryHashHex, 'hex'));
  return sha256(entryLeafInput);
}

/** The largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A complete subtree: 2^level leaves starting at leaf index × 2^level. */
export interface NodeKey {
  level: number;
  index: number;
}

/** The complete subtrees that make up the first `size` leaves, left to right (the frontier). */
export function frontierKeys(size: number): NodeKey[] {
  const keys: NodeKey[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level;
    if (size - start >= width) {
      keys.push({ level, index: start / width });
      start += width;
    }
  }
  return keys;
}

/**
 * The right edge of a tree being built leaf by leaf: the hashes of its complete subtrees, so a
 * whole log is hashed in constant memory, and every new complete subtree can be stored.
 */
export class Frontier {
  private readonly levels: number[] = [];
  private readonly hashes: Buffer[] = [];
  size: number;

  constructor(size = 0, pieces: Buffer[] = []) {
    const keys = frontierKeys(size);
    if (keys.length !== pieces.length) throw new Error(`a tree of ${size} leaves has ${keys.length} frontier hashes`);
    keys.forEach((key, i) => {
      this.levels.push(key.level);
      this.hashes.push(pieces[i]);
    });
    this.size = size;
  }

  /** Adds a leaf hash; `onNode` hears every complete subtree that now exists (the leaf first). */
  append(leaf: Buffer, onNode?: (level: number, index: number, hash: Buffer) => void): void {
    let level = 0;
    let hash = leaf;
    let index = this.size;
    onNode?.(0, index, hash);
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
      this.levels.pop();
      hash = nodeHash(this.hashes.pop()!, hash);
      level += 1;
      index = Math.floor(index / 2);
      onNode?.(level, index, hash);
    }
    this.levels.push(level);
    this.hashes.push(hash);
    this.size += 1;
  }

  root(): Buffer {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let hash = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i--) hash = nodeHash(this.hashes[i], hash);
    return hash;
  }

  /** The frontier hashes, left to right (what a retention anchor signs). */
  pieces(): Buffer[] {
    return [...this.hashes];
  }
}

/** The hash of a complete subtree, from whoever stores them (the database, an anchor, memory). */
export type NodeSource = (level: number, index: number) => Buffer;

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

/** MTH(D[start:end]) from complete subtrees (the ranges RFC 9162's recursion asks for). */
export function subtreeHash(start: number, end: number, node: NodeSource): Buffer {
  const width = end - start;
  if (width <= 0) return EMPTY_ROOT;
  if (isPowerOfTwo(width) && start % width === 0) return node(Math.log2(width), start / width);
  const k = splitPoint(width);
  return nodeHash(subtreeHash(start, start + k, node), subtreeHash(start + k, end, node));
}

/** PATH(m, D[0:n]), RFC 9162 §2.1.3.1: the audit path of leaf m in the tree of the first n leaves. */
export function inclusionProof(m: number, n: number, node: NodeSource): Buffer[] {
  if (!(m >= 0 && m < n)) throw new RangeError('leaf index outside the tree');
  const path = (leaf: number, start: number, end: number): Buffer[] => {
    if (end - start === 1) return [];
    const k = splitPoint(end - start);
    return leaf < k
      ? [...path(leaf, start, start + k), subtreeHash(start + k, end, node)]
      : [...path(leaf - k, start + k, end), subtreeHash(start, start + k, node)];
  };
  return path(m, 0, n);
}

/** PROOF(m, D[0:n]), RFC 9162 §2.1.4.1: that the tree of n leaves extends the tree of m. */
export function consistencyProof(m: number, n: number, node: NodeSource): Buffer[] {
  if (!(m >= 1 && m <= n)) throw new RangeError('tree sizes must satisfy 1 ≤ first ≤ second');
  if (m === n) return [];
  const subproof = (size: number, start: number, end: number, whole: boolean): Buffer[] => {
    if (size === end - start) return whole ? [] : [subtreeHash(start, end, node)];
    const k = splitPoint(end - start);
    return size <= k
      ? [...subproof(size, start, start + k, whole), subtreeHash(start + k, end, node)]
      : [...subproof(size - k, start + k, end, false), subtreeHash(start, start + k, node)];
  };
  return subproof(m, 0, n, true);
}

/** Which complete subtrees a proof needs: run the prover against a recorder, then fetch them at once. */
export function neededNodes(prove: (node: NodeSource) => unknown): NodeKey[] {
  const keys = new Map<string, NodeKey>();
  prove((level, index) => {
    keys.set(`${level}:${index}`, { level, index });
    return EMPTY_ROOT;
  });
  return [...keys.values()];
}

const half = (n: number) => Math.floor(n / 2);
const odd = (n: number) => n % 2 === 1;

/** RFC 9162 §2.1.3.2: verifies an inclusion proof. */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  path: Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize)
    return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Uint8Array = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.from(r).equals(Buffer.from(root));
}

/** RFC 9162 §2.1.4.2: verifies that the tree of `second` leaves extends the tree of `first`. */
export function verifyConsistency(
  first: number,
  second: number,
  proof: Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) return false;
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  if (first === second) return proof.length === 0 && same(firstRoot, secondRoot);
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && same(fr, firstRoot) && same(sr, secondRoot);
}

export const toHex = (hash: Uint8Array): string => Buffer.from(hash).toString('hex');

/** Parses a 32-byte hash in hex; null when it is not one (input from a file or a request). */
export function fromHex(text: unknown): Buffer | null {
  return typeof text === 'string' && /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : null;
}
