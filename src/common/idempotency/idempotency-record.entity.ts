import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The first answer to a write sent with an Idempotency-Key, so a retry (same partner, same key,
 * same request) gets that answer instead of doing the write again.
 */
@Entity({ name: 'idempotency_record' })
export class IdempotencyRecord {
  @PrimaryColumn({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  @PrimaryColumn({ type: 'varchar', length: 200 })
  key!: string;

  /** SHA-256 over method, path and the canonical JSON body. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ type: 'varchar', length: 20 })
  state!: 'in-progress' | 'completed';

  @Column({ name: 'response_status', type: 'smallint', nullable: true })
  responseStatus!: number | null;

  /**
   * The first answer, sealed with the encryption-at-rest key (AES-256-GCM): answers carry
   * personal data (a representative's name, consent evidence, a tenant's identity) and this
   * table is kept for a day, so it is never stored readable. Null while in progress, and for
   * answers stored before sealing was introduced (their bodies were dropped).
   */
  @Column({ name: 'response_sealed', type: 'text', nullable: true })
  responseSealed!: string | null;

  @Index('idempotency_record_created_at_idx')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
