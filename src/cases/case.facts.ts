import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { preparedQuery } from '../database/transaction.js';
import type { AccessContext } from '../access/access-context.js';
import type { ConsentFact, RecordFacts, SubjectRef } from '../access/decision.js';
import { SqlParams } from '../common/sql/params.js';
import { consentsInForceSql } from '../consent/consent.sql.js';
import { agreementInForceSql } from '../partners/agreements/agreement.sql.js';
import type { CaseStatus } from './case.entity.js';

/** A case as one facts query returns it: the row, and (with `data`) everything a read may disclose, still sealed. */
export interface CaseRecord {
  id: string;
  clientId: string;
  custodianPartnerId: string;
  referralId: string | null;
  status: CaseStatus;
  endReason: string | null;
  openedAt: Date;
  carePlanSealed: string | null;
  crisisPlanSealed: string | null;
  safetyFlagsSealed: string | null;
  data?: {
    identitySealed: string | null;
    contactSealed: string | null;
    housingSealed: string | null;
    /** The clinical signals the referral brought (health category). */
    healthSignalsSealed: string | null;
    /** What the referrer said about the referral that opened the case (null: no referral). */
    referral: {
      tenantInformed: string;
      tenantInformedNoteSealed: string | null;
      urgency: string;
      referrerKind: string;
      referrerPartnerId: string;
      referrerContactSealed: string;
    } | null;
    notes: { id: string; category: string; textSealed: string; at: string; partnerId: string }[];
    transitions: { from: string; to: string; endReason: string | null; at: string; by: string }[];
    contactAttempts: { at: string; channel: string; outcome: string; clientKnows: boolean | null }[];
    circle: {
      id: string;
      partnerId: string;
      purposes: string[];
      responsibleProfessional: string | null;
      profession: string | null;
    }[];
  };
}

