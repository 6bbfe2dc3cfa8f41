import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Agreement } from '../src/partners/agreements/agreement.entity.js';
import { Partner } from '../src/partners/partner.entity.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

describe('partner registry (gateway administrators)', () => {
  let ctx: TestContext;
  let operator: TestPartner;
  let token: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    operator = await ctx.operator();
    token = await operator.token();
  });
  afterAll(async () => ctx?.close());

  const admin = (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) =>
    ctx.request({ method, url, token, purpose: 'administration', body });

  async function newKey(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
  }

  it('registers a housing company whose users can then authenticate with its key', async () => {
    const key = await newKey('wh-1');
    const created = await admin('POST', '/v1/partners', {
      id: 'shm-woonhaven',
      name: 'Woonhaven',
      type: 'social-housing-company',
      municipalities: ['2000'],
      issuer: 'https://idp.woonhaven.example',
      jwks: { keys: [key.publicJwk] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'shm-woonhaven',
      type: 'social-housing-company',
      status: 'active',
      jwksUri: null,
    });

    const now = Math.floor(Date.now() / 1000);
    const theirToken = await new SignJWT({
      roles: ['partner-system'],
      sub: 'it-team',
      iss: 'https://idp.woonhaven.example',
      aud: ctx.config.auth.audience,
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'wh-1' })
      .sign(key.privateKey);
    const session = await ctx.request({ url: '/v1/session', token: theirToken });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ partnerId: 'shm-woonhaven', partnerType: 'social-housing-company' });
    // …and never with a network-wide role: only the operator's tokens may carry one.
    const adminClaim = await new SignJWT({
      roles: ['gateway-admin'],
      sub: 'it-team',
      iss: 'https://idp.woonhaven.example',
      aud: ctx.config.auth.audience,
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'wh-1' })
      .sign(key.privateKey);
    expect(
      (await ctx.request({ url: '/v1/partners/shm-woonhaven', token: adminClaim, purpose: 'administration' })).status,
    ).toBe(401);
  });

  it('refuses a duplicate id or issuer with 409 and keeps the original', async () => {
    const key = await newKey('dup-1');
    const first = {
      id: 'shm-dup',
      name: 'Dup',
      type: 'social-housing-company',
      municipalities: [],
      issuer: 'https://idp.dup.example',
      jwks: { keys: [key.publicJwk] },
    };
    expect((await admin('POST', '/v1/partners', first)).status).toBe(201);
    const sameId = await admin('POST', '/v1/partners', { ...first, issuer: 'https://idp.other.example' });
    expect(sameId.status).toBe(409);
    const sameIssuer = await admin('POST', '/v1/partners', { ...first, id: 'shm-dup-2' });
    expect(sameIssuer.status).toBe(409);
    expect(await ctx.dataSource.getRepository(Partner).countBy({ issuer: 'https://idp.dup.example' })).toBe(1);
  });

  it('refuses private keys, symmetric keys, keys without kid, disallowed algorithms, and both or neither key source', async () => {
    const key = await newKey('bad-1');
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'p', alg: 'ES256' };
    const base = { id: 'shm-badkeys', name: 'Bad', type: 'caw', municipalities: [], issuer: 'https://idp.bad.example' };
    const cases: [string, unknown][] = [
      ['private key', { ...base, jwks: { keys: [privateJwk] } }],
      ['symmetric key', { ...base, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 's', alg: 'HS256' }] } }],
      ['no kid', { ...base, jwks: { keys: [{ ...key.publicJwk, kid: undefined }] } }],
      ['HS256 alg', { ...base, jwks: { keys: [{ ...key.publicJwk, alg: 'HS256' }] } }],
      ['empty set', { ...base, jwks: { keys: [] } }],
      ['both sources', { ...base, jwks: { keys: [key.publicJwk] }, jwksUri: 'https://idp.bad.example/jwks' }],
      ['no source', base],
      ['bad type', { ...base, type: 'bank', jwks: { keys: [key.publicJwk] } }],
      ['bad slug', { ...base, id: 'Has Spaces', jwks: { keys: [key.publicJwk] } }],
    ];
    for (const [label, body] of cases) {
      const response = await admin('POST', '/v1/partners', body);
      expect({ label, status: response.status, problem: response.headers['content-type'] }).toEqual({
        label,
        status: 400,
        problem: expect.stringContaining('problem+json'),
      });
    }
    expect(await ctx.dataSource.getRepository(Partner).countBy({ issuer: 'https://idp.bad.example' })).toBe(0);
  });

  it('suspends a partner at once and rotates its keys without downtime for the new key', async () => {
    const partner = await ctx.newPartner({ type: 'caw' });
    const oldToken = await partner.token({ roles: ['caseworker'] });
    const whoAmI = (token: string) => ctx.request({ url: '/v1/session', token });
    expect((await whoAmI(oldToken)).status).toBe(200);

    const suspended = await admin('PATCH', `/v1/partners/${partner.id}`, { status: 'suspended' });
    expect(suspended.body.status).toBe('suspended');
    expect((await whoAmI(oldToken)).status).toBe(401);
    await admin('PATCH', `/v1/partners/${partner.id}`, { status: 'active' });

    const next = await newKey(`${partner.id}-k2`);
    const rotated = await admin('PATCH', `/v1/partners/${partner.id}`, { jwks: { keys: [next.publicJwk] } });
    expect(rotated.status).toBe(200);
    const newToken = await partner.token({ roles: ['caseworker'] }, { key: next.privateKey, kid: `${partner.id}-k2` });
    expect((await whoAmI(newToken)).status).toBe(200);
    expect((await whoAmI(oldToken)).status).toBe(401);
  });

  it('refuses an empty or unknown-field PATCH and an unknown partner', async () => {
    expect((await admin('PATCH', `/v1/partners/${operator.id}`, {})).status).toBe(400);
    expect((await admin('PATCH', `/v1/partners/${operator.id}`, { issuer: 'https://changed.example' })).status).toBe(
      400,
    );
    expect((await admin('PATCH', `/v1/partners/${operator.id}`, { status: 'deleted' })).status).toBe(400);
    expect((await admin('PATCH', '/v1/partners/no-such-partner', { status: 'suspended' })).status).toBe(404);
    expect((await admin('GET', '/v1/partners/no-such-partner')).status).toBe(404);
    const unchanged = await ctx.dataSource.getRepository(Partner).findOneByOrFail({ id: operator.id });
    expect(unchanged.status).toBe('active');
  });

  it('lists partners with cursor pagination, each exactly once', async () => {
    for (let i = 0; i < 4; i++) await ctx.newPartner();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await admin(
        'GET',
        `/v1/partners?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((p) => p.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const all = await ctx.dataSource.getRepository(Partner).find({ order: { id: 'ASC' } });
    expect(seen).toEqual(all.map((p) => p.id));
    expect((await admin('GET', '/v1/partners?limit=0')).status).toBe(400);
    expect((await admin('GET', '/v1/partners?limit=501')).status).toBe(400);
    expect((await admin('GET', '/v1/partners?cursor=%%%')).status).toBe(400);
    expect((await admin('GET', '/v1/partners?cursor=bm90LWpzb24')).status).toBe(400);
  });

  it('keeps non-administrators out of the registry', async () => {
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const referrer = await housing.token({ roles: ['referrer'] });
    expect((await ctx.request({ url: '/v1/partners', token: referrer, purpose: 'administration' })).status).toBe(403);
    const post = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token: referrer,
      purpose: 'administration',
      body: { id: 'sneaky' },
    });
    expect(post.status).toBe(403);
  });
});

describe('cooperation agreements', () => {
  let ctx: TestContext;
  let token: string;
  let housing: TestPartner;
  let outreach: TestPartner;

  beforeAll(async () => {
    ctx = await createTestContext();
    token = await (await ctx.operator()).token();
    housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
  });
  afterAll(async () => ctx?.close());

  const admin = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    ctx.request({ method, url, token, purpose: 'administration', body });

  it('records an agreement between partners for purposes and shows whether it is in force', async () => {
    const created = await admin('POST', '/v1/agreements', {
      title: 'Samenwerkingsovereenkomst aanklampende zorg',
      partnerIds: [outreach.id, housing.id],
      purposes: ['administration'],
      validFrom: '2026-01-01',
      validUntil: '2099-12-31',
      documentReference: 'SO-2026-014',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      partnerIds: [housing.id, outreach.id].sort(),
      purposes: ['administration'],
      inForce: true,
    });
    const fetched = await admin('GET', `/v1/agreements/${created.body.id}`);
    expect(fetched.body).toEqual(created.body);
    const expired = await admin('POST', '/v1/agreements', {
      title: 'Old',
      partnerIds: [outreach.id, housing.id],
      purposes: ['administration'],
      validFrom: '2020-01-01',
      validUntil: '2020-12-31',
    });
    expect(expired.body.inForce).toBe(false);
  });

  it('refuses unknown partners, unknown purposes, a single party and reversed dates, creating nothing', async () => {
    const before = await ctx.dataSource.getRepository(Agreement).count();
    const cases: [string, unknown, string][] = [
      [
        'unknown partner',
        {
          title: 'x',
          partnerIds: [housing.id, 'ghost-partner'],
          purposes: ['administration'],
          validFrom: '2026-01-01',
        },
        '/partnerIds/1',
      ],
      [
        'unknown purpose',
        { title: 'x', partnerIds: [housing.id, outreach.id], purposes: ['gossip'], validFrom: '2026-01-01' },
        '/purposes/0',
      ],
      [
        'one party',
        { title: 'x', partnerIds: [housing.id], purposes: ['administration'], validFrom: '2026-01-01' },
        '/partnerIds',
      ],
      [
        'reversed dates',
        {
          title: 'x',
          partnerIds: [housing.id, outreach.id],
          purposes: ['administration'],
          validFrom: '2026-06-01',
          validUntil: '2026-01-01',
        },
        '/validUntil',
      ],
      [
        'duplicate party',
        { title: 'x', partnerIds: [housing.id, housing.id], purposes: ['administration'], validFrom: '2026-01-01' },
        '/partnerIds',
      ],
    ];
    for (const [label, body, pointer] of cases) {
      const response = await admin('POST', '/v1/agreements', body);
      expect({ label, status: response.status }).toEqual({ label, status: 400 });
      expect({ label, pointers: response.body.errors.map((e: { pointer: string }) => e.pointer) }).toEqual({
        label,
        pointers: expect.arrayContaining([pointer]),
      });
    }
    expect(await ctx.dataSource.getRepository(Agreement).count()).toBe(before);
  });

  it('lists agreements newest first, filtered by partner, with pagination', async () => {
    const other = await ctx.newPartner({ type: 'caw' });
    for (let i = 0; i < 3; i++) {
      await admin('POST', '/v1/agreements', {
        title: `CAW ${i}`,
        partnerIds: [other.id, outreach.id],
        purposes: ['administration'],
        validFrom: '2026-01-01',
      });
    }
    const first = await admin('GET', `/v1/agreements?partner=${other.id}&limit=2`);
    expect(first.body.items.map((a: { title: string }) => a.title)).toEqual(['CAW 2', 'CAW 1']);
    const second = await admin('GET', `/v1/agreements?partner=${other.id}&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((a: { title: string }) => a.title)).toEqual(['CAW 0']);
    expect(second.body.nextCursor).toBeNull();
    expect((await admin('GET', '/v1/agreements/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
