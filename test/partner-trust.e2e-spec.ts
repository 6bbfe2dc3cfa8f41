import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PartnerRegistry } from '../src/partners/partner-registry.service.js';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { loadPolicySet } from '../src/policies/policy-files.js';
import { PARTNER_TYPES } from '../src/partners/partner.entity.js';
import { createTestContext, type TestContext } from './support/test-context.js';

/**
 * A partner's identity provider speaks for its own staff, within what its kind of organisation
 * may assert (policies/partner-trust.yaml) and what its registration narrows that to. Anything
 * else is refused at authentication, and the signed attempt is logged.
 */
describe('what a partner may assert', () => {
  let ctx: TestContext;
  let adminToken: string;
  const policy = loadPolicySet(`${process.cwd()}/policies`);

  beforeAll(async () => {
    ctx = await createTestContext();
    adminToken = await (await ctx.operator()).token({ roles: ['gateway-admin'] });
  });
  afterAll(async () => ctx?.close());

  const session = (token: string) => ctx.request({ url: '/v1/session', token });
  const admin = (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) =>
    ctx.request({ method, url, token: adminToken, purpose: 'administration', body });
  const refusedAttempts = async (partnerId: string): Promise<{ reason: string; roles: string[] }[]> =>
    ctx.dataSource.query(
      "SELECT reason, roles, profession FROM access_log WHERE partner_id = $1 AND action = 'authenticate' AND decision = 'deny' ORDER BY seq",
      [partnerId],
    );

  it("accepts exactly the roles and professions of each type's row, and refuses every other one", async () => {
    for (const type of PARTNER_TYPES) {
      const partner = await ctx.newPartner({ type });
      const row = policy.partnerTrust.types[type];
      for (const role of policy.roles.map((r) => r.id)) {
        const status = (await session(await partner.token({ roles: [role] }))).status;
        expect({ type, role, status }).toEqual({ type, role, status: row.roles.includes(role) ? 200 : 401 });
      }
      for (const profession of policy.professions) {
        const response = await session(await partner.token({ roles: [row.roles[0]], profession }));
        expect({ type, profession, status: response.status, check: response.body?.check }).toEqual({
          type,
          profession,
          status: row.professions.includes(profession) ? 200 : 401,
          check: row.professions.includes(profession) ? undefined : 'profession',
        });
      }
    }
  });

  it('refuses a housing company that asserts psychiatrist, a care role or a care profession, and logs each signed attempt', async () => {
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const attempts: [Record<string, unknown>, string][] = [
      [{ roles: ['psychiatrist'] }, 'roles'],
      [{ roles: ['referrer', 'caseworker'] }, 'roles'],
      [{ roles: ['coordinator'] }, 'roles'],
      [{ roles: ['referrer'], profession: 'psychiatrist' }, 'profession'],
      [{ roles: ['referrer'], profession: 'social-worker' }, 'profession'],
    ];
    for (const [claims, check] of attempts) {
      const token = await housing.token(claims);
      const response = await ctx.request({ url: '/v1/referrals', token, purpose: 'referral' });
      expect({ claims, status: response.status, check: response.body?.check }).toEqual({ claims, status: 401, check });
      expect(response.text).not.toContain(token);
    }
    const logged = await refusedAttempts(housing.id);
    expect(logged.map((entry) => entry.reason.split(':')[0])).toEqual(attempts.map(([, check]) => `check ${check}`));
    expect(logged[0]).toMatchObject({ roles: ['psychiatrist'] });
    // Its own staff with its own words still get in.
    expect((await session(await housing.token({ roles: ['referrer'], profession: 'housing-officer' }))).status).toBe(
      200,
    );
  });

  it('gives a partner of type other the referrer role only: no administrative role, no profession', async () => {
    const police = await ctx.newPartner({ type: 'other' });
    expect((await session(await police.token({ roles: ['referrer'] }))).status).toBe(200);
    for (const role of ['privacy-officer', 'partner-admin', 'partner-system', 'gateway-admin']) {
      const response = await session(await police.token({ roles: [role] }));
      expect({ role, status: response.status, check: response.body?.check }).toEqual({
        role,
        status: 401,
        check: 'roles',
      });
    }
    expect((await session(await police.token({ roles: ['referrer'], profession: 'administrator' }))).status).toBe(401);
  });

  describe('registered narrowing', () => {
    let key: { privateKey: CryptoKey; publicJwk: Record<string, unknown> };
    const issuer = 'https://idp.narrow.example';

    beforeAll(async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      key = {
        privateKey: pair.privateKey,
        publicJwk: { ...(await exportJWK(pair.publicKey)), kid: 'n1', alg: 'ES256' },
      };
    });

    const tokenOf = async (claims: Record<string, unknown>) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ sub: 'u', iss: issuer, aud: ctx.config.auth.audience, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'n1' })
        .sign(key.privateKey);
    };

    it('registers a partner narrowed below its row, shows what it may assert, and refuses the rest', async () => {
      const created = await admin('POST', '/v1/partners', {
        id: 'svk-narrow',
        name: 'SVK Narrow',
        type: 'social-rental-agency',
        municipalities: [],
        issuer,
        jwks: { keys: [key.publicJwk] },
        allowedRoles: ['partner-system'],
        allowedProfessions: [],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        allowedRoles: ['partner-system'],
        allowedProfessions: [],
        mayAssert: { roles: ['partner-system'], professions: [] },
      });
      expect((await session(await tokenOf({ roles: ['partner-system'] }))).status).toBe(200);
      expect((await session(await tokenOf({ roles: ['referrer'] }))).body.check).toBe('roles');
      expect(
        (await session(await tokenOf({ roles: ['partner-system'], profession: 'housing-officer' }))).body.check,
      ).toBe('profession');
    });

    it('never widens through the API, not even for the operator’s administrators', async () => {
      const widened = await admin('PATCH', '/v1/partners/svk-narrow', {
        allowedRoles: ['referrer', 'psychiatrist'],
        allowedProfessions: ['psychologist'],
      });
      expect(widened.status).toBe(400);
      expect(widened.body.errors).toEqual([
        { pointer: '/allowedRoles/1', detail: expect.stringContaining('can only narrow') },
        { pointer: '/allowedProfessions/0', detail: expect.stringContaining('can only narrow') },
      ]);
      const unknown = await admin('PATCH', '/v1/partners/svk-narrow', { allowedRoles: ['wizard'] });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors).toEqual([
        { pointer: '/allowedRoles/0', detail: 'not a role of policies/roles.yaml' },
      ]);
      const networkWide = await admin('POST', '/v1/partners', {
        id: 'shm-wide',
        name: 'Wide',
        type: 'social-housing-company',
        municipalities: [],
        issuer: 'https://idp.shm-wide.example',
        jwks: { keys: [{ ...key.publicJwk, kid: 'w1' }] },
        allowedRoles: ['gateway-admin'],
      });
      expect(networkWide.status).toBe(400);
      expect((await admin('GET', '/v1/partners/shm-wide')).status).toBe(404);
      const current = await admin('GET', '/v1/partners/svk-narrow');
      expect(current.body.mayAssert).toEqual({ roles: ['partner-system'], professions: [] });
    });

    it('puts a partner back on its type’s row with null', async () => {
      const reset = await admin('PATCH', '/v1/partners/svk-narrow', { allowedRoles: null, allowedProfessions: null });
      expect(reset.status).toBe(200);
      expect(reset.body).toMatchObject({
        allowedRoles: null,
        allowedProfessions: null,
        mayAssert: policy.partnerTrust.types['social-rental-agency'],
      });
      expect((await session(await tokenOf({ roles: ['referrer'], profession: 'housing-officer' }))).status).toBe(200);
    });

    it('intersects a stored list with the row at every authentication, whatever the database holds', async () => {
      // Written around the API (as a restore of an old backup or a later-narrowed policy would leave it).
      await ctx.dataSource.query(
        "UPDATE partner SET allowed_roles = '{referrer,psychiatrist}', allowed_professions = '{psychiatrist}' WHERE id = 'svk-narrow'",
      );
      await ctx.app.get(PartnerRegistry).propagate();
      expect((await session(await tokenOf({ roles: ['psychiatrist'] }))).body.check).toBe('roles');
      expect((await session(await tokenOf({ roles: ['referrer'], profession: 'psychiatrist' }))).body.check).toBe(
        'profession',
      );
      expect((await session(await tokenOf({ roles: ['referrer'] }))).status).toBe(200);
      expect((await admin('GET', '/v1/partners/svk-narrow')).body.mayAssert).toEqual({
        roles: ['referrer'],
        professions: [],
      });
    });
  });

  it('describes the allowance in the OpenAPI document', async () => {
    const doc = (await ctx.request({ url: '/openapi.json' })).body;
    for (const schema of ['CreatePartnerDto', 'UpdatePartnerDto', 'PartnerView'])
      expect(Object.keys(doc.components.schemas[schema].properties)).toEqual(
        expect.arrayContaining(['allowedRoles', 'allowedProfessions']),
      );
    expect(doc.components.schemas.PartnerView.properties.mayAssert).toBeDefined();
  });
});

