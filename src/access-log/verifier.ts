import { compactVerify, importJWK, type JWK } from 'jose';
import type { AccessLogEntry } from './access-log.entities.js';
import { entryHash, GENESIS_HASH, linkHash } from './hashing.js';

export interface ChainItem {
  position: string;
  prevHash: string;
  hash: string;
  linkEntryHash: string;
  entry: Omit<AccessLogEntry, 'seq'> | null;
}

export interface CheckpointItem {
  position: string;
  headHash: string;
  signedAt: Date | string;
  jws: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Links checked. */
  entries: number;
  /** Chain position of the first problem, or null. */
  brokenAt: string | null;
  problem: string | null;
  head: { position: string; hash: string } | null;
  lastCheckpoint: { position: string; hash: string; signedAt: string; signatureValid: boolean } | null;
}

interface SignedHead {
  position: string;
  hash: string;
}

async function checkSignature(jws: string, publicKeys: JWK[]): Promise<SignedHead | null> {
  for (const jwk of publicKeys) {
    try {
      const key = await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA');
      const { payload } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
      return JSON.parse(new TextDecoder().decode(payload)) as SignedHead;
    } catch {
      // try the next published key (rotation)
    }
  }
  return null;
}

/**
 * Walks the chain once, in constant memory: every link must follow its predecessor, hash
 * correctly, and point to an entry whose content still hashes to what was linked. Every
 * checkpoint must be validly signed and match the chain at its position. The same code checks
 * the live database, and an exported file offline.
 */
export async function verifyChain(
  chain: AsyncIterable<ChainItem>,
  checkpoints: AsyncIterable<CheckpointItem>,
  publicKeys: JWK[],
): Promise<VerifyReport> {
  const report: VerifyReport = {
    ok: true,
    entries: 0,
    brokenAt: null,
    problem: null,
    head: null,
    lastCheckpoint: null,
  };
  const fail = (position: string, problem: string) => {
    if (report.ok) Object.assign(report, { ok: false, brokenAt: position, problem });
  };
  const checkpointIterator = checkpoints[Symbol.asyncIterator]();
  let nextCheckpoint = (await checkpointIterator.next()).value as CheckpointItem | undefined;

  const matchCheckpoints = async (position: bigint, hash: string) => {
    while (nextCheckpoint && BigInt(nextCheckpoint.position) <= position) {
      const checkpoint = nextCheckpoint;
      const signed = await checkSignature(checkpoint.jws, publicKeys);
      const signatureValid =
        signed !== null && signed.position === checkpoint.position && signed.hash === checkpoint.headHash;
      report.lastCheckpoint = {
        position: checkpoint.position,
        hash: checkpoint.headHash,
        signedAt: new Date(checkpoint.signedAt).toISOString(),
        signatureValid,
      };
      if (!signatureValid) fail(checkpoint.position, 'checkpoint signature is not valid for the published key');
      else if (BigInt(checkpoint.position) === position && checkpoint.headHash !== hash)
        fail(checkpoint.position, 'chain differs from the signed checkpoint at this position');
      nextCheckpoint = (await checkpointIterator.next()).value as CheckpointItem | undefined;
    }
  };

  let expected = 1n;
  let prev = GENESIS_HASH;
  let first = true;
  for await (const item of chain) {
    const position = BigInt(item.position);
    if (first && position > 1n && nextCheckpoint && BigInt(nextCheckpoint.position) === position - 1n) {
      // Entries past retention were purged: the chain resumes from the signed checkpoint kept at its end.
      const anchor = nextCheckpoint;
      const signed = await checkSignature(anchor.jws, publicKeys);
      if (
        signed &&
        signed.position === anchor.position &&
        signed.hash === anchor.headHash &&
        anchor.headHash === item.prevHash
      ) {
        expected = position;
        prev = item.prevHash;
      }
      await matchCheckpoints(position - 1n, anchor.headHash);
    }
    first = false;
    report.entries += 1;
    if (position !== expected) fail(String(expected), `link ${expected} is missing (next is ${item.position})`);
    else if (item.prevHash !== prev)
      fail(item.position, 'link does not follow its predecessor (reordered or inserted)');
    else if (linkHash(position, item.prevHash, item.linkEntryHash) !== item.hash)
      fail(item.position, 'link hash does not match its content');
    else if (!item.entry) fail(item.position, 'the linked entry was deleted');
    else if (entryHash(item.entry) !== item.linkEntryHash)
      fail(item.position, 'the entry was changed after it was written');
    await matchCheckpoints(position, item.hash);
    prev = item.hash;
    expected = position + 1n;
    report.head = { position: item.position, hash: item.hash };
  }
  if (nextCheckpoint) {
    await matchCheckpoints(BigInt(nextCheckpoint.position), '');
    fail(
      report.lastCheckpoint?.position ?? '0',
      'a signed checkpoint lies beyond the end of the chain (entries were removed)',
    );
  }
  return report;
}
