import type { EntryContent } from '../hashing.js';
import { chainLinkHash, contentHash } from './entry.js';
import { entryLeafHash, Frontier, fromHex, toHex } from './merkle.js';

/** The hash the first link points back to. */
export const GENESIS = '0'.repeat(64);

/** One chain link with its entry (null when the entry row is gone), as an export line or a database row holds it. */
export interface LinkRecord {
  position: string | number;
  /** The previous link's hash as the reader found it (null: there is none to find). */
  prevHash: string | null;
  hash: string;
  /** The entry hash the link committed to (null: the entry row is gone). */
  linkEntryHash: string | null;
  entry: EntryContent | null;
  /** Instead of `entry`: the hash of the entry's canonical JSON as the reader found it written (not re-serialised). */
  contentHash?: string;
}

/** A signed checkpoint of the chain (its signature already checked: `payload` null when it did not verify). */
export interface CheckedCheckpoint {
  position: string;
  headHash: string;
  signedAt: string;
  payload: Record<string, unknown> | null;
}

/** A signed tree head (its signature already checked: `payload` null when it did not verify). */
export interface CheckedTreeHead {
  treeSize: number;
  rootHash: string;
  signedAt: string;
  payload: { treeSize: number; rootHash: string; chainHash: string } | null;
}

export interface LogReport {
  ok: boolean;
  /** Links checked. */
  entries: number;
  /** Chain position of the first problem, or null. */
  brokenAt: string | null;
  problem: string | null;
  head: { position: string; hash: string } | null;
  lastCheckpoint: { position: string; hash: string; signedAt: string; signatureValid: boolean } | null;
  /** The Merkle tree over the chain as recomputed, and the last signed tree head checked against it. */
  tree: {
    size: number;
    rootHash: string;
    lastTreeHead: { treeSize: number; rootHash: string; signedAt: string; signatureValid: boolean } | null;
  } | null;
}

/**
 * Walks the chain once, in position order and constant memory, checking every link, every entry's
 * content, every signed checkpoint and every signed tree head, while rebuilding the Merkle tree
 * from its right edge. Synchronous per link (signatures are checked by the caller, which feeds
 * them in position order), so a whole log verifies at hundreds of thousands of entries a second.
 */
export class LogVerifier {
  readonly report: LogReport = {
    ok: true,
    entries: 0,
    brokenAt: null,
    problem: null,
    head: null,
    lastCheckpoint: null,
    tree: null,
  };
  private readonly checkpoints: CheckedCheckpoint[] = [];
  private readonly treeHeads: CheckedTreeHead[] = [];
  private expected = 1;
  private prev = GENESIS;
  private first = true;
  private frontier: Frontier | null = new Frontier();
  private lastTreeHead: NonNullable<LogReport['tree']>['lastTreeHead'] = null;

  private fail(position: string | number, problem: string): void {
    if (this.report.ok) Object.assign(this.report, { ok: false, brokenAt: String(position), problem });
  }

  /** Queues checkpoints and tree heads; they must arrive in position order, before the links they cover. */
  addCheckpoint(checkpoint: CheckedCheckpoint): void {
    this.checkpoints.push(checkpoint);
  }

  addTreeHead(head: CheckedTreeHead): void {
    this.treeHeads.push(head);
  }

  /** The highest position any queued checkpoint or tree head covers (for feeding them in step). */
  get queuedThrough(): number {
    const last = (list: { position?: string; treeSize?: number }[]) =>
      list.length ? Number(list[list.length - 1].position ?? list[list.length - 1].treeSize) : 0;
    return Math.max(last(this.checkpoints), last(this.treeHeads));
  }

  private matchCheckpoints(position: number, hash: string): void {
    while (this.checkpoints.length > 0 && Number(this.checkpoints[0].position) <= position) {
      const checkpoint = this.checkpoints.shift()!;
      const signed = checkpoint.payload;
      const signatureValid =
        signed !== null && signed.position === checkpoint.position && signed.hash === checkpoint.headHash;
      this.report.lastCheckpoint = {
        position: checkpoint.position,
        hash: checkpoint.headHash,
        signedAt: new Date(checkpoint.signedAt).toISOString(),
        signatureValid,
      };
      if (!signatureValid) this.fail(checkpoint.position, 'checkpoint signature is not valid for the published key');
      else if (Number(checkpoint.position) === position && checkpoint.headHash !== hash)
        this.fail(checkpoint.position, 'chain differs from the signed checkpoint at this position');
    }
  }

