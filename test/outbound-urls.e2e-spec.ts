import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { NotificationsService } from '../src/notifications/notifications.service.js';
import { Partner } from '../src/partners/partner.entity.js';
import { createTestContext, type TestContext } from './support/test-context.js';

/**
 * Whoever registers a partner's JWKS or webhook URL must not be able to aim the gateway at its own
 * network (server-side request forgery): private, loopback and link-local addresses are refused
 * unless the operator allows them, at registration and again on every call.
 */
describe('outbound URLs', () => {
  let server: Server;
  let hits = 0;
  let port = 0;
  let published: object[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits += 1;
      req.resume();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  /** A signing key published by the local IdP server and a token signed with it. */
  async function idpToken(issuer: string, audience: string): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    published = [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256' }];
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ roles: ['caseworker'], sub: 'u', iss: issuer, aud: audience, iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .sign(privateKey);
  }

  describe('without an allowance for private addresses', () => {
    let ctx: TestContext;
    let admin: string;
    beforeAll(async () => {
      // The webhook loop is idle here so the test delivers when it chooses to.
      ctx = await createTestContext({ OUTBOUND_ALLOW_PRIVATE: 'false', WEBHOOK_INTERVAL_MS: '600000' });
      admin = await (await ctx.operator()).token();
    });
    afterAll(async () => ctx?.close());

    const register = (id: string, source: Record<string, string>) =>
      ctx.request({
        method: 'POST',
        url: '/v1/partners',
        token: admin,
        purpose: 'administration',
        body: {
          id,
          name: 'IdP partner',
          type: 'mental-health-service',
          municipalities: [],
          issuer: `https://idp.${id}.test`,
          ...source,
        },
      });

    it('refuses to register a JWKS URL on a loopback, link-local or private address, or a name resolving to one', async () => {
      const urls = [
        `http://127.0.0.1:${port}/jwks.json`,
        `http://localhost:${port}/jwks.json`,
        `http://[::1]:${port}/jwks.json`,
        `http://[::ffff:127.0.0.1]:${port}/jwks.json`,
        'http://169.254.169.254/latest/meta-data/',
        'http://10.0.0.8/jwks.json',
        'http://192.168.1.20/jwks.json',
        'http://[fd00::8]/jwks.json',
      ];
      for (const [i, jwksUri] of urls.entries()) {
        const response = await register(`ssrf-${i}`, { jwksUri });
        expect({ jwksUri, status: response.status }).toEqual({ jwksUri, status: 400 });
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body.errors).toEqual([
          { pointer: '/jwksUri', detail: expect.stringMatching(/loopback|link-local|private|unique-local/) },
        ]);
      }
      expect(await ctx.dataSource.getRepository(Partner).count({ where: { name: 'IdP partner' } })).toBe(0);
      expect(hits).toBe(0);
    });

    it('registers a public address (the check is not a blanket refusal)', async () => {
      const response = await register('public-idp', { jwksUri: 'https://1.1.1.1/.well-known/jwks.json' });
      expect(response.status).toBe(201);
    });

    it('refuses a private webhook URL with a pointer to it, and changes nothing', async () => {
      const partner = await ctx.newPartner({ type: 'caw' });
      const response = await ctx.request({
        method: 'PATCH',
        url: `/v1/partners/${partner.id}`,
        token: admin,
        purpose: 'administration',
        body: { webhookUrl: `http://127.0.0.1:${port}/hooks` },
      });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ pointer: '/webhookUrl', detail: expect.stringContaining('loopback') }]);
      expect((await ctx.dataSource.getRepository(Partner).findOneByOrFail({ id: partner.id })).webhookUrl).toBeNull();
    });

    it('refuses to fetch a key set from a private address registered earlier (401 jwks), without connecting', async () => {
      // As if registered before this check existed, or while its name still resolved elsewhere.
      await ctx.dataSource.getRepository(Partner).save({
        id: 'legacy-idp',
        name: 'Legacy',
        type: 'caw',
        municipalities: [],
        issuer: 'https://idp.legacy.test',
        jwks: null,
        jwksUri: `http://127.0.0.1:${port}/jwks.json`,
        status: 'active',
        operator: false,
      });
      const response = await ctx.request({
        url: '/v1/session',
        token: await idpToken('https://idp.legacy.test', ctx.config.auth.audience),
      });
      expect(response.status).toBe(401);
      expect(response.body.check).toBe('jwks');
      expect(hits).toBe(0);
      expect(ctx.logs.some((line) => line.includes('legacy-idp') && line.includes('loopback'))).toBe(true);
    });

    it('refuses to deliver a webhook to a private address at delivery time, without connecting', async () => {
      const id = randomUUID();
      await ctx.dataSource.query(
        `INSERT INTO webhook_delivery (id, notification_id, url, jws, attempts, next_attempt_at)
         VALUES ($1, $2, $3, 'x.y.z', 0, now())`,
        [id, randomUUID(), `http://127.0.0.1:${port}/hooks`],
      );
      expect(await ctx.app.get(NotificationsService).deliverDue()).toBe(0);
      const [row] = await ctx.dataSource.query(
        'SELECT attempts, delivered_at, last_error FROM webhook_delivery WHERE id = $1',
        [id],
      );
      expect(row).toMatchObject({ attempts: 1, delivered_at: null, last_error: expect.stringContaining('loopback') });
      expect(hits).toBe(0);
    });
  });

  describe('with a named host allowed', () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestContext({ OUTBOUND_ALLOW_PRIVATE: 'false', OUTBOUND_PRIVATE_HOSTS: 'localhost' });
    });
    afterAll(async () => ctx?.close());

    it('registers and fetches a key set from that host only, and verifies its tokens', async () => {
      const admin = await (await ctx.operator()).token();
      const register = (id: string, jwksUri: string) =>
        ctx.request({
          method: 'POST',
          url: '/v1/partners',
          token: admin,
          purpose: 'administration',
          body: { id, name: id, type: 'caw', municipalities: [], issuer: `https://idp.${id}.test`, jwksUri },
        });
      expect((await register('by-address', `http://127.0.0.1:${port}/jwks.json`)).status).toBe(400);
      expect((await register('by-name', `http://localhost:${port}/jwks.json`)).status).toBe(201);
      const before = hits;
      const response = await ctx.request({
        url: '/v1/session',
        token: await idpToken('https://idp.by-name.test', ctx.config.auth.audience),
      });
      expect(response.status).toBe(200);
      expect(hits).toBeGreaterThan(before);
    });
  });
});
