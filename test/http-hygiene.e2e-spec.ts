import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Partner } from '../src/partners/partner.entity.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** What an integrator sees when a request is wrong: always problem+json, never a change. */
describe('HTTP hygiene', () => {
  let ctx: TestContext;
  let admin: TestPartner;
  let token: string;

  beforeAll(async () => {
    ctx = await createTestContext({ BODY_LIMIT_BYTES: '4096', RATE_LIMIT_PER_MINUTE: '1000' });
    admin = await ctx.operator();
    token = await admin.token();
  });
  afterAll(async () => ctx?.close());

  const partnerCount = () => ctx.dataSource.getRepository(Partner).count();
  const validPartner = (id: string) => ({
    id,
    name: 'Woonhaven',
    type: 'social-housing-company',
    municipalities: ['2000'],
    issuer: `https://idp.${id}.example`,
    jwks: { keys: [{ ...admin.publicJwk, kid: `${id}-k1` }] },
  });

  function expectProblem(
    response: { status: number; headers: Record<string, unknown>; body: any },
    status: number,
  ): void {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
    expect(response.body.requestId).toBe(response.headers['x-request-id']);
  }

  it('rejects an unknown body field with 400, a JSON pointer to it, and creates nothing', async () => {
    const before = await partnerCount();
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token,
      purpose: 'administration',
      body: { ...validPartner('shm-extra'), favouriteColour: 'blue' },
    });
    expectProblem(response, 400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ pointer: '/favouriteColour' })]),
    );
    expect(await partnerCount()).toBe(before);
  });

  it('rejects a field of the wrong type with 400 naming the field', async () => {
    const before = await partnerCount();
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token,
      purpose: 'administration',
      body: { ...validPartner('shm-types'), municipalities: '2000' },
    });
    expectProblem(response, 400);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/municipalities');
    expect(await partnerCount()).toBe(before);
  });

  it('points into nested bad fields', async () => {
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token,
      purpose: 'administration',
      body: { title: 'x', partnerIds: ['ok-id', 'BAD ID'], purposes: ['administration'], validFrom: '2026-13-45' },
    });
    expectProblem(response, 400);
    const pointers = response.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/partnerIds', '/validFrom']));
  });

  it('rejects malformed JSON with 400 and creates nothing', async () => {
    const before = await partnerCount();
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token,
      purpose: 'administration',
      body: '{"id": "shm-broken",',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400);
    expect(response.body.type).toContain('malformed-request');
    expect(await partnerCount()).toBe(before);
  });

  it('rejects a body over the size limit with 413 and creates nothing', async () => {
    const before = await partnerCount();
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token,
      purpose: 'administration',
      body: { ...validPartner('shm-huge'), name: 'x'.repeat(10_000) },
    });
    expectProblem(response, 413);
    expect(await partnerCount()).toBe(before);
  });

  it('rejects a non-JSON content type with 415', async () => {
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token,
      purpose: 'administration',
      body: 'id=x',
      headers: { 'content-type': 'text/plain' },
    });
    expectProblem(response, 415);
  });

  it('rejects a JSON array or scalar where an object is expected', async () => {
    for (const body of ['[]', '"text"', '42']) {
      const response = await ctx.request({
        method: 'POST',
        url: '/v1/partners',
        token,
        purpose: 'administration',
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
  });

  it('answers an unknown route with a 404 problem', async () => {
    expectProblem(await ctx.request({ url: '/v1/nothing-here', token, purpose: 'administration' }), 404);
  });

  it('requires a purpose (400), a known purpose (400) and one the role may use (403)', async () => {
    expectProblem(await ctx.request({ url: '/v1/partners', token }), 400);
    const unknown = await ctx.request({ url: '/v1/partners', token, purpose: 'curiosity' });
    expectProblem(unknown, 400);
    expect(unknown.body.type).toContain('unknown-purpose');
    // A housing company's referrer: authenticated, but no rule lets a referrer administer.
    const referrer = await (await ctx.newPartner({ type: 'social-housing-company' })).token({ roles: ['referrer'] });
    const forbidden = await ctx.request({ url: '/v1/partners', token: referrer, purpose: 'administration' });
    expectProblem(forbidden, 403);
  });

  it("echoes a caller's X-Request-Id and makes one when absent or unsafe", async () => {
    const given = await ctx.request({ url: '/health', headers: { 'x-request-id': 'housing-42.retry-1' } });
    expect(given.headers['x-request-id']).toBe('housing-42.retry-1');
    const made = await ctx.request({ url: '/health' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await ctx.request({ url: '/health', headers: { 'x-request-id': 'bad id\twith tab' } });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers and no CORS headers when no origin is allowed', async () => {
    const response = await ctx.request({ url: '/health', headers: { origin: 'https://evil.example' } });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never answers a 4xx with a stack trace or SQL', async () => {
    const response = await ctx.request({ url: '/v1/agreements/not-a-uuid', token, purpose: 'administration' });
    expectProblem(response, 400);
    expect(response.text).not.toMatch(/at .*\.js:\d+|SELECT|QueryFailedError/);
  });
});

describe('CORS allow-list', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ CORS_ORIGINS: 'https://console.woonhaven.example' });
  });
  afterAll(async () => ctx?.close());

  it('answers only the configured origin', async () => {
    const allowed = await ctx.request({ url: '/health', headers: { origin: 'https://console.woonhaven.example' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://console.woonhaven.example');
    const other = await ctx.request({ url: '/health', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('per-partner rate limit', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => ctx?.close());

  it('refuses a partner over its limit with 429 and Retry-After, without slowing another partner', async () => {
    const busy = await ctx.newPartner({ type: 'social-housing-company' });
    const quiet = await ctx.newPartner({ type: 'social-housing-company' });
    const busyToken = await busy.token({ roles: ['referrer'] });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await ctx.request({ url: '/v1/session', token: busyToken })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await ctx.request({ url: '/v1/session', token: busyToken });
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
    expect((await ctx.request({ url: '/v1/session', token: await quiet.token({ roles: ['referrer'] }) })).status).toBe(
      200,
    );
  });
});
