import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal.js';

/** Who is accessing, why, and in which request: taken from the authenticated request. */
export interface AccessContext {
  principal: Principal;
  purpose: string;
  requestId: string;
  /** Where the kernel notes the log entry of each access it completed (the request's, for the response header). */
  entries?: string[];
}

/** The authenticated principal, the stated purpose and the request id, for services that log accesses. */
export const Access = createParamDecorator((_data: unknown, context: ExecutionContext): AccessContext => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  if (!request.principal || !request.purpose) throw new Error('Access context used on a route without @Authorize');
  return {
    principal: request.principal,
    purpose: request.purpose,
    requestId: String(request.id),
    entries: (request.accessEntries ??= []),
  };
});
