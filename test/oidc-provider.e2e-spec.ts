import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startOpenIdProvider, type OpenIdProvider } from './support/openid-provider.js';
import { createTestContext, type TestContext } from './support/test-context.js';

const AUDIENCE = 'https://gateway.schakel.test';
const FUNCTIE = 'https://woonhaven.example/claims/functie';

/**
 * A housing company whose own identity provider is a real OpenID provider: it issues JWT access
 * tokens by the client-credentials grant with a resource indicator (RFC 8707) naming the gateway,
 * puts roles where Keycloak does (realm_access.roles) in its own words, and rotates its keys. The
 * gateway knows it only by issuer, jwksUri and the claim mapping registered through the API.
 */
describe('a partner IdP with mapped claims (oidc-provider)', () => {
  let ctx: TestContext;
  let idp: OpenIdProvider;
  let adminToken: string;
  const partnerId = 'shm-woonhaven-idp';

  beforeAll(async () => {
    idp = await startOpenIdProvider({
      audience: AUDIENCE,
      otherResources: ['https://rent-ledger.woonhaven.example'],
      firstKid: 'woonhaven-2026-01',
      clients: [
        {
          id: 'referral-export',
          claims: {
            realm_access: { roles: ['default-roles-woonhaven', 'offline_access', 'uma_authorization', 'aanmelder'] },
            [FUNCTIE]: 'woonconsulent',
          },
        },
        { id: 'dpo-console', claims: { realm_access: { roles: ['offline_access', 'dpo'] }, groups: ['/dpo'] } },
        { id: 'ledger-sync', claims: { realm_access: { roles: ['offline_access', 'boekhouding'] } } },
      ],
    });
    // The resource indicator must be an absolute URI (RFC 8707), so the gateway's audience is one.
    // No refetch cooldown: the rotation below happens within seconds, not the default 30.
    ctx = await createTestContext({ GATEWAY_AUDIENCE: AUDIENCE, JWKS_REFETCH_COOLDOWN_SECONDS: '0' });
    adminToken = await (await ctx.operator()).token({ roles: ['gateway-admin'] });
  });
  afterAll(async () => {
    await ctx?.close();
    await idp?.close();
  });

  const admin = (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) =>
    ctx.request({ method, url, token: adminToken, purpose: 'administration', body });
  const session = (token: string) => ctx.request({ url: '/v1/session', token });

  it('refuses a mapping onto a role or profession a housing company may not assert', async () => {
    const refused = await admin('POST', '/v1/partners', {
      id: partnerId,
      name: 'Woonhaven',
      type: 'social-housing-company',
      municipalities: ['2000'],
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      claimMapping: {
        roles: { path: ['realm_access', 'roles'], map: { aanmelder: 'referrer', psychiater: 'psychiatrist' } },
        profession: { path: [FUNCTIE], map: { 'sociaal/consulent': 'social-worker' } },
      },
    });
    expect(refused.status).toBe(400);
    const noPath = await admin('POST', '/v1/partners', {
      id: partnerId,
      name: 'Woonhaven',
      type: 'social-housing-company',
      municipalities: ['2000'],
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      claimMapping: { roles: { path: [], map: { aanmelder: 'referrer' } }, colour: 'blue' },
    });
    expect(noPath.status).toBe(400);
    expect(noPath.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/claimMapping/colour',
      '/claimMapping/roles/path',
    ]);
    expect(refused.body.errors).toEqual([
      {
        pointer: '/claimMapping/roles/map/psychiater',
        detail: expect.stringContaining('may not assert "psychiatrist"'),
      },
      {
        pointer: '/claimMapping/profession/map/sociaal~1consulent',
        detail: expect.stringContaining('may not assert "social-worker"'),
      },
    ]);
  });

  it('registers the IdP by jwksUri with its claim mapping, and reads roles and profession in the IdP’s words', async () => {
    const registered = await admin('POST', '/v1/partners', {
      id: partnerId,
      name: 'Woonhaven',
      type: 'social-housing-company',
      municipalities: ['2000'],
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      claimMapping: {
        roles: { path: ['realm_access', 'roles'], map: { aanmelder: 'referrer', dpo: 'privacy-officer' } },
        profession: { path: [FUNCTIE], map: { woonconsulent: 'housing-officer' } },
      },
    });
    expect(registered.status).toBe(201);
    expect(registered.body.claimMapping).toEqual({
      roles: { path: ['realm_access', 'roles'], map: { aanmelder: 'referrer', dpo: 'privacy-officer' } },
      profession: { path: [FUNCTIE], map: { woonconsulent: 'housing-officer' } },
    });

    const token = await idp.token('referral-export');
    // What the IdP really issued: an at+jwt for the gateway's audience, roles only in its own words.
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: 'woonhaven-2026-01' });
    expect(decodeJwt(token)).toMatchObject({ iss: idp.issuer, aud: AUDIENCE, sub: 'referral-export' });
    expect(decodeJwt(token).roles).toBeUndefined();

    const me = await session(token);
    expect(me.status).toBe(200);
    // Keycloak's own default roles are not the gateway's words: ignored, not refused, not granted.
    expect(me.body).toMatchObject({ partnerId, roles: ['referrer'], profession: 'housing-officer' });
    expect((await ctx.request({ url: '/v1/referrals', token, purpose: 'referral' })).status).toBe(200);

    const dpo = await idp.token('dpo-console');
    expect((await session(dpo)).body.roles).toEqual(['privacy-officer']);
    expect((await ctx.request({ url: '/v1/access-log', token: dpo, purpose: 'privacy-audit' })).status).toBe(200);
  });

  it('refuses a token with no mapped role, and a token the IdP issued for another API', async () => {
    const unmapped = await session(await idp.token('ledger-sync'));
    expect(unmapped.status).toBe(401);
    expect(unmapped.body).toMatchObject({ check: 'roles', detail: expect.stringContaining('realm_access.roles') });
    const forTheLedger = await session(await idp.token('referral-export', 'https://rent-ledger.woonhaven.example'));
    expect(forTheLedger.status).toBe(401);
    expect(forTheLedger.body.check).toBe('aud');
  });

  it('follows a changed mapping at once (Keycloak groups instead of realm roles)', async () => {
    const changed = await admin('PATCH', `/v1/partners/${partnerId}`, {
      claimMapping: { roles: { path: ['groups'], map: { '/dpo': 'privacy-officer' } } },
    });
    expect(changed.status).toBe(200);
    const dpo = await session(await idp.token('dpo-console'));
    expect(dpo.status).toBe(200);
    expect(dpo.body).toMatchObject({ roles: ['privacy-officer'], profession: null });
    // The export client has no groups at all now.
    expect((await session(await idp.token('referral-export'))).body.check).toBe('roles');
    const restored = await admin('PATCH', `/v1/partners/${partnerId}`, {
      claimMapping: {
        roles: { path: ['realm_access', 'roles'], map: { aanmelder: 'referrer', dpo: 'privacy-officer' } },
        profession: { path: [FUNCTIE], map: { woonconsulent: 'housing-officer' } },
      },
    });
    expect(restored.status).toBe(200);
  });

  it('follows a key rotation at the IdP by refetching on an unknown kid, and refuses tokens of a withdrawn key', async () => {
    const before = await idp.token('referral-export');
    expect((await session(before)).status).toBe(200);
    const fetched = idp.jwksFetches();
    expect(fetched).toBeGreaterThan(0);
    expect((await session(before)).status).toBe(200);
    expect(idp.jwksFetches()).toBe(fetched); // a known kid is served from the gateway's cache

    // Rollover: a new signing key, the old one still published for tokens in flight.
    await idp.rotate('woonhaven-2026-02', ['woonhaven-2026-01']);
    const during = await idp.token('referral-export');
    expect(decodeProtectedHeader(during).kid).toBe('woonhaven-2026-02');
    expect((await session(during)).status).toBe(200);
    expect(idp.jwksFetches()).toBe(fetched + 1); // the unknown kid made the gateway refetch once
    expect((await session(before)).status).toBe(200);
    expect(idp.jwksFetches()).toBe(fetched + 1);

    // The next rotation withdraws the first key: its tokens fail although not yet expired.
    await idp.rotate('woonhaven-2026-03', ['woonhaven-2026-02']);
    const after = await idp.token('referral-export');
    expect((await session(after)).status).toBe(200);
    expect((await session(during)).status).toBe(200);
    const withdrawn = await session(before);
    expect(withdrawn.status).toBe(401);
    expect(withdrawn.body.check).toBe('kid');
    expect(decodeJwt(before).exp! * 1000).toBeGreaterThan(Date.now());
  });
});
