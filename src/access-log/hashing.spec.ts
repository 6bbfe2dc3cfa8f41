import { describe, expect, it } from '@jest/globals';
import { disclosureManifest, entryHash, GENESIS_HASH, linkHash, type EntryContent } from './hashing.js';

const entry: EntryContent = {
  id: '5b0c7d1e-8a44-4c56-9d0e-6a1f0f2b3c4d',
  occurredAt: new Date('2026-11-22T10:00:00Z'),
  requestId: 'r1',
  partnerId: 'demo-caw',
  userSub: 'u1',
  roles: ['caseworker'],
  profession: 'social-worker',
  action: 'read',
  resourceType: 'Case',
  resourceId: 'c1',
  clientRef: 'a'.repeat(64),
  custodianPartnerId: 'demo-outreach',
  purpose: 'duo-follow-up',
  legalBasis: 'consent',
  consentId: null,
  decision: 'permit',
  reason: 'rule caw-reads-housing',
  ruleId: 'caw-reads-housing',
  fields: ['housing'],
  disclosureSha256: null,
  override: false,
  policyVersion: 'v1',
};

/** The same entry as format 2 records it: what the decision relied on, in its own fields. */
const v2: EntryContent = {
  ...entry,
  legalBasis: null,
  format: 2,
  consentIds: ['c1', 'c2'],
  agreementId: 'a1',
  ground: 'GDPR art. 6(1)(a)',
  categories: ['housing'],
  grantId: null,
};

describe('access-log hashing', () => {
  it('changes the entry hash when any recorded fact changes', () => {
    const base = entryHash(entry);
    expect(entryHash({ ...entry })).toBe(base);
    for (const change of [
      { decision: 'deny' as const },
      { fields: ['housing', 'health'] },
      { purpose: 'crisis' },
      { override: true },
      { occurredAt: new Date('2026-11-22T10:00:01Z') },
    ]) {
      expect(entryHash({ ...entry, ...change })).not.toBe(base);
    }
  });

  it('keeps format-1 hashes as they were, and hashes what a format-2 entry relied on', () => {
    // A format-1 entry hashes the same whether or not the format-2 columns are present (exports made before them).
    const v1 = entryHash(entry);
    expect(entryHash({ ...entry, format: 1, consentIds: ['x'], ground: 'g', categories: ['health'] })).toBe(v1);
    const base = entryHash(v2);
    expect(base).not.toBe(v1);
    for (const change of [
      { consentIds: ['c1'] },
      { agreementId: null },
      { ground: 'GDPR art. 6(1)(e)' },
      { categories: ['housing', 'health'] },
      { grantId: 'g1' },
    ]) {
      expect(entryHash({ ...v2, ...change })).not.toBe(base);
    }
    expect(() => entryHash({ ...v2, format: 3 })).toThrow(/format 3/);
  });

  it('hashes entries exactly as entries already in logs were hashed (fixed values)', () => {
    expect(entryHash(entry)).toBe('131edc71c8f10da73ae8bba6e2e099b4cafc4f2a9b26d79988485a4ef6ff20a2');
    expect(entryHash(v2)).toBe('46f58c36495e4eca81ccd167d2b48dac5e89029998f7ec376bb7ad7f7ee061b2');
    // Format-2 columns an export made before them lacks hash as their defaults.
    expect(entryHash({ ...v2, consentIds: undefined, categories: undefined, agreementId: undefined })).toBe(
      '4ea8c70611a67992fe4d179f2ce17d5ec80c91dcfe27d01ff81ea5f789f3ff74',
    );
  });

  it('ties each link to its position and predecessor, so reordering breaks the chain', () => {
    const h = entryHash(entry);
    expect(linkHash(1, GENESIS_HASH, h)).not.toBe(linkHash(2, GENESIS_HASH, h));
    expect(linkHash(1, GENESIS_HASH, h)).not.toBe(linkHash(1, 'f'.repeat(64), h));
  });

  it('proves what was disclosed without keeping it: names plus a key-order-independent hash', () => {
    const a = disclosureManifest({ phone: '+32', address: { street: 'Kerkstraat' } });
    const b = disclosureManifest({ address: { street: 'Kerkstraat' }, phone: '+32' });
    expect(a).toEqual(b);
    expect(a.fields).toEqual(['address', 'phone']);
    expect(disclosureManifest({ phone: '+33', address: { street: 'Kerkstraat' } }).sha256).not.toBe(a.sha256);
  });
});
