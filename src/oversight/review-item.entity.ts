import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Something a privacy officer must judge: a break-the-glass use, or an anomaly. */
@Entity({ name: 'review_item' })
@Index('review_item_status_idx', ['status', 'createdAt'])
export class ReviewItem {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 30 })
  kind!: 'break-the-glass' | 'contested-access' | 'anomaly';

  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @Column({ name: 'case_id', type: 'uuid', nullable: true })
  caseId!: string | null;

  /** The client it is about (opaque id): the officer opens that client's access report from here. */
  @Column({ name: 'client_id', type: 'uuid', nullable: true })
  clientId!: string | null;

  /** The organisation that used the override, and the one that holds the case (for scoping). */
  @Column({ name: 'actor_partner_id', type: 'varchar', length: 64 })
  actorPartnerId!: string;

  @Column({ name: 'custodian_partner_id', type: 'varchar', length: 64, nullable: true })
  custodianPartnerId!: string | null;

  @Column({ name: 'summary_sealed', type: 'text' })
  summarySealed!: string;

  @Column({ type: 'varchar', length: 10, default: 'open' })
  status!: 'open' | 'resolved';

  @Column({ type: 'varchar', length: 20, nullable: true })
  verdict!: 'justified' | 'not-justified' | null;

  @Column({ name: 'note_sealed', type: 'text', nullable: true })
  noteSealed!: string | null;

  @Column({ name: 'resolved_by', type: 'varchar', length: 200, nullable: true })
  resolvedBy!: string | null;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  /** For anomalies: one item per rule, user and window (or entry), however often the scan runs. */
  @Index('review_item_dedupe_key', { unique: true })
  @Column({ name: 'dedupe_key', type: 'varchar', length: 300, nullable: true })
  dedupeKey!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * The access-log entries behind a review item: every refusal of a burst, the entries made under
 * a break-the-glass grant, the contested entry. Written with the item (or with the entry, for a
 * grant still in use), never changed afterwards.
 */
@Entity({ name: 'review_item_entry' })
@Index('review_item_entry_entry_idx', ['entryId'])
export class ReviewItemEntry {
  @PrimaryColumn({ name: 'review_item_id', type: 'uuid' })
  reviewItemId!: string;

  @PrimaryColumn({ name: 'entry_id', type: 'uuid' })
  entryId!: string;
}
