import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createTestContext, type TestContext } from './support/test-context.js';

/** A partner that publishes its keys at a JWKS URL (its identity provider) and rotates them. */
describe('partner keys from a JWKS URL', () => {
  let ctx: TestContext;
  let server: Server;
  let published: JWK[] = [];
  let fetches = 0;
  let jwksUri: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
    ctx = await createTestContext({ JWKS_CACHE_SECONDS: '0' });
  });
  afterAll(async () => {
    await ctx?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function key(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
  }

  function sign(privateKey: CryptoKey, kid: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      roles: ['caseworker'],
      sub: 'idp-user',
      iss: 'https://idp.jwks-partner.test',
      aud: ctx.config.auth.audience,
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'ES256', kid })
      .sign(privateKey);
  }

  it('verifies tokens against the published key set and follows a rotation to a new kid', async () => {
    const first = await key('idp-2026-1');
    published = [first.jwk];
    const admin = await ctx.operator();
    const registered = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token: await admin.token(),
      purpose: 'administration',
      body: {
        id: 'jwks-partner',
        name: 'IdP partner',
        type: 'mental-health-service',
        municipalities: [],
        issuer: 'https://idp.jwks-partner.test',
        jwksUri,
      },
    });
    expect(registered.status).toBe(201);

    const call = async (token: string) => (await ctx.request({ url: '/v1/session', token })).status;
    expect(await call(await sign(first.privateKey, 'idp-2026-1'))).toBe(200);
    expect(fetches).toBeGreaterThan(0);

    const second = await key('idp-2026-2');
    published = [second.jwk];
    expect(await call(await sign(second.privateKey, 'idp-2026-2'))).toBe(200);
    // The withdrawn key is gone from the published set, so its tokens stop working.
    expect(await call(await sign(first.privateKey, 'idp-2026-1'))).toBe(401);
  });

  it('refuses tokens with 401 naming the key set when the URL cannot be fetched', async () => {
    const admin = await ctx.operator();
    await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token: await admin.token(),
      purpose: 'administration',
      body: {
        id: 'jwks-down',
        name: 'Down',
        type: 'ocmw',
        municipalities: [],
        issuer: 'https://idp.jwks-down.test',
        jwksUri: 'http://127.0.0.1:9/jwks.json',
      },
    });
    const { privateKey } = await key('k');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      roles: ['gateway-admin'],
      sub: 'u',
      iss: 'https://idp.jwks-down.test',
      aud: ctx.config.auth.audience,
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .sign(privateKey);
    const response = await ctx.request({ url: '/v1/partners', token, purpose: 'administration' });
    expect(response.status).toBe(401);
    expect(response.body.check).toBe('jwks');
  });
});
