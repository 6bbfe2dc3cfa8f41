import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { PARTNER_TYPES } from '../src/partners/partner.entity.js';
import { declaredRoutes, samplePath } from './support/routes.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * Network-wide powers belong to the network operator alone (partner registry flag `operator`):
 * a token of any other partner naming `gateway-admin` is refused at authentication on every
 * route, the attempt is logged, and the policy carries the operator condition as a second wall.
 */
describe('network powers only for the operator', () => {
  let ctx: TestContext;
  let operator: TestPartner;
  let housing: TestPartner;
  let adminToken: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    operator = await ctx.operator();
    housing = await ctx.newPartner({ type: 'social-housing-company' });
    adminToken = await operator.token({ roles: ['gateway-admin'] });
  });
  afterAll(async () => ctx?.close());

  const refusedAttempts = async (partnerId: string): Promise<number> => {
    const [row] = await ctx.dataSource.query(
      "SELECT count(*)::int AS n FROM access_log WHERE partner_id = $1 AND action = 'authenticate' AND resource_type = 'Token' AND decision = 'deny'",
      [partnerId],
    );
    return row.n;
  };

  it('refuses a gateway-admin token of non-operator partners on every protected route, and logs each attempt', async () => {
    const routes = declaredRoutes(ctx).filter((r) => !r.isPublic);
    expect(routes.length).toBeGreaterThan(40);
    // Every route for a housing company and for a partner of the operator's own type; every type on an admin route.
    const sweep = async (partner: TestPartner, on: typeof routes) => {
      const token = await partner.token({ roles: ['gateway-admin'] });
      for (const route of on) {
        const { method, url } = samplePath(route);
        const response = await ctx.request({
          method,
          url,
          token,
          purpose: 'administration',
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
        });
        expect({ route: route.route, status: response.status, check: response.body?.check }).toEqual({
          route: route.route,
          status: 401,
          check: 'roles',
        });
      }
      expect(await refusedAttempts(partner.id)).toBe(on.length);
    };
    await sweep(housing, routes);
    await sweep(await ctx.newPartner({ type: 'other' }), routes);
    const administration = routes.filter((r) => ['Partner', 'Agreement'].includes(r.permission?.subject ?? ''));
    for (const type of PARTNER_TYPES) await sweep(await ctx.newPartner({ type }), administration);
  });

  it('refuses the role also when it hides among others, and says why without echoing the token', async () => {
    const token = await housing.token({ roles: ['referrer', 'gateway-admin'] });
    const response = await ctx.request({ url: '/v1/partners', token, purpose: 'administration' });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ check: 'roles', detail: expect.stringContaining('network operator') });
    expect(response.text).not.toContain(token);
  });

  it("cannot replace another partner's keys, sign in as it, suspend it, register partners or write agreements", async () => {
    const victim = await ctx.newPartner({ type: 'outreach-team' });
    const token = await housing.token({ roles: ['gateway-admin'] });
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const attackerKey = { ...(await exportJWK(publicKey)), kid: 'attacker', alg: 'ES256' };

    const replaced = await ctx.request({
      method: 'PATCH',
      url: `/v1/partners/${victim.id}`,
      token,
      purpose: 'administration',
      body: { jwks: { keys: [attackerKey] } },
    });
    const suspended = await ctx.request({
      method: 'PATCH',
      url: `/v1/partners/${victim.id}`,
      token,
      purpose: 'administration',
      body: { status: 'suspended' },
    });
    const registered = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token,
      purpose: 'administration',
      body: {
        id: 'evil-twin',
        name: 'x',
        type: 'other',
        municipalities: [],
        issuer: 'https://evil.example',
        jwks: { keys: [attackerKey] },
      },
    });
    const agreement = await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token,
      purpose: 'administration',
      body: {
        title: 'self-made',
        partnerIds: [housing.id, victim.id],
        purposes: ['referral'],
        validFrom: '2026-01-01',
      },
    });
    const wholeLog = await ctx.request({ url: '/v1/access-log/export?format=ndjson', token, purpose: 'privacy-audit' });
    expect([replaced.status, suspended.status, registered.status, agreement.status, wholeLog.status]).toEqual([
      401, 401, 401, 401, 401,
    ]);

    const [row] = await ctx.dataSource.query('SELECT jwks, status FROM partner WHERE id = $1', [victim.id]);
    expect(row.status).toBe('active');
    expect(row.jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([victim.kid]);
    expect(await ctx.dataSource.query("SELECT 1 FROM partner WHERE id = 'evil-twin'")).toHaveLength(0);
    expect(await ctx.dataSource.query("SELECT 1 FROM agreement WHERE title = 'self-made'")).toHaveLength(0);

    // A token signed with the attacker's key in the victim's name is still refused.
    const now = Math.floor(Date.now() / 1000);
    const impostor = await new SignJWT({
      roles: ['coordinator'],
      sub: 'x',
      iss: victim.issuer,
      aud: ctx.config.auth.audience,
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'attacker' })
      .sign(privateKey);
    expect((await ctx.request({ url: '/v1/session', token: impostor })).status).toBe(401);
  });

  it("keeps a non-operator privacy officer to its own organisation's log entries and review items", async () => {
    // An OCMW's own privacy officer (a partner of type `other` may assert no administrative role at all).
    const other = await ctx.newPartner({ type: 'ocmw' });
    // Entries by the operator and the housing company exist from the tests above.
    const officer = await other.token({ roles: ['privacy-officer'] });
    const log = await ctx.request({ url: '/v1/access-log?limit=500', token: officer, purpose: 'privacy-audit' });
    expect(log.status).toBe(200);
    for (const entry of log.body.items) expect([entry.partnerId, entry.custodianPartnerId]).toContain(other.id);
    const exported = await ctx.request({
      url: '/v1/access-log/export?format=ndjson',
      token: officer,
      purpose: 'privacy-audit',
    });
    expect(exported.status).toBe(200);
    const exportedPartners = exported.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((line) => line.type === 'entry')
      .map((line) => line.entry.partnerId);
    expect(new Set(exportedPartners)).toEqual(new Set([other.id]));

    const networkOfficer = await operator.token({ roles: ['privacy-officer'] });
    const all = await ctx.request({ url: '/v1/access-log?limit=500', token: networkOfficer, purpose: 'privacy-audit' });
    expect(all.body.items.some((e: { partnerId: string }) => e.partnerId === housing.id)).toBe(true);
  });

  it("keeps the operator's own administration working", async () => {
    expect((await ctx.request({ url: '/v1/partners', token: adminToken, purpose: 'administration' })).status).toBe(200);
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const key = { ...(await exportJWK(publicKey)), kid: 'new-k', alg: 'ES256' };
    const created = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token: adminToken,
      purpose: 'administration',
      body: {
        id: 'shm-new',
        name: 'New',
        type: 'social-housing-company',
        municipalities: ['2000'],
        issuer: 'https://idp.shm-new.example',
        jwks: { keys: [key] },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.operator).toBe(false);
    const rotated = await ctx.request({
      method: 'PATCH',
      url: '/v1/partners/shm-new',
      token: adminToken,
      purpose: 'administration',
      body: { status: 'suspended' },
    });
    expect(rotated.status).toBe(200);
    expect(
      (await ctx.request({ url: '/v1/access-log/verify', token: adminToken, purpose: 'administration' })).status,
    ).toBe(200);
  });

  it('sets the operator flag through no API call, and does not let the API suspend the operator', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const key = { ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' };
    const claimed = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token: adminToken,
      purpose: 'administration',
      body: {
        id: 'second-operator',
        name: 'x',
        type: 'other',
        municipalities: [],
        issuer: 'https://second.example',
        jwks: { keys: [key] },
        operator: true,
      },
    });
    expect(claimed.status).toBe(400);
    const promoted = await ctx.request({
      method: 'PATCH',
      url: `/v1/partners/${housing.id}`,
      token: adminToken,
      purpose: 'administration',
      body: { operator: true },
    });
    expect(promoted.status).toBe(400);
    const suspended = await ctx.request({
      method: 'PATCH',
      url: `/v1/partners/${operator.id}`,
      token: adminToken,
      purpose: 'administration',
      body: { status: 'suspended' },
    });
    expect(suspended.status).toBe(422);
    const [row] = await ctx.dataSource.query('SELECT count(*)::int AS n FROM partner WHERE operator');
    expect(row.n).toBe(1);
    // The database itself holds at most one operator.
    await expect(
      ctx.dataSource.query('UPDATE partner SET operator = true WHERE id = $1', [housing.id]),
    ).rejects.toThrow();
  });
});
