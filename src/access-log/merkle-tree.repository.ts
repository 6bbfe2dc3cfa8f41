import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { entryLeafHash, Frontier, frontierKeys, type NodeKey } from './verify/merkle.js';

/** A signed tree head as stored. */
export interface TreeHeadRow {
  id: string;
  treeSize: number;
  rootHash: string;
  chainHash: string;
  signedAt: Date;
  kid: string;
  jws: string;
}

const LEAVES_PER_READ = 5000;

const toHead = (row: Record<string, unknown>): TreeHeadRow => ({
  id: String(row.id),
  treeSize: Number(row.tree_size),
  rootHash: row.root_hash as string,
  chainHash: row.chain_hash as string,
  signedAt: row.signed_at as Date,
  kid: row.kid as string,
  jws: row.jws as string,
});

/**
 * The only place that reads and writes the Merkle tree's tables: the hashes of complete subtrees
 * (by level and index) and the signed tree heads. The tree follows the chain: leaf index =
 * chain position − 1, added by the chainer in the transaction that links the entries.
 */
@Injectable()
export class MerkleTreeRepository {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  /** How many leaves the tree has (the chain position it reaches). */
  async size(manager: EntityManager = this.dataSource.manager): Promise<number> {
    const [row] = (await manager.query(
      'SELECT idx FROM access_log_tree_node WHERE level = 0 ORDER BY idx DESC LIMIT 1',
    )) as { idx: string }[];
    return row ? Number(row.idx) + 1 : 0;
  }

  /** The stored hashes of these complete subtrees (absent ones are missing from the map). */
  async nodes(keys: NodeKey[], manager: EntityManager = this.dataSource.manager): Promise<Map<string, Buffer>> {
    const map = new Map<string, Buffer>();
    if (keys.length === 0) return map;
    const rows = (await manager.query(
      `SELECT n.level, n.idx, n.hash FROM access_log_tree_node n
         JOIN unnest($1::smallint[], $2::bigint[]) AS k(level, idx) ON n.level = k.level AND n.idx = k.idx`,
      [keys.map((k) => k.level), keys.map((k) => String(k.index))],
    )) as { level: number; idx: string; hash: Buffer }[];
    for (const row of rows) map.set(`${row.level}:${row.idx}`, row.hash);
    return map;
  }

  /** The right edge of the tree of `size` leaves (null when a piece is missing). */
  async frontier(size: number, manager: EntityManager = this.dataSource.manager): Promise<Frontier | null> {
    const keys = frontierKeys(size);
    const nodes = await this.nodes(keys, manager);
    const pieces = keys.map((k) => nodes.get(`${k.level}:${k.index}`));
    return pieces.every((p) => p !== undefined) ? new Frontier(size, pieces as Buffer[]) : null;
  }

  /** The tree's right edge as of the last committed chainer batch of this process (saves two reads a batch). */
  private committed: Frontier | null = null;

  /** Called once the chainer's transaction committed: its frontier is now the tree's. */
  remember(frontier: Frontier | null): void {
    if (frontier) this.committed = frontier;
  }

  /**
   * Brings the tree up to the chain head, in the chainer's transaction: `linked` are the entry
   * hashes just linked after chain position `previousHead`. A tree behind that (a log chained
   * before the tree existed) is first filled from the links, a batch at a time. Returns the new
   * right edge, for `remember` after the commit.
   */
  async append(manager: EntityManager, previousHead: number, linked: string[]): Promise<Frontier | null> {
    // The tree of a given size never changes: a frontier remembered at exactly this size is valid.
    if (this.committed && this.committed.size === previousHead && previousHead > 0)
      return this.add(manager, new Frontier(previousHead, this.committed.pieces()), linked);
    let size = await this.size(manager);
    let frontier: Frontier | null = size === 0 ? new Frontier() : await this.frontier(size, manager);
    while (frontier && size < previousHead) {
      const rows = (await manager.query(
        `SELECT l.position, encode(e.entry_hash, 'hex') AS entry_hash
           FROM access_log_link l LEFT JOIN access_log_entry e ON e.seq = l.entry_seq
          WHERE l.position > $1 AND l.position <= $2 ORDER BY l.position LIMIT $3`,
        [size, previousHead, LEAVES_PER_READ],
      )) as { position: string; entry_hash: string | null }[];
      // A chain whose start was purged before the tree existed (or an entry row gone): the tree cannot cover it.
      if (rows.length === 0 || Number(rows[0].position) !== size + 1 || rows.some((r) => r.entry_hash === null))
        return null;
      frontier = await this.add(
        manager,
        frontier,
        rows.map((r) => r.entry_hash!),
      );
      size += rows.length;
    }
    return frontier && size === previousHead ? this.add(manager, frontier, linked) : null;
  }

