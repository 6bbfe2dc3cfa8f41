import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

/** One range of entry sequence: `access_log_entry_p<suffix>` and `access_log_link_p<suffix>`. */
export interface LogPartition {
  suffix: string;
  /** null: from MINVALUE. */
  lower: bigint | null;
  upper: bigint;
}

/** What a candidate prefix (every partition below `upper`) holds. */
export interface PrefixFacts {
  entries: number;
  links: number;
  newestAt: Date | null;
  lastPosition: string | null;
  lastHash: string | null;
  /** The lowest chain position linked above the prefix (null: nothing linked above it yet). */
  nextPosition: string | null;
  unchainedBelow: boolean;
}

const MAINTAIN_LOCK = 'schakel.access_log_maintain';
const TABLES = ['access_log_entry', 'access_log_link'] as const;
/** The comment on an index of a closed partition once log:maintain rebuilt it full. */
const COMPACTED = 'compacted by log:maintain';

function parseBound(text: string): { lower: bigint | null; upper: bigint } {
  const match = /FROM \((MINVALUE|'?-?\d+'?)\) TO \('?(-?\d+)'?\)/.exec(text);
  if (!match) throw new Error(`unexpected access-log partition bound: ${text}`);
  return { lower: match[1] === 'MINVALUE' ? null : BigInt(match[1].replace(/'/g, '')), upper: BigInt(match[2]) };
}

/**
 * The access log's partitions (DDL): only `npm run log:maintain` uses this, with the schema
 * owner's rights. The gateway never calls it (its role may not run DDL).
 */
@Injectable()
export class LogPartitionsRepository {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  /** One maintenance run at a time, in a transaction; `work` gets its manager. */
  exclusive<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [MAINTAIN_LOCK]);
      return work(manager);
    });
  }

  /** The entry partitions in sequence order. */
  async partitions(manager: EntityManager): Promise<LogPartition[]> {
    const rows: { name: string; bound: string }[] = await manager.query(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'access_log_entry'::regclass`,
    );
    return rows
      .map((row) => ({ suffix: row.name.replace(/^access_log_entry_p/, ''), ...parseBound(row.bound) }))
      .sort((a, b) => (a.upper < b.upper ? -1 : a.upper > b.upper ? 1 : 0));
  }

  /**
   * The next sequence value an entry will get. With `quiesce`, writers are held first (SHARE ROW
   * EXCLUSIVE on the entries: inserts in flight finish, new ones wait until this transaction
   * ends), so no value at or above it is in use.
   */
  async nextSeq(manager: EntityManager, quiesce = false): Promise<bigint> {
    if (quiesce) await manager.query('LOCK TABLE access_log_entry IN SHARE ROW EXCLUSIVE MODE');
    const [{ next }] = (await manager.query(
      'SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM access_log_entry_seq_seq',
    )) as { next: string }[];
    return BigInt(next);
  }

  async create(manager: EntityManager, lower: bigint, upper: bigint): Promise<string> {
    const suffix = String(lower);
    for (const table of TABLES) {
      await manager.query(
        `CREATE TABLE ${table}_p${suffix} PARTITION OF ${table} FOR VALUES FROM (${String(lower)}) TO (${String(upper)})`,
      );
      await manager.query(
        `CREATE TRIGGER ${table}_p${suffix}_no_truncate BEFORE TRUNCATE ON ${table}_p${suffix} FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()`,
      );
    }
    return suffix;
  }

  /** Drops a range's entries and links: whole tables, no row is deleted (so no trigger is lifted). */
  async drop(manager: EntityManager, suffix: string): Promise<void> {
    if (!/^-?\d+$/.test(suffix)) throw new Error(`not an access-log partition: ${suffix}`);
    for (const table of TABLES) await manager.query(`DROP TABLE ${table}_p${suffix}`);
  }

  /** Is the range empty (entries and links)? */
  async isEmpty(manager: EntityManager, suffix: string): Promise<boolean> {
    const [{ n }] = (await manager.query(
      `SELECT (SELECT count(*) FROM access_log_entry_p${suffix}) + (SELECT count(*) FROM access_log_link_p${suffix}) AS n`,
    )) as { n: string }[];
    return Number(n) === 0;
  }

  /** What every partition below `upper` holds, and the chain just above it. */
  async prefixFacts(manager: EntityManager, upper: bigint): Promise<PrefixFacts> {
    const [row] = (await manager.query(
      `SELECT (SELECT count(*) FROM access_log_entry WHERE seq < $1)::bigint AS entries,
              (SELECT count(*) FROM access_log_link WHERE entry_seq < $1)::bigint AS links,
              (SELECT max(occurred_at) FROM access_log_entry WHERE seq < $1) AS newest_at,
              (SELECT position FROM access_log_link WHERE entry_seq < $1 ORDER BY position DESC LIMIT 1) AS last_position,
              (SELECT encode(hash, 'hex') FROM access_log_link WHERE entry_seq < $1 ORDER BY position DESC LIMIT 1) AS last_hash,
              (SELECT position FROM access_log_link WHERE entry_seq >= $1 ORDER BY position LIMIT 1) AS next_position,
              EXISTS (SELECT 1 FROM access_log_unchained WHERE seq < $1) AS unchained_below`,
      [String(upper)],
    )) as Record<string, unknown>[];
    return {
      entries: Number(row.entries),
      links: Number(row.links),
      newestAt: (row.newest_at as Date | null) ?? null,
      lastPosition: row.last_position === null ? null : String(row.last_position),
      lastHash: (row.last_hash as string | null) ?? null,
      nextPosition: row.next_position === null ? null : String(row.next_position),
      unchainedBelow: Boolean(row.unchained_below),
    };
  }

  /**
   * The b-tree indexes of these partitions (entries and links) not yet compacted. A compacted
   * index carries the comment COMPACTED, written only once its rebuild finished.
   */
  async uncompactedIndexes(manager: EntityManager, suffixes: string[]): Promise<string[]> {
    if (suffixes.length === 0) return [];
    const tables = suffixes.flatMap((suffix) => TABLES.map((table) => `${table}_p${suffix}`));
    const rows: { name: string }[] = await manager.query(
      `SELECT ic.relname AS name
         FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class ic ON ic.oid = x.indexrelid
         JOIN pg_am am ON am.oid = ic.relam
        WHERE t.relname = ANY ($1) AND t.relnamespace = current_schema()::regnamespace AND am.amname = 'btree'
          AND x.indisvalid AND obj_description(ic.oid, 'pg_class') IS DISTINCT FROM $2
        ORDER BY ic.relname`,
      [tables, COMPACTED],
    );
    return rows.map((r) => r.name);
  }

  /** Partitions with entries still waiting for the chainer (their links are still to come). */
  async withUnchained(manager: EntityManager, suffixes: LogPartition[]): Promise<Set<string>> {
    const waiting = new Set<string>();
    for (const p of suffixes) {
      const [{ any }] = (await manager.query(
        'SELECT EXISTS (SELECT 1 FROM access_log_unchained WHERE seq >= $1 AND seq < $2) AS any',
        [String(p.lower ?? -(2n ** 63n)), String(p.upper)],
      )) as { any: boolean }[];
      if (any) waiting.add(p.suffix);
    }
    return waiting;
  }

  /**
   * Rebuilds one index of a closed partition full (fillfactor 100: nothing is inserted there any
   * more), without blocking readers or writers (REINDEX CONCURRENTLY, outside a transaction),
   * then marks it. Appends in key order leave such indexes about 60 % full.
   */
  async compactIndex(manager: EntityManager, index: string): Promise<void> {
    if (!/^access_log_(entry|link)_p-?\d+_[a-z0-9_]+$/.test(index))
      throw new Error(`not an access-log index: ${index}`);
    await manager.query(`ALTER INDEX "${index}" SET (fillfactor = 100)`);
    await manager.query(`REINDEX INDEX CONCURRENTLY "${index}"`);
    await manager.query(`COMMENT ON INDEX "${index}" IS '${COMPACTED}'`);
  }

  /**
   * Runs `work` on one connection, outside a transaction (REINDEX CONCURRENTLY cannot run in
   * one), holding the maintenance lock as a session lock.
   */
  async outsideTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock(hashtext($1))', [MAINTAIN_LOCK]);
      try {
        return await work(runner.manager);
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [MAINTAIN_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  /** Checkpoints before the anchor go with the prefix they signed (the anchor itself stays). */
  async dropCheckpointsBefore(manager: EntityManager, position: string): Promise<void> {
    await manager.query('ALTER TABLE access_log_checkpoint DISABLE TRIGGER access_log_checkpoint_no_update_delete');
    await manager.query('DELETE FROM access_log_checkpoint WHERE position < $1', [position]);
    await manager.query('ALTER TABLE access_log_checkpoint ENABLE TRIGGER access_log_checkpoint_no_update_delete');
  }
}
