import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ReviewItem } from './review-item.entity.js';

/** The only place that queries the review queue. */
@Injectable()
export class ReviewsRepository {
  /** Items in the policy's scope for this officer, newest first (the scope is SQL over alias `r`). */
  listInScope(
    manager: EntityManager,
    scope: { sql: string; params: Record<string, unknown> },
    status: 'open' | 'resolved' | undefined,
  ): Promise<ReviewItem[]> {
    const query = manager
      .createQueryBuilder(ReviewItem, 'r')
      .where(scope.sql, scope.params)
      .orderBy('r.created_at', 'DESC')
      .take(500);
    if (status) query.andWhere('r.status = :status', { status });
    return query.getMany();
  }

  find(manager: EntityManager, id: string): Promise<ReviewItem | null> {
    return manager.findOneBy(ReviewItem, { id });
  }

  /** An anomaly item, once per occurrence (its dedupe key); null when it was opened before. */
  async insertAnomaly(
    manager: EntityManager,
    item: { subjectId: string; actorPartnerId: string; summarySealed: string; dedupeKey: string },
  ): Promise<string | null> {
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO review_item (kind, subject_id, actor_partner_id, summary_sealed, status, dedupe_key) VALUES ('anomaly', $1, $2, $3, 'open', $4)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
      [item.subjectId, item.actorPartnerId, item.summarySealed, item.dedupeKey],
    );
    return inserted[0]?.id ?? null;
  }

  /** The client's contests of these entries (the latest per entry), with their verdicts. */
  async contestsOf(
    manager: EntityManager,
    entryIds: string[],
  ): Promise<Map<string, Pick<ReviewItem, 'status' | 'verdict' | 'createdAt' | 'resolvedAt'>>> {
    if (entryIds.length === 0) return new Map();
    const items = await manager
      .createQueryBuilder(ReviewItem, 'r')
      .where("r.kind = 'contested-access' AND r.subject_id = ANY (:ids)", { ids: entryIds })
      .orderBy('r.created_at', 'ASC')
      .getMany();
    return new Map(items.map((i) => [i.subjectId, i]));
  }

  insert(manager: EntityManager, item: Partial<ReviewItem>): Promise<ReviewItem> {
    return manager.save(manager.create(ReviewItem, item));
  }

  /**
   * The sealed summary (with the justification) of the break-the-glass grant each override entry
   * was made under: by the entry's grant id (format 2), else by the item the entry sits behind.
   */
  async emergencySummaries(
    manager: EntityManager,
    entries: { entryId: string; grantId: string | null }[],
  ): Promise<Map<string, string>> {
    if (entries.length === 0) return new Map();
    const rows: { entry_id: string; summary_sealed: string }[] = await manager.query(
      `SELECT DISTINCT ON (x.entry_id) x.entry_id, r.summary_sealed
         FROM unnest($1::uuid[], $2::uuid[]) AS x(entry_id, grant_id)
         JOIN review_item r ON r.kind = 'break-the-glass'
          AND (r.subject_id = x.grant_id
               OR (x.grant_id IS NULL AND EXISTS (SELECT 1 FROM review_item_entry l WHERE l.review_item_id = r.id AND l.entry_id = x.entry_id)))
        ORDER BY x.entry_id, r.created_at`,
      [entries.map((e) => e.entryId), entries.map((e) => e.grantId)],
    );
    return new Map(rows.map((r) => [r.entry_id, r.summary_sealed]));
  }

  findForUpdate(manager: EntityManager, id: string): Promise<ReviewItem | null> {
    return manager
      .createQueryBuilder(ReviewItem, 'r')
      .setLock('pessimistic_write')
      .where('r.id = :id', { id })
      .getOne();
  }

  save(manager: EntityManager, item: ReviewItem): Promise<ReviewItem> {
    return manager.save(ReviewItem, item);
  }

  /** The items about a client (break-the-glass uses on its cases, accesses it contested). */
  aboutClient(manager: EntityManager, clientId: string): Promise<ReviewItem[]> {
    return manager.findBy(ReviewItem, { clientId });
  }

  /** Replaces an item's summary and drops its note (art. 17); kind, actor, verdict and dates stay. */
  async eraseText(manager: EntityManager, id: string, summarySealed: string): Promise<void> {
    await manager.update(ReviewItem, { id }, { summarySealed, noteSealed: null });
  }
}
