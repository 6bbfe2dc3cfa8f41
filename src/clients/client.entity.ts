import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A person the network follows. Identities may be partial (no national number, no address);
 * every personal field is sealed (AES-256-GCM) and the national number is findable only
 * through a keyed blind index.
 */
@Entity({ name: 'client' })
export class Client {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The team that holds this client's record. */
  @Index('client_custodian_idx')
  @Column({ name: 'custodian_partner_id', type: 'varchar', length: 64 })
  custodianPartnerId!: string;

  /** Sealed JSON: givenName, familyName, birthDate, language. */
  @Column({ name: 'identity_sealed', type: 'text' })
  identitySealed!: string;

  /** Sealed JSON: phone, email, address. */
  @Column({ name: 'contact_sealed', type: 'text', nullable: true })
  contactSealed!: string | null;

  @Column({ name: 'national_number_sealed', type: 'text', nullable: true })
  nationalNumberSealed!: string | null;

  @Index('client_national_number_index_idx')
  @Column({ name: 'national_number_index', type: 'char', length: 64, nullable: true })
  nationalNumberIndex!: string | null;

  /** Set when a coordinator merged this record into another (same person); undone by an unmerge. */
  @Column({ name: 'merged_into', type: 'uuid', nullable: true })
  mergedInto!: string | null;

  /** When the record was erased (GDPR art. 17, or retention passed): personal fields emptied, the shell kept. */
  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt!: Date | null;

  /** Why: `request` (the client's art. 17 request) or `retention` (the retention job). */
  @Column({ name: 'erasure_reason', type: 'varchar', length: 40, nullable: true })
  erasureReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A merge of two client records, with exactly what moved, so it can be undone. */
@Entity({ name: 'client_merge' })
export class ClientMerge {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'survivor_id', type: 'uuid' })
  survivorId!: string;

  @Column({ name: 'duplicate_id', type: 'uuid' })
  duplicateId!: string;

  @Column({ name: 'moved_referrals', type: 'uuid', array: true })
  movedReferrals!: string[];

  @Column({ name: 'moved_cases', type: 'uuid', array: true })
  movedCases!: string[];

  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  @Column({ name: 'user_sub', type: 'varchar', length: 200 })
  userSub!: string;

  @CreateDateColumn({ name: 'merged_at', type: 'timestamptz' })
  mergedAt!: Date;

  @Column({ name: 'undone_at', type: 'timestamptz', nullable: true })
  undoneAt!: Date | null;
}
