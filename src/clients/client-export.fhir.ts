import { compact, SCHAKEL_FHIR, type FhirResource } from '../common/fhir/bundle.js';

const RECORD_KIND = `${SCHAKEL_FHIR}/CodeSystem/record-kind`;
const RECORD_EXTENSION = `${SCHAKEL_FHIR}/StructureDefinition/record`;

/**
 * The client's own copy (GDPR art. 20) as a FHIR R4 `Bundle` of type `collection`: the client as
 * a `Patient`, and every record the network keeps about them as a `Basic` resource naming its kind
 * (referral, case, consent) and carrying the record as JSON — machine-readable and complete. A
 * richer mapping (EpisodeOfCare, CarePlan, Consent) can replace the `Basic` ones kind by kind.
 */
export function clientExportBundle(data: {
  clientId: string;
  exportedAt: string;
  identity: Record<string, unknown>;
  contact: Record<string, unknown> | null;
  sections: Record<string, unknown[]>;
}): FhirResource {
  const identity = data.identity as {
    givenName?: string | null;
    familyName?: string | null;
    birthDate?: string | null;
    language?: string | null;
  };
  const contact = (data.contact ?? {}) as {
    phone?: string | null;
    email?: string | null;
    address?: {
      street?: string;
      number?: string;
      box?: string | null;
      postalCode?: string;
      municipality?: string;
    } | null;
  };
  const patient: FhirResource = compact({
    resourceType: 'Patient',
    id: data.clientId,
    name: [{ family: identity.familyName, given: identity.givenName ? [identity.givenName] : [] }],
    birthDate: identity.birthDate,
    telecom: [
      contact.phone ? { system: 'phone', value: contact.phone } : null,
      contact.email ? { system: 'email', value: contact.email } : null,
    ],
    address: contact.address
      ? [
          {
            line: [[contact.address.street, contact.address.number, contact.address.box].filter(Boolean).join(' ')],
            postalCode: contact.address.postalCode,
            city: contact.address.municipality,
            country: 'BE',
          },
        ]
      : [],
    communication: identity.language
      ? [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: identity.language }] } }]
      : [],
  });
  const records = Object.entries(data.sections).flatMap(([kind, items]) =>
    items.map((item, i): FhirResource => ({
      resourceType: 'Basic',
      id: `${kind}-${(item as { id?: string }).id ?? i}`.slice(0, 64),
      code: { coding: [{ system: RECORD_KIND, code: kind.replace(/s$/, '') }] },
      subject: { reference: `Patient/${data.clientId}` },
      extension: [{ url: RECORD_EXTENSION, valueString: JSON.stringify(item) }],
    })),
  );
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: data.exportedAt,
    entry: [patient, ...records].map((resource) => ({
      fullUrl: `urn:uuid:${resource.resourceType === 'Patient' ? data.clientId : String(resource.id)}`,
      resource,
    })),
  };
}
