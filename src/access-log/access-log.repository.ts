import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessLogCheckpoint, AccessLogEntry } from './access-log.entities.js';
import { positional } from '../common/sql/params.js';
import { finishWith } from '../database/transaction.js';
import { GENESIS_HASH, linkHash } from './hashing.js';
import { MerkleTreeRepository } from './merkle-tree.repository.js';
import type { Frontier } from './verify/merkle.js';

/** A link and its entry's canonical JSON as PostgreSQL writes it (null: no entry row, or a format it does not know). */
export interface VerificationRow {
  position: string;
  /** The previous link's hash (the genesis hash, or the anchor's after a purge); null: not found. */
  prevHash: string | null;
  hash: string;
  /** The linked entry's hash; null when its row is gone. */
  linkEntryHash: string | null;
  present: boolean;
  canonical: string | null;
}

/** JSON text of a column value; NULL becomes null (text concatenation must never meet a NULL). */
const json = (sql: string, otherwise = "'null'") => `coalesce(to_json(${sql})::text, ${otherwise})`;
const FORMAT_ONE_SQL: [string, string][] = [
  ['action', json('e.action')],
  ['clientRef', json('e.client_ref')],
  ['consentId', json('e.consent_id')],
  ['custodianPartnerId', json('e.custodian_partner_id')],
  ['decision', json('e.decision')],
  ['disclosureSha256', json('e.disclosure_sha256')],
  ['fields', json('e.fields')],
  ['id', json('e.id')],
  ['legalBasis', json('e.legal_basis')],
  ['occurredAt', json(`to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`)],
  ['override', json('e.override')],
  ['partnerId', json('e.partner_id')],
  ['policyVersion', json('e.policy_version')],
  ['profession', json('e.profession')],
  ['purpose', json('e.purpose')],
  ['reason', json('e.reason')],
  ['requestId', json('e.request_id')],
  ['resourceId', json('e.resource_id')],
  ['resourceType', json('e.resource_type')],
  ['roles', json('e.roles')],
  ['ruleId', json('e.rule_id')],
  ['userSub', json('e.user_sub')],
];
const FORMAT_TWO_SQL: [string, string][] = [
  ...FORMAT_ONE_SQL,
  ['agreementId', json('e.agreement_id')],
  ['categories', json('e.categories', "'[]'")],
  ['consentIds', json('e.consent_ids', "'[]'")],
  ['format', "'2'"],
  ['grantId', json('e.grant_id')],
  ['ground', json('e.ground')],
].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) as [string, string][];
const object = (fields: [string, string][]) =>
  `'{' || ${fields.map(([key, value], i) => `'${i ? ',' : ''}"${key}":' || ${value}`).join(' || ')} || '}'`;
/**
 * The canonical JSON of an entry (src/access-log/verify/entry.ts), written by PostgreSQL: keys
 * sorted, to_json's escaping (the same as JSON.stringify's for valid UTF-8). Should it ever write
 * an entry differently, the verifier falls back to building that entry in JavaScript.
 */
const CANONICAL_SQL = `CASE WHEN e.seq IS NULL THEN NULL
  WHEN e.format = 2 THEN ${object(FORMAT_TWO_SQL)}
  WHEN e.format = 1 THEN ${object(FORMAT_ONE_SQL)} END`;

/** A link with its entry (null when the entry row is missing), as verification reads them. */
export interface ChainRow {
  position: string;
  prevHash: string | null;
  hash: string;
  linkEntryHash: string | null;
  entry: AccessLogEntry | null;
}

export interface LogFilter {
  /** Pseudonyms of one client's records (a merged client is logged under several). */
  clientRefs?: string[];
  partnerId?: string;
  userSub?: string;
  purpose?: string;
  decision?: string;
  resourceType?: string;
  resourceId?: string;
  /** Only break-the-glass accesses (true), or only the others (false). */
  override?: boolean;
  from?: Date;
  to?: Date;
  /** The policy's scope for this officer, as SQL over alias `e` with named parameters (AccessService.scope). */
  scope?: { sql: string; params: Record<string, unknown> };
  /** For oldest-first streaming (exports): entries after this seq, up to `untilSeq`. */
  afterSeq?: string;
  untilSeq?: string;
  /** For exports in chain order: linked entries after this chain position, up to `untilPosition`. */
  afterPosition?: string;
  untilPosition?: string;
}

