import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Agreement, AgreementParty } from './agreement.entity.js';

export interface AgreementWithParties {
  agreement: Agreement;
  partyIds: string[];
}

/** Agreement `a` covers the purpose in parameter $purpose on the day in parameter $day. */
/** An agreement in force on a day, for any purpose. */
const inForceOn = (day: string) =>
  `a.status = 'active' AND a.valid_from <= ${day}::date AND (a.valid_until IS NULL OR a.valid_until >= ${day}::date)`;
const inForce = (purpose: string, day: string) => `${purpose} = ANY (a.purposes) AND ${inForceOn(day)}`;

/** The only place that queries cooperation agreements. */
@Injectable()
export class AgreementsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Agreement and parties in the caller's transaction: never half an agreement, never one without its log entry. */
  async insertWithParties(
    manager: EntityManager,
    agreement: Omit<Agreement, 'id' | 'createdAt'>,
    partyIds: string[],
  ): Promise<AgreementWithParties> {
    const saved = await manager.save(manager.create(Agreement, agreement));
    await manager.insert(
      AgreementParty,
      partyIds.map((partnerId) => ({ agreementId: saved.id, partnerId })),
    );
    return { agreement: saved, partyIds };
  }

  /** Suspends, reactivates or ends an agreement, in the caller's transaction (row locked first). */
  async findForUpdate(manager: EntityManager, id: string): Promise<Agreement | null> {
    return manager.createQueryBuilder(Agreement, 'a').setLock('pessimistic_write').where('a.id = :id', { id }).getOne();
  }

  async saveAgreement(manager: EntityManager, agreement: Agreement): Promise<AgreementWithParties> {
    const saved = await manager.save(Agreement, agreement);
    const [withParties] = await this.attachParties([saved], manager);
    return withParties;
  }

  async findById(id: string): Promise<AgreementWithParties | null> {
    const agreement = await this.dataSource.getRepository(Agreement).findOneBy({ id });
    if (!agreement) return null;
    const [withParties] = await this.attachParties([agreement]);
    return withParties;
  }

  /** Newest first; the cursor is (createdAt, id) of the last row seen. */
  async listPage(
    filter: { partnerId?: string },
    after: { createdAt: string; id: string } | undefined,
    limit: number,
  ): Promise<AgreementWithParties[]> {
    const query = this.dataSource
      .getRepository(Agreement)
      .createQueryBuilder('a')
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .take(limit);
    if (filter.partnerId) {
      query.andWhere(
        'EXISTS (SELECT 1 FROM agreement_party ap WHERE ap.agreement_id = a.id AND ap.partner_id = :partnerId)',
        { partnerId: filter.partnerId },
      );
    }
    if (after) query.andWhere('(a.created_at, a.id) < (:createdAt::timestamptz, :id::uuid)', after);
    return this.attachParties(await query.getMany());
  }

  /** The agreement binding all the given partners that covers this purpose on this day, or null. */
  async idInForce(
    manager: EntityManager,
    partnerIds: string[],
    purpose: string,
    onDate: string,
  ): Promise<{ id: string } | null> {
    const ids = [...new Set(partnerIds)];
    const rows: { id: string }[] = await manager.query(
      `SELECT a.id FROM agreement a
        WHERE ${inForce('$1', '$2')}
          AND (SELECT count(*) FROM agreement_party ap WHERE ap.agreement_id = a.id AND ap.partner_id = ANY ($3)) = $4
        ORDER BY a.valid_from DESC, a.id LIMIT 1`,
      [purpose, onDate, ids, ids.length],
    );
    return rows[0] ? { id: rows[0].id } : null;
  }

  /** Whether an agreement binding all the given partners covers this purpose on this day. */
  async existsInForce(partnerIds: string[], purpose: string, onDate: string): Promise<boolean> {
    const ids = [...new Set(partnerIds)];
    const row = await this.dataSource.query(
      `SELECT EXISTS (
         SELECT 1 FROM agreement a
          WHERE ${inForce('$1', '$2')}
            AND (SELECT count(*) FROM agreement_party ap WHERE ap.agreement_id = a.id AND ap.partner_id = ANY ($3)) = $4
       ) AS "inForce"`,
      [purpose, onDate, ids, ids.length],
    );
    return Boolean(row[0]?.inForce);
  }

  /** Every active partner this one has a cooperation agreement in force with, and for which purposes. */
  async cooperationPartnersOf(
    partnerId: string,
    onDate: string,
  ): Promise<{ id: string; name: string; type: string; purposes: string[] }[]> {
    return this.dataSource.query(
      `SELECT p.id, p.name, p.type, array_agg(DISTINCT purpose ORDER BY purpose) AS purposes FROM agreement a
         JOIN agreement_party mine ON mine.agreement_id = a.id AND mine.partner_id = $1
         JOIN agreement_party other ON other.agreement_id = a.id AND other.partner_id <> $1
         JOIN partner p ON p.id = other.partner_id AND p.status = 'active'
         CROSS JOIN LATERAL unnest(a.purposes) AS purpose
        WHERE ${inForceOn('$2')}
        GROUP BY p.id, p.name, p.type
        ORDER BY p.name, p.id`,
      [partnerId, onDate],
    );
  }

  private async attachParties(agreements: Agreement[], manager?: EntityManager): Promise<AgreementWithParties[]> {
    if (agreements.length === 0) return [];
    const parties = await (manager ?? this.dataSource.manager)
      .getRepository(AgreementParty)
      .createQueryBuilder('p')
      .where('p.agreement_id IN (:...ids)', { ids: agreements.map((a) => a.id) })
      .orderBy('p.partner_id')
      .getMany();
    return agreements.map((agreement) => ({
      agreement,
      partyIds: parties.filter((p) => p.agreementId === agreement.id).map((p) => p.partnerId),
    }));
  }
}
