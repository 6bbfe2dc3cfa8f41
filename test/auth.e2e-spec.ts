import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { Partner } from '../src/partners/partner.entity.js';
import { PartnerRegistry } from '../src/partners/partner-registry.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Every way a partner's token can be wrong is refused with 401 problem+json naming the failed check. */
describe('authentication of partner tokens', () => {
  let ctx: TestContext;
  let partnerA: TestPartner;
  let partnerB: TestPartner;

  beforeAll(async () => {
    ctx = await createTestContext();
    partnerA = await ctx.operator();
    partnerB = await ctx.newPartner();
  });
  afterAll(async () => ctx?.close());

  const listPartners = (token?: string) => ctx.request({ url: '/v1/partners', token, purpose: 'administration' });

  async function expectRefused(token: string | undefined, check: string): Promise<void> {
    const response = await listPartners(token);
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401, type: expect.stringContaining('unauthenticated'), check });
    if (token) expect(response.text).not.toContain(token);
  }

  it('accepts a valid token signed by the partner with each allowed algorithm', async () => {
    for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256'] as const) {
      const partner = await ctx.newPartner({ alg, type: 'social-housing-company' });
      const response = await ctx.request({ url: '/v1/session', token: await partner.token({ roles: ['referrer'] }) });
      expect({ alg, status: response.status }).toEqual({ alg, status: 200 });
    }
  });

  it('refuses a request without a token', async () => {
    await expectRefused(undefined, 'bearer');
  });

  it('refuses garbage', async () => {
    await expectRefused('not-a-jwt', 'format');
    const response = await ctx.request({
      url: '/v1/partners',
      purpose: 'administration',
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect(response.status).toBe(401);
  });

  it('refuses alg "none"', async () => {
    const unsigned = new UnsecuredJWT({
      iss: partnerA.issuer,
      aud: ctx.config.auth.audience,
      sub: 'u',
      roles: ['gateway-admin'],
    })
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    await expectRefused(unsigned, 'alg');
  });

  it("refuses an HS256 token signed with the partner's public key as the secret", async () => {
    const secret = new TextEncoder().encode(JSON.stringify(partnerA.publicJwk));
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      iss: partnerA.issuer,
      aud: ctx.config.auth.audience,
      sub: 'u',
      roles: ['gateway-admin'],
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'HS256', kid: partnerA.kid })
      .sign(secret);
    await expectRefused(token, 'alg');
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await partnerA.token({ iat: now - 1200, exp: now - 600 }), 'exp');
  });

  it('refuses a token without exp', async () => {
    await expectRefused(await partnerA.token({ exp: undefined }), 'exp');
  });

  it('refuses a token whose lifetime exceeds one hour', async () => {
    await expectRefused(await partnerA.token({}, { lifetimeSeconds: 2 * 3600 }), 'lifetime');
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    await expectRefused(await partnerA.token({ nbf: Math.floor(Date.now() / 1000) + 600 }), 'nbf');
  });

  it('tolerates small clock skew on nbf', async () => {
    const response = await listPartners(await partnerA.token({ nbf: Math.floor(Date.now() / 1000) + 5 }));
    expect(response.status).toBe(200);
  });

  it('refuses a token issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await partnerA.token({ iat: now + 900, exp: now + 1200 }), 'iat');
  });

  it('refuses a wrong issuer', async () => {
    await expectRefused(await partnerA.token({ iss: 'https://idp.unknown.test' }), 'iss');
  });

  it('refuses a wrong audience', async () => {
    await expectRefused(await partnerA.token({ aud: 'some-other-gateway' }), 'aud');
  });

  it('refuses a token without kid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      iss: partnerA.issuer,
      aud: ctx.config.auth.audience,
      sub: 'u',
      roles: ['gateway-admin'],
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(partnerA.privateKey);
    await expectRefused(token, 'kid');
  });

  it('refuses an unknown kid', async () => {
    await expectRefused(await partnerA.token({}, { kid: 'not-registered' }), 'kid');
  });

  it("refuses a token signed with partner A's key that claims partner B's issuer", async () => {
    const forged = await partnerA.token({ iss: partnerB.issuer }, { kid: partnerB.kid });
    await expectRefused(forged, 'signature');
    const forgedWithOwnKid = await partnerA.token({ iss: partnerB.issuer });
    await expectRefused(forgedWithOwnKid, 'kid');
  });

  it('refuses a token signed by a key that is not the registered one under the registered kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await expectRefused(await partnerA.token({}, { key: privateKey }), 'signature');
  });

  it('refuses a tampered payload', async () => {
    const token = await partnerA.token({ roles: ['referrer'] });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.roles = ['gateway-admin'];
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expectRefused(tampered, 'signature');
  });

  it('refuses unknown roles and a missing roles claim', async () => {
    await expectRefused(await partnerA.token({ roles: ['superuser'] }), 'roles');
    await expectRefused(await partnerA.token({ roles: undefined }), 'roles');
  });

  it('refuses a suspended partner at once, and accepts it again when reactivated', async () => {
    const partner = await ctx.newPartner({ type: 'social-housing-company' });
    const token = await partner.token({ roles: ['referrer'] });
    const whoAmI = () => ctx.request({ url: '/v1/session', token });
    expect((await whoAmI()).status).toBe(200);
    // Changed in SQL, behind the API: wait until every replica has dropped its copy (the barrier
    // an API change waits for), not for a notification to win a race with the next request.
    const registry = ctx.app.get(PartnerRegistry);
    await ctx.dataSource.getRepository(Partner).update({ id: partner.id }, { status: 'suspended' });
    await registry.propagate();
    // Refused although its signature was checked a moment ago (VerifiedTokens asks after the status).
    await expectRefused(token, 'partner-status');
    await ctx.dataSource.getRepository(Partner).update({ id: partner.id }, { status: 'active' });
    await registry.propagate();
    expect((await whoAmI()).status).toBe(200);
  });

  it('refuses a token it accepted before, once the key that signed it is no longer registered', async () => {
    const partner = await ctx.newPartner({ type: 'social-housing-company' });
    const token = await partner.token({ roles: ['referrer'] });
    const whoAmI = () => ctx.request({ url: '/v1/session', token });
    expect((await whoAmI()).status).toBe(200);
    // The second time from the checked signatures (VerifiedTokens), still accepted.
    expect((await whoAmI()).status).toBe(200);
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const other = { ...(await exportJWK(publicKey)), kid: 'rotated-in', alg: 'ES256', use: 'sig' };
    await ctx.dataSource.getRepository(Partner).update({ id: partner.id }, { jwks: { keys: [other] } });
    await ctx.app.get(PartnerRegistry).propagate();
    // The same token text: its signature is checked again, against the registered keys only.
    await expectRefused(token, 'kid');
  });

  it('never writes the token into the application log', async () => {
    const token = await partnerA.token();
    await listPartners(token);
    await listPartners(`${token}x`);
    expect(ctx.logs.join('\n')).not.toContain(token.split('.')[2]);
  });
});
