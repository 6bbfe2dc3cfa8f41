/**
 * Where a partner's identity provider puts one kind of claim, and how its names map to the
 * gateway's. `path` is the claim's path as segments (["realm_access", "roles"] as Keycloak
 * issues realm roles; ["extn.profession"] for a claim whose own name holds a dot).
 */
export interface ClaimSource {
  path: string[];
  /**
   * IdP name → gateway name (roles.yaml). With a map, only mapped names count and the rest of
   * what the IdP says (its default roles, unrelated groups) is ignored; without one, the IdP's
   * names must be the gateway's own and an unknown name is refused.
   */
  map?: Record<string, string>;
}

/** A partner's claim mapping as registered (partner column `claim_mapping`). */
export interface ClaimMapping {
  roles?: ClaimSource;
  profession?: ClaimSource;
}
