import { describe, expect, it } from '@jest/globals';
import { addressKey, claimedIssuer } from './pre-auth-limit.js';

const token = (payload: unknown) =>
  `Bearer eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

describe('addressKey', () => {
  it('counts IPv4 by address and IPv4-mapped IPv6 as IPv4', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('counts IPv6 by its /64, however the address is written', () => {
    const key = addressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:eeee:dddd:cccc')).toBe(key);
    expect(addressKey('2001:DB8:1:2:0:0:0:9%eth0')).toBe(key);
    expect(addressKey('2001:db8:1:3::1')).not.toBe(key);
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('claimedIssuer', () => {
  it("reads the unverified iss of a bearer token's payload", () => {
    expect(claimedIssuer(token({ iss: 'https://idp.woonhaven.example', sub: 'x' }))).toBe(
      'https://idp.woonhaven.example',
    );
  });

  it('has nothing to say about a missing, malformed or issuer-less token', () => {
    expect(claimedIssuer(undefined)).toBeUndefined();
    expect(claimedIssuer('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(claimedIssuer('Bearer not-a-jwt')).toBeUndefined();
    expect(claimedIssuer('Bearer a.!!!.c')).toBeUndefined();
    expect(claimedIssuer(token({ sub: 'x' }))).toBeUndefined();
    expect(claimedIssuer(token({ iss: 42 }))).toBeUndefined();
    expect(claimedIssuer(`Bearer a.${Buffer.from('not json').toString('base64url')}.c`)).toBeUndefined();
  });

  it('puts every over-long issuer under one counter', () => {
    expect(claimedIssuer(token({ iss: 'x'.repeat(600) }))).toBe(claimedIssuer(token({ iss: 'y'.repeat(700) })));
  });
});
