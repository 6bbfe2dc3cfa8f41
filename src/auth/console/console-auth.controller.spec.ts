import { describe, expect, it } from '@jest/globals';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleAuthController } from './console-auth.controller.js';
import type { ConsoleSessionsService } from './console-sessions.service.js';

describe('console token sign-in', () => {
  const controller = (production: boolean) =>
    new ConsoleAuthController(
      { production, ownOrigin: () => 'http://127.0.0.1:3000' } as unknown as ConsoleSessionsService,
      {} as never,
      {
        verify: () => {
          throw new Error('must not be reached');
        },
      } as never,
      {} as never,
      {} as never,
    );
  const request = (origin: string) => ({ headers: { origin } }) as unknown as FastifyRequest;

  it('is refused in production, whatever the token', async () => {
    await expect(
      controller(true).dev({ token: 'x' }, request('http://127.0.0.1:3000'), {} as FastifyReply),
    ).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('is refused from another origin (no login CSRF)', async () => {
    await expect(
      controller(false).dev({ token: 'x' }, request('http://elsewhere.example'), {} as FastifyReply),
    ).rejects.toMatchObject({ kind: 'forbidden' });
  });
});
