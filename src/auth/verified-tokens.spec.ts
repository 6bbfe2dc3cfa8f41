import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { JWTVerifyGetKey } from 'jose';
import { VerifiedTokens } from './verified-tokens.js';

const keySet = (() => Promise.reject(new Error('unused'))) as unknown as JWTVerifyGetKey;
const otherKeySet = (() => Promise.reject(new Error('unused'))) as unknown as JWTVerifyGetKey;
const partner = { id: 'p1', issuer: 'https://idp.p1.example' };
const at = (ms: number) => jest.spyOn(Date, 'now').mockReturnValue(ms);

describe('VerifiedTokens (checked signatures)', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('answers the payload for the same token, partner and key set until exp', () => {
    const cache = new VerifiedTokens(10, 60_000);
    at(1_000_000);
    cache.remember('t', 'k1', partner, keySet, { sub: 'u', exp: 1_030 });
    expect(cache.get('t', partner, keySet)).toEqual({ sub: 'u', exp: 1_030 });
    at(1_029_999);
    expect(cache.get('t', partner, keySet)).toBeDefined();
    at(1_030_000);
    expect(cache.get('t', partner, keySet)).toBeUndefined();
  });

  it('forgets a signature checked more than the maximum age ago, even before exp', () => {
    const cache = new VerifiedTokens(10, 60_000);
    at(1_000_000);
    cache.remember('t', 'k1', partner, keySet, { exp: 5_000 });
    at(1_060_000);
    expect(cache.get('t', partner, keySet)).toBeUndefined();
  });

  it('does not count for another key set, partner or issuer, nor for another token text', () => {
    const cache = new VerifiedTokens(10, 60_000);
    at(1_000_000);
    cache.remember('t', 'k1', partner, keySet, { exp: 2_000 });
    expect(cache.get('t2', partner, keySet)).toBeUndefined();
    expect(cache.get('t', { ...partner, issuer: 'https://other.example' }, keySet)).toBeUndefined();
    cache.remember('t', 'k1', partner, keySet, { exp: 2_000 });
    expect(cache.get('t', { ...partner, id: 'p2' }, keySet)).toBeUndefined();
    cache.remember('t', 'k1', partner, keySet, { exp: 2_000 });
    expect(cache.get('t', partner, otherKeySet)).toBeUndefined();
    // A miss for another key set drops the entry: the old key set never counts again.
    expect(cache.get('t', partner, keySet)).toBeUndefined();
  });

  it('keeps no token without exp, and at most maxEntries (the oldest goes first)', () => {
    const cache = new VerifiedTokens(2, 60_000);
    at(1_000_000);
    cache.remember('no-exp', 'k1', partner, keySet, { sub: 'u' });
    expect(cache.get('no-exp', partner, keySet)).toBeUndefined();
    cache.remember('a', 'k1', partner, keySet, { exp: 2_000 });
    cache.remember('b', 'k1', partner, keySet, { exp: 2_000 });
    cache.remember('c', 'k1', partner, keySet, { exp: 2_000 });
    expect(cache.get('a', partner, keySet)).toBeUndefined();
    expect(cache.get('b', partner, keySet)).toBeDefined();
    expect(cache.get('c', partner, keySet)).toBeDefined();
  });

  it("stops counting once the partner's fetched JWKS no longer publishes the key", () => {
    const published = { keys: [{ kid: 'k1' }] };
    const remote = Object.assign(() => Promise.reject(new Error('unused')), {
      jwks: () => published,
    }) as unknown as JWTVerifyGetKey;
    const cache = new VerifiedTokens(10, 60_000);
    at(1_000_000);
    cache.remember('t', 'k1', partner, remote, { exp: 2_000 });
    expect(cache.get('t', partner, remote)).toBeDefined();
    published.keys = [{ kid: 'k2' }];
    expect(cache.get('t', partner, remote)).toBeUndefined();
  });

  it('names the issuer of a token it holds, for get() to confirm; nothing for another token', () => {
    const cache = new VerifiedTokens(10, 60_000);
    at(1_000_000);
    cache.remember('t', 'k1', partner, keySet, { exp: 2_000 });
    expect(cache.issuerOf('t')).toBe(partner.issuer);
    expect(cache.issuerOf('t2')).toBeUndefined();
  });
});
