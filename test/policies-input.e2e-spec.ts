import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from './support/test-context.js';

type Response = Awaited<ReturnType<TestContext['request']>>;

/**
 * Bad input on the policy endpoints: every refusal is a problem+json that says what was wrong,
 * in the guard's order (purpose required and known → 400, purpose the role may use → 403, the
 * route's permission → 403), and a refusal changes nothing (the enforced policy stays the same).
 */
describe('policy endpoints refuse bad input', () => {
  let ctx: TestContext;
  let officer: string;
  let admin: string;
  let caseworker: string;
  let version: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    const operator = await ctx.operator();
    officer = await operator.token({ roles: ['privacy-officer'] });
    admin = await operator.token({ roles: ['gateway-admin'] });
    caseworker = await (
      await ctx.newPartner({ type: 'outreach-team' })
    ).token({ roles: ['caseworker'], profession: 'psychologist' });
    version = (await ctx.request({ url: '/v1/policies', token: officer, purpose: 'privacy-audit' })).body.version;
  });
  afterAll(async () => {
    // Nothing a refused request did changed the enforced policy.
    expect((await ctx.request({ url: '/v1/policies', token: admin, purpose: 'administration' })).body.version).toBe(
      version,
    );
    await ctx?.close();
  });

  function expectProblem(response: Response, status: number, type: string): void {
    expect({ status: response.status, contentType: response.headers['content-type'] }).toEqual({
      status,
      contentType: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(response.body).toMatchObject({ status, type: expect.stringContaining(type), title: expect.any(String) });
  }

  const routes = [
    { name: 'GET /v1/policies', method: 'GET' as const, url: '/v1/policies', body: undefined },
    { name: 'GET /v1/processing-register', method: 'GET' as const, url: '/v1/processing-register', body: undefined },
    {
      name: 'POST /v1/policies/explain',
      method: 'POST' as const,
      url: '/v1/policies/explain',
      body: {
        subject: { partnerType: 'caw', roles: ['caseworker'] },
        action: 'read',
        resource: 'Case',
        purpose: 'duo-follow-up',
      },
    },
  ];

  describe.each(routes)('$name', ({ method, url, body }) => {
    it('answers the privacy officer (privacy-audit) and the gateway administrator (administration)', async () => {
      expect((await ctx.request({ method, url, body, token: officer, purpose: 'privacy-audit' })).status).toBe(200);
      expect((await ctx.request({ method, url, body, token: admin, purpose: 'administration' })).status).toBe(200);
    });

    it('401 without a token', async () => {
      expectProblem(await ctx.request({ method, url, body, purpose: 'privacy-audit' }), 401, 'unauthenticated');
    });

    it('400 without X-Purpose, and for a purpose the policy does not list', async () => {
      expectProblem(await ctx.request({ method, url, body, token: officer }), 400, 'purpose-required');
      const unknown = await ctx.request({ method, url, body, token: officer, purpose: 'curiosity' });
      expectProblem(unknown, 400, 'unknown-purpose');
      expectProblem(
        await ctx.request({ method, url, body, token: officer, purpose: 'Privacy Audit!' }),
        400,
        'unknown-purpose',
      );
    });

    it('403 with the reason for a purpose the role may not use', async () => {
      const response = await ctx.request({ method, url, body, token: officer, purpose: 'referral' });
      expectProblem(response, 403, 'purpose-not-permitted');
      expect(response.body.detail).toContain('"referral"');
    });

    it('403 for a role that may use the purpose but not read the policy', async () => {
      const response = await ctx.request({ method, url, body, token: caseworker, purpose: 'care-coordination' });
      expectProblem(response, 403, 'forbidden');
      expect(response.body.detail).toMatch(/may not (read|explain) Policy/);
    });
  });

  describe('POST /v1/policies/explain', () => {
    const explain = (payload: unknown, headers?: Record<string, string>) =>
      ctx.request({
        method: 'POST',
        url: '/v1/policies/explain',
        token: officer,
        purpose: 'privacy-audit',
        body: payload,
        headers,
      });
    const valid = {
      subject: { partnerType: 'caw', roles: ['caseworker'] },
      action: 'read',
      resource: 'Case',
      purpose: 'duo-follow-up',
    };
    const pointers = (response: Response) => (response.body.errors ?? []).map((e: { pointer: string }) => e.pointer);

    it('400 for a body that is not a JSON object, or is not JSON', async () => {
      for (const raw of ['[]', '"why"', '42', 'null']) {
        const response = await explain(raw, { 'content-type': 'application/json' });
        expect({ raw, status: response.status }).toEqual({ raw, status: 400 });
      }
      expectProblem(await explain('{"subject":', { 'content-type': 'application/json' }), 400, '');
    });

    it('400 naming every missing field', async () => {
      const response = await explain({});
      expectProblem(response, 400, 'validation-failed');
      expect(pointers(response)).toEqual(expect.arrayContaining(['/subject', '/action', '/resource', '/purpose']));
    });

    it('400 for an unknown field, at any depth', async () => {
      expect(pointers(await explain({ ...valid, verbose: true }))).toContain('/verbose');
      expect(pointers(await explain({ ...valid, subject: { ...valid.subject, clearance: 'top' } }))).toContain(
        '/subject/clearance',
      );
      expect(pointers(await explain({ ...valid, facts: { inCircle: true, moonPhase: 'full' } }))).toContain(
        '/facts/moonPhase',
      );
    });

    it('400 for wrong types', async () => {
      const response = await explain({
        ...valid,
        subject: { partnerType: 'caw', roles: 'caseworker' },
        facts: { inCircle: 'yes', tenantInformed: 'maybe' },
        objection: 'no',
        consent: 'housing',
      });
      expectProblem(response, 400, 'validation-failed');
      expect(pointers(response)).toEqual(
        expect.arrayContaining([
          '/subject/roles',
          '/facts/inCircle',
          '/facts/tenantInformed',
          '/objection',
          '/consent',
        ]),
      );
    });

    it('400 for names outside the policy: partner type, role, profession, purpose, action, resource, category', async () => {
      const response = await explain({
        subject: { partnerType: 'caw', roles: ['caseworker', 'wizard'], profession: 'astrologer' },
        action: 'peek',
        resource: 'Horoscope',
        purpose: 'gossip',
        consent: ['housing', 'horoscope'],
        informedNoObjection: ['rumours'],
        objectedCategories: ['dreams'],
        categories: ['secrets'],
      });
      expectProblem(response, 400, 'validation-failed');
      expect(pointers(response)).toEqual(
        expect.arrayContaining([
          '/subject/roles/1',
          '/subject/profession',
          '/purpose',
          '/action',
          '/resource',
          '/consent/1',
          '/informedNoObjection/0',
          '/objectedCategories/0',
          '/categories/0',
        ]),
      );
      expect(JSON.stringify(response.body)).not.toContain('astrologer');
      expectProblem(
        await explain({ ...valid, subject: { partnerType: 'bank', roles: ['caseworker'] } }),
        400,
        'validation-failed',
      );
    });
  });

  describe('GET /v1/processing-register', () => {
    const register = (query = '', headers?: Record<string, string>) =>
      ctx.request({ url: `/v1/processing-register${query}`, token: officer, purpose: 'privacy-audit', headers });

    it('gives Markdown in the asked language, JSON by default', async () => {
      const nl = await register('?lang=nl', { accept: 'text/markdown' });
      expect(nl.headers['content-type']).toContain('text/markdown');
      expect(nl.text).toContain('Duobegeleiding met de preventieve woonbegeleiding');
      const fr = await register('?lang=fr', { accept: 'text/markdown' });
      expect(fr.text).toContain('Accompagnement en duo');
      expect((await register('', { accept: '*/*' })).body.activities.length).toBeGreaterThan(0);
    });

    it('400 for an unknown language or query parameter', async () => {
      const lang = await register('?lang=de', { accept: 'text/markdown' });
      expectProblem(lang, 400, 'validation-failed');
      expect(lang.body.errors).toEqual([expect.objectContaining({ pointer: '/lang' })]);
      expectProblem(await register('?format=pdf'), 400, 'validation-failed');
    });

    it('406 for a representation it does not offer', async () => {
      expectProblem(await register('', { accept: 'application/pdf' }), 406, 'not-acceptable');
    });
  });
});
