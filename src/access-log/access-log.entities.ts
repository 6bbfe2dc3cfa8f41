import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const ACCESS_DECISIONS = ['permit', 'deny'] as const;
export type AccessDecision = (typeof ACCESS_DECISIONS)[number];

/**
 * One access to client data, or one refusal, written in the same transaction as the access.
 * Append-only: database triggers refuse UPDATE, DELETE and TRUNCATE.
 *
 * Stored in three tables and read through the view `access_log`, which shows an entry as this
 * class describes it (hashes as hex): `access_log_entry` (what differs per access, hashes as
 * 32 bytes), `access_log_terms` (roles, profession, action, resource type, decision, reason,
 * rule, fields, override, policy version, format, ground, categories, legal basis — kept once per
 * distinct combination; migration AccessLogTerms) and the link. `access_log_entry` is partitioned
 * (by ranges of `seq`; migration AccessLogPartitions): TypeORM cannot describe that, so the
 * migrations alone own the schema (`synchronize: false` keeps it out of the drift check) —
 * indexes: id, occurred_at, (user_sub, seq), (purpose, seq), (client_ref, seq),
 * (custodian_partner_id, seq), (partner_id, seq), GIN consent_ids.
 */
@Entity({ name: 'access_log_entry', synchronize: false })
export class AccessLogEntry {
  /** Insertion order; also the list cursor. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  seq!: string;

  @Column({ type: 'uuid' })
  id!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId!: string;

  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  /** The token's `sub`: the user as the partner's identity provider names them. */
  @Column({ name: 'user_sub', type: 'varchar', length: 200 })
  userSub!: string;

  @Column({ type: 'text', array: true })
  roles!: string[];

  @Column({ type: 'varchar', length: 64, nullable: true })
  profession!: string | null;

  @Column({ type: 'varchar', length: 40 })
  action!: string;

  @Column({ name: 'resource_type', type: 'varchar', length: 60 })
  resourceType!: string;

  @Column({ name: 'resource_id', type: 'varchar', length: 200, nullable: true })
  resourceId!: string | null;

  /**
   * Pseudonym of the client (keyed HMAC), never a name or a national number. The three hashes
   * are stored as 32 bytes (`bytea`) and read as hex by the repository.
   */
  @Column({ name: 'client_ref', type: 'bytea', nullable: true })
  clientRef!: string | null;

  /** The organisation that holds the case, so its privacy officer sees accesses to it. */
  @Column({ name: 'custodian_partner_id', type: 'varchar', length: 64, nullable: true })
  custodianPartnerId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  purpose!: string;

  @Column({ name: 'legal_basis', type: 'varchar', length: 300, nullable: true })
  legalBasis!: string | null;

  @Column({ name: 'consent_id', type: 'uuid', nullable: true })
  consentId!: string | null;

  @Column({ type: 'varchar', length: 10 })
  decision!: AccessDecision;

  @Column({ type: 'varchar', length: 500 })
  reason!: string;

  @Column({ name: 'rule_id', type: 'varchar', length: 120, nullable: true })
  ruleId!: string | null;

  /** Names of the fields disclosed or written. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  fields!: string[];

  /** SHA-256 over the canonical JSON of the disclosed values: proof of what left, without a copy. */
  @Column({ name: 'disclosure_sha256', type: 'bytea', nullable: true })
  disclosureSha256!: string | null;

  /** Break-the-glass access, always shown as an override. */
  @Column({ type: 'boolean', default: false })
  override!: boolean;

  @Column({ name: 'policy_version', type: 'varchar', length: 80 })
  policyVersion!: string;

  /** SHA-256 of the canonical serialisation of this entry's content. */
  @Column({ name: 'entry_hash', type: 'bytea' })
  entryHash!: string;

  /**
   * Entry format: 1 = the original fields; 2 = also every consent relied on, the agreement, the
   * ground, the categories and the break-the-glass grant (all hashed). Format-2 entries leave the
   * format-1 columns legal_basis and consent_id empty.
   */
  @Column({ type: 'smallint', default: 1 })
  format!: number;

  @Column({ name: 'consent_ids', type: 'uuid', array: true, default: () => "'{}'" })
  consentIds!: string[];

  @Column({ name: 'agreement_id', type: 'uuid', nullable: true })
  agreementId!: string | null;

  /** The one ground the decision relied on, as the deciding rules state it. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  ground!: string | null;

  /** The data categories disclosed or written. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  categories!: string[];

  @Column({ name: 'grant_id', type: 'uuid', nullable: true })
  grantId!: string | null;
}

/**
 * The hash chain: position n links entry `entrySeq` to the previous link's hash:
 * hash = SHA-256(position | previous link's hash | entry's hash). Links are added by one chainer
 * at a time in commit order, so writers never wait on each other. Only the link's own hash is
 * stored (32 bytes, read as hex); the other two are the entry's and the previous link's.
 * Partitioned by ranges of `entry_seq`, the same ranges as the entries (schema owned by the migrations).
 */
@Entity({ name: 'access_log_link', synchronize: false })
export class AccessLogLink {
  @PrimaryColumn({ type: 'bigint' })
  position!: string;

  @Column({ name: 'entry_seq', type: 'bigint' })
  entrySeq!: string;

  @Column({ type: 'bytea' })
  hash!: string;
}

/** The chain's head at a moment, signed with the gateway's Ed25519 key (compact JWS). */
@Entity({ name: 'access_log_checkpoint' })
export class AccessLogCheckpoint {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column({ type: 'bigint' })
  position!: string;

  @Column({ name: 'head_hash', type: 'char', length: 64 })
  headHash!: string;

  @Column({ name: 'signed_at', type: 'timestamptz' })
  signedAt!: Date;

  @Column({ type: 'varchar', length: 100 })
  kid!: string;

  @Column({ type: 'text' })
  jws!: string;
}

/** Entries written but not yet linked into the chain; the chainer empties it. Not evidence itself. */
@Entity({ name: 'access_log_unchained' })
export class AccessLogUnchained {
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;
}