/** The shipped table says what the field says (shared/domain.md), not only what the code enforces. */
describe('the shipped partner-trust table', () => {
  const policy = loadPolicySet(`${process.cwd()}/policies`);
  const { types, operator } = policy.partnerTrust;

  it('has one row per partner type', () => {
    expect(Object.keys(types).sort()).toEqual([...PARTNER_TYPES].sort());
  });

  it('keeps landlords out of care: no clinical role, no profession bound by professional secrecy', () => {
    for (const type of ['social-housing-company', 'social-rental-agency']) {
      expect(types[type].roles).not.toEqual(expect.arrayContaining(['psychiatrist']));
      for (const role of ['psychiatrist', 'caseworker', 'coordinator']) expect(types[type].roles).not.toContain(role);
      for (const profession of policy.professionalSecrecy) expect(types[type].professions).not.toContain(profession);
    }
  });

  it('gives type other the referrer role only, and network-wide roles to the operator alone', () => {
    expect(types.other).toEqual({ roles: ['referrer'], professions: [] });
    const networkWide = policy.roles.filter((r) => r.networkWide).map((r) => r.id);
    for (const row of Object.values(types)) for (const role of networkWide) expect(row.roles).not.toContain(role);
    expect(operator.roles).toEqual(expect.arrayContaining(networkWide));
  });
});
