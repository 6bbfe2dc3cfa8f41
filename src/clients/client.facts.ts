import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AccessContext } from '../access/access-context.js';
import type { RecordFacts, SubjectRef, SubjectType } from '../access/decision.js';

export interface LoadedClient {
  subject: SubjectRef;
  record: { id: string; custodianPartnerId: string; mergedInto: string | null } | null;
  facts: RecordFacts;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The facts of a client record for an access to something that belongs to the client as a whole
 * (consents, the access report, merges): who holds it. One statement.
 */
@Injectable()
export class ClientFacts {
  /** Who a client record is held by, for a refusal logged before any decision. */
  async subjectOf(manager: EntityManager, clientId: string, as: SubjectType): Promise<SubjectRef | null> {
    if (!UUID.test(clientId)) return null;
    const rows: { id: string; custodian_partner_id: string }[] = await manager.query(
      'SELECT id, custodian_partner_id FROM client WHERE id = $1',
      [clientId],
    );
    return rows[0]
      ? { type: as, id: rows[0].id, clientId: rows[0].id, custodianPartnerId: rows[0].custodian_partner_id }
      : null;
  }

  async load(manager: EntityManager, context: AccessContext, clientId: string, as: SubjectType): Promise<LoadedClient> {
    const rows: { id: string; custodian_partner_id: string; merged_into: string | null }[] = UUID.test(clientId)
      ? await manager.query('SELECT id, custodian_partner_id, merged_into FROM client WHERE id = $1', [clientId])
      : [];
    const row = rows[0];
    if (!row) return { subject: { type: as, id: clientId }, record: null, facts: { visible: false } };
    const own = row.custodian_partner_id === context.principal.partnerId;
    return {
      subject: { type: as, id: row.id, clientId: row.id, custodianPartnerId: row.custodian_partner_id },
      record: { id: row.id, custodianPartnerId: row.custodian_partner_id, mergedInto: row.merged_into },
      facts: { visible: own, ownOrganisation: own },
    };
  }
}
