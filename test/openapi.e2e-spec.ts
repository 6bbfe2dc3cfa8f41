import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from './support/test-context.js';

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { content?: Record<string, unknown> }>;
}

/** The generated OpenAPI document is what integrators build against: it must be complete. */
describe('OpenAPI document', () => {
  let ctx: TestContext;
  let doc: {
    paths: Record<string, Record<string, Operation>>;
    components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    doc = (await ctx.request({ url: '/openapi.json' })).body;
  });
  afterAll(async () => ctx?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );

  it('describes bearer JWT security and the problem+json error shape', () => {
    expect(doc.components.securitySchemes['partner-jwt']).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it('marks every protected operation with bearer security, the X-Purpose header and problem responses', () => {
    // GET /v1/session serves only the caller's own identity, GET /v1/referrals/reasons only the
    // network's vocabulary: a token, but no purpose (see @Authenticated).
    const tokenOnly = ['GET /v1/session', 'GET /v1/referrals/reasons'];
    const protectedOps = operations().filter(({ route }) => route.includes('/v1/') && !tokenOnly.includes(route));
    expect(protectedOps.length).toBeGreaterThan(5);
    for (const { route, op } of protectedOps) {
      expect({ route, security: op.security }).toEqual({ route, security: [{ 'partner-jwt': [] }] });
      expect({ route, purpose: op.parameters?.find((p) => p.name === 'X-Purpose') }).toEqual({
        route,
        purpose: expect.objectContaining({ in: 'header', required: true }),
      });
      for (const status of ['400', '401', '403']) {
        expect({ route, status, content: Object.keys(op.responses[status]?.content ?? {}) }).toEqual({
          route,
          status,
          content: ['application/problem+json'],
        });
      }
    }
  });

  it('documents the session endpoint as token-protected without a purpose', () => {
    const [session] = operations().filter(({ route }) => route === 'GET /v1/session');
    expect(session.op.security).toEqual([{ 'partner-jwt': [] }]);
    expect(session.op.parameters?.find((p) => p.name === 'X-Purpose')).toBeUndefined();
    expect(Object.keys(session.op.responses['401']?.content ?? {})).toEqual(['application/problem+json']);
  });

  it('documents the care-path routes with examples', () => {
    const op = (route: string) => operations().find((o) => o.route === route)?.op as Record<string, any> | undefined;
    const reasons = op('GET /v1/referrals/reasons');
    expect(reasons?.security).toEqual([{ 'partner-jwt': [] }]);
    expect(reasons?.responses['200']?.content?.['application/json']?.example?.items[0]?.label?.fr).toBeDefined();
    const queue = op('GET /v1/information-requests');
    expect(queue?.parameters?.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['status', 'caseId', 'limit', 'cursor']),
    );
    expect(queue?.responses['200']?.content?.['application/json']?.example?.items?.length).toBeGreaterThan(0);
    expect(JSON.stringify(doc.components.schemas.ReferralDecisionDto)).toContain('outside-area');
    const rectify = op('PATCH /v1/clients/{id}/identity');
    expect(rectify?.responses['200']?.content?.['application/json']?.example?.changed).toEqual(['phone', 'address']);
  });

  it('leaves the health endpoints public', () => {
    const health = operations().filter(({ route }) => route.includes('/health'));
    expect(health.length).toBe(2);
    for (const { op } of health) expect(op.security).toBeUndefined();
  });
});
