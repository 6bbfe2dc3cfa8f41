import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tap, type Observable } from 'rxjs';

/** The response header naming the access-log entries of the accesses a response comes from. */
export const ACCESS_ENTRY_HEADER = 'Schakel-Access-Entry';

/**
 * Sets `Schakel-Access-Entry` once, for every route: the ids of the log entries the kernel
 * committed for this request (AccessService.run notes them), so whoever received client data
 * can fetch the receipt — the proof that the access was recorded (GET
 * /v1/access-log/entries/:id/receipt). Set before the body is sent, streams included.
 */
@Injectable()
export class AccessEntryInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    return next.handle().pipe(
      tap(() => {
        const ids = request.accessEntries;
        if (ids && ids.length > 0 && !reply.sent) reply.header(ACCESS_ENTRY_HEADER, ids.join(', '));
      }),
    );
  }
}
