import { Injectable } from '@nestjs/common';
import { IsNull, type EntityManager } from 'typeorm';
import type { AccessContext } from '../access/access-context.js';
import { consentStateSql } from '../consent/consent.sql.js';
import { agreementInForceSql } from '../partners/agreements/agreement.sql.js';
import type { FactSql } from '../policies/policy-scope.js';
import { CareCase, CaseNote, CaseTransition, CircleMember, ContactAttempt, type CaseStatus } from './case.entity.js';
import { EmergencyGrant } from './emergency-grant.entity.js';

/** The only place that queries cases, their history and their circle of care; always on the caller's transaction. */
@Injectable()
export class CasesRepository {
  findCase(manager: EntityManager, id: string): Promise<CareCase | null> {
    return manager.findOneBy(CareCase, { id });
  }

  /** Who a case concerns and who holds it (for refusals logged before any decision); null for a malformed or unknown id. */
  async subjectOf(
    manager: EntityManager,
    id: string,
  ): Promise<{ id: string; clientId: string; custodianPartnerId: string } | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const careCase = await manager.findOne(CareCase, {
      where: { id },
      select: { id: true, clientId: true, custodianPartnerId: true },
    });
    return careCase
      ? { id: careCase.id, clientId: careCase.clientId, custodianPartnerId: careCase.custodianPartnerId }
      : null;
  }

  /** Moves a client's cases to another client record (a merge); returns which moved. */
  async moveClient(manager: EntityManager, fromClientId: string, toClientId: string): Promise<string[]> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [rows] = (await manager.query('UPDATE care_case SET client_id = $2 WHERE client_id = $1 RETURNING id', [
      fromClientId,
      toClientId,
    ])) as [{ id: string }[], number];
    return rows.map((r) => r.id);
  }

  async restoreClient(manager: EntityManager, ids: string[], toClientId: string): Promise<void> {
    if (ids.length > 0)
      await manager.query('UPDATE care_case SET client_id = $2 WHERE id = ANY ($1::uuid[])', [ids, toClientId]);
  }

  /** The team's most recent case for this client. */
  latestCaseOf(manager: EntityManager, clientId: string, custodianPartnerId: string): Promise<CareCase | null> {
    return manager.findOne(CareCase, { where: { clientId, custodianPartnerId }, order: { openedAt: 'DESC' } });
  }

  insertCase(manager: EntityManager, careCase: Partial<CareCase>): Promise<CareCase> {
    return manager.save(manager.create(CareCase, careCase));
  }

  saveCase(manager: EntityManager, careCase: CareCase): Promise<CareCase> {
    return manager.save(CareCase, careCase);
  }

  async setStatus(manager: EntityManager, id: string, status: CaseStatus, endReason: string | null): Promise<void> {
    await manager.update(CareCase, { id }, { status, endReason });
  }

  async setPlans(
    manager: EntityManager,
    id: string,
    plans: Partial<Pick<CareCase, 'carePlanSealed' | 'crisisPlanSealed' | 'safetyFlagsSealed'>>,
  ): Promise<void> {
    await manager.update(CareCase, { id }, plans);
  }

  async setCustodian(manager: EntityManager, id: string, partnerId: string): Promise<void> {
    await manager.update(CareCase, { id }, { custodianPartnerId: partnerId });
  }

  addTransition(manager: EntityManager, transition: Partial<CaseTransition>): Promise<CaseTransition> {
    return manager.save(manager.create(CaseTransition, transition));
  }

  transitionsOf(manager: EntityManager, caseId: string): Promise<CaseTransition[]> {
    return manager.find(CaseTransition, { where: { caseId }, order: { at: 'ASC' } });
  }

  addContactAttempt(manager: EntityManager, attempt: Partial<ContactAttempt>): Promise<ContactAttempt> {
    return manager.save(manager.create(ContactAttempt, attempt));
  }

  contactAttemptsOf(manager: EntityManager, caseId: string): Promise<ContactAttempt[]> {
    return manager.find(ContactAttempt, { where: { caseId }, order: { at: 'ASC' } });
  }

  addNote(manager: EntityManager, note: Partial<CaseNote>): Promise<CaseNote> {
    return manager.save(manager.create(CaseNote, note));
  }

  /** Notes of the given categories only: a note outside the permitted categories is never loaded. */
  notesOf(manager: EntityManager, caseId: string, categories: string[]): Promise<CaseNote[]> {
    if (categories.length === 0) return Promise.resolve([]);
    return manager
      .createQueryBuilder(CaseNote, 'n')
      .where('n.case_id = :caseId', { caseId })
      .andWhere('n.category IN (:...categories)', { categories })
      .orderBy('n.at', 'ASC')
      .getMany();
  }

  activeCircle(manager: EntityManager, caseId: string): Promise<CircleMember[]> {
    return manager.find(CircleMember, { where: { caseId, removedAt: IsNull() }, order: { addedAt: 'ASC' } });
  }

  /** Whether this partner is in the case's circle for this purpose (a fact the policy needs). */
  async inCircle(manager: EntityManager, caseId: string, partnerId: string, purpose: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      'SELECT 1 FROM circle_member WHERE case_id = $1 AND partner_id = $2 AND removed_at IS NULL AND (aftercare_until IS NULL OR aftercare_until > now()) AND $3 = ANY (purposes) LIMIT 1',
      [caseId, partnerId, purpose],
    );
    return rows.length > 0;
  }

  /** The caller's team handed this case over and is still within its aftercare period. */
  async inAftercare(manager: EntityManager, caseId: string, partnerId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      'SELECT 1 FROM circle_member WHERE case_id = $1 AND partner_id = $2 AND removed_at IS NULL AND aftercare_until > now() LIMIT 1',
      [caseId, partnerId],
    );
    return rows.length > 0;
  }

  async startAftercare(manager: EntityManager, caseId: string, partnerId: string, until: Date): Promise<void> {
    await manager.update(
      CircleMember,
      { caseId, partnerId, removedAt: IsNull() },
      { aftercareUntil: until, responsibleProfessional: null },
    );
  }

  async inCircleForAnyPurpose(manager: EntityManager, caseId: string, partnerId: string): Promise<boolean> {
    return (await manager.countBy(CircleMember, { caseId, partnerId, removedAt: IsNull() })) > 0;
  }

  /**
   * This user's unexpired break-the-glass grant on this case, with its review item: accesses made
   * under the grant are linked to that item.
   */
  async activeGrant(
    manager: EntityManager,
    caseId: string,
    partnerId: string,
    userSub: string,
  ): Promise<{ id: string; reviewItemId: string | null } | null> {
    const rows: { id: string; review_item_id: string | null }[] = await manager.query(
      `SELECT g.id, r.id AS review_item_id FROM emergency_grant g LEFT JOIN review_item r ON r.subject_id = g.id AND r.kind = 'break-the-glass'
        WHERE g.case_id = $1 AND g.partner_id = $2 AND g.user_sub = $3 AND g.expires_at > now() ORDER BY g.created_at DESC LIMIT 1`,
      [caseId, partnerId, userSub],
    );
    return rows[0] ? { id: rows[0].id, reviewItemId: rows[0].review_item_id } : null;
  }

  addGrant(manager: EntityManager, grant: Partial<EmergencyGrant>): Promise<EmergencyGrant> {
    return manager.save(manager.create(EmergencyGrant, grant));
  }

  addCircleMember(manager: EntityManager, member: Partial<CircleMember>): Promise<CircleMember> {
    return manager.save(manager.create(CircleMember, member));
  }

  findCircleMember(manager: EntityManager, caseId: string, id: string): Promise<CircleMember | null> {
    return manager.findOneBy(CircleMember, { caseId, id, removedAt: IsNull() });
  }

  async removeCircleMember(manager: EntityManager, id: string): Promise<void> {
    await manager.update(CircleMember, { id }, { removedAt: new Date() });
  }

  /**
   * The policy's facts of a case row (alias `c`) for this caller, as SQL: what a list scope is
   * built from (AccessService.scope), so the list shows exactly the cases the policy would open.
   */
  factSql(access: AccessContext): FactSql {
    const { principal, purpose } = access;
    const day = new Date().toISOString().slice(0, 10);
    const recipient = { partnerId: principal.partnerId, partnerType: principal.partnerType };
    return {
      ownOrganisation: (_c, bind) => `c.custodian_partner_id = ${bind(principal.partnerId)}`,
      inCircle: (_c, bind) =>
        `EXISTS (SELECT 1 FROM circle_member m WHERE m.case_id = c.id AND m.partner_id = ${bind(principal.partnerId)} AND m.removed_at IS NULL
           AND (m.aftercare_until IS NULL OR m.aftercare_until > now()) AND ${bind(purpose)} = ANY (m.purposes))`,
      aftercare: (_c, bind) =>
        `(c.custodian_partner_id <> ${bind(principal.partnerId)} AND EXISTS (SELECT 1 FROM circle_member m WHERE m.case_id = c.id
           AND m.partner_id = ${bind(principal.partnerId)} AND m.removed_at IS NULL AND m.aftercare_until > now()))`,
      agreementInForce: (_c, bind) =>
        `(c.custodian_partner_id = ${bind(principal.partnerId)} OR ${agreementInForceSql(bind, bind(principal.partnerId), 'c.custodian_partner_id', purpose, day)} IS NOT NULL)`,
      consent: (category, bind) => consentStateSql(bind, 'c.client_id', recipient, purpose, day, category ?? ''),
      breakTheGlass: (_c, bind) =>
        `(${bind(purpose)} = 'crisis' AND EXISTS (SELECT 1 FROM emergency_grant g WHERE g.case_id = c.id AND g.partner_id = ${bind(principal.partnerId)}
           AND g.user_sub = ${bind(principal.subject)} AND g.expires_at > now()))`,
    };
  }

  /** One page of the cases in the policy's scope, newest first; the scope is in SQL, before the LIMIT. */
  listInScope(
    manager: EntityManager,
    scope: { sql: string; params: Record<string, unknown> },
    after: { openedAt: string; id: string } | undefined,
    limit: number,
  ): Promise<CareCase[]> {
    const query = manager
      .createQueryBuilder(CareCase, 'c')
      .where(scope.sql, scope.params)
      .orderBy('c.opened_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .take(limit);
    if (after) query.andWhere('(c.opened_at, c.id) < (:openedAt::timestamptz, :id::uuid)', after);
    return query.getMany();
  }

  /** A client's cases with their notes, transitions and contact attempts, still sealed (art. 20 export). */
  async exportRows(manager: EntityManager, clientId: string): Promise<Record<string, unknown>[]> {
    return manager.query(
      `SELECT c.id, c.custodian_partner_id, c.status, c.end_reason, c.opened_at, c.care_plan_sealed, c.crisis_plan_sealed,
              c.safety_flags_sealed,
              (SELECT coalesce(json_agg(json_build_object('category', n.category, 'textSealed', n.text_sealed, 'at', n.at) ORDER BY n.at), '[]')
                 FROM case_note n WHERE n.case_id = c.id) AS notes,
              (SELECT coalesce(json_agg(json_build_object('from', t.from_status, 'to', t.to_status, 'endReason', t.end_reason, 'at', t.at) ORDER BY t.at), '[]')
                 FROM case_transition t WHERE t.case_id = c.id) AS transitions,
              (SELECT coalesce(json_agg(json_build_object('at', a.at, 'channel', a.channel, 'outcome', a.outcome) ORDER BY a.at), '[]')
                 FROM contact_attempt a WHERE a.case_id = c.id) AS contact_attempts
         FROM care_case c WHERE c.client_id = $1 ORDER BY c.opened_at`,
      [clientId],
    );
  }

  /** How many of a client's cases still run (not closed). */
  async openCasesOf(manager: EntityManager, clientId: string): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM care_case WHERE client_id = $1 AND status <> 'closed'`,
      [clientId],
    );
    return rows[0]?.n ?? 0;
  }

  /** The ids of a client's cases, whatever their status. */
  async caseIdsOf(manager: EntityManager, clientId: string): Promise<string[]> {
    const rows: { id: string }[] = await manager.query('SELECT id FROM care_case WHERE client_id = $1 ORDER BY id', [
      clientId,
    ]);
    return rows.map((r) => r.id);
  }

  /**
   * Empties plans, flags, notes, transition reasons and break-the-glass justifications of a
   * client's cases (art. 17); statuses, dates and who held a grant until when stay.
   */
  async eraseForClient(manager: EntityManager, clientId: string, sealedEmpty: string): Promise<number> {
    await manager.query(
      'UPDATE emergency_grant SET justification_sealed = $2 WHERE case_id IN (SELECT id FROM care_case WHERE client_id = $1)',
      [clientId, sealedEmpty],
    );
    await manager.query('DELETE FROM case_note WHERE case_id IN (SELECT id FROM care_case WHERE client_id = $1)', [
      clientId,
    ]);
    await manager.query(
      'UPDATE case_transition SET reason_sealed = NULL WHERE case_id IN (SELECT id FROM care_case WHERE client_id = $1)',
      [clientId],
    );
    const [, affected] = (await manager.query(
      'UPDATE care_case SET care_plan_sealed = NULL, crisis_plan_sealed = NULL, safety_flags_sealed = NULL WHERE client_id = $1',
      [clientId],
    )) as [unknown, number];
    return affected;
  }

  /** Clients whose cases are all closed, the last one before `cutoff` (retention has passed). */
  async clientsClosedBefore(manager: EntityManager, cutoff: Date): Promise<string[]> {
    const rows: { client_id: string }[] = await manager.query(
      `SELECT c.client_id FROM care_case c
         LEFT JOIN LATERAL (SELECT max(t.at) AS closed_at FROM case_transition t WHERE t.case_id = c.id AND t.to_status = 'closed') t ON true
        GROUP BY c.client_id
       HAVING bool_and(c.status = 'closed') AND max(t.closed_at) < $1`,
      [cutoff],
    );
    return rows.map((r) => r.client_id);
  }
}
