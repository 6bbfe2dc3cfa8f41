import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A cooperation agreement (samenwerkingsovereenkomst / engagementsverklaring) between two or
 * more partners for a list of purposes. No referral and no sharing happens without one in force.
 */
@Entity({ name: 'agreement' })
export class Agreement {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 300 })
  title!: string;

  @Column({ type: 'text', array: true })
  purposes!: string[];

  @Column({ name: 'valid_from', type: 'date' })
  validFrom!: string;

  @Column({ name: 'valid_until', type: 'date', nullable: true })
  validUntil!: string | null;

  /** Reference to the signed document (e.g. a file number or a SHA-256), never its content. */
  @Column({ name: 'document_reference', type: 'varchar', length: 300, nullable: true })
  documentReference!: string | null;

  /** active, suspended (exchanges paused) or ended (for good); only an active agreement is ever in force. */
  @Column({ type: 'varchar', length: 20, default: 'active' })
  status!: 'active' | 'suspended' | 'ended';

  @Column({ name: 'status_changed_at', type: 'timestamptz', nullable: true })
  statusChangedAt!: Date | null;

  @Index('agreement_created_at_idx')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** One party to an agreement; a separate table so partners are real foreign keys. */
@Entity({ name: 'agreement_party' })
export class AgreementParty {
  @Column({ name: 'agreement_id', type: 'uuid', primary: true })
  agreementId!: string;

  @Index('agreement_party_partner_idx')
  @Column({ name: 'partner_id', type: 'varchar', length: 64, primary: true })
  partnerId!: string;

  // String targets: ESM entity files must not import each other in cycles.
  @ManyToOne('Agreement', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'agreement_id', foreignKeyConstraintName: 'agreement_party_agreement_fk' })
  agreement?: unknown;

  @ManyToOne('Partner', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'partner_id', foreignKeyConstraintName: 'agreement_party_partner_fk' })
  partner?: unknown;
}
