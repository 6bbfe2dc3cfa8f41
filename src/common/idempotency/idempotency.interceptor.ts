import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, type Observable, of, throwError } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { ProblemException } from '../problem/problem.js';
import { canonicalJson } from '../canonical-json.js';
import { CRYPTO, type Crypto } from '../crypto/crypto.module.js';
import { IdempotencyRepository } from './idempotency.repository.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
/** How long a key is remembered; a retry after that is a new request. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;

/**
 * Idempotency-Key on writes: a retry with the same key and the same request gets the first
 * answer again and writes nothing; the same key with another request is 422; a retry while the
 * first is still running is 409. Keys are scoped to the calling partner. The stored answer is
 * sealed (AES-256-GCM, the encryption-at-rest keys): it may be a tenant's identity or a legal
 * representative's name, and a retry table is no excuse to keep those readable.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly records: IdempotencyRepository,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers['idempotency-key'];
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined || !WRITE_METHODS.has(request.method) || !request.principal) return next.handle();
    if (!KEY_PATTERN.test(key)) {
      throw new ProblemException('validation-failed', 'Idempotency-Key must be 1-200 letters, digits or ._:-', {
        errors: [{ pointer: '/headers/idempotency-key', detail: 'invalid idempotency key' }],
      });
    }
    const partnerId = request.principal.partnerId;
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.url.split('?')[0]}\n${canonicalJson(request.body ?? null)}`)
      .digest('hex');
    const reply = context.switchToHttp().getResponse<FastifyReply>();

    return from(this.records.claim(partnerId, key, requestHash, IDEMPOTENCY_RETENTION_HOURS)).pipe(
      mergeMap((existing) => {
        if (!existing) {
          return next.handle().pipe(
            mergeMap((body) =>
              from(this.records.complete(partnerId, key, reply.statusCode, this.crypto.cipher.seal(body ?? null))).pipe(
                mergeMap(() => of(body)),
              ),
            ),
            // A failed first attempt leaves nothing to replay: the key is free for the retry.
            catchError((error: unknown) =>
              from(this.records.release(partnerId, key)).pipe(mergeMap(() => throwError(() => error))),
            ),
          );
        }
        if (existing.requestHash !== requestHash) {
          throw new ProblemException('idempotency-key-reused', 'This Idempotency-Key was used for a different request');
        }
        if (existing.state !== 'completed') {
          throw new ProblemException(
            'conflict',
            'A request with this Idempotency-Key is still being processed; retry shortly',
            {},
            { 'retry-after': '2' },
          );
        }
        if (existing.responseSealed === null) {
          // Stored before answers were sealed (their readable bodies were dropped by a migration):
          // refuse rather than run the write a second time.
          throw new ProblemException(
            'conflict',
            'This Idempotency-Key was used for a request that completed earlier; its answer is no longer kept. Read the resource instead',
          );
        }
        const body = this.crypto.cipher.open(existing.responseSealed);
        reply.status(existing.responseStatus ?? 200).header('idempotent-replayed', 'true');
        return of(body);
      }),
    );
  }
}
