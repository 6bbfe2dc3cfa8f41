import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const CASE_STATUSES = ['referred', 'outreach', 'intake', 'active', 'waiting-list', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
/** `linked-to-care`: closed because regular care (GP, mental-health service, home care, ...) took over the follow-up (toeleiding). */
export const END_REASONS = [
  'mutual-agreement',
  'linked-to-care',
  'client-stopped',
  'team-stopped',
  'no-contact',
  'eviction',
  'forced-admission',
  'moved',
  'deceased',
  'other',
] as const;

/** The follow-up ("begeleiding") of a client by the team that accepted the referral. */
@Entity({ name: 'care_case' })
export class CareCase {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('care_case_client_idx')
  @Column({ name: 'client_id', type: 'uuid' })
  clientId!: string;

  @Index('care_case_custodian_idx')
  @Column({ name: 'custodian_partner_id', type: 'varchar', length: 64 })
  custodianPartnerId!: string;

  @Column({ name: 'referral_id', type: 'uuid', nullable: true })
  referralId!: string | null;

  @Column({ type: 'varchar', length: 20 })
  status!: CaseStatus;

  @Column({ name: 'end_reason', type: 'varchar', length: 30, nullable: true })
  endReason!: string | null;

  /** Sealed JSON: goals and interventions per life domain. */
  @Column({ name: 'care_plan_sealed', type: 'text', nullable: true })
  carePlanSealed!: string | null;

  @Column({ name: 'crisis_plan_sealed', type: 'text', nullable: true })
  crisisPlanSealed!: string | null;

  /** Sealed JSON list of safety flags (e.g. aggression risk) for staff on home visits. */
  @Column({ name: 'safety_flags_sealed', type: 'text', nullable: true })
  safetyFlagsSealed!: string | null;

  @CreateDateColumn({ name: 'opened_at', type: 'timestamptz' })
  openedAt!: Date;
}

/** Each step of the life cycle, dated and attributed. */
@Entity({ name: 'case_transition' })
@Index('case_transition_case_idx', ['caseId', 'at'])
export class CaseTransition {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @Column({ name: 'from_status', type: 'varchar', length: 20 })
  fromStatus!: string;

  @Column({ name: 'to_status', type: 'varchar', length: 20 })
  toStatus!: string;

  @Column({ name: 'end_reason', type: 'varchar', length: 30, nullable: true })
  endReason!: string | null;

  @Column({ name: 'reason_sealed', type: 'text', nullable: true })
  reasonSealed!: string | null;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  @Column({ name: 'user_sub', type: 'varchar', length: 200 })
  userSub!: string;
}

export const CONTACT_CHANNELS = ['home-visit', 'phone', 'letter', 'e-mail', 'via-network', 'street'] as const;
export const CONTACT_OUTCOMES = ['no-answer', 'contact', 'refused'] as const;

/** An attempt to reach a client who avoids care; about one in ten is never reached. */
@Entity({ name: 'contact_attempt' })
@Index('contact_attempt_case_idx', ['caseId', 'at'])
export class ContactAttempt {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'varchar', length: 20 })
  channel!: string;

  @Column({ type: 'varchar', length: 20 })
  outcome!: string;

  /** via-network: whether the client knows the team asks their network (open question 3); null otherwise. */
  @Column({ name: 'client_knows', type: 'boolean', nullable: true })
  clientKnows!: boolean | null;

  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  @Column({ name: 'user_sub', type: 'varchar', length: 200 })
  userSub!: string;
}

/** A partner sharing professional secrecy about this client, for named purposes. */
@Entity({ name: 'circle_member' })
@Index('circle_member_case_idx', ['caseId'])
export class CircleMember {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @Index('circle_member_partner_idx')
  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  @Column({ type: 'text', array: true })
  purposes!: string[];

  /** The named responsible professional (token sub of the custodian team), when this is the custodian. */
  @Column({ name: 'responsible_professional', type: 'varchar', length: 200, nullable: true })
  responsibleProfessional!: string | null;

  /** The profession of the professional who follows the client at this partner, when named (checked at adding). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  profession!: string | null;

  @CreateDateColumn({ name: 'added_at', type: 'timestamptz' })
  addedAt!: Date;

  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt!: Date | null;

  /** Set on the previous holding team at a warm handover: it keeps reading until then. */
  @Column({ name: 'aftercare_until', type: 'timestamptz', nullable: true })
  aftercareUntil!: Date | null;
}

/** A free-text note, tagged with the data category it belongs to; shown only where that category is permitted. */
@Entity({ name: 'case_note' })
@Index('case_note_case_idx', ['caseId', 'at'])
export class CaseNote {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @Column({ type: 'varchar', length: 30 })
  category!: string;

  @Column({ name: 'text_sealed', type: 'text' })
  textSealed!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  @Column({ name: 'user_sub', type: 'varchar', length: 200 })
  userSub!: string;
}