const CHAIN_LOCK = 'schakel.access_log_chain';
/** Hashes are stored as 32 bytes (migration AccessLogCompactStorage) and read as hex. */
const hex = (column: string) => `encode(${column}, 'hex')`;

/**
 * The chainer's next batch: up to $1 unchained entries in entry order, each found by its key (the
 * LIMIT keeps the planner from flattening the lookup into a join). As a join, a queue whose
 * statistics were stale or missing got a hash join that read every entry partition whole, on every
 * batch. Exported for the test that holds the plan to that.
 */
export const PENDING_ENTRIES = `SELECT u.seq, ${hex('e.entry_hash')} AS entry_hash
   FROM (SELECT seq FROM access_log_unchained ORDER BY seq LIMIT $1) u
   CROSS JOIN LATERAL (SELECT entry_hash FROM access_log_entry WHERE seq = u.seq LIMIT 1) e
  ORDER BY u.seq`;
/** An entry's columns from the view `access_log` (the entry with its terms, hashes as hex). */
const ENTRY_COLUMNS = `e.seq, e.id, e.occurred_at, e.request_id, e.partner_id, e.user_sub, e.roles, e.profession, e.action,
  e.resource_type, e.resource_id, e.client_ref, e.custodian_partner_id, e.purpose, e.legal_basis, e.consent_id, e.decision,
  e.reason, e.rule_id, e.fields, e.disclosure_sha256, e.override, e.policy_version, e.entry_hash, e.format, e.consent_ids,
  e.agreement_id, e.ground, e.categories, e.grant_id`;
/** Client pseudonyms as the column stores them. */
const refs = (clientRefs: string[]): Buffer[] => clientRefs.map((ref) => Buffer.from(ref, 'hex'));
/**
 * The previous hash of link `l`: the hash of the link before it. Links store only their own hash;
 * the first link follows the genesis hash, the first after a retention purge the anchor signed
 * at the position before it. (Walks in position order carry it from row to row instead.)
 */
const PREV_HASH = `CASE WHEN l.position = 1 THEN '${GENESIS_HASH}' ELSE coalesce(
    (SELECT ${hex('p.hash')} FROM access_log_link p WHERE p.position = l.position - 1),
    (SELECT c.head_hash::text FROM access_log_checkpoint c WHERE c.position = l.position - 1 ORDER BY c.id LIMIT 1)) END`;

function toEntry(row: Record<string, unknown>): AccessLogEntry {
  return {
    seq: String(row.seq),
    id: row.id as string,
    occurredAt: row.occurred_at as Date,
    requestId: row.request_id as string,
    partnerId: row.partner_id as string,
    userSub: row.user_sub as string,
    roles: row.roles as string[],
    profession: (row.profession as string | null) ?? null,
    action: row.action as string,
    resourceType: row.resource_type as string,
    resourceId: (row.resource_id as string | null) ?? null,
    clientRef: (row.client_ref as string | null) ?? null,
    custodianPartnerId: (row.custodian_partner_id as string | null) ?? null,
    purpose: row.purpose as string,
    legalBasis: (row.legal_basis as string | null) ?? null,
    consentId: (row.consent_id as string | null) ?? null,
    decision: row.decision as AccessLogEntry['decision'],
    reason: row.reason as string,
    ruleId: (row.rule_id as string | null) ?? null,
    fields: row.fields as string[],
    disclosureSha256: (row.disclosure_sha256 as string | null) ?? null,
    override: Boolean(row.override),
    policyVersion: row.policy_version as string,
    entryHash: row.entry_hash as string,
    format: Number(row.format ?? 1),
    consentIds: (row.consent_ids as string[] | null) ?? [],
    agreementId: (row.agreement_id as string | null) ?? null,
    ground: (row.ground as string | null) ?? null,
    categories: (row.categories as string[] | null) ?? [],
    grantId: (row.grant_id as string | null) ?? null,
  };
}

