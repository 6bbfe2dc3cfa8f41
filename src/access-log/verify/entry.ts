import { hash as oneShot } from 'node:crypto';
import type { EntryContent } from '../hashing.js';

/** The keys an entry's hash covers, by format, in sorted order (as canonical JSON orders them). */
const FORMAT_ONE = [
  'action',
  'clientRef',
  'consentId',
  'custodianPartnerId',
  'decision',
  'disclosureSha256',
  'fields',
  'id',
  'legalBasis',
  'occurredAt',
  'override',
  'partnerId',
  'policyVersion',
  'profession',
  'purpose',
  'reason',
  'requestId',
  'resourceId',
  'resourceType',
  'roles',
  'ruleId',
  'userSub',
] as const;
const FORMAT_TWO_DEFAULTS: Record<string, unknown> = {
  agreementId: null,
  categories: [],
  consentIds: [],
  grantId: null,
  ground: null,
};
const FORMAT_TWO = [...FORMAT_ONE, 'format', ...Object.keys(FORMAT_TWO_DEFAULTS)].sort();
const PREFIX_ONE = FORMAT_ONE.map((key) => `${JSON.stringify(key)}:`);
const PREFIX_TWO = FORMAT_TWO.map((key) => `${JSON.stringify(key)}:`);
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function instant(value: unknown): string {
  // An instant already in canonical form hashes as it is (what was hashed was exactly such a string).
  return typeof value === 'string' && ISO_INSTANT.test(value) ? value : new Date(value as string).toISOString();
}

/**
 * The canonical JSON of an entry: byte for byte what `canonicalJson(entryContent(entry))` writes
 * (src/access-log/hashing.ts, the definition), written directly from the sorted key lists, with
 * no intermediate objects — whole-log verification runs this for every entry.
 */
export function canonicalEntry(entry: EntryContent): string {
  const format = entry.format ?? 1;
  if (format !== 1 && format !== 2) throw new Error(`unknown access-log entry format ${String(format)}`);
  const keys: readonly string[] = format === 1 ? FORMAT_ONE : FORMAT_TWO;
  const prefixes = format === 1 ? PREFIX_ONE : PREFIX_TWO;
  const record = entry as unknown as Record<string, unknown>;
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    let value: unknown;
    if (key === 'occurredAt') value = instant(record.occurredAt);
    else if (key === 'format') value = 2;
    else {
      value = record[key];
      if (format === 2 && (value === undefined || value === null) && key in FORMAT_TWO_DEFAULTS)
        value = FORMAT_TWO_DEFAULTS[key];
      if (value === undefined) continue;
    }
    out += `${out.length > 1 ? ',' : ''}${prefixes[i]}${JSON.stringify(value)}`;
  }
  return `${out}}`;
}

/** SHA-256 (hex) of the canonical entry: the hash the chain links. */
export function contentHash(entry: EntryContent): string {
  return oneShot('sha256', canonicalEntry(entry), 'hex');
}

/** The link hash of chain position n: SHA-256(n | previous link hash | entry hash). */
export function chainLinkHash(position: string | number | bigint, prevHash: string, hashOfEntry: string): string {
  return oneShot('sha256', `${String(position)}|${prevHash}|${hashOfEntry}`, 'hex');
}
