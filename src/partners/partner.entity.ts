import { PARTNER_TYPES, type PartnerType } from '../common/vocabulary/partner-types.js';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ClaimMapping } from './claim-mapping.js';

export { PARTNER_TYPES, type PartnerType };

export const PARTNER_STATUSES = ['active', 'suspended'] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];

/** Who answers for a partner's processing: the controller and its data protection officer. */
export interface PrivacyContact {
  controller: { name: string; address: string; email?: string };
  dpo: { name?: string; email: string; phone?: string };
}

/** A public JSON Web Key as registered by a partner (never a private key). */
export type PublicJwk = Record<string, unknown> & { kid?: string; kty: string };
export interface PublicJwkSet {
  keys: PublicJwk[];
}

/** A registered partner organisation: who it is and how to check the tokens it signs. */
@Entity({ name: 'partner' })
// At most one network operator: network-wide powers must have exactly one source.
@Index('partner_single_operator_key', ['operator'], { unique: true, where: '"operator"' })
export class Partner {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 40 })
  type!: PartnerType;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  municipalities!: string[];

  @Index('partner_issuer_key', { unique: true })
  @Column({ type: 'varchar', length: 500 })
  issuer!: string;

  @Column({ type: 'jsonb', nullable: true })
  jwks!: PublicJwkSet | null;

  @Column({ name: 'jwks_uri', type: 'varchar', length: 1000, nullable: true })
  jwksUri!: string | null;

  @Column({ type: 'varchar', length: 20, default: 'active' })
  status!: PartnerStatus;

  /**
   * The network operator: the only partner whose principals may hold network-wide powers
   * (gateway-admin, network-wide oversight). Not its type (a police zone is `other` too), and
   * never set through the API: only `npm run operator:register` (or the demo seed) sets it.
   */
  @Column({ type: 'boolean', default: false })
  operator!: boolean;

  /**
   * Narrows the roles this partner's tokens may carry below its type's row in
   * policies/partner-trust.yaml; null = that row. Never wider: the API refuses a role outside the
   * row, and authentication intersects this list with the row again.
   */
  @Column({ name: 'allowed_roles', type: 'text', array: true, nullable: true })
  allowedRoles!: string[] | null;

  /** As allowedRoles, for the `profession` claim. */
  @Column({ name: 'allowed_professions', type: 'text', array: true, nullable: true })
  allowedProfessions!: string[] | null;

  /** Where its IdP puts roles and profession and how its names map to ours; null = `roles` and `profession` as they are. */
  @Column({ name: 'claim_mapping', type: 'jsonb', nullable: true })
  claimMapping!: ClaimMapping | null;

  /** The controller and its data protection officer, for the record of processing (GDPR art. 30(1)(a)). */
  @Column({ name: 'privacy_contact', type: 'jsonb', nullable: true })
  privacyContact!: PrivacyContact | null;

  /** The care programme the team runs (a value of `programmes` in policies/network.yaml), for statistics. */
  @Column({ type: 'varchar', length: 40, nullable: true })
  programme!: string | null;

  /** Where the gateway posts signed notifications (e.g. a withdrawn consent); optional. */
  @Column({ name: 'webhook_url', type: 'varchar', length: 1000, nullable: true })
  webhookUrl!: string | null;

  /**
   * Where this partner's people sign in to the console (OpenID Connect, code flow with PKCE):
   * the IdP's issuer (null: `issuer`), the gateway's client id there, and for a confidential
   * client its secret, sealed with the field cipher (never shown again). No client id: no sign-in.
   */
  @Column({ name: 'oidc_issuer', type: 'varchar', length: 500, nullable: true })
  oidcIssuer!: string | null;

  @Column({ name: 'oidc_client_id', type: 'varchar', length: 200, nullable: true })
  oidcClientId!: string | null;

  @Column({ name: 'oidc_client_secret', type: 'text', nullable: true })
  oidcClientSecret!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
