import { PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import { AUTHENTICATED_ONLY, IS_PUBLIC, PERMISSION, type DeclaredPermission } from '../../src/access/decorators.js';
import { CONSTANT_ANSWER } from '../../src/common/http/constant-answer.js';
import { controllerRoutes } from '../../src/common/http/controller-routes.js';
import type { TestContext } from './test-context.js';

export interface RouteDeclaration {
  route: string;
  isPublic: boolean;
  /** Token required, no purpose: serves only the caller's own identity (see @Authenticated). */
  authenticatedOnly: boolean;
  permission?: DeclaredPermission;
  /** Answered by Fastify with a constant, past every guard (see ConstantAnswer). */
  constantAnswer: boolean;
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
export function declaredRoutes(ctx: TestContext): RouteDeclaration[] {
  return controllerRoutes(ctx.app)
    .map(({ controller, handler, method }) => ({
      route: `${RequestMethod[method]} ${join(
        Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined,
        Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined,
      )}`,
      isPublic: Boolean(Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller)),
      authenticatedOnly: Boolean(Reflect.getMetadata(AUTHENTICATED_ONLY, handler)),
      permission: Reflect.getMetadata(PERMISSION, handler) as DeclaredPermission | undefined,
      constantAnswer:
        (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined)?.[
          CONSTANT_ANSWER
        ] !== undefined,
    }))
    .sort((a, b) => a.route.localeCompare(b.route));
}

/** A route's path with every parameter filled by an id that exists nowhere. */
export function samplePath(route: RouteDeclaration): {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
} {
  const [method, path] = route.route.split(' ');
  return { method: method as 'GET', url: path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000') };
}