export interface LoadedCase {
  subject: SubjectRef & { type: 'Case' };
  record: CaseRecord | null;
  facts: RecordFacts;
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * Everything the policy needs about one case and this caller — custody, circle membership for
 * the purpose, aftercare, the agreement in force (with its id), the consents in force (rows
 * locked FOR SHARE, so a withdrawal waits for this access), the caller's break-the-glass grant —
 * and, for a read, the data it may disclose: ONE statement.
 */
@Injectable()
export class CaseFacts {
  async load(
    manager: EntityManager,
    context: AccessContext,
    caseId: string,
    options: { purpose?: string; data?: boolean; lock?: boolean } = {},
  ): Promise<LoadedCase> {
    const purpose = options.purpose ?? context.purpose;
    const { principal } = context;
    const params = new SqlParams();
    const id = params.bind(caseId);
    const me = params.bind(principal.partnerId);
    const forPurpose = params.bind(purpose);
    const bind = (value: unknown) => params.bind(value);
    const consents = consentsInForceSql(
      bind,
      '(SELECT client_id FROM c)',
      { partnerId: principal.partnerId, partnerType: principal.partnerType },
      purpose,
      today(),
    );
    const agreement = agreementInForceSql(bind, me, 'c.custodian_partner_id', purpose, today());
    const user = params.bind(principal.subject);
    const data = options.data
      ? `,
        cl.identity_sealed, cl.contact_sealed, rf.housing_sealed, rf.health_signals_sealed,
        rf.tenant_informed AS rf_tenant_informed, rf.tenant_informed_note_sealed AS rf_tenant_informed_note_sealed,
        rf.urgency AS rf_urgency, rf.referrer_kind AS rf_referrer_kind, rf.referrer_partner_id AS rf_referrer_partner_id,
        rf.referrer_contact_sealed AS rf_referrer_contact_sealed,
        (SELECT coalesce(json_agg(json_build_object('id', n.id, 'category', n.category, 'textSealed', n.text_sealed, 'at', n.at, 'partnerId', n.partner_id) ORDER BY n.at), '[]')
           FROM case_note n WHERE n.case_id = c.id) AS notes,
        (SELECT coalesce(json_agg(json_build_object('from', t.from_status, 'to', t.to_status, 'endReason', t.end_reason, 'at', t.at, 'by', t.partner_id) ORDER BY t.at), '[]')
           FROM case_transition t WHERE t.case_id = c.id) AS transitions,
        (SELECT coalesce(json_agg(json_build_object('at', a.at, 'channel', a.channel, 'outcome', a.outcome, 'clientKnows', a.client_knows) ORDER BY a.at), '[]')
           FROM contact_attempt a WHERE a.case_id = c.id) AS contact_attempts,
        (SELECT coalesce(json_agg(json_build_object('id', m.id, 'partnerId', m.partner_id, 'purposes', m.purposes, 'responsibleProfessional', m.responsible_professional, 'profession', m.profession) ORDER BY m.added_at), '[]')
           FROM circle_member m WHERE m.case_id = c.id AND m.removed_at IS NULL) AS circle`
      : '';
    // A fixed text per (lock, data): prepared once per connection (see preparedQuery).
    const rows: Record<string, unknown>[] = await preparedQuery(
      manager,
      `WITH c AS (SELECT * FROM care_case WHERE id = ${id}${options.lock ? ' FOR UPDATE' : ''}),
            k AS (${consents})
       SELECT c.id, c.client_id, c.custodian_partner_id, c.referral_id, c.status, c.end_reason, c.opened_at,
              c.care_plan_sealed, c.crisis_plan_sealed, c.safety_flags_sealed,
              EXISTS (SELECT 1 FROM circle_member m WHERE m.case_id = c.id AND m.partner_id = ${me} AND m.removed_at IS NULL
                        AND (m.aftercare_until IS NULL OR m.aftercare_until > now()) AND ${forPurpose} = ANY (m.purposes)) AS in_circle,
              EXISTS (SELECT 1 FROM circle_member m WHERE m.case_id = c.id AND m.partner_id = ${me} AND m.removed_at IS NULL) AS in_any_circle,
              EXISTS (SELECT 1 FROM circle_member m WHERE m.case_id = c.id AND m.partner_id = ${me} AND m.removed_at IS NULL
                        AND m.aftercare_until > now()) AS aftercare,
              CASE WHEN c.custodian_partner_id = ${me} THEN NULL ELSE ${agreement} END AS agreement_id,
              (SELECT coalesce(json_agg(json_build_object('id', k.id, 'effect', k.effect, 'categories', k.categories)), '[]') FROM k) AS consents,
              (SELECT json_build_object('id', g.id, 'reviewItemId', r.id) FROM emergency_grant g
                 LEFT JOIN review_item r ON r.subject_id = g.id AND r.kind = 'break-the-glass'
                WHERE ${forPurpose} = 'crisis' AND g.case_id = c.id AND g.partner_id = ${me} AND g.user_sub = ${user} AND g.expires_at > now()
                ORDER BY g.created_at DESC LIMIT 1) AS grant${data}
         FROM c LEFT JOIN client cl ON cl.id = c.client_id LEFT JOIN referral rf ON rf.id = c.referral_id`,
      params.values,
    );
    const row = rows[0];
    if (!row) return { subject: { type: 'Case', id: caseId }, record: null, facts: { visible: false } };
    const own = row.custodian_partner_id === principal.partnerId;
    const grant = (row.grant as { id: string; reviewItemId: string | null } | null) ?? null;
    const record: CaseRecord = {
      id: row.id as string,
      clientId: row.client_id as string,
      custodianPartnerId: row.custodian_partner_id as string,
      referralId: (row.referral_id as string | null) ?? null,
      status: row.status as CaseStatus,
      endReason: (row.end_reason as string | null) ?? null,
      openedAt: row.opened_at as Date,
      carePlanSealed: (row.care_plan_sealed as string | null) ?? null,
      crisisPlanSealed: (row.crisis_plan_sealed as string | null) ?? null,
      safetyFlagsSealed: (row.safety_flags_sealed as string | null) ?? null,
      ...(options.data
        ? {
            data: {
              identitySealed: (row.identity_sealed as string | null) ?? null,
              contactSealed: (row.contact_sealed as string | null) ?? null,
              housingSealed: (row.housing_sealed as string | null) ?? null,
              healthSignalsSealed: (row.health_signals_sealed as string | null) ?? null,
              referral:
                row.rf_tenant_informed == null
                  ? null
                  : {
                      tenantInformed: row.rf_tenant_informed as string,
                      tenantInformedNoteSealed: (row.rf_tenant_informed_note_sealed as string | null) ?? null,
                      urgency: row.rf_urgency as string,
                      referrerKind: row.rf_referrer_kind as string,
                      referrerPartnerId: row.rf_referrer_partner_id as string,
                      referrerContactSealed: row.rf_referrer_contact_sealed as string,
                    },
              notes: row.notes as NonNullable<CaseRecord['data']>['notes'],
              transitions: row.transitions as NonNullable<CaseRecord['data']>['transitions'],
              contactAttempts: row.contact_attempts as NonNullable<CaseRecord['data']>['contactAttempts'],
              circle: row.circle as NonNullable<CaseRecord['data']>['circle'],
            },
          }
        : {}),
    };
    return {
      subject: {
        type: 'Case',
        id: record.id,
        clientId: record.clientId,
        custodianPartnerId: record.custodianPartnerId,
      },
      record,
      facts: {
        visible: own || Boolean(row.in_any_circle) || grant !== null,
        ownOrganisation: own,
        inCircle: Boolean(row.in_circle),
        aftercare: !own && Boolean(row.aftercare),
        // The holding team needs no agreement with itself.
        ...(own
          ? { agreementInForce: true }
          : { agreement: row.agreement_id ? { id: row.agreement_id as string } : null }),
        consents: row.consents as ConsentFact[],
        grant,
      },
    };
  }
}
