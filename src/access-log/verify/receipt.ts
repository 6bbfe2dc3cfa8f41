import type { JWK } from 'jose';
import type { EntryContent } from '../hashing.js';
import { contentHash } from './entry.js';
import { entryLeafHash, fromHex, toHex, verifyConsistency, verifyInclusion } from './merkle.js';
import { verifyTreeHead, type TreeHead } from './signed.js';

/** An inclusion proof as GET /v1/access-log/entries/:id/proof returns it (hashes hex, treeHead the signed JWS). */
export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
  rootHash: string;
  treeHead: string;
}

/** A receipt: the entry, and the proof that it is in a tree the gateway signed. */
export interface Receipt {
  entry: EntryContent & { entryHash?: string };
  proof: InclusionProof;
}

export interface CheckResult {
  ok: boolean;
  problem: string | null;
  treeHead: TreeHead | null;
}

const failed = (problem: string, treeHead: TreeHead | null = null): CheckResult => ({ ok: false, problem, treeHead });

/**
 * Verifies a receipt offline: the entry hashes to the proven leaf, the audit path leads from it to
 * the root, and that root and size are what a published key signed.
 */
export async function verifyReceipt(receipt: Receipt, keys: JWK[]): Promise<CheckResult> {
  const { entry, proof } = receipt ?? ({} as Receipt);
  if (!entry || typeof entry !== 'object' || !proof || typeof proof !== 'object') return failed('not a receipt');
  let hashOfEntry: string;
  try {
    hashOfEntry = contentHash(entry);
  } catch {
    return failed('the entry is not a log entry');
  }
  if (entry.entryHash !== undefined && entry.entryHash !== hashOfEntry)
    return failed('the entry was changed: it no longer hashes to its entry hash');
  const leaf = entryLeafHash(hashOfEntry);
  if (toHex(leaf) !== proof.leafHash) return failed('the entry does not hash to the proven leaf');
  const path = Array.isArray(proof.auditPath) ? proof.auditPath.map(fromHex) : [null];
  const root = fromHex(proof.rootHash);
  if (path.includes(null) || !root) return failed('the proof holds a malformed hash');
  if (!verifyInclusion(proof.leafIndex, proof.treeSize, leaf, path as Buffer[], root))
    return failed('the audit path does not lead to the root: the entry is not in this tree');
  const head = await verifyTreeHead(proof.treeHead, keys);
  if (!head) return failed('the tree head is not signed by a published key');
  if (head.treeSize !== proof.treeSize || head.rootHash !== proof.rootHash)
    return failed('the signed tree head names another tree than the proof', head);
  return { ok: true, problem: null, treeHead: head };
}

/** A signed tree head as GET /v1/access-log/tree-head returns it (only the signed `treeHead` counts). */
export interface TreeHeadDocument {
  treeHead: string;
}

/** A consistency proof as GET /v1/access-log/consistency returns it. */
export interface ConsistencyDocument {
  first: TreeHeadDocument;
  second: TreeHeadDocument;
  proof: string[];
}

/**
 * Verifies that the tree in `later` extends the one signed in `earlier` (a tree head, a receipt or
 * an earlier consistency answer that the holder saved): both heads signed, the proof valid.
 */
export async function verifyExtension(
  earlier: TreeHeadDocument | Receipt | ConsistencyDocument,
  later: ConsistencyDocument,
  keys: JWK[],
): Promise<CheckResult & { first: TreeHead | null }> {
  const jwsOf = (doc: unknown): string | undefined => {
    const d = doc as { proof?: unknown; second?: { treeHead?: string }; treeHead?: string } | null;
    if (d?.proof && !Array.isArray(d.proof)) return (d.proof as { treeHead?: string }).treeHead;
    return d?.second ? d.second.treeHead : d?.treeHead;
  };
  const old = await verifyTreeHead(jwsOf(earlier) ?? '', keys);
  if (!old) return { ...failed('the earlier tree head is not signed by a published key'), first: null };
  const first = await verifyTreeHead(later?.first?.treeHead ?? '', keys);
  const second = await verifyTreeHead(later?.second?.treeHead ?? '', keys);
  if (!first || !second) return { ...failed('a tree head of the proof is not signed by a published key'), first: old };
  if (first.treeSize !== old.treeSize || first.rootHash !== old.rootHash)
    return { ...failed('the proof starts from another tree than the earlier head'), first: old };
  const proof = Array.isArray(later.proof) ? later.proof.map(fromHex) : [null];
  if (proof.includes(null)) return { ...failed('the proof holds a malformed hash'), first: old };
  const ok = verifyConsistency(
    first.treeSize,
    second.treeSize,
    proof as Buffer[],
    fromHex(first.rootHash)!,
    fromHex(second.rootHash)!,
  );
  return ok
    ? { ok: true, problem: null, treeHead: second, first: old }
    : {
        ...failed('the later tree does not extend the earlier one (entries removed, changed or reordered)', second),
        first: old,
      };
}
