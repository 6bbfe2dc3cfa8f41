import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const REFERRAL_STATUSES = ['submitted', 'accepted', 'redirected', 'declined'] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];
/** Who referred: a signed-in partner, or a person the receiving team registers the referral for. */
export const REFERRER_KINDS = ['organisation', 'self', 'family', 'other-person'] as const;
export type ReferrerKind = (typeof REFERRER_KINDS)[number];

/** A housing partner's (or OCMW's, GP's) referral of a tenant to an outreach team or joint referral point. */
@Entity({ name: 'referral' })
@Index('referral_referrer_idx', ['referrerPartnerId', 'createdAt'])
@Index('referral_target_idx', ['targetPartnerId', 'createdAt'])
@Index('referral_reference_idx', ['referrerPartnerId', 'externalReference'])
export class Referral {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'client_id', type: 'uuid' })
  clientId!: string;

  @Column({ name: 'referrer_partner_id', type: 'varchar', length: 64 })
  referrerPartnerId!: string;

  /** The referring user (token sub), so the referrer's own follow-up can be attributed. */
  @Column({ name: 'referrer_user', type: 'varchar', length: 200 })
  referrerUser!: string;

  /** `organisation`: the referrer partner referred; otherwise the team registered it for that person. */
  @Column({ name: 'referrer_kind', type: 'varchar', length: 20, default: 'organisation' })
  referrerKind!: ReferrerKind;

  @Column({ name: 'target_partner_id', type: 'varchar', length: 64 })
  targetPartnerId!: string;

  @Column({ type: 'varchar', length: 20 })
  status!: ReferralStatus;

  /** Sealed JSON of the housing category: signals, evictionStage, address observations. */
  @Column({ name: 'housing_sealed', type: 'text' })
  housingSealed!: string;

  /** Sealed JSON list of the clinical signals observed (health category, art. 9): write-only for the referrer. */
  @Column({ name: 'health_signals_sealed', type: 'text', nullable: true })
  healthSignalsSealed!: string | null;

  /** Sealed free-text description (narrative). */
  @Column({ name: 'description_sealed', type: 'text', nullable: true })
  descriptionSealed!: string | null;

  @Column({ name: 'tenant_informed', type: 'varchar', length: 10 })
  tenantInformed!: 'yes' | 'no' | 'refused';

  @Column({ name: 'tenant_informed_note_sealed', type: 'text', nullable: true })
  tenantInformedNoteSealed!: string | null;

  @Column({ type: 'varchar', length: 10 })
  urgency!: 'normal' | 'high';

  /** Sealed JSON: the referrer's contact person (name, phone, email). */
  @Column({ name: 'referrer_contact_sealed', type: 'text' })
  referrerContactSealed!: string;

  /** Whether the receiving team already knew this client (blind-index match); shown to that team only. */
  @Column({ name: 'known_client', type: 'boolean', default: false })
  knownClient!: boolean;

  @Column({ name: 'decision_reason_sealed', type: 'text', nullable: true })
  decisionReasonSealed!: string | null;

  @Column({ name: 'redirected_to', type: 'varchar', length: 300, nullable: true })
  redirectedTo!: string | null;

  /** Why it was redirected or declined: a code from policies/referral-reasons.yaml (what the referrer reads). */
  @Column({ name: 'reason_code', type: 'varchar', length: 64, nullable: true })
  reasonCode!: string | null;

  /** The registered partner the team advised instead (a redirect), when it is one. */
  @Column({ name: 'redirected_to_partner_id', type: 'varchar', length: 64, nullable: true })
  redirectedToPartnerId!: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  @Column({ name: 'case_id', type: 'uuid', nullable: true })
  caseId!: string | null;

  /** The referrer's own reference (its file number), so it can tell its referrals apart. */
  @Column({ name: 'external_reference', type: 'varchar', length: 100, nullable: true })
  externalReference!: string | null;

  /** When the case this referral opened was closed (what flows back: the date, never the end reason). */
  @Column({ name: 'case_closed_at', type: 'timestamptz', nullable: true })
  caseClosedAt!: Date | null;

  @Column({ name: 'contact_established', type: 'boolean', default: false })
  contactEstablished!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
