import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { declaredRoutes } from './support/routes.js';
import { createTestContext, type TestContext } from './support/test-context.js';

/**
 * A diff in this snapshot is a permission change and is reviewed as one. A route that declares
 * none or more than one of @Public(), @Authenticated() and @Authorize() fails the suite.
 */
describe('endpoint permission declarations', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => ctx?.close());

  it('every route declares exactly one of @Public() or a permission', () => {
    const routes = declaredRoutes(ctx);
    expect(routes.length).toBeGreaterThan(5);
    const wrong = routes
      .filter((r) => [r.isPublic, r.authenticatedOnly, Boolean(r.permission)].filter(Boolean).length !== 1)
      .map((r) => r.route);
    expect(wrong).toEqual([]);
  });

  it('answers a constant past the guards only on public routes', () => {
    const constant = declaredRoutes(ctx).filter((r) => r.constantAnswer);
    expect(constant.map((r) => r.route)).toEqual(['GET /health']);
    expect(constant.filter((r) => !r.isPublic || r.authenticatedOnly || r.permission)).toEqual([]);
  });

  it('matches the reviewed list of permissions', () => {
    const lines = declaredRoutes(ctx).map(
      (r) =>
        `${r.route} -> ${r.isPublic ? 'PUBLIC' : r.authenticatedOnly ? 'AUTHENTICATED (own identity only)' : `${r.permission!.action} ${r.permission!.subject}${r.permission!.discloses ? ` (discloses ${r.permission!.discloses.join(', ')})` : ''}`}`,
    );
    expect(lines.join('\n')).toMatchSnapshot();
  });

  it('refuses, fail-closed, a request to a protected route without a token', async () => {
    for (const route of declaredRoutes(ctx).filter((r) => !r.isPublic)) {
      const [method, path] = route.route.split(' ');
      const url = path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
      const response = await ctx.request({
        method: method as 'GET',
        url,
        purpose: 'administration',
        ...(method === 'GET' ? {} : { body: {} }),
      });
      expect({ route: route.route, status: response.status }).toEqual({ route: route.route, status: 401 });
    }
  });
});
