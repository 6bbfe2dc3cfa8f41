import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { APP_LOGGER } from '../logging/logger.js';
import { mapError } from './error-mapping.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

/** The single place where errors become HTTP answers: RFC 9457 problem+json with the request id. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(APP_LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(this.logger, error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}

export function sendProblem(logger: Logger, error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { problem, headers, unexpected } = mapError(error);
  const requestId = String(request.id);
  if (unexpected) {
    const err = error as { name?: string; code?: string; message?: string; stack?: string };
    // Name, code and stack only: driver errors may carry SQL parameters, which can be personal data.
    logger.error(
      {
        requestId,
        status: problem.status,
        err: { name: err?.name, code: err?.code, stack: err?.stack?.split('\n').slice(1, 8).join('\n') },
      },
      'request failed',
    );
  }
  if (reply.sent) return;
  reply
    .status(problem.status)
    .headers(headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send({ ...problem, instance: request.url.split('?')[0], requestId });
}
