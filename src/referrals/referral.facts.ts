import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { preparedQuery } from '../database/transaction.js';
import type { AccessContext } from '../access/access-context.js';
import type { RecordFacts, SubjectRef } from '../access/decision.js';
import type { FactSql } from '../policies/policy-scope.js';
import type { Referral } from './referral.entity.js';

export interface ReferralRecord {
  referral: Referral;
  /** The client's sealed fields, loaded with the referral (opened only for granted categories). */
  client: {
    identitySealed: string | null;
    contactSealed: string | null;
    nationalNumberSealed: string | null;
    nationalNumberIndex: string | null;
  } | null;
}

export interface LoadedReferral {
  subject: SubjectRef & { type: 'Referral' };
  record: ReferralRecord | null;
  facts: RecordFacts;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The facts of a referral for this caller (party to it or not), with the referral and its client: one statement. */
@Injectable()
export class ReferralFacts {
  async load(
    manager: EntityManager,
    context: AccessContext,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<LoadedReferral> {
    const rows: Record<string, unknown>[] = UUID.test(id)
      ? await preparedQuery(
          manager,
          `WITH r AS (SELECT * FROM referral WHERE id = $1${options.lock ? ' FOR UPDATE' : ''})
           SELECT r.*, c.identity_sealed, c.contact_sealed, c.national_number_sealed, c.national_number_index
             FROM r LEFT JOIN client c ON c.id = r.client_id`,
          [id],
        )
      : [];
    const row = rows[0];
    if (!row) return { subject: { type: 'Referral', id }, record: null, facts: { visible: false } };
    const referral = toReferral(row);
    const me = context.principal.partnerId;
    const party = referral.referrerPartnerId === me || referral.targetPartnerId === me;
    return {
      subject: {
        type: 'Referral',
        id: referral.id,
        clientId: referral.clientId,
        custodianPartnerId: referral.targetPartnerId,
      },
      record: {
        referral,
        client:
          row.identity_sealed === undefined
            ? null
            : {
                identitySealed: (row.identity_sealed as string | null) ?? null,
                contactSealed: (row.contact_sealed as string | null) ?? null,
                nationalNumberSealed: (row.national_number_sealed as string | null) ?? null,
                nationalNumberIndex: (row.national_number_index as string | null) ?? null,
              },
      },
      facts: { visible: party, ownOrganisation: party, tenantInformed: referral.tenantInformed },
    };
  }

  /** Who a referral concerns and who received it, for a refusal logged before any decision. */
  async subjectOf(manager: EntityManager, id: string): Promise<SubjectRef | null> {
    if (!UUID.test(id)) return null;
    const rows: { id: string; client_id: string; target_partner_id: string }[] = await manager.query(
      'SELECT id, client_id, target_partner_id FROM referral WHERE id = $1',
      [id],
    );
    return rows[0]
      ? { type: 'Referral', id: rows[0].id, clientId: rows[0].client_id, custodianPartnerId: rows[0].target_partner_id }
      : null;
  }

  /** The policy's facts of a referral row (alias `r`) for this caller, for list scopes. */
  factSql(context: AccessContext): FactSql {
    const me = context.principal.partnerId;
    return {
      ownOrganisation: (_c, bind) => `(r.referrer_partner_id = ${bind(me)} OR r.target_partner_id = ${bind(me)})`,
      tenantInformed: () => 'r.tenant_informed',
    };
  }
}

function toReferral(row: Record<string, unknown>): Referral {
  return {
    id: row.id,
    clientId: row.client_id,
    referrerPartnerId: row.referrer_partner_id,
    referrerUser: row.referrer_user,
    referrerKind: row.referrer_kind,
    targetPartnerId: row.target_partner_id,
    status: row.status,
    housingSealed: row.housing_sealed,
    healthSignalsSealed: row.health_signals_sealed,
    descriptionSealed: row.description_sealed,
    tenantInformed: row.tenant_informed,
    tenantInformedNoteSealed: row.tenant_informed_note_sealed,
    urgency: row.urgency,
    referrerContactSealed: row.referrer_contact_sealed,
    knownClient: row.known_client,
    decisionReasonSealed: row.decision_reason_sealed,
    redirectedTo: row.redirected_to,
    redirectedToPartnerId: row.redirected_to_partner_id,
    reasonCode: row.reason_code,
    decidedAt: row.decided_at,
    caseId: row.case_id,
    contactEstablished: row.contact_established,
    externalReference: row.external_reference,
    caseClosedAt: row.case_closed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  } as Referral;
}
