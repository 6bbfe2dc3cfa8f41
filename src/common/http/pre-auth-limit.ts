import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException } from '../problem/problem.js';
import { ipv6Bytes } from './ip.js';
import { RateLimiter } from './rate-limiter.js';

/**
 * A request limit counted before the token is verified. The per-partner limit in the guard comes
 * only after a signature check and a registry lookup, so a flood of forged tokens would be paid
 * for in full; here it is refused for the price of a counter. Two counters, each per minute and
 * per replica: the source address, and the issuer the token claims (`iss`, unverified — a claim
 * is all there is before verification, which is why this limit sits above the per-partner one).
 */

/** Longest issuer counted under its own name; partners' issuers are at most 500 characters. */
const MAX_ISSUER_LENGTH = 500;
/** A JWT longer than this is not decoded here (it is refused by verification anyway). */
const MAX_TOKEN_LENGTH = 16_384;

/**
 * The key a source address is counted under: IPv4 as is, IPv6 by its /64 (one subscriber gets a
 * whole /64, so counting single IPv6 addresses would let one sender rotate through millions).
 */
export function addressKey(ip: string): string {
  const bytes = ipv6Bytes(ip);
  if (!bytes) return ip;
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12).join('.'); // IPv4-mapped: the IPv4 address it is
  }
  const words = [0, 2, 4, 6].map((i) => ((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return `${words.join(':')}::/64`;
}

/** The `iss` a bearer token claims, read without verifying anything; undefined when there is none. */
export function claimedIssuer(authorization: string | undefined): string | undefined {
  if (!authorization || authorization.length > MAX_TOKEN_LENGTH + 7) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/.exec(authorization);
  if (!match) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(match[2], 'base64url').toString('utf8'));
    const iss = (payload as { iss?: unknown } | null)?.iss;
    if (typeof iss !== 'string') return undefined;
    // Over-long claims share one counter, so they cannot each open a counter of their own.
    return iss.length <= MAX_ISSUER_LENGTH ? iss : '(over-long issuer)';
  } catch {
    return undefined;
  }
}

export interface PreAuthLimits {
  perAddressPerMinute: number;
  perIssuerPerMinute: number;
}

/**
 * The onRequest hook. Liveness and readiness probes are not counted: a flood must not make the
 * orchestrator think the replica is dead.
 */
export function preAuthRateLimit(limits: PreAuthLimits, now: () => number = Date.now) {
  const byAddress = new RateLimiter(limits.perAddressPerMinute, 60_000, now);
  const byIssuer = new RateLimiter(limits.perIssuerPerMinute, 60_000, now);
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (request.url === '/health' || request.url.startsWith('/health/') || request.url.startsWith('/health?')) return;
    const refuse = (wait: number, what: string) =>
      new ProblemException(
        'rate-limited',
        `Too many requests ${what}; retry in ${wait} s`,
        {},
        { 'retry-after': String(wait) },
      );
    const addressWait = byAddress.hit(addressKey(request.ip));
    if (addressWait > 0) throw refuse(addressWait, 'from this address');
    const header = request.headers.authorization;
    const issuer = claimedIssuer(Array.isArray(header) ? header[0] : header);
    if (issuer === undefined) return;
    const issuerWait = byIssuer.hit(issuer);
    if (issuerWait > 0) throw refuse(issuerWait, 'for this issuer');
  };
}
