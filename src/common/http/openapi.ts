import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../../config/config.js';

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details; every error of the gateway has this shape.',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri', example: 'https://schakel.example/problems/validation-failed' },
    title: { type: 'string', example: 'The request is not valid' },
    status: { type: 'integer', example: 400 },
    detail: { type: 'string' },
    instance: { type: 'string', example: '/v1/partners' },
    requestId: { type: 'string', description: 'Correlation id, also in the X-Request-Id response header' },
    check: {
      type: 'string',
      description:
        'On 401: the token check that failed (bearer, format, alg, kid, iss, aud, exp, nbf, iat, lifetime, signature, partner-status, roles)',
    },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'detail'],
        properties: { pointer: { type: 'string', example: '/tenant/birthDate' }, detail: { type: 'string' } },
      },
    },
  },
} as const;

/** The generated contract: served at /openapi.json, browsable at /docs. */
export function setUpOpenApi(app: NestFastifyApplication, config: AppConfig): void {
  const description = new DocumentBuilder()
    .setTitle('schakel gateway')
    .setDescription(
      'Consent-aware data exchange between social housing partners, outreach teams and care partners. ' +
        "Every request is authenticated with a JWT signed by the caller's own organisation and states its purpose in X-Purpose. " +
        'Errors are application/problem+json (RFC 9457).',
    )
    .setVersion('1')
    .addServer(config.publicUrl)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A JWT signed by your organisation (EdDSA, ES256, RS256 or PS256)',
      },
      'partner-jwt',
    );
  const base = description.build();
  // Built on the first request for /openapi.json or /docs, not at start: scanning every route and
  // DTO is a noticeable share of a start, and the API serves without it.
  const document = () => {
    const built = SwaggerModule.createDocument(app, base);
    built.components = built.components ?? {};
    built.components.schemas = { ...(built.components.schemas ?? {}), Problem: PROBLEM_SCHEMA as never };
    return built;
  };
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'schakel gateway API',
    ui: config.openApiUi,
  });
}
