import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { hash as oneShot } from 'node:crypto';
import { CompactSign } from 'jose';
import type { Transaction } from '../database/transaction.js';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { AccessLogRepository } from './access-log.repository.js';
import { GATEWAY_KEYS, type GatewayKeys } from './gateway-keys.js';
import type { TreeHeadRow } from './merkle-tree.repository.js';
import { verifyLog, type LinkRecord, type LogReport } from './verify/index.js';
import { consistencyProof, inclusionProof, neededNodes, toHex, type NodeSource } from './verify/merkle.js';
import { TREE_HEAD_TYPE } from './verify/signed.js';

/** A proof needs subtrees that are gone: the entries they cover were purged (retention). */
export class ProofUnavailable extends Error {}

/** An inclusion proof, as the API and a receipt carry it (hashes hex, `treeHead` the signed JWS). */
export interface InclusionProofView {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
  rootHash: string;
  treeHead: string;
}

const BATCH = 1000;

/**
 * Keeps the hash chain up to date and signed. Every gateway process runs this loop; a database
 * advisory lock lets one of them link at a time, so request transactions never wait for it.
 */
@Injectable()
export class ChainService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastCheckpointAt = 0;

  constructor(
    private readonly repository: AccessLogRepository,
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.accessLog.chainIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = (async () => {
      try {
        await this.chainAll();
        if (Date.now() - this.lastCheckpointAt >= this.config.accessLog.checkpointIntervalSeconds * 1000) {
          await this.checkpoint();
          await this.signTreeHead();
        }
      } catch (error) {
        // The entries are safe in their table; linking resumes on the next tick.
        this.logger.warn(
          { code: (error as { code?: string }).code, name: (error as Error).name },
          'access-log chaining postponed',
        );
      } finally {
        this.running = undefined;
      }
    })();
    await this.running;
  }

  /**
   * Links everything committed before the call (waits for another process that is linking). A
   * batch that was not full took every entry committed when it started, so it ends the call:
   * entries committed since wait for the next tick, in one batch, instead of being chased in
   * batches of a few while requests keep writing (each batch is a transaction of its own).
   */
  async chainAll(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const linked = await this.repository.chainPending(BATCH);
      if (linked >= 0 && linked < BATCH) return;
      if (linked < 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  head() {
    return this.repository.head();
  }

  /** The oldest checkpoint kept: after a retention purge, the signed anchor the chain resumes from. */
  async anchor() {
    const [first] = await this.repository.checkpointsPage(undefined, 1, 'oldest');
    return first ?? null;
  }

  /** Signs the current head when it moved since the last checkpoint. */
  async checkpoint(): Promise<void> {
    this.lastCheckpointAt = Date.now();
    const head = await this.repository.head();
    if (!head) return;
    const last = await this.repository.lastCheckpoint();
    if (last && last.position === head.position) return;
    await this.sign(head);
  }

  /**
   * Signs a chain position as the anchor of what remains after retention drops the prefix before
   * it (LogMaintenanceService), as every checkpoint is written, with what the Merkle tree needs of
   * the dropped prefix (see treeAnchor): one function, so the anchor's content lives in one place.
   * The caller prunes the tree's nodes (`pruneTree`) once the prefix is gone.
   */
  async signAnchor(at: { position: string; hash: string }): Promise<void> {
    await this.sign(at, await this.treeAnchor(Number(at.position)));
  }

  /** After a purge through `position`: keeps only the tree nodes the remaining proofs need. */
  async pruneTree(position: string): Promise<void> {
    await this.repository.tree.prune(Number(position));
  }

  private async sign(head: { position: string; hash: string }, extra: Record<string, unknown> = {}): Promise<void> {
    const signedAt = new Date();
    const payload = {
      position: head.position,
      hash: head.hash,
      signedAt: signedAt.toISOString(),
      iss: 'schakel-gateway',
      ...extra,
    };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.kid, typ: 'schakel-log-checkpoint+jws' })
      .sign(this.keys.signingKey);
    await this.repository.insertCheckpoint({
      position: head.position,
      headHash: head.hash,
      signedAt,
      kid: this.keys.kid,
      jws,
    });
  }

  /**
   * What the signed anchor of a purged chain prefix carries for the Merkle tree (RFC 9162: the
   * tree of the first `position` leaves is fixed by the hashes of the complete subtrees it
   * decomposes into): with them, every proof about a remaining entry, and whole-log verification,
   * still work once the prefix is gone. Every purge (by rows or by partitions) signs this.
   */
  async treeAnchor(
    position: number,
  ): Promise<{ treeSize: number; rootHash: string; subtrees: string[] } | Record<string, never>> {
    const frontier = await this.repository.tree.frontier(position);
    if (!frontier) return {};
    return { treeSize: position, rootHash: toHex(frontier.root()), subtrees: frontier.pieces().map(toHex) };
  }

  /** Signs the tree head when the tree grew since the last signed head; returns the newest head. */
  async signTreeHead(): Promise<TreeHeadRow | null> {
    const tree = this.repository.tree;
    const size = await tree.size();
    const latest = await tree.latestHead();
    if (size === 0 || (latest && latest.treeSize >= size)) return latest;
    const frontier = await tree.frontier(size);
    const chainHash = await tree.chainHashAt(size);
    if (!frontier || !chainHash) return latest;
    const signedAt = new Date();
    const rootHash = toHex(frontier.root());
    const payload = { iss: 'schakel-gateway', treeSize: size, rootHash, chainHash, signedAt: signedAt.toISOString() };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.kid, typ: TREE_HEAD_TYPE })
      .sign(this.keys.signingKey);
    const head = { treeSize: size, rootHash, chainHash, signedAt, kid: this.keys.kid, jws };
    await tree.insertHead(head);
    return { id: '', ...head };
  }

  /** On demand: links what is committed, then the newest signed head (signed now if the tree grew). */
  async currentTreeHead(): Promise<TreeHeadRow | null> {
    await this.chainAll();
    return this.signTreeHead();
  }

  private async nodeSource(keys: { level: number; index: number }[], manager?: Transaction): Promise<NodeSource> {
    const nodes = await this.repository.tree.nodes(keys, manager);
    return (level, index) => {
      const hash = nodes.get(`${level}:${index}`);
      if (!hash) throw new ProofUnavailable('the proof needs entries that retention removed');
      return hash;
    };
  }

  /** The chain position of an entry, linking pending entries first (null: no such entry). */
  async positionOf(entryId: string): Promise<number | null> {
    const position = await this.repository.tree.positionOf(entryId);
    if (position !== null) return position;
    await this.chainAll();
    return this.repository.tree.positionOf(entryId);
  }

  /** Makes sure a signed tree head holds this chain position (signing one now if none does yet). */
  async ensureHeadCovering(position: number): Promise<void> {
    if (!(await this.repository.tree.headCovering(position))) await this.currentTreeHead();
  }

  /**
   * The inclusion proof of the entry at a chain position in a signed tree: of `treeSize` when
   * given, else the smallest signed tree that holds it (null when there is none). O(log n)
   * subtree hashes, read in one statement, on the caller's transaction when given.
   */
  async inclusion(position: number, treeSize?: number, manager?: Transaction): Promise<InclusionProofView | null> {
    const tree = this.repository.tree;
    const head =
      treeSize !== undefined ? await tree.headOfSize(treeSize, manager) : await tree.headCovering(position, manager);
    if (!head || head.treeSize < position) return null;
    const m = position - 1;
    const n = head.treeSize;
    const node = await this.nodeSource(
      [{ level: 0, index: m }, ...neededNodes((source) => inclusionProof(m, n, source))],
      manager,
    );
    return {
      leafIndex: m,
      treeSize: n,
      leafHash: toHex(node(0, m)),
      auditPath: inclusionProof(m, n, node).map(toHex),
      rootHash: head.rootHash,
      treeHead: head.jws,
    };
  }

  /** A consistency proof between two signed tree heads (null when either size was never signed). */
  async consistency(first: number, second: number, manager?: Transaction) {
    const tree = this.repository.tree;
    const older = await tree.headOfSize(first, manager);
    const newer = await tree.headOfSize(second, manager);
    if (!older || !newer) return null;
    const node = await this.nodeSource(
      neededNodes((source) => consistencyProof(first, second, source)),
      manager,
    );
    const view = (h: TreeHeadRow) => ({
      treeSize: h.treeSize,
      rootHash: h.rootHash,
      signedAt: h.signedAt.toISOString(),
      kid: h.kid,
      treeHead: h.jws,
    });
    return { first: view(older), second: view(newer), proof: consistencyProof(first, second, node).map(toHex) };
  }

  /** The whole log checked from the database — chain, entries, checkpoints, tree, tree heads — in constant memory. */
  async verify(): Promise<LogReport & { pending: number }> {
    await this.chainAll();
    const repository = this.repository;
    // Each entry's canonical JSON as PostgreSQL wrote it, hashed; where that does not give the
    // linked hash, the entry is read and built in JavaScript instead (the verifier decides).
    async function* pages(): AsyncGenerator<LinkRecord[]> {
      for await (const rows of repository.chainForVerification()) {
        const page: LinkRecord[] = [];
        for (const row of rows) {
          const link = {
            position: row.position,
            prevHash: row.prevHash,
            hash: row.hash,
            linkEntryHash: row.linkEntryHash,
          };
          const hashed = row.canonical === null ? null : oneShot('sha256', row.canonical, 'hex');
          if (!row.present) page.push({ ...link, entry: null });
          else if (hashed !== null && hashed === row.linkEntryHash)
            page.push({ ...link, entry: null, contentHash: hashed });
          else page.push({ ...link, entry: await repository.entryAt(row.position) });
        }
        yield page;
      }
    }
    const report = await verifyLog(
      pages(),
      this.repository.checkpointsInOrder(),
      this.repository.tree.headsInOrder(),
      this.keys.verificationJwks,
    );
    const outside = await this.repository.entriesOutsideChain(1);
    if (report.ok && outside.length > 0) {
      Object.assign(report, {
        ok: false,
        brokenAt: null,
        problem: `entry #${outside[0]} is outside the chain (written around the gateway)`,
      });
    }
    return { ...report, pending: await this.repository.pendingCount() };
  }
}
