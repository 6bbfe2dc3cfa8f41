import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { AUTHENTICATED_ONLY, IS_PUBLIC, PERMISSION, type DeclaredPermission } from '../src/auth/decorators.js';
import { createTestContext, type TestContext } from './support/test-context.js';

interface RouteDeclaration {
  route: string;
  isPublic: boolean;
  /** Token required, no purpose: serves only the caller's own identity (see @Authenticated). */
  authenticatedOnly: boolean;
  permission?: DeclaredPermission;
}

function join(...parts: (string | string[] | undefined)[]): string {
  const path = parts
    .flatMap((p) => (Array.isArray(p) ? p[0] : p))
    .filter((p): p is string => typeof p === 'string' && p !== '' && p !== '/')
    .map((p) => p.replace(/^\/|\/$/g, ''))
    .join('/');
  return `/${path}`;
}

/** Every route of every controller with what it declares, read from the running application. */
function declaredRoutes(ctx: TestContext): RouteDeclaration[] {
  const scanner = new MetadataScanner();
  const routes: RouteDeclaration[] = [];
  for (const module of ctx.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!type) continue;
      const prefix = Reflect.getMetadata(PATH_METADATA, type) as string | string[] | undefined;
      for (const name of scanner.getAllMethodNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[name] as object;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        routes.push({
          route: `${method} ${join(prefix, path)}`,
          isPublic: Boolean(Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, type)),
          authenticatedOnly: Boolean(Reflect.getMetadata(AUTHENTICATED_ONLY, handler)),
          permission: Reflect.getMetadata(PERMISSION, handler) as DeclaredPermission | undefined,
        });
      }
    }
  }
  return routes.sort((a, b) => a.route.localeCompare(b.route));
}

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
    const wrong = routes.filter((r) => [r.isPublic, r.authenticatedOnly, Boolean(r.permission)].filter(Boolean).length !== 1).map((r) => r.route);
    expect(wrong).toEqual([]);
  });

  it('matches the reviewed list of permissions', () => {
    const lines = declaredRoutes(ctx).map((r) => `${r.route} -> ${r.isPublic ? 'PUBLIC' : r.authenticatedOnly ? 'AUTHENTICATED (own identity only)' : `${r.permission!.action} ${r.permission!.subject}`}`);
    expect(lines.join('\n')).toMatchSnapshot();
  });

  it('refuses, fail-closed, a request to a protected route without a token', async () => {
    for (const route of declaredRoutes(ctx).filter((r) => !r.isPublic)) {
      const [method, path] = route.route.split(' ');
      const url = path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
      const response = await ctx.request({ method: method as 'GET', url, purpose: 'administration', ...(method === 'GET' ? {} : { body: {} }) });
      expect({ route: route.route, status: response.status }).toEqual({ route: route.route, status: 401 });
    }
  });
});
