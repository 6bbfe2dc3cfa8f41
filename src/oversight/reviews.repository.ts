import type { DataSource, EntityManager } from 'typeorm';
import { ReviewItem } from './review-item.entity.js';

/** The only place that queries the review queue. */
export class ReviewsRepository {
  constructor(readonly dataSource: DataSource) {}

  list(manager: EntityManager, scopePartnerId: string | undefined, status: 'open' | 'resolved' | undefined): Promise<ReviewItem[]> {
    const query = manager.createQueryBuilder(ReviewItem, 'r').orderBy('r.created_at', 'DESC').take(500);
    if (status) query.andWhere('r.status = :status', { status });
    if (scopePartnerId) query.andWhere('(r.actor_partner_id = :p OR r.custodian_partner_id = :p)', { p: scopePartnerId });
    return query.getMany();
  }

  findForUpdate(manager: EntityManager, id: string): Promise<ReviewItem | null> {
    return manager.createQueryBuilder(ReviewItem, 'r').setLock('pessimistic_write').where('r.id = :id', { id }).getOne();
  }

  save(manager: EntityManager, item: ReviewItem): Promise<ReviewItem> {
    return manager.save(ReviewItem, item);
  }
}

