import { type INestApplication, RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { controllerRoutes, WRITE_METHODS } from '../http/controller-routes.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';

/**
 * Puts the Idempotency-Key interceptor on every write route (POST, PUT, PATCH, DELETE) of every
 * controller, first in its interceptors — the routes it acted on as a global interceptor, where
 * it let every other request through untouched. As a global interceptor it also made Nest wrap
 * every read in an rxjs pipeline for nothing; with no global interceptor left, a read runs
 * without one. The interceptor goes on as the shared instance (not its class), so Nest needs no
 * per-module provider for it. Call after NestFactory.create() and before app.init(), which reads
 * each route's interceptors once. Returns the routes it covered.
 */
export function makeWritesIdempotent(app: INestApplication): string[] {
  const interceptor = app.get(IdempotencyInterceptor);
  const covered: string[] = [];
  for (const { controller, name, handler, method } of controllerRoutes(app)) {
    if (!WRITE_METHODS.has(method)) continue;
    // Metadata lives on the class, shared by every application built in this process (tests
    // build several): another application's instance is replaced, never kept beside this one.
    // Each application reads the list once, at its own init, so earlier ones keep theirs.
    const others = ((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? []).filter(
      (existing) => !(existing instanceof IdempotencyInterceptor),
    );
    Reflect.defineMetadata(INTERCEPTORS_METADATA, [interceptor, ...others], handler);
    covered.push(`${RequestMethod[method]} ${controller.name}.${name}`);
  }
  return covered;
}
