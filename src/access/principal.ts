/** Who is calling: a user (or system) of a registered partner, as proven by a verified token. */
export interface Principal {
  partnerId: string;
  /** The partner's type (partners/partner.entity.ts PARTNER_TYPES); a plain string here so the kernel knows no capability. */
  partnerType: string;
  /** The partner is the network operator (registry flag): the only source of network-wide powers. */
  operator: boolean;
  /** The token's `sub`: opaque to the gateway, chosen by the partner's identity provider. */
  subject: string;
  roles: string[];
  profession?: string;
  /** Display only; never logged. */
  name?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The purpose stated in X-Purpose, once validated against the policies. */
    purpose?: string;
    /** Ids of the access-log entries of the accesses this request completed (the Schakel-Access-Entry header). */
    accessEntries?: string[];
  }
}
