import { Module } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { IdempotencyRepository } from './idempotency.repository.js';

/** The interceptor is put on every write route by makeWritesIdempotent (src/bootstrap.ts), not globally. */
@Module({ providers: [IdempotencyRepository, IdempotencyInterceptor] })
export class IdempotencyModule {}
