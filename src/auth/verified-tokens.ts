import { createHash } from 'node:crypto';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';

/** Kept under the token's SHA-256, not its text: a heap snapshot of the cache holds no usable credential. */
const keyOf = (token: string): string => createHash('sha256').update(token).digest('base64url');

interface Verified {
  payload: JWTPayload;
  /** The signing key's id (protected header). */
  kid: string;
  partnerId: string;
  issuer: string;
  /** The key set the signature was checked against (PartnerKeysService keeps one per registration). */
  keySet: JWTVerifyGetKey;
  /** Epoch ms after which the entry is not used: the token's exp, at most `maxAgeMs` after the check. */
  until: number;
}

/**
 * Signatures already checked: a partner's client sends the same token for many requests, and the
 * signature check (ECDSA, RSA) was the largest single cost of a read after the database. Only the
 * signature and the standard claims jose checked are remembered; everything the gateway derives
 * from the payload (roles through the claim mapping, what the partner may assert) is derived
 * again on every request from the current registration.
 *
 * An entry counts only for the exact token text, for the same partner and issuer, for the key set
 * it was checked against (a changed registration — rotated keys, a new JWKS URL — makes a new key
 * set, so nothing checked against the old one counts), before the token's exp (no clock
 * tolerance: after it, jose decides again), while the key set jose holds for a partner's JWKS URL
 * still publishes the key (a withdrawn key counts no more once jose has refetched the set), and
 * for at most `maxAgeMs`. The partner's status is checked before the cache is asked. Bounded: the
 * oldest entry goes first.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Verified>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  /**
   * The issuer of a token checked before (its header and claims were read then), to be confirmed
   * by get() against that partner's current registration; undefined when the token is not here.
   */
  issuerOf(token: string): string | undefined {
    return this.entries.get(keyOf(token))?.issuer;
  }

  get(token: string, partner: { id: string; issuer: string }, keySet: JWTVerifyGetKey): JWTPayload | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (
      entry.partnerId !== partner.id ||
      entry.issuer !== partner.issuer ||
      entry.keySet !== keySet ||
      Date.now() >= entry.until ||
      !stillPublished(keySet, entry.kid)
    ) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  remember(
    token: string,
    kid: string,
    partner: { id: string; issuer: string },
    keySet: JWTVerifyGetKey,
    payload: JWTPayload,
  ): void {
    if (this.maxEntries === 0 || typeof payload.exp !== 'number') return;
    const until = Math.min(payload.exp * 1000, Date.now() + this.maxAgeMs);
    if (until <= Date.now()) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(keyOf(token), { payload, kid, partnerId: partner.id, issuer: partner.issuer, keySet, until });
  }
}

/**
 * A partner's JWKS fetched from its URL changes under the same key set: jose refetches it (an
 * unknown kid, the cache's age). Once the set jose holds no longer publishes the key, a token it
 * signed counts no more, as jose itself would refuse it. A registered (inline) key set cannot
 * change without a new key set.
 */
function stillPublished(keySet: JWTVerifyGetKey, kid: string): boolean {
  const current = (keySet as { jwks?: () => { keys: { kid?: string }[] } | undefined }).jwks?.();
  return current === undefined || current.keys.some((key) => key.kid === kid);
}
