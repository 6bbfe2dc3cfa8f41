import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The key in Fastify's route config under which a constant answer's JSON is kept. */
export const CONSTANT_ANSWER = 'schakel:constantAnswer';

/**
 * Marks a Nest route whose answer never changes (the liveness probe): Fastify sends its JSON,
 * serialised once here, itself, without Nest's router, guards, interceptors and pipes (they were
 * two thirds of the probe's CPU). The route stays a Nest route for all that reads the controllers
 * (OpenAPI, the permission review), and Fastify's hooks still run as for any route: security
 * headers, request id, CORS, the request log.
 *
 * No guard runs: only for a `@Public()` route that reads nothing of the request (the
 * endpoint-permission test refuses anything else).
 */
export function ConstantAnswer(body: Record<string, unknown>): MethodDecorator {
  return RouteConfig({ [CONSTANT_ANSWER]: JSON.stringify(body) }) as MethodDecorator;
}

/** Serves the routes marked with `@ConstantAnswer()`; call before Nest registers its routes (`app.init()`). */
export function answerConstantRoutes(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const body = (route.config as Record<string, unknown> | undefined)?.[CONSTANT_ANSWER];
    if (typeof body !== 'string') return;
    route.handler = function constantAnswer(_request: FastifyRequest, reply: FastifyReply): void {
      // A string with its content type is sent as is: no serialiser runs.
      void reply.type('application/json; charset=utf-8').send(body);
    };
  });
}