  private async add(manager: EntityManager, frontier: Frontier, entryHashes: string[]): Promise<Frontier> {
    if (entryHashes.length === 0) return frontier;
    const levels: number[] = [];
    const indexes: string[] = [];
    const hashes: string[] = [];
    for (const entryHash of entryHashes) {
      frontier.append(entryLeafHash(entryHash), (level, index, hash) => {
        levels.push(level);
        indexes.push(String(index));
        hashes.push(hash.toString('hex'));
      });
    }
    await manager.query(
      `INSERT INTO access_log_tree_node (level, idx, hash)
       SELECT level, idx, decode(hash, 'hex') FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS t(level, idx, hash)`,
      [levels, indexes, hashes],
    );
    return frontier;
  }

  /** The chain's link hash at a position (what a tree head of that size also signs). */
  async chainHashAt(position: number): Promise<string | null> {
    const [row] = (await this.dataSource.query(
      "SELECT encode(hash, 'hex') AS hash FROM access_log_link WHERE position = $1",
      [position],
    )) as {
      hash: string;
    }[];
    return row?.hash ?? null;
  }

  /** The chain position of an entry (null while it is not yet linked). */
  async positionOf(entryId: string): Promise<number | null> {
    const [row] = (await this.dataSource.query(
      'SELECT l.position FROM access_log_entry e JOIN access_log_link l ON l.entry_seq = e.seq WHERE e.id = $1',
      [entryId],
    )) as { position: string }[];
    return row ? Number(row.position) : null;
  }

  /** Retention's pruning in a transaction of its own (see pruneThrough). */
  prune(position: number): Promise<void> {
    return this.dataSource.transaction((manager) => this.pruneThrough(manager, position));
  }

  async latestHead(): Promise<TreeHeadRow | null> {
    const [row] = (await this.dataSource.query(
      'SELECT * FROM access_log_tree_head ORDER BY tree_size DESC, id DESC LIMIT 1',
    )) as Record<string, unknown>[];
    return row ? toHead(row) : null;
  }

  /** The newest signed head of this size. */
  async headOfSize(size: number, manager: EntityManager = this.dataSource.manager): Promise<TreeHeadRow | null> {
    const [row] = (await manager.query(
      'SELECT * FROM access_log_tree_head WHERE tree_size = $1 ORDER BY id DESC LIMIT 1',
      [size],
    )) as Record<string, unknown>[];
    return row ? toHead(row) : null;
  }

  /** The smallest signed head that covers this many leaves. */
  async headCovering(size: number, manager: EntityManager = this.dataSource.manager): Promise<TreeHeadRow | null> {
    const [row] = (await manager.query(
      'SELECT * FROM access_log_tree_head WHERE tree_size >= $1 ORDER BY tree_size, id DESC LIMIT 1',
      [size],
    )) as Record<string, unknown>[];
    return row ? toHead(row) : null;
  }

  async insertHead(head: Omit<TreeHeadRow, 'id'>): Promise<void> {
    await this.dataSource.query(
      'INSERT INTO access_log_tree_head (tree_size, root_hash, chain_hash, signed_at, kid, jws) VALUES ($1, $2, $3, $4, $5, $6)',
      [head.treeSize, head.rootHash, head.chainHash, head.signedAt, head.kid, head.jws],
    );
  }

  /** Every signed head in size order, in batches (constant memory). */
  async *headsInOrder(batch = 1000): AsyncGenerator<TreeHeadRow> {
    let after = { size: -1, id: '0' };
    for (;;) {
      const rows = (await this.dataSource.query(
        `SELECT * FROM access_log_tree_head WHERE (tree_size, id) > ($1, $2) ORDER BY tree_size, id LIMIT $3`,
        [after.size, after.id, batch],
      )) as Record<string, unknown>[];
      const heads = rows.map(toHead);
      yield* heads;
      if (heads.length < batch) return;
      after = { size: heads[heads.length - 1].treeSize, id: heads[heads.length - 1].id };
    }
  }

  /**
   * After a retention purge of the chain prefix 1..position: removes the subtrees that lie wholly
   * in it, except the complete subtrees the prefix decomposes into (its frontier, which the signed
   * anchor also carries): every proof about a remaining entry, and the tree's growth, need only
   * those. Heads of trees smaller than the prefix go too (they can no longer be proven against).
   * Runs in the purge's transaction, with the triggers lifted like the log's own tables.
   */
  async pruneThrough(manager: EntityManager, position: number): Promise<void> {
    const keep = frontierKeys(position);
    for (const table of ['access_log_tree_node', 'access_log_tree_head'])
      await manager.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_no_update_delete`);
    await manager.query(
      `DELETE FROM access_log_tree_node n
        WHERE (n.idx + 1) * power(2, n.level)::numeric <= $1
          AND NOT EXISTS (SELECT 1 FROM unnest($2::smallint[], $3::bigint[]) AS k(level, idx) WHERE k.level = n.level AND k.idx = n.idx)`,
      [position, keep.map((k) => k.level), keep.map((k) => String(k.index))],
    );
    await manager.query('DELETE FROM access_log_tree_head WHERE tree_size < $1', [position]);
    for (const table of ['access_log_tree_node', 'access_log_tree_head'])
      await manager.query(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_no_update_delete`);
  }
}
