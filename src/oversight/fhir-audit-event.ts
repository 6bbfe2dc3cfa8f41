import { compact, organisationRef, PURPOSE_SYSTEM, SCHAKEL_FHIR, type FhirResource } from '../common/fhir/bundle.js';
import type { AccessLogEntryView } from './dto/access-log.dto.js';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const PARTICIPATION_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';

export const ACTION_SYSTEM = `${SCHAKEL_FHIR}/CodeSystem/action`;
export const ROLE_SYSTEM = `${SCHAKEL_FHIR}/CodeSystem/role`;
export const PROFESSION_SYSTEM = `${SCHAKEL_FHIR}/CodeSystem/profession`;
export const ACCESS_LOG_EXTENSION = `${SCHAKEL_FHIR}/StructureDefinition/access-log-entry`;
export const CLIENT_PSEUDONYM_SYSTEM = 'urn:schakel:client-pseudonym';

/** AuditEvent.action has five codes; our finer action survives in `subtype`. */
const ACTION_CODES: Record<string, 'C' | 'R' | 'U' | 'D'> = {
  create: 'C',
  read: 'R',
  update: 'U',
  decide: 'U',
  merge: 'U',
  unmerge: 'U',
  delete: 'D',
};

const entityType = (code: string, display: string) => ({ system: ENTITY_TYPE, code, display });

/**
 * One access-log entry as a FHIR R4 AuditEvent. The log holds no personal data (users by token
 * `sub`, clients by keyed pseudonym), and the mapping adds none. Chain position and hashes are
 * carried in an extension so an AuditEvent can be matched back to the verifiable NDJSON export.
 */
export function auditEventFromEntry(entry: AccessLogEntryView): FhirResource {
  return compact({
    resourceType: 'AuditEvent',
    id: entry.id,
    extension: [
      {
        url: ACCESS_LOG_EXTENSION,
        extension: [
          { url: 'requestId', valueString: entry.requestId },
          { url: 'ruleId', valueString: entry.ruleId },
          { url: 'policyVersion', valueString: entry.policyVersion },
          { url: 'entryHash', valueString: entry.entryHash },
          { url: 'chainPosition', valueString: entry.link?.position },
          { url: 'prevHash', valueString: entry.link?.prevHash },
          { url: 'chainHash', valueString: entry.link?.hash },
        ].filter((e) => e.valueString),
      },
    ],
    type: entry.clientRef
      ? { system: DCM, code: '110110', display: 'Patient Record' }
      : { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: ACTION_SYSTEM, code: entry.action }],
    action: ACTION_CODES[entry.action] ?? 'E',
    recorded: entry.occurredAt,
    // '4' = minor failure: the request was refused, nothing was disclosed.
    outcome: entry.decision === 'permit' ? '0' : '4',
    outcomeDesc: entry.reason,
    purposeOfEvent: [{ coding: [{ system: PURPOSE_SYSTEM, code: entry.purpose }], text: entry.legalBasis }],
    agent: [
      {
        type: entry.profession ? { coding: [{ system: PROFESSION_SYSTEM, code: entry.profession }] } : undefined,
        role: entry.roles.map((role) => ({ coding: [{ system: ROLE_SYSTEM, code: role }] })),
        // The token's sub is all we know of the user; the display says whose user it is, never a name.
        who: {
          identifier: { system: `urn:schakel:partner:${entry.partnerId}:user`, value: entry.userSub },
          display: `user of partner ${entry.partnerId}`,
        },
        requestor: true,
        purposeOfUse: entry.override
          ? [
              {
                coding: [{ system: ACT_REASON, code: 'BTG', display: 'break the glass' }],
                text: 'break-the-glass access',
              },
            ]
          : undefined,
      },
      { who: { ...organisationRef(entry.partnerId), display: 'organisation the user acts for' }, requestor: false },
      entry.custodianPartnerId
        ? {
            type: { coding: [{ system: PARTICIPATION_TYPE, code: 'CST', display: 'custodian' }] },
            who: organisationRef(entry.custodianPartnerId),
            requestor: false,
          }
        : undefined,
    ],
    source: {
      site: 'schakel',
      observer: {
        type: 'Device',
        identifier: { system: 'urn:schakel', value: 'schakel-gateway' },
        display: 'schakel gateway',
      },
      type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }],
    },
    entity: [
      {
        what: {
          reference: entry.resourceType === 'Consent' && entry.resourceId ? `Consent/${entry.resourceId}` : undefined,
          identifier: {
            type: { text: entry.resourceType },
            system: `urn:schakel:resource:${entry.resourceType}`,
            value: entry.resourceId,
          },
        },
        type: entityType('2', 'System Object'),
        role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
        // The disclosure manifest: which fields left, and a hash over their values (not the values).
        detail: [
          entry.fields.length ? { type: 'fields', valueString: entry.fields.join(',') } : undefined,
          entry.disclosureSha256 ? { type: 'disclosure-sha256', valueString: entry.disclosureSha256 } : undefined,
        ],
      },
      entry.clientRef
        ? {
            what: { identifier: { system: CLIENT_PSEUDONYM_SYSTEM, value: entry.clientRef } },
            type: entityType('1', 'Person'),
            role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
          }
        : undefined,
      // Every consent the decision relied on (none where no rule required consent).
      ...entry.consentIds
        .filter((id) => !(entry.resourceType === 'Consent' && entry.resourceId === id))
        .map((id) => ({
          what: { reference: `Consent/${id}` },
          type: entityType('2', 'System Object'),
          role: { system: OBJECT_ROLE, code: '13', display: 'Security Resource' },
          description: 'consent relied on',
        })),
    ],
  });
}
