import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Client } from './client.entity.js';
import { Referral } from './referral.entity.js';

/** The only place that queries referrals and the clients they bring in. Every method runs on the caller's transaction. */
@Injectable()
export class ReferralsRepository {
  findReferral(manager: EntityManager, id: string): Promise<Referral | null> {
    return manager.findOneBy(Referral, { id });
  }

  findClient(manager: EntityManager, id: string): Promise<Client | null> {
    return manager.findOneBy(Client, { id });
  }

  /** A client this team already holds with the same national number (blind-index match). */
  async teamKnowsNationalNumber(manager: EntityManager, teamPartnerId: string, index: string): Promise<boolean> {
    return (await manager.countBy(Client, { custodianPartnerId: teamPartnerId, nationalNumberIndex: index })) > 0;
  }

  /** The team's earlier record of the same person (same national number), if any. */
  findEarlierClient(
    manager: EntityManager,
    teamPartnerId: string,
    index: string,
    excludeId: string,
  ): Promise<Client | null> {
    return manager
      .createQueryBuilder(Client, 'c')
      .where(
        'c.custodian_partner_id = :teamPartnerId AND c.national_number_index = :index AND c.id <> :excludeId AND c.merged_into IS NULL',
        { teamPartnerId, index, excludeId },
      )
      .orderBy('c.created_at', 'ASC')
      .getOne();
  }

  insertClient(manager: EntityManager, client: Omit<Client, 'id' | 'createdAt' | 'mergedInto'>): Promise<Client> {
    return manager.save(manager.create(Client, client));
  }

  insertReferral(manager: EntityManager, referral: Partial<Referral>): Promise<Referral> {
    return manager.save(manager.create(Referral, referral));
  }

  saveReferral(manager: EntityManager, referral: Referral): Promise<Referral> {
    return manager.save(Referral, referral);
  }

  /** The referrals a partner made or received, newest first; the scope is in SQL, before the LIMIT. */
  listFor(
    manager: EntityManager,
    partnerId: string,
    after: { createdAt: string; id: string } | undefined,
    limit: number,
  ): Promise<Referral[]> {
    const query = manager
      .createQueryBuilder(Referral, 'r')
      .where('(r.referrer_partner_id = :partnerId OR r.target_partner_id = :partnerId)', { partnerId })
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(limit);
    if (after) query.andWhere('(r.created_at, r.id) < (:createdAt::timestamptz, :id::uuid)', after);
    return query.getMany();
  }
}
