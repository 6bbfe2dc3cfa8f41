import { compact, organisationRef, PURPOSE_SYSTEM, SCHAKEL_FHIR, type FhirResource } from '../common/fhir/bundle.js';

const CONSENT_SCOPE = 'http://terminology.hl7.org/CodeSystem/consentscope';
const LOINC = 'http://loinc.org';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const PARTICIPATION_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

export const DATA_CATEGORY_SYSTEM = `${SCHAKEL_FHIR}/CodeSystem/data-category`;
export const CLIENT_SYSTEM = 'urn:schakel:client';
export const PARTNER_TYPE_SYSTEM = 'urn:schakel:partner-type';
export const CONSENT_EFFECT_EXTENSION = `${SCHAKEL_FHIR}/StructureDefinition/consent-effect`;
export const CONSENT_METHOD_EXTENSION = `${SCHAKEL_FHIR}/StructureDefinition/consent-method`;
export const CONSENT_WITHDRAWN_EXTENSION = `${SCHAKEL_FHIR}/StructureDefinition/consent-withdrawn`;

const CAPACITIES: Record<string, string> = {
  'court-appointed-administrator': 'court-appointed administrator',
  guardian: 'guardian',
  'trusted-person': 'trusted person',
  parent: 'parent',
};

/** The consent as ConsentService shows it to the holding team (only the parts mapped here). */
export interface ConsentFacts {
  id: string;
  clientId: string;
  purposes: string[];
  recipients: { partnerId?: string; partnerType?: string }[];
  categories: string[];
  effect: 'permit' | 'deny' | 'informed-no-objection';
  givenBy: { kind: 'client' | 'legal-representative'; capacity?: string };
  method: string;
  evidence: { sha256: string | null };
  validFrom: string;
  validUntil: string | null;
  withdrawnAt: string | null;
  recordedAt: string;
}

/**
 * A consent or objection as a FHIR R4 Consent. The client is referenced by the gateway's
 * internal id (never a national number or name); a legal representative appears only by
 * capacity, and the evidence only by its hash, so the resource carries no more personal data
 * than the reference itself. `today` (YYYY-MM-DD) decides whether an expired consent is inactive.
 */
export function consentToFhir(consent: ConsentFacts, custodianPartnerId: string, today: string): FhirResource {
  const patient = { type: 'Patient', identifier: { system: CLIENT_SYSTEM, value: consent.clientId } };
  const expired = consent.validUntil !== null && consent.validUntil < today;
  const capacity = consent.givenBy.capacity
    ? (CAPACITIES[consent.givenBy.capacity] ?? consent.givenBy.capacity)
    : undefined;
  return compact({
    resourceType: 'Consent',
    id: consent.id,
    extension: [
      { url: CONSENT_EFFECT_EXTENSION, valueCode: consent.effect },
      { url: CONSENT_METHOD_EXTENSION, valueCode: consent.method },
      consent.withdrawnAt ? { url: CONSENT_WITHDRAWN_EXTENSION, valueDateTime: consent.withdrawnAt } : undefined,
    ],
    status: consent.withdrawnAt || expired ? 'inactive' : 'active',
    scope: { coding: [{ system: CONSENT_SCOPE, code: 'patient-privacy', display: 'Privacy Consent' }] },
    category: [{ coding: [{ system: LOINC, code: '59284-0', display: 'Patient Consent' }] }],
    patient,
    dateTime: consent.recordedAt,
    performer: [
      consent.givenBy.kind === 'client'
        ? patient
        : { type: 'RelatedPerson', display: capacity ? `legal representative (${capacity})` : 'legal representative' },
    ],
    organization: [organisationRef(custodianPartnerId)],
    // FHIR's Attachment.hash is meant as SHA-1; ours is the SHA-256 of the signed document, as the title says.
    sourceAttachment: consent.evidence.sha256
      ? {
          hash: Buffer.from(consent.evidence.sha256, 'hex').toString('base64'),
          title: 'consent evidence (SHA-256 of the signed document)',
        }
      : undefined,
    policyRule: {
      coding: [
        consent.effect === 'permit'
          ? { system: ACT_CODE, code: 'OPTIN', display: 'opt-in' }
          : { system: ACT_CODE, code: 'OPTOUT', display: 'opt-out' },
      ],
      text:
        consent.effect === 'permit' ? 'consent' : consent.effect === 'deny' ? 'objection' : 'informed, no objection',
    },
    provision: {
      // An objection denies; consent and "informed, no objection" permit (the latter only where the network policy accepts it).
      type: consent.effect === 'deny' ? 'deny' : 'permit',
      period: { start: consent.validFrom, end: consent.validUntil },
      actor: consent.recipients.map((recipient) => ({
        role: { coding: [{ system: PARTICIPATION_TYPE, code: 'IRCP', display: 'information recipient' }] },
        reference: recipient.partnerId
          ? organisationRef(recipient.partnerId)
          : {
              type: 'Organization',
              identifier: { system: PARTNER_TYPE_SYSTEM, value: recipient.partnerType },
              display: `any partner of type ${recipient.partnerType}`,
            },
      })),
      purpose: consent.purposes.map((code) => ({ system: PURPOSE_SYSTEM, code })),
      code: consent.categories.map((code) => ({ coding: [{ system: DATA_CATEGORY_SYSTEM, code }] })),
    },
  });
}
