import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Referral } from './referral.entity.js';

/** The only place that queries referrals and the clients they bring in. Every method runs on the caller's transaction. */
@Injectable()
export class ReferralsRepository {
  findReferral(manager: EntityManager, id: string): Promise<Referral | null> {
    return manager.findOneBy(Referral, { id });
  }

  insertReferral(manager: EntityManager, referral: Partial<Referral>): Promise<Referral> {
    return manager.save(manager.create(Referral, referral));
  }

  saveReferral(manager: EntityManager, referral: Referral): Promise<Referral> {
    return manager.save(Referral, referral);
  }

  /** One page of the referrals in the policy's scope, newest first; the scope is in SQL, before the LIMIT. */
  listInScope(
    manager: EntityManager,
    scope: { sql: string; params: Record<string, unknown> },
    after: { createdAt: string; id: string } | undefined,
    limit: number,
  ): Promise<Referral[]> {
    const query = manager
      .createQueryBuilder(Referral, 'r')
      .where(scope.sql, scope.params)
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(limit);
    if (after) query.andWhere('(r.created_at, r.id) < (:createdAt::timestamptz, :id::uuid)', after);
    return query.getMany();
  }
}
