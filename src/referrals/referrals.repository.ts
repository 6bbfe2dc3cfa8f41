import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { clientHasCaseSql } from '../cases/case.sql.js';
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

  /** Moves a client's referrals to another client record (a merge); returns which moved. */
  async moveClient(manager: EntityManager, fromClientId: string, toClientId: string): Promise<string[]> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [rows] = (await manager.query('UPDATE referral SET client_id = $2 WHERE client_id = $1 RETURNING id', [
      fromClientId,
      toClientId,
    ])) as [{ id: string }[], number];
    return rows.map((r) => r.id);
  }

  async restoreClient(manager: EntityManager, ids: string[], toClientId: string): Promise<void> {
    if (ids.length > 0)
      await manager.query('UPDATE referral SET client_id = $2 WHERE id = ANY ($1::uuid[])', [ids, toClientId]);
  }

  /**
   * The referral learns that contact with the tenant was made, or that its case was closed (what may
   * flow back to the referrer); answers the referral when this changed it (the first time), else null.
   */
  async recordProgress(
    manager: EntityManager,
    referralId: string,
    what: 'contact-established' | 'closed',
  ): Promise<Referral | null> {
    const set =
      what === 'contact-established'
        ? 'contact_established = true WHERE id = $1 AND NOT contact_established'
        : 'case_closed_at = now() WHERE id = $1';
    // TypeORM answers an UPDATE with [rows, affected].
    const [rows] = (await manager.query(`UPDATE referral SET ${set} RETURNING id`, [referralId])) as [
      { id: string }[],
      number,
    ];
    return rows.length > 0 ? manager.findOneBy(Referral, { id: referralId }) : null;
  }

  /** One page of the referrals in the policy's scope, newest first; the scope is in SQL, before the LIMIT. */
  async listInScope(
    manager: EntityManager,
    scope: { sql: string; params: Record<string, unknown> },
    filter: { status?: string; from?: string; to?: string; reference?: string },
    after: { createdAt: string; id: string } | undefined,
    limit: number,
    /** A second policy scope, answered per row as `contextVisible` (what the referrer said: urgency). */
    context: { sql: string; params: Record<string, unknown> },
  ): Promise<(Referral & { contextVisible: boolean })[]> {
    const query = manager
      .createQueryBuilder(Referral, 'r')
      .addSelect(`(${context.sql})`, 'context_visible')
      .setParameters(context.params)
      .where(scope.sql, scope.params)
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(limit);
    if (filter.status) query.andWhere('r.status = :status', { status: filter.status });
    if (filter.from) query.andWhere('r.created_at >= :from::timestamptz', { from: filter.from });
    if (filter.to) query.andWhere('r.created_at < :to::timestamptz', { to: filter.to });
    if (filter.reference) query.andWhere('r.external_reference = :reference', { reference: filter.reference });
    if (after) query.andWhere('(r.created_at, r.id) < (:createdAt::timestamptz, :id::uuid)', after);
    const { entities, raw } = await query.getRawAndEntities<{ r_id: string; context_visible: boolean }>();
    const visible = new Map(raw.map((row) => [row.r_id, row.context_visible === true]));
    return entities.map((referral) => Object.assign(referral, { contextVisible: visible.get(referral.id) ?? false }));
  }

  /** A client's referrals (art. 20 export). */
  findByClient(manager: EntityManager, clientId: string): Promise<Referral[]> {
    return manager.find(Referral, { where: { clientId }, order: { createdAt: 'ASC' } });
  }

  /** Empties the personal content of a client's referrals (art. 17); status and dates stay for the figures. */
  async eraseForClient(manager: EntityManager, clientId: string, sealedEmpty: string): Promise<number> {
    const result = await manager.update(
      Referral,
      { clientId },
      {
        housingSealed: sealedEmpty,
        healthSignalsSealed: null,
        descriptionSealed: null,
        tenantInformedNoteSealed: null,
        decisionReasonSealed: null,
        referrerContactSealed: sealedEmpty,
        externalReference: null,
      },
    );
    return result.affected ?? 0;
  }

  /** Clients only referred (never a case), every referral decided before `cutoff` (retention has passed). */
  async clientsDecidedBefore(manager: EntityManager, cutoff: Date): Promise<string[]> {
    const rows: { client_id: string }[] = await manager.query(
      `SELECT r.client_id FROM referral r
        WHERE NOT ${clientHasCaseSql('r.client_id')}
        GROUP BY r.client_id
       HAVING bool_and(r.status <> 'submitted') AND max(r.decided_at) < $1`,
      [cutoff],
    );
    return rows.map((r) => r.client_id);
  }
}
