import { createHash } from 'node:crypto';
import { canonicalJson } from '../common/canonical-json.js';
import type { AccessLogEntry } from './access-log.entities.js';

/** The hash of the empty chain: what the first link points back to. */
export const GENESIS_HASH = '0'.repeat(64);

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The fields format 2 added; an entry of format 1 (or an export made before them) may lack them. */
type Format2Fields = 'format' | 'consentIds' | 'agreementId' | 'ground' | 'categories' | 'grantId';

/** The content of an entry that its hash covers: everything but the database's own counters. */
export type EntryContent = Omit<AccessLogEntry, 'seq' | 'entryHash' | Format2Fields> &
  Partial<Pick<AccessLogEntry, Format2Fields>>;

/**
 * What the hash covers, by entry format. Format 1 is frozen: its entries (and exports of them)
 * keep verifying. Format 2 adds what the decision relied on — every consent, the agreement, the
 * ground, the categories and the break-the-glass grant — so none can be changed unseen.
 */
export function entryContent(entry: EntryContent): Record<string, unknown> {
  const format = entry.format ?? 1;
  if (format === 1) return formatOneContent(entry);
  if (format !== 2) throw new Error(`unknown access-log entry format ${String(format)}`);
  // Format 2's own fields added to format 1's object (one object; no spread copies it per access).
  const content = formatOneContent(entry);
  content.format = 2;
  content.consentIds = entry.consentIds ?? [];
  content.agreementId = entry.agreementId ?? null;
  content.ground = entry.ground ?? null;
  content.categories = entry.categories ?? [];
  content.grantId = entry.grantId ?? null;
  return content;
}

function formatOneContent(entry: EntryContent): Record<string, unknown> {
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
