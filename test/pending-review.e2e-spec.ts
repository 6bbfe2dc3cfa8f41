import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadPolicySet } from '../src/policies/policy-files.js';
import { careNetwork, type CareNetwork } from './support/network.js';
import { declaredRoutes, type RouteDeclaration } from './support/routes.js';
import { createTestContext, type TestContext } from './support/test-context.js';

type Call = (
  net: CareNetwork,
  pending: { requestId: string },
) => Promise<{ status: number; headers: Record<string, unknown>; body: any; text: string }>;

/**
 * A rule with `review: coordinator` grants nothing until the coordinator has judged — on EVERY
 * route that can disclose its subject. The routes are taken from the route metadata (the
 * permission snapshot: read on the subject, or `discloses` it); a disclosing route this table
 * does not cover fails the suite, so a new route cannot open a way around the coordinator.
 */
describe('a pending review grants nothing, on every route', () => {
  let ctx: TestContext;
  let net: CareNetwork;
  let requestId: string;
  const policy = loadPolicySet(join(process.cwd(), 'policies'));
  const reviewRules = policy.rules.filter((r) => r.review === 'coordinator');

  const ROUTES: Record<string, Call> = {
    'GET /v1/cases/:id': (n) => n.readCase(n.doctor, 'care-coordination'),
    'GET /v1/cases': (n) => ctx.request({ url: '/v1/cases?limit=500', token: n.doctor, purpose: 'care-coordination' }),
    'GET /v1/information-requests/:id/disclosure': (n, p) =>
      ctx.request({
        url: `/v1/information-requests/${p.requestId}/disclosure`,
        token: n.doctor,
        purpose: 'care-coordination',
      }),
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    net = await careNetwork(ctx, { givenName: 'Wout', phone: '+3225550999' });
    await net.consent({
      purposes: ['care-coordination'],
      recipients: [{ partnerType: 'general-practitioner' }],
      categories: policy.categories.map((c) => c.id),
    });
    const asked = await ctx.request({
      method: 'POST',
      url: '/v1/information-requests',
      token: net.doctor,
      purpose: 'care-coordination',
      body: {
        caseId: net.caseId,
        purpose: 'care-coordination',
        categories: ['identity', 'health'],
        justification: 'Shared care at the practice',
      },
    });
    expect(asked.body.decision).toBe('pending');
    requestId = asked.body.id;
  });
  afterAll(async () => ctx?.close());

  const disclosing = (subject: string): RouteDeclaration[] =>
    declaredRoutes(ctx).filter(
      (r) =>
        r.permission &&
        ((r.permission.action === 'read' && r.permission.subject === subject) ||
          r.permission.discloses?.includes(subject)),
    );

  it('has at least one rule with a review, and covers every route that can disclose its subject', () => {
    expect(reviewRules.length).toBeGreaterThan(0);
    for (const rule of reviewRules) {
      const uncovered = disclosing(rule.subject)
        .map((r) => r.route)
        .filter((route) => !(route in ROUTES));
      expect({ rule: rule.id, uncovered }).toEqual({ rule: rule.id, uncovered: [] });
    }
  });

  it.each(reviewRules.map((r) => [r.id, r] as const))(
    '%s: nothing of its categories leaves while pending',
    async (_id, rule) => {
      const fields = policy.categories.filter((c) => rule.categories?.includes(c.id)).flatMap((c) => c.fields);
      for (const route of disclosing(rule.subject)) {
        const response = await ROUTES[route.route](net, { requestId });
        // Either refused, or answered without the record: never a field of the rule's categories.
        // A refusal is a problem body (whose own `status` is no case status); an answer holds none of the fields.
        const leaked =
          response.status === 200
            ? fields.filter((field) => response.body && typeof response.body === 'object' && field in response.body)
            : [];
        if (response.status !== 200) expect(response.headers['content-type']).toMatch(/problem\+json/);
        expect({
          route: route.route,
          leaked,
          withCase: response.text.includes(net.caseId) && response.status === 200 && route.route === 'GET /v1/cases',
        }).toEqual({
          route: route.route,
          leaked: [],
          withCase: false,
        });
        expect(response.text).not.toContain('Wout');
        expect(response.text).not.toContain('+3225550999');
      }
      const permitted = await ctx.dataSource.query(
        `SELECT categories FROM access_log WHERE user_sub = 'dr' AND decision = 'permit' AND categories && $1::text[]`,
        [rule.categories ?? []],
      );
      expect(permitted).toEqual([]);
    },
  );
});
