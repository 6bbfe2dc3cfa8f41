/** Asymmetric algorithms only: HS* would let anyone holding a partner's public key mint tokens. */
export const ALLOWED_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'RS256', 'PS256'] as const;