  private matchTreeHeads(size: number, hash: string): void {
    while (this.treeHeads.length > 0 && this.treeHeads[0].treeSize <= size) {
      const head = this.treeHeads.shift()!;
      const signed = head.payload;
      const signatureValid = signed !== null && signed.treeSize === head.treeSize && signed.rootHash === head.rootHash;
      this.lastTreeHead = {
        treeSize: head.treeSize,
        rootHash: head.rootHash,
        signedAt: new Date(head.signedAt).toISOString(),
        signatureValid,
      };
      if (!signatureValid) this.fail(head.treeSize, 'tree head signature is not valid for the published key');
      else if (head.treeSize === size && this.frontier) {
        if (toHex(this.frontier.root()) !== head.rootHash)
          this.fail(head.treeSize, 'the Merkle tree differs from the signed tree head of this size');
        else if (signed.chainHash !== hash)
          this.fail(head.treeSize, 'the chain differs from the signed tree head of this size');
      }
    }
  }

  /** A log that resumes after a retention purge: its first link follows the signed anchor. */
  private resume(position: number, item: LinkRecord): void {
    const anchor = this.checkpoints[0];
    if (!anchor || Number(anchor.position) !== position - 1) return;
    const signed = anchor.payload;
    if (
      signed &&
      signed.position === anchor.position &&
      signed.hash === anchor.headHash &&
      anchor.headHash === item.prevHash
    ) {
      this.expected = position;
      this.prev = anchor.headHash;
      // RFC 9162 prefix: the anchor signs the hashes of the complete subtrees of the purged entries.
      const pieces = Array.isArray(signed.subtrees) ? signed.subtrees.map(fromHex) : null;
      try {
        this.frontier = pieces && !pieces.includes(null) ? new Frontier(position - 1, pieces as Buffer[]) : null;
      } catch {
        this.frontier = null;
      }
      // Tree heads of the purged prefix cannot be recomputed any more.
      while (this.treeHeads.length > 0 && this.treeHeads[0].treeSize < position) this.treeHeads.shift();
    }
    this.matchCheckpoints(position - 1, anchor.headHash);
  }

  link(item: LinkRecord): void {
    const position = Number(item.position);
    if (this.first && position > 1) this.resume(position, item);
    this.first = false;
    const report = this.report;
    report.entries += 1;
    if (position !== this.expected) this.fail(this.expected, `link ${this.expected} is missing (next is ${position})`);
    else if (item.prevHash !== this.prev)
      this.fail(position, 'link does not follow its predecessor (reordered or inserted)');
    else if (item.linkEntryHash === null) this.fail(position, 'the linked entry was deleted');
    else if (chainLinkHash(position, item.prevHash, item.linkEntryHash) !== item.hash)
      this.fail(position, 'link hash does not match its content');
    else if (item.contentHash !== undefined) {
      if (item.contentHash !== item.linkEntryHash) this.fail(position, 'the entry was changed after it was written');
    } else if (!item.entry) this.fail(position, 'the linked entry was deleted');
    else if (contentHash(item.entry) !== item.linkEntryHash)
      this.fail(position, 'the entry was changed after it was written');
    if (this.frontier) {
      if (this.frontier.size === position - 1 && item.linkEntryHash !== null)
        this.frontier.append(entryLeafHash(item.linkEntryHash));
      else this.frontier = null; // a gap: the failure above says where
    }
    this.matchCheckpoints(position, item.hash);
    this.matchTreeHeads(position, item.hash);
    this.prev = item.hash;
    this.expected = position + 1;
    report.head = { position: String(position), hash: item.hash };
  }

  finish(): LogReport {
    const report = this.report;
    if (this.frontier)
      report.tree = {
        size: this.frontier.size,
        rootHash: toHex(this.frontier.root()),
        lastTreeHead: this.lastTreeHead,
      };
    if (this.checkpoints.length > 0) {
      this.matchCheckpoints(Number(this.checkpoints[this.checkpoints.length - 1].position), '');
      this.fail(
        report.lastCheckpoint?.position ?? '0',
        'a signed checkpoint lies beyond the end of the chain (entries were removed)',
      );
    }
    if (this.treeHeads.length > 0)
      this.fail(this.treeHeads[0].treeSize, 'a signed tree head lies beyond the end of the log (entries were removed)');
    return report;
  }
}