/** How many distinct terms a process remembers (they are few: rules, reasons, field sets). */
const MAX_TERMS_SEEN = 10_000;
/**
 * An entry and, when this process has not seen its terms yet, its terms row: added, or found
 * under the same digest (ON CONFLICT … DO UPDATE rewrites the row to itself — the only UPDATE
 * access_log_terms allows — so two gateways adding the same terms at once both get the one row).
 * A remembered id is used only while it names the same digest: a database restored under a
 * running gateway may have given that id to other terms. Then the chainer's marker and the
 * review item's link.
 */
const INSERT_ENTRY = `WITH entry_terms AS (SELECT id FROM access_log_terms WHERE id = $17::int AND digest = $18::bytea),
  new_terms AS (
    INSERT INTO access_log_terms (digest, roles, profession, action, resource_type, legal_basis, decision, reason, rule_id,
      fields, override, policy_version, format, ground, categories)
    SELECT $18::bytea, $19::text[], $20::varchar, $21::varchar, $22::varchar, $23::varchar, $24::varchar, $25::varchar,
      $26::varchar, $27::text[], $28::boolean, $29::varchar, $30::smallint, $31::varchar, $32::text[]
     WHERE NOT EXISTS (SELECT 1 FROM entry_terms)
    ON CONFLICT (digest) DO UPDATE SET digest = EXCLUDED.digest
    RETURNING id),
  entry AS (
    INSERT INTO access_log_entry (id, occurred_at, request_id, partner_id, user_sub, resource_id, client_ref,
      custodian_partner_id, purpose, consent_id, disclosure_sha256, entry_hash, consent_ids, agreement_id, grant_id, terms_id)
    SELECT $1::uuid, $2::timestamptz, $3::varchar, $4::varchar, $5::varchar, $6::varchar, decode($7, 'hex'), $8::varchar,
      $9::varchar, $10::uuid, decode($11, 'hex'), decode($12, 'hex'), $13::uuid[], $14::uuid, $15::uuid,
      (SELECT id FROM entry_terms UNION ALL SELECT id FROM new_terms LIMIT 1)
    RETURNING seq, id, terms_id),
  marker AS (INSERT INTO access_log_unchained (seq) SELECT seq FROM entry),
  review AS (
    INSERT INTO review_item_entry (review_item_id, entry_id) SELECT $16::uuid, id FROM entry WHERE $16::uuid IS NOT NULL
    ON CONFLICT DO NOTHING)
  SELECT seq, terms_id FROM entry`;

/** The only place that reads and writes the access log tables. */
@Injectable()
export class AccessLogRepository {
  /** The Merkle tree over the chain (its own tables), grown in the chainer's transaction. */
  readonly tree: MerkleTreeRepository;

  /** The terms rows this process wrote or found, by their JSON (see insert). */
  private readonly termsSeen = new Map<string, { id: number | null; digest: Buffer }>();

  constructor(@InjectDataSource() readonly dataSource: DataSource) {
    this.tree = new MerkleTreeRepository(dataSource);
  }

  /**
   * Inserts the entry in the caller's transaction, with its terms (kept once in access_log_terms:
   * looked up by the id this process saw for them, added when unknown), marks it for the chainer
   * and, when it was made under a review item (a break-the-glass grant), puts it behind that
   * item: one statement, one round trip. With `last`, the entry is the transaction's last
   * statement and goes out with its COMMIT (one round trip for both; see finishWith): it
   * resolves only once both succeeded.
   */
  async insert(
    manager: EntityManager,
    entry: Omit<AccessLogEntry, 'seq'>,
    reviewItemId: string | null,
    last = false,
  ): Promise<void> {
    const terms = [
      entry.roles,
      entry.profession,
      entry.action,
      entry.resourceType,
      entry.legalBasis,
      entry.decision,
      entry.reason,
      entry.ruleId,
      entry.fields,
      entry.override,
      entry.policyVersion,
      entry.format,
      entry.ground,
      entry.categories,
    ];
    const key = JSON.stringify(terms);
    let seen = this.termsSeen.get(key);
    if (!seen) seen = { id: null, digest: createHash('sha256').update(key).digest() };
    const params = [
      entry.id,
      entry.occurredAt,
      entry.requestId,
      entry.partnerId,
      entry.userSub,
      entry.resourceId,
      entry.clientRef,
      entry.custodianPartnerId,
      entry.purpose,
      entry.consentId,
      entry.disclosureSha256,
      entry.entryHash,
      entry.consentIds.length > 0 ? entry.consentIds : null,
      entry.agreementId,
      entry.grantId,
      reviewItemId,
      seen.id,
      seen.digest,
      ...terms,
    ];
    const rows = last
      ? await finishWith<{ terms_id: number }>(manager, INSERT_ENTRY, params)
      : ((await manager.query(INSERT_ENTRY, params)) as { terms_id: number }[]);
    // Remembered once written (a rolled-back id is never handed out again: `entry_terms` finds no
    // row and the terms are added anew).
    if (seen.id !== rows[0].terms_id) {
      if (this.termsSeen.size >= MAX_TERMS_SEEN) this.termsSeen.clear();
      this.termsSeen.set(key, { id: rows[0].terms_id, digest: seen.digest });
    }
  }

