import { describe, expect, it } from '@jest/globals';
import { consentToFhir, type ConsentFacts } from './fhir-consent.js';

const base: ConsentFacts = {
  id: '3b94dc3a-3b6f-473d-83ae-fb06f4d3225b',
  clientId: '108eb62a-7406-4e78-921d-149f97eb76a6',
  purposes: ['duo-follow-up'],
  recipients: [{ partnerType: 'caw' }],
  categories: ['identity'],
  effect: 'informed-no-objection',
  givenBy: { kind: 'legal-representative', capacity: 'trusted-person' },
  method: 'verbal',
  evidence: { sha256: null },
  validFrom: '2025-01-01',
  validUntil: '2025-12-31',
  withdrawnAt: null,
  recordedAt: '2025-01-01T09:00:00.000Z',
};

describe('consentToFhir', () => {
  it('marks a consent inactive once its validity has ended, active on its last day', () => {
    expect(consentToFhir(base, 'demo-team', '2026-01-01').status).toBe('inactive');
    expect(consentToFhir(base, 'demo-team', '2025-12-31').status).toBe('active');
  });

  it('maps "informed, no objection" as a permit under an opt-out rule, and names a representative by capacity only', () => {
    const consent = consentToFhir(
      {
        ...base,
        givenBy: {
          kind: 'legal-representative',
          capacity: 'trusted-person',
          name: 'Jan Janssens',
        } as ConsentFacts['givenBy'],
      },
      'demo-team',
      '2025-06-01',
    );
    expect(consent).toMatchObject({
      provision: { type: 'permit' },
      policyRule: { coding: [{ code: 'OPTOUT' }], text: 'informed, no objection' },
      performer: [{ type: 'RelatedPerson', display: 'legal representative (trusted person)' }],
    });
    expect(JSON.stringify(consent)).not.toContain('Janssens');
    expect(consent).not.toHaveProperty('sourceAttachment');
  });
});
