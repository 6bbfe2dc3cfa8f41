import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppModule, type AppDependencies } from './app.module.js';
import { answerConstantRoutes } from './common/http/constant-answer.js';
import { makeWritesIdempotent } from './common/idempotency/idempotent-writes.js';
import { registerJsonBodyParser, rejectUnsafeUrl } from './common/http/input-guard.js';
import { preAuthRateLimit } from './common/http/pre-auth-limit.js';
import { requestIdFor } from './common/http/request-id.js';
import { securityHeaders } from './common/http/security-headers.js';
import { createValidationPipe } from './common/http/validation.js';
import { PinoNestLogger, requestLineWriter } from './common/logging/logger.js';
import { ProblemFilter, sendProblem } from './common/problem/problem.filter.js';
import { setUpOpenApi } from './common/http/openapi.js';

/** Builds the HTTP application with all its hygiene; shared by `main.ts` and the e2e tests. */
export async function createApp(deps: AppDependencies): Promise<NestFastifyApplication> {
  const { config, logger } = deps;
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    genReqId: requestIdFor,
    logger: false,
    return503OnClosing: true,
    // Errors fastify raises while routing (a URL that does not decode) answer in problem+json too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(logger, error, request, reply),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(deps), adapter, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' }), config.logFormat === 'pretty'),
    abortOnError: false,
    // Nest would register its JSON and form parsers; the gateway takes JSON only, through its own
    // parser with a depth cap and a text check (registerJsonBodyParser).
    bodyParser: false,
  });

  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: without this, text/plain bodies would reach validation as strings instead of a 415.
  fastify.removeContentTypeParser('text/plain');
  registerJsonBodyParser(fastify, config.http.bodyLimitBytes);
  // Before app.init(), which registers Nest's routes: the liveness probe is answered by Fastify.
  answerConstantRoutes(fastify);
  // Helmet's headers on every answer (also a 429 or a 400 from the hooks below), computed once.
  const helmetHeaders = securityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        // No inline script anywhere: the Swagger UI at /docs loads its initialiser as a file.
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.headers(helmetHeaders);
    reply.header('x-request-id', request.id);
    // Every API answer may carry personal data (or say something about a client): no cache, no
    // browser history, no proxy may keep a copy. Set first, so errors and 429s carry it too.
    if (request.url === '/v1' || request.url.startsWith('/v1/') || request.url.startsWith('/v1?')) {
      reply.header('cache-control', 'no-store');
    }
  });
  fastify.addHook(
    'onRequest',
    preAuthRateLimit({
      perAddressPerMinute: config.http.preAuthPerAddressPerMinute,
      perIssuerPerMinute: config.http.preAuthPerIssuerPerMinute,
    }),
  );
  fastify.addHook('onRequest', rejectUnsafeUrl);
  // Request metadata only: never bodies, query strings or tokens (they may carry personal data).
  const requestLine = requestLineWriter(logger);
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    // A liveness probe (every few seconds from an orchestrator) says nothing worth a line at info.
    const probe = request.url === '/health' && reply.statusCode === 200;
    requestLine(probe ? 'debug' : 'info', {
      requestId: request.id,
      method: request.method,
      route: request.routeOptions?.url ?? 'unmatched',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      partner: request.principal?.partnerId,
      purpose: request.purpose,
    });
  });

  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.http.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Purpose', 'X-Request-Id', 'Idempotency-Key'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'Schakel-Access-Entry'],
      maxAge: 600,
    });
  }
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter(logger));
  setUpOpenApi(app, config);
  // Before app.init(), which reads each route's interceptors once.
  makeWritesIdempotent(app);
  await app.init();
  return app;
}