  /** Every entry about these client pseudonyms, oldest first (the client's access report). */
  async entriesAbout(manager: EntityManager, clientRefs: string[]): Promise<AccessLogEntry[]> {
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT ${ENTRY_COLUMNS} FROM access_log e WHERE e.client_ref_bytes = ANY ($1::bytea[]) ORDER BY e.seq`,
      [refs(clientRefs)],
    );
    return rows.map(toEntry);
  }

  /** One entry by id (receipts), or null. */
  async findEntry(manager: EntityManager, id: string): Promise<AccessLogEntry | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT ${ENTRY_COLUMNS} FROM access_log e WHERE e.id = $1`,
      [id],
    );
    return rows[0] ? toEntry(rows[0]) : null;
  }

  async findEntryAbout(manager: EntityManager, id: string, clientRefs: string[]): Promise<AccessLogEntry | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT ${ENTRY_COLUMNS} FROM access_log e WHERE e.id = $1 AND e.client_ref_bytes = ANY ($2::bytea[])`,
      [id, refs(clientRefs)],
    );
    return rows[0] ? toEntry(rows[0]) : null;
  }

  /** The entries behind each review item (the link table the entry insert writes), oldest first. */
  async entryIdsBehind(manager: EntityManager, itemIds: string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>(itemIds.map((id) => [id, []]));
    if (itemIds.length === 0) return map;
    const rows: { review_item_id: string; entry_id: string }[] = await manager.query(
      `SELECT l.review_item_id, l.entry_id FROM review_item_entry l LEFT JOIN access_log_entry e ON e.id = l.entry_id
        WHERE l.review_item_id = ANY ($1::uuid[]) ORDER BY e.seq NULLS LAST, l.entry_id`,
      [itemIds],
    );
    for (const row of rows) map.get(row.review_item_id)?.push(row.entry_id);
    return map;
  }

  /** The metadata of the entries behind one review item (never client data: the log holds none). */
  entriesBehind(manager: EntityManager, itemId: string): Promise<Record<string, unknown>[]> {
    return manager.query(
      `SELECT e.id, e.occurred_at AS "occurredAt", e.partner_id AS "partnerId", e.user_sub AS "user", e.roles, e.action, e.resource_type AS "resourceType",
              e.resource_id AS "resourceId", e.purpose, e.decision, e.reason, e.override
         FROM review_item_entry l JOIN access_log e ON e.id = l.entry_id WHERE l.review_item_id = $1 ORDER BY e.seq`,
      [itemId],
    );
  }

  async putBehind(manager: EntityManager, itemId: string, entryIds: string[]): Promise<void> {
    if (entryIds.length === 0) return;
    await manager.query(
      'INSERT INTO review_item_entry (review_item_id, entry_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING',
      [itemId, entryIds],
    );
  }

  async partnersWhoReadUnder(manager: EntityManager, consentId: string, excludePartnerId: string): Promise<string[]> {
    const rows: { partner_id: string }[] = await manager.query(
      `SELECT DISTINCT e.partner_id FROM access_log_entry e JOIN access_log_terms t ON t.id = e.terms_id
        WHERE (e.consent_ids @> ARRAY[$1]::uuid[] OR e.consent_id = $1) AND t.decision = 'permit' AND t.action = 'read'
          AND e.partner_id <> $2`,
      [consentId, excludePartnerId],
    );
    return rows.map((r) => r.partner_id);
  }

  /**
   * Links up to `batch` committed, unchained entries to the chain head, in entry order. Only one
   * chainer runs at a time (transaction-level advisory lock); writers never wait for it.
   * Returns the number linked, or -1 when another process holds the chain.
   */
  async chainPending(batch: number): Promise<number> {
    let grown: Frontier | null = null;
    const linked = await this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [
        CHAIN_LOCK,
      ]);
      if (!locked) return -1;
      const pending: { seq: string; entry_hash: string }[] = await manager.query(PENDING_ENTRIES, [batch]);
      if (pending.length === 0) return 0;
      const [head] = (await manager.query(
        `SELECT position, ${hex('hash')} AS hash FROM access_log_link ORDER BY position DESC LIMIT 1`,
      )) as { position: string; hash: string }[];
      let position = head ? BigInt(head.position) : 0n;
      let prev = head ? head.hash : GENESIS_HASH;
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (const row of pending) {
        position += 1n;
        const hash = linkHash(position, prev, row.entry_hash);
        const i = values.length;
        tuples.push(`($${i + 1}, $${i + 2}, decode($${i + 3}, 'hex'))`);
        values.push(position.toString(), row.seq, hash);
        prev = hash;
      }
      await manager.query(
        `INSERT INTO access_log_link (position, entry_seq, hash) VALUES ${tuples.join(', ')}`,
        values,
      );
      await manager.query('DELETE FROM access_log_unchained WHERE seq = ANY($1)', [pending.map((p) => p.seq)]);
      grown = await this.tree.append(
        manager,
        head ? Number(head.position) : 0,
        pending.map((p) => p.entry_hash),
      );
      return pending.length;
    });
    this.tree.remember(grown);
    return linked;
  }

  async head(): Promise<{ position: string; hash: string } | null> {
    const [row] = (await this.dataSource.query(
      `SELECT position, ${hex('hash')} AS hash FROM access_log_link ORDER BY position DESC LIMIT 1`,
    )) as { position: string; hash: string }[];
    return row ? { position: String(row.position), hash: row.hash } : null;
  }

  async lastCheckpoint(): Promise<AccessLogCheckpoint | null> {
    return this.dataSource.getRepository(AccessLogCheckpoint).findOne({ where: {}, order: { id: 'DESC' } });
  }

  async insertCheckpoint(checkpoint: Omit<AccessLogCheckpoint, 'id'>): Promise<void> {
    await this.dataSource.getRepository(AccessLogCheckpoint).insert(checkpoint);
  }

  async checkpointsPage(
    beforeId: string | undefined,
    limit: number,
    order: 'newest' | 'oldest' = 'newest',
  ): Promise<AccessLogCheckpoint[]> {
    const query = this.dataSource
      .getRepository(AccessLogCheckpoint)
      .createQueryBuilder('c')
      .orderBy('c.id', order === 'newest' ? 'DESC' : 'ASC')
      .take(limit);
    if (beforeId) query.where('c.id < :beforeId', { beforeId });
    return query.getMany();
  }

  /**
   * All checkpoints in chain-position order (then signing order), in batches (constant memory).
   * Not by id: retention signs its anchor after checkpoints of later positions were signed.
   */
  async *checkpointsInOrder(batch = 1000): AsyncGenerator<AccessLogCheckpoint> {
    let after: [string, string] = ['-1', '0'];
    for (;;) {
      const rows = await this.dataSource
        .getRepository(AccessLogCheckpoint)
        .createQueryBuilder('c')
        .where('(c.position, c.id) > (:position, :id)', { position: after[0], id: after[1] })
        .orderBy('c.position', 'ASC')
        .addOrderBy('c.id', 'ASC')
        .take(batch)
        .getMany();
      yield* rows;
      if (rows.length < batch) return;
      after = [rows[rows.length - 1].position, rows[rows.length - 1].id];
    }
  }

  /**
   * The previous hash of each link of a walk in position order: the hash of the row before it,
   * looked up (PREV_HASH) only where the walk starts or skips a position.
   */
  private previousHashes(): (position: string, hash: string) => Promise<string | null> {
    let last: { position: bigint; hash: string } | null = null;
    return async (position, hash) => {
      const at = BigInt(position);
      let prev: string | null;
      if (last && last.position === at - 1n) prev = last.hash;
      else {
        const [row] = (await this.dataSource.query(
          `SELECT ${PREV_HASH} AS prev FROM (SELECT $1::bigint AS position) l`,
          [position],
        )) as { prev: string | null }[];
        prev = row.prev;
      }
      last = { position: at, hash };
      return prev;
    };
  }

  /** The whole chain in position order with each link's entry, in batches (constant memory). */
  async *chainInOrder(batch = 1000): AsyncGenerator<ChainRow> {
    let after = '0';
    const previous = this.previousHashes();
    for (;;) {
      const rows: Record<string, unknown>[] = await this.dataSource.query(
        `SELECT l.position, ${hex('l.hash')} AS link_hash, ${ENTRY_COLUMNS}, e.seq AS entry_present
           FROM access_log_link l LEFT JOIN access_log e ON e.seq = l.entry_seq
          WHERE l.position > $1 ORDER BY l.position LIMIT $2`,
        [after, batch],
      );
      for (const row of rows) {
        const position = String(row.position);
        const hash = row.link_hash as string;
        yield {
          position,
          prevHash: await previous(position, hash),
          hash,
          linkEntryHash: (row.entry_hash as string | null) ?? null,
          entry: row.entry_present === null ? null : toEntry(row),
        };
      }
      if (rows.length < batch) return;
      after = String(rows[rows.length - 1].position);
    }
  }

  /**
   * The whole chain in position order for verification, in batches (constant memory), each entry
   * as PostgreSQL writes its canonical JSON (CANONICAL_SQL): the verifier only hashes it. The next
   * page is fetched while this one is verified, so the database and the verifier work at once.
   */
  async *chainForVerification(batch = 5000): AsyncGenerator<VerificationRow[]> {
    const fetch = (after: string): Promise<VerificationRow[]> =>
      this.dataSource.query(
        `SELECT l.position::text AS position, ${hex('l.hash')} AS hash, e.entry_hash AS "linkEntryHash",
                e.seq IS NOT NULL AS present, ${CANONICAL_SQL} AS canonical
           FROM access_log_link l LEFT JOIN access_log e ON e.seq = l.entry_seq
          WHERE l.position > $1 ORDER BY l.position LIMIT $2`,
        [after, batch],
      );
    // (A page fetched ahead and never awaited, because verification stopped, must not crash the process.)
    const ahead = (after: string) => {
      const page = fetch(after);
      page.catch(() => undefined);
      return page;
    };
    const previous = this.previousHashes();
    let next: Promise<VerificationRow[]> | null = ahead('0');
    while (next) {
      const rows: VerificationRow[] = await next;
      next = rows.length === batch ? ahead(rows[rows.length - 1].position) : null;
      for (const row of rows) row.prevHash = await previous(row.position, row.hash);
      yield rows;
    }
  }

  /** The entry linked at a chain position (null when its row is gone). */
  async entryAt(position: string): Promise<AccessLogEntry | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${ENTRY_COLUMNS} FROM access_log_link l JOIN access_log e ON e.seq = l.entry_seq WHERE l.position = $1`,
      [position],
    );
    return rows[0] ? toEntry(rows[0]) : null;
  }

  /** Entries that are neither linked nor waiting for the chainer: written around the gateway. */
  async entriesOutsideChain(limit = 10): Promise<string[]> {
    const rows: { seq: string }[] = await this.dataSource.query(
      `SELECT e.seq FROM access_log_entry e
        WHERE NOT EXISTS (SELECT 1 FROM access_log_link l WHERE l.entry_seq = e.seq)
          AND NOT EXISTS (SELECT 1 FROM access_log_unchained u WHERE u.seq = e.seq)
        ORDER BY e.seq LIMIT $1`,
      [limit],
    );
    return rows.map((r) => String(r.seq));
  }

  async pendingCount(): Promise<number> {
    const [{ n }] = await this.dataSource.query('SELECT count(*)::int AS n FROM access_log_unchained');
    return n;
  }

  /** Newest first, filters and scope in SQL; `beforeSeq` is the cursor. Optionally with chain data. */
  async page(
    filter: LogFilter,
    beforeSeq: string | undefined,
    limit: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<(AccessLogEntry & { link: { position: string; prevHash: string; hash: string } | null })[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.scope) {
      const scoped = positional(filter.scope.sql, filter.scope.params, params.length);
      params.push(...scoped.values);
      where.push(scoped.sql);
    }
    if (filter.clientRefs) add('e.client_ref_bytes = ANY (?::bytea[])', refs(filter.clientRefs));
    if (filter.partnerId) add('e.partner_id = ?', filter.partnerId);
    if (filter.userSub) add('e.user_sub = ?', filter.userSub);
    if (filter.purpose) add('e.purpose = ?', filter.purpose);
    if (filter.decision) add('e.decision = ?', filter.decision);
    if (filter.resourceType) add('e.resource_type = ?', filter.resourceType);
    if (filter.resourceId) add('e.resource_id = ?', filter.resourceId);
    if (filter.override !== undefined) add('e.override = ?', filter.override);
    if (filter.from) add('e.occurred_at >= ?', filter.from);
    if (filter.to) add('e.occurred_at < ?', filter.to);
    let cursor: string | undefined;
    if (beforeSeq) {
      add('e.seq < ?', beforeSeq);
      cursor = `$${params.length}`;
    }
    if (filter.afterSeq) add('e.seq > ?', filter.afterSeq);
    if (filter.untilSeq) add('e.seq <= ?', filter.untilSeq);
    if (filter.afterPosition) add('l.position > ?', filter.afterPosition);
    if (filter.untilPosition) add('l.position <= ?', filter.untilPosition);
    const order = filter.afterPosition ? 'l.position ASC' : `e.seq ${filter.afterSeq ? 'ASC' : 'DESC'}`;
    params.push(limit);
    // A page is at most a few hundred rows: PostgreSQL's parallel workers only add their start-up
    // (it chose them for a rare client's bitmap scans; at 10 M entries starting them took 45 of
    // a search's 60 ms). For this transaction only; outside one, PostgreSQL ignores it.
    await manager.query('SET LOCAL max_parallel_workers_per_gather = 0');
    const search = (entries: string) =>
      manager.query(
        `SELECT ${ENTRY_COLUMNS}, l.position, ${PREV_HASH} AS prev_hash, ${hex('l.hash')} AS hash
           FROM ${entries} e LEFT JOIN access_log_link l ON l.entry_seq = e.seq
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY ${order} LIMIT $${params.length}`,
        params,
      ) as Promise<Record<string, unknown>[]>;
    // A date range, newest first: PostgreSQL reads every entry of the range through occurred_at and
    // sorts them (it cannot know entries are written in time order), so a day cost what the day
    // held — 2.2 × more at 10 M entries than at 100 k. Entries are written in about time order,
    // so a recent range's page is usually among the newest entries: first look only at the newest
    // PROBE_ENTRIES (below the cursor). A full page there is exactly the page (every other match is
    // older than all of these); otherwise the whole range is searched as before.
    if ((filter.from || filter.to) && order === 'e.seq DESC') {
      const newest = `(SELECT * FROM access_log ${cursor ? `WHERE seq < ${cursor}` : ''}
          ORDER BY seq DESC LIMIT ${PROBE_ENTRIES})`;
      const probed = await search(newest);
      if (probed.length === limit) return probed.map(withLink);
    }
    return (await search('access_log')).map(withLink);
  }

  async countOlderThan(cutoff: Date): Promise<number> {
    const [{ n }] = await this.dataSource.query(
      'SELECT count(*)::int AS n FROM access_log_entry WHERE occurred_at < $1',
      [cutoff],
    );
    return n;
  }
}

/** How many of the newest entries a date-range search looks at first (see page). */
const PROBE_ENTRIES = 2000;

function withLink(row: Record<string, unknown>): AccessLogEntry & {
  link: { position: string; prevHash: string; hash: string } | null;
} {
  return {
    ...toEntry(row),
    link:
      row.position === null
        ? null
        : { position: String(row.position), prevHash: row.prev_hash as string, hash: row.hash as string },
  };
}
