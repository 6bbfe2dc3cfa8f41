import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiResponse } from '@nestjs/swagger';

export const IS_PUBLIC = 'schakel:public';
export const PERMISSION = 'schakel:permission';
export const AUTHENTICATED_ONLY = 'schakel:authenticated-only';

/** What a route needs: a type-level permission, checked by the one authorization guard. */
export interface DeclaredPermission {
  action: string;
  subject: string;
  /**
   * The other subjects whose data the route hands out (a disclosure hands out a Case): what the
   * review rules of those subjects must hold back while the coordinator has not judged.
   */
  discloses?: string[];
}

const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/** Opt a route out of authentication. Every other route is closed by default. */
export function Public(): MethodDecorator & ClassDecorator {
  return SetMetadata(IS_PUBLIC, true);
}

/**
 * A route that returns nothing but what the caller's own token and registry entry say (who am
 * I, whom may my organisation address): a valid token is needed, a purpose is not, and no
 * client data may ever be served from such a route.
 */
export function Authenticated(): MethodDecorator {
  return applyDecorators(
    SetMetadata(AUTHENTICATED_ONLY, true),
    ApiBearerAuth('partner-jwt'),
    ApiResponse({
      status: 401,
      description: 'Token missing or refused (the body says which check failed)',
      content: problem,
    }),
    ApiResponse({ status: 429, description: 'Rate limit for this partner exceeded', content: problem }),
  ) as MethodDecorator;
}

/**
 * Declares, in one place, the permission a route needs, the purpose header it takes and the
 * OpenAPI security and error responses that follow from that.
 */
export function Authorize(action: string, subject: string, options: { discloses?: string[] } = {}): MethodDecorator {
  return applyDecorators(
    SetMetadata(PERMISSION, {
      action,
      subject,
      ...(options.discloses ? { discloses: options.discloses } : {}),
    } satisfies DeclaredPermission),
    ApiBearerAuth('partner-jwt'),
    ApiHeader({
      name: 'X-Purpose',
      required: true,
      description: "Why this request is made: a purpose id from policies/purposes.yaml that the caller's role may use.",
    }),
    ApiResponse({ status: 400, description: 'Invalid input or missing/unknown purpose', content: problem }),
    ApiResponse({
      status: 401,
      description: 'Token missing or refused (the body says which check failed)',
      content: problem,
    }),
    ApiResponse({ status: 403, description: 'Role or purpose not permitted', content: problem }),
    ApiResponse({ status: 429, description: 'Rate limit for this partner exceeded', content: problem }),
    ApiResponse({ status: 503, description: 'Database unavailable; nothing was read or changed', content: problem }),
  ) as MethodDecorator;
}

/** Documents the Idempotency-Key header that every authenticated write accepts (see IdempotencyInterceptor). */
export function IdempotentWrite(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Retry-safe writes: the same key with the same body returns the first answer and writes nothing again (24 h).',
    }),
    ApiResponse({
      status: 409,
      description: 'A request with this Idempotency-Key is still being processed',
      content: problem,
    }),
    ApiResponse({
      status: 422,
      description: 'This Idempotency-Key was used for a different request',
      content: problem,
    }),
  ) as MethodDecorator;
}
