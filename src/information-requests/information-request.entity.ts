import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A partner service asks for case information, for a purpose; the policy (and maybe the coordinator) decides. */
@Entity({ name: 'information_request' })
@Index('information_request_case_idx', ['caseId', 'createdAt'])
@Index('information_request_pending_idx', ['decision', 'createdAt'])
export class InformationRequest {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @Column({ name: 'requester_partner_id', type: 'varchar', length: 64 })
  requesterPartnerId!: string;

  @Column({ name: 'requester_user', type: 'varchar', length: 200 })
  requesterUser!: string;

  @Column({ type: 'varchar', length: 64 })
  purpose!: string;

  @Column({ type: 'text', array: true })
  categories!: string[];

  @Column({ name: 'justification_sealed', type: 'text' })
  justificationSealed!: string;

  @Column({ type: 'varchar', length: 10 })
  decision!: 'permit' | 'deny' | 'pending';

  @Column({ name: 'permitted_categories', type: 'text', array: true, default: () => "'{}'" })
  permittedCategories!: string[];

  @Column({ type: 'varchar', length: 300, nullable: true })
  basis!: string | null;

  @Column({ name: 'rule_id', type: 'varchar', length: 120, nullable: true })
  ruleId!: string | null;

  @Column({ type: 'varchar', length: 1000 })
  reason!: string;

  @Column({ name: 'consent_id', type: 'uuid', nullable: true })
  consentId!: string | null;

  @Column({ name: 'reviewed_by', type: 'varchar', length: 200, nullable: true })
  reviewedBy!: string | null;

  @Column({ name: 'review_note_sealed', type: 'text', nullable: true })
  reviewNoteSealed!: string | null;

  @Column({ name: 'reviewed_at', type: 'timestamptz', nullable: true })
  reviewedAt!: Date | null;

  @Column({ name: 'disclosed_at', type: 'timestamptz', nullable: true })
  disclosedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
