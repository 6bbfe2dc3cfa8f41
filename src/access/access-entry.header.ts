import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The response header naming the access-log entries of the accesses a response comes from. */
export const ACCESS_ENTRY_HEADER = 'Schakel-Access-Entry';

/**
 * Sets `Schakel-Access-Entry` once, for every route: the ids of the log entries the kernel
 * committed for this request (AccessService.run notes them), so whoever received client data
 * can fetch the receipt — the proof that the access was recorded (GET
 * /v1/access-log/entries/:id/receipt). A Fastify onSend hook, so it runs before the body is
 * sent, streams included. It was a global Nest interceptor; as a hook it spares every request
 * the interceptor's Observable chain. As before, a refusal or failure (4xx, 5xx) carries none.
 */
export function accessEntryHeader(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: Error | null, payload?: unknown) => void,
): void {
  const ids = request.accessEntries;
  if (ids && ids.length > 0 && reply.statusCode < 400) reply.header(ACCESS_ENTRY_HEADER, ids.join(', '));
  done(null, payload);
}

/** Adds accessEntryHeader to the Fastify instance (before it is ready, so every route gets it). */
@Injectable()
export class AccessEntryHeader implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onSend', accessEntryHeader);
  }
}
