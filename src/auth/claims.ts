import type { JWTPayload } from 'jose';
import type { ClaimMapping, ClaimSource } from '../partners/claim-mapping.js';

/** The contract's own claims (api-contract.md): what a partner without a registered mapping uses. */
export const CONTRACT_CLAIMS: Required<ClaimMapping> = {
  roles: { path: ['roles'] },
  profession: { path: ['profession'] },
};

/** The value at a claim path. Own properties only: a path like ["__proto__"] finds nothing. */
export function claimAt(payload: JWTPayload, path: readonly string[]): unknown {
  let value: unknown = payload;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, segment))
      return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** How a path reads in messages: segments joined by dots, each quoted if it holds a dot itself. */
export function describePath(path: readonly string[]): string {
  return path.map((segment) => (segment.includes('.') ? JSON.stringify(segment) : segment)).join('.');
}

/**
 * The gateway names a token carries in one claim, or null when the claim has the wrong shape.
 *
 * - `list` (roles): the claim is an array of strings, as `roles`, Keycloak's `realm_access.roles`,
 *   `groups` and Entra ID's `roles` are.
 * - `single` (profession): a string; with a map also an array (a profession read from groups).
 *
 * With a map only mapped names count: an IdP also says things the gateway has no word for
 * (Keycloak's `offline_access`, unrelated groups), and ignoring them grants nothing. Without a
 * map the IdP's names are taken as the gateway's own; the caller refuses unknown ones.
 */
export function namesIn(payload: JWTPayload, source: ClaimSource, shape: 'list' | 'single'): string[] | null {
  const raw = claimAt(payload, source.path);
  if (raw === undefined) return [];
  const values = shape === 'single' && typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(values) || !values.every((value) => typeof value === 'string')) return null;
  if (shape === 'single' && Array.isArray(raw) && !source.map) return null;
  const { map } = source;
  const names = map ? values.filter((value) => Object.hasOwn(map, value)).map((value) => map[value]) : values;
  return [...new Set(names)];
}
