import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const NOTIFICATION_KINDS = [
  'consent-withdrawn',
  'information-request-pending',
  'referral-status-changed',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * A message to a partner: the basis for data it received is gone (a withdrawn consent), or
 * something waits for it (a pending information request). Pseudonyms and ids only, never names.
 */
@Entity({ name: 'partner_notification' })
@Index('partner_notification_partner_idx', ['partnerId', 'createdAt'])
export class PartnerNotification {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  @Column({ type: 'varchar', length: 40 })
  kind!: NotificationKind;

  @Column({ name: 'consent_id', type: 'uuid', nullable: true })
  consentId!: string | null;

  /** The client's pseudonym as in the access log, never a name. */
  @Column({ name: 'client_ref', type: 'char', length: 64, nullable: true })
  clientRef!: string | null;

  /** The record the notification is about (e.g. an InformationRequest), when not a consent. */
  @Column({ name: 'resource_type', type: 'varchar', length: 40, nullable: true })
  resourceType!: string | null;

  @Column({ name: 'resource_id', type: 'uuid', nullable: true })
  resourceId!: string | null;

  /** Kind-specific ids and codes (never personal data), e.g. the case id and requested categories. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  detail!: Record<string, unknown>;

  @Column({ type: 'text', array: true })
  purposes!: string[];

  @Column({ type: 'text', array: true })
  categories!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** One signed webhook to deliver, with its retry state (the transactional outbox). */
@Entity({ name: 'webhook_delivery' })
@Index('webhook_delivery_due_idx', ['deliveredAt', 'nextAttemptAt'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'notification_id', type: 'uuid' })
  notificationId!: string;

  @Column({ type: 'varchar', length: 1000 })
  url!: string;

  /** Compact JWS (EdDSA, the gateway's key) of the notification. */
  @Column({ type: 'text' })
  jws!: string;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ name: 'gave_up_at', type: 'timestamptz', nullable: true })
  gaveUpAt!: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 200, nullable: true })
  lastError!: string | null;
}
