import type { JWK } from 'jose';
import { LogVerifier, type LinkRecord, type LogReport } from './log.js';
import { verifySigned } from './signed.js';

export const CHECKPOINT_TYPE = 'schakel-log-checkpoint+jws';

export interface SignedCheckpoint {
  position: string;
  headHash: string;
  signedAt: Date | string;
  jws: string;
}

export interface SignedTreeHead {
  treeSize: number | string;
  rootHash: string;
  signedAt: Date | string;
  jws: string;
}

/** Pulls from an async iterator one item ahead, so items can be taken while they lie below a bound. */
class Ahead<T> {
  private next: IteratorResult<T> | undefined;
  constructor(private readonly iterator: AsyncIterator<T>) {}
  async takeWhile(fits: (item: T) => boolean, use: (item: T) => Promise<void>): Promise<void> {
    for (;;) {
      this.next ??= await this.iterator.next();
      if (this.next.done || !fits(this.next.value)) return;
      const item = this.next.value;
      this.next = undefined;
      await use(item);
    }
  }
}

/**
 * Verifies a log given as pages of links (position order) and its signed checkpoints and tree
 * heads (position order): the signatures of those covering a page are checked before the page,
 * so memory stays constant however long the log.
 */
export async function verifyLog(
  pages: AsyncIterable<LinkRecord[]>,
  checkpoints: AsyncIterable<SignedCheckpoint>,
  treeHeads: AsyncIterable<SignedTreeHead>,
  keys: JWK[],
): Promise<LogReport> {
  const verifier = new LogVerifier();
  const checkpointsAhead = new Ahead(checkpoints[Symbol.asyncIterator]());
  const headsAhead = new Ahead(treeHeads[Symbol.asyncIterator]());
  const feed = async (through: number) => {
    await checkpointsAhead.takeWhile(
      (c) => Number(c.position) <= through,
      async (c) =>
        verifier.addCheckpoint({
          position: String(c.position),
          headHash: c.headHash,
          signedAt: new Date(c.signedAt).toISOString(),
          payload: await verifySigned(c.jws, keys, CHECKPOINT_TYPE),
        }),
    );
    await headsAhead.takeWhile(
      (h) => Number(h.treeSize) <= through,
      async (h) =>
        verifier.addTreeHead({
          treeSize: Number(h.treeSize),
          rootHash: h.rootHash,
          signedAt: new Date(h.signedAt).toISOString(),
          payload: (await verifySigned(h.jws, keys, 'schakel-tree-head+jws')) as never,
        }),
    );
  };
  for await (const page of pages) {
    if (page.length === 0) continue;
    await feed(Number(page[page.length - 1].position));
    for (const link of page) verifier.link(link);
  }
  await feed(Number.MAX_SAFE_INTEGER);
  return verifier.finish();
}
