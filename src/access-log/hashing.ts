import { createHash } from 'node:crypto';
import { canonicalJson } from '../common/canonical-json.js';
import type { AccessLogEntry } from './access-log.entities.js';

/** The hash of the empty chain: what the first link points back to. */
export const GENESIS_HASH = '0'.repeat(64);

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The content of an entry that its hash covers: everything but the database's own counters. */
export type EntryContent = Omit<AccessLogEntry, 'seq' | 'entryHash'>;

export function entryContent(entry: EntryContent): Record<string, unknown> {
  return {
    id: entry.id,
    occurredAt: new Date(entry.occurredAt).toISOString(),
    requestId: entry.requestId,
    partnerId: entry.partnerId,
    userSub: entry.userSub,
    roles: entry.roles,
    profession: entry.profession,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    clientRef: entry.clientRef,
    custodianPartnerId: entry.custodianPartnerId,
    purpose: entry.purpose,
    legalBasis: entry.legalBasis,
    consentId: entry.consentId,
    decision: entry.decision,
    reason: entry.reason,
    ruleId: entry.ruleId,
    fields: entry.fields,
    disclosureSha256: entry.disclosureSha256,
    override: entry.override,
    policyVersion: entry.policyVersion,
  };
}

export function entryHash(entry: EntryContent): string {
  return sha256(canonicalJson(entryContent(entry)));
}

export function linkHash(position: string | number | bigint, prevHash: string, hashOfEntry: string): string {
  return sha256(`${String(position)}|${prevHash}|${hashOfEntry}`);
}

/** What left the gateway: field names, and a hash over their values (the values are not kept). */
export function disclosureManifest(disclosed: Record<string, unknown>): { fields: string[]; sha256: string } {
  return { fields: Object.keys(disclosed).sort(), sha256: sha256(canonicalJson(disclosed)) };
}
