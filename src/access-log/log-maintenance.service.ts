import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { ChainService } from './chain.service.js';
import { LogPartitionsRepository, type LogPartition } from './log-partitions.repository.js';

export interface MaintenanceResult {
  /** Partitions made (their lower bounds), ahead of the entries. */
  created: string[];
  /** Empty partitions ahead remade at the configured size. */
  resized: string[];
  /** Partitions dropped by retention (lower bounds; "0" is the first, from MINVALUE). */
  dropped: string[];
  /** The chain position signed as the anchor of what remains, when something was dropped. */
  anchor: string | null;
  /** Entries dropped with them. */
  purged: number;
  /** Closed partitions whose indexes were rebuilt full (lower bounds). */
  compacted: string[];
}

/**
 * `npm run log:maintain`, run by the operator on a schedule with the schema owner's rights (never
 * by the gateway, whose role runs no DDL):
 *
 * 1. Retention: drops the longest run of oldest partitions that is exactly a prefix of the chain
 *    and entirely past ACCESS_LOG_RETENTION_YEARS — every entry in them linked, every position in
 *    them below every position after them, the chain's head not among them — after signing the
 *    last position in them as the anchor (ChainService.signAnchor, with the Merkle subtrees of the dropped prefix), so what remains verifies.
 * 2. Partitions ahead: makes partitions of ACCESS_LOG_PARTITION_SIZE entries until there is room
 *    for ACCESS_LOG_PARTITIONS_AHEAD more (an empty partition ahead of a different size is remade).
 *    Should they run out, writes fail — and so, fail closed, do the accesses — until it runs.
 * 3. Compaction: rebuilds the b-tree indexes of closed partitions (every sequence value of the
 *    range handed out, every entry linked) full, once. Entries and links are appended in key
 *    order, which leaves their filter indexes about 60 % full: a third of the log's disk.
 *    REINDEX CONCURRENTLY: searches and writers go on meanwhile.
 */
@Injectable()
export class LogMaintenanceService {
  constructor(
    private readonly chain: ChainService,
    private readonly partitions: LogPartitionsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  async maintain(now = new Date()): Promise<MaintenanceResult> {
    const retention = await this.retain(now);
    // The tree keeps only the nodes proofs of what remains need (the anchor signed the rest's subtrees).
    if (retention.anchor !== null) await this.chain.pruneTree(retention.anchor);
    const ahead = await this.makeRoom();
    const compacted = await this.compact();
    return { ...ahead, ...retention, compacted };
  }

  private async compact(): Promise<string[]> {
    return this.partitions.outsideTransaction(async (manager) => {
      const next = await this.partitions.nextSeq(manager);
      const closed = (await this.partitions.partitions(manager)).filter((p) => p.upper <= next);
      const waiting = await this.partitions.withUnchained(manager, closed);
      const compacted: string[] = [];
      for (const partition of closed.filter((p) => !waiting.has(p.suffix))) {
        const indexes = await this.partitions.uncompactedIndexes(manager, [partition.suffix]);
        if (indexes.length === 0) continue;
        for (const index of indexes) await this.partitions.compactIndex(manager, index);
        compacted.push(partition.suffix);
      }
      if (compacted.length > 0) this.logger.info({ partitions: compacted.length }, 'access-log partitions compacted');
      return compacted;
    });
  }

  private async retain(now: Date): Promise<Pick<MaintenanceResult, 'dropped' | 'anchor' | 'purged'>> {
    await this.chain.chainAll();
    const cutoff = new Date(now);
    cutoff.setFullYear(cutoff.getFullYear() - this.config.accessLog.retentionYears);
    return this.partitions.exclusive(async (manager) => {
      const next = await this.partitions.nextSeq(manager);
      // Only partitions below the next sequence value can hold entries.
      const used = (await this.partitions.partitions(manager)).filter((p) => p.lower === null || p.lower < next);
      let chosen: { index: number; position: string; hash: string; entries: number } | null = null;
      for (let i = 0; i < used.length; i++) {
        const facts = await this.partitions.prefixFacts(manager, used[i].upper);
        // Entries are written in rough time order: once a prefix holds a young entry, every longer one does.
        if (facts.newestAt && facts.newestAt >= cutoff) break;
        if (facts.entries === 0) continue;
        const isChainPrefix =
          !facts.unchainedBelow &&
          facts.entries === facts.links &&
          facts.lastPosition !== null &&
          // The head stays: something is linked after the prefix, and after all of it.
          facts.nextPosition !== null &&
          BigInt(facts.lastPosition) < BigInt(facts.nextPosition);
        if (isChainPrefix)
          chosen = { index: i, position: facts.lastPosition!, hash: facts.lastHash!, entries: facts.entries };
      }
      if (!chosen) return { dropped: [], anchor: null, purged: 0 };
      // Signed before anything goes: if the drop fails, an extra checkpoint is all that remains.
      await this.chain.signAnchor({ position: chosen.position, hash: chosen.hash });
      const dropped: LogPartition[] = used.slice(0, chosen.index + 1);
      for (const partition of dropped) await this.partitions.drop(manager, partition.suffix);
      await this.partitions.dropCheckpointsBefore(manager, chosen.position);
      this.logger.info(
        { anchor: chosen.position, partitions: dropped.length, entries: chosen.entries },
        'access-log retention dropped partitions',
      );
      return { dropped: dropped.map((p) => p.suffix), anchor: chosen.position, purged: chosen.entries };
    });
  }

  private async makeRoom(): Promise<Pick<MaintenanceResult, 'created' | 'resized'>> {
    const size = BigInt(this.config.accessLog.partitionSize);
    return this.partitions.exclusive(async (manager) => {
      // Writers wait for this short transaction: nothing at or above `next` is in use meanwhile.
      const next = await this.partitions.nextSeq(manager, true);
      const resized: string[] = [];
      const ahead = (await this.partitions.partitions(manager)).filter((p) => p.lower !== null && p.lower >= next);
      // A partition ahead of another size (ACCESS_LOG_PARTITION_SIZE changed): the empty tail is
      // remade from its lowest bound, so the ranges stay contiguous.
      if (ahead.some((p) => p.upper - p.lower! !== size)) {
        for (const p of ahead) {
          if (!(await this.partitions.isEmpty(manager, p.suffix))) break;
          await this.partitions.drop(manager, p.suffix);
          resized.push(p.suffix);
        }
      }
      const partitions = await this.partitions.partitions(manager);
      const created: string[] = [];
      const want = next + BigInt(this.config.accessLog.partitionsAhead) * size;
      let top = partitions.length > 0 ? partitions[partitions.length - 1].upper : next;
      while (top < want) {
        created.push(await this.partitions.create(manager, top, top + size));
        top += size;
      }
      return { created, resized };
    });
  }
}
