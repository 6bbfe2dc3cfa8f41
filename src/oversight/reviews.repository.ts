import type { DataSource, EntityManager } from 'typeorm';
import { ReviewItem } from './review-item.entity.js';

/** The only place that queries the review queue. */
export class ReviewsRepository {
  constructor(readonly dataSource: DataSource) {}

  list(
    manager: EntityManager,
    scopePartnerId: string | undefined,
    status: 'open' | 'resolved' | undefined,
  ): Promise<ReviewItem[]> {
    const query = manager.createQueryBuilder(ReviewItem, 'r').orderBy('r.created_at', 'DESC').take(500);
    if (status) query.andWhere('r.status = :status', { status });
    if (scopePartnerId)
      query.andWhere('(r.actor_partner_id = :p OR r.custodian_partner_id = :p)', { p: scopePartnerId });
    return query.getMany();
  }

  find(manager: EntityManager, id: string): Promise<ReviewItem | null> {
    return manager.findOneBy(ReviewItem, { id });
  }

  /** The log entries behind each item, oldest first. */
  async entryIdsOf(manager: EntityManager, itemIds: string[]): Promise<Map<string, string[]>> {
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

  /** The metadata of the entries behind one item (never client data: the log holds none). */
  entriesOf(manager: EntityManager, itemId: string): Promise<Record<string, unknown>[]> {
    return manager.query(
      `SELECT e.id, e.occurred_at AS "occurredAt", e.partner_id AS "partnerId", e.user_sub AS "user", e.roles, e.action, e.resource_type AS "resourceType",
              e.resource_id AS "resourceId", e.purpose, e.decision, e.reason, e.override
         FROM review_item_entry l JOIN access_log_entry e ON e.id = l.entry_id WHERE l.review_item_id = $1 ORDER BY e.seq`,
      [itemId],
    );
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
}
