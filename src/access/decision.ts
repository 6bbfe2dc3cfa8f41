import type { RuleReference } from '../policies/policy-engine.js';

/** The kinds of resource the policy knows (rules.yaml `subject`); anything else is refused. */
export const SUBJECT_TYPES = [
  'Partner',
  'Agreement',
  'Referral',
  'Case',
  'CarePlan',
  'CrisisPlan',
  'ContactAttempt',
  'CircleMember',
  'Consent',
  'InformationRequest',
  'Disclosure',
  'AccessLogEntry',
  'Review',
  'Statistics',
  'Policy',
  'ClientAccessReport',
  'AccessLogReceipt',
  'Client',
  'EmergencyAccess',
  'Notification',
  'ClientIdentity',
  'ClientData',
] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** Which record an access is about, as far as it is known: its id, its client and who holds it. */
export interface SubjectRef {
  type: SubjectType;
  id?: string | null;
  clientId?: string | null;
  /** The organisation that holds the client's case: its privacy officer sees every access to it. */
  custodianPartnerId?: string | null;
}

/** A consent record in force for this recipient and purpose (loaded with the record, rows locked). */
export interface ConsentFact {
  id: string;
  effect: 'permit' | 'deny' | 'informed-no-objection';
  categories: string[];
}

/**
 * The facts of one record the policy decides on, loaded by the capability that owns the record
 * (`<capability>/<x>.facts.ts`), together with the record, in as few statements as possible.
 */
export interface RecordFacts {
  /** The caller may learn that the record exists (else every refusal reads "not found"). */
  visible: boolean;
  ownOrganisation?: boolean;
  inCircle?: boolean;
  /** The cooperation agreement in force between the caller and the holder for this purpose. */
  agreement?: { id: string } | null;
  /** For facts without a single agreement row (the holder itself): the agreement fact as such. */
  agreementInForce?: boolean;
  tenantInformed?: 'yes' | 'no' | 'refused';
  /** This user's unexpired break-the-glass grant, with its review item. */
  grant?: { id: string; reviewItemId: string | null } | null;
  aftercare?: boolean;
  /** A review item: the caller's organisation is the office that judges it. */
  responsibleOffice?: boolean;
  consents?: ConsentFact[];
  /** The case coordinator approved the information request this access discloses under. */
  reviewApproved?: boolean;
}

export interface WithheldCategory {
  category: string;
  reason: string;
  /** What would be needed for it to be permitted. */
  missing: string[];
}

/**
 * A decision, computed once, as a value: everything the access log, the disclosure manifest and
 * the client's report say is derived from it. `granted` never holds a category whose rule waits
 * for the coordinator's judgement (a pending outcome grants nothing, on every route).
 */
export interface Decision {
  effect: 'permit' | 'deny' | 'pending';
  action: string;
  purpose: string;
  subject: SubjectRef;
  /** The rule that decided (the first granting rule, or the refusing one). */
  rule: RuleReference | null;
  /** Per granted category, the rule that granted it (null category: a resource without categories). */
  grants: { category: string | null; ruleId: string; consentIds: string[] }[];
  granted: string[];
  grantedFields: string[];
  /** Categories the policy would grant once the case coordinator approves (withheld until then). */
  pendingCategories: string[];
  withheld: WithheldCategory[];
  /** The one ground relied on for what was granted; null when none is stated. */
  ground: string | null;
  consentIds: string[];
  agreementId: string | null;
  grantId: string | null;
  reviewItemId: string | null;
  override: boolean;
  /** Categories the policy would grant once the coordinator approves. */
  reviewOutstanding: boolean;
  visible: boolean;
  policyVersion: string;
}
