import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A client's consent (effect `permit`) or explicit objection (`deny`, which overrides any
 * permit) for purposes, recipients and data categories, over a validity period.
 */
@Entity({ name: 'consent' })
@Index('consent_client_idx', ['clientId'])
export class Consent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'client_id', type: 'uuid' })
  clientId!: string;

  @Column({ type: 'text', array: true })
  purposes!: string[];

  @Column({ name: 'recipient_partner_ids', type: 'text', array: true, default: () => "'{}'" })
  recipientPartnerIds!: string[];

  @Column({ name: 'recipient_partner_types', type: 'text', array: true, default: () => "'{}'" })
  recipientPartnerTypes!: string[];

  @Column({ type: 'text', array: true })
  categories!: string[];

  @Column({ type: 'varchar', length: 30 })
  effect!: 'permit' | 'deny' | 'informed-no-objection';

  @Column({ name: 'given_by', type: 'varchar', length: 30 })
  givenBy!: 'client' | 'legal-representative';

  /** Sealed JSON: the representative's name and capacity. */
  @Column({ name: 'representative_sealed', type: 'text', nullable: true })
  representativeSealed!: string | null;

  @Column({ type: 'varchar', length: 10 })
  method!: 'verbal' | 'written' | 'digital';

  @Column({ name: 'evidence_sha256', type: 'char', length: 64, nullable: true })
  evidenceSha256!: string | null;

  @Column({ name: 'evidence_description_sealed', type: 'text', nullable: true })
  evidenceDescriptionSealed!: string | null;

  @Column({ name: 'valid_from', type: 'date' })
  validFrom!: string;

  @Column({ name: 'valid_until', type: 'date', nullable: true })
  validUntil!: string | null;

  @Column({ name: 'withdrawn_at', type: 'timestamptz', nullable: true })
  withdrawnAt!: Date | null;

  @Column({ name: 'recorded_by_partner', type: 'varchar', length: 64 })
  recordedByPartner!: string;

  @Column({ name: 'recorded_by_user', type: 'varchar', length: 200 })
  recordedByUser!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
