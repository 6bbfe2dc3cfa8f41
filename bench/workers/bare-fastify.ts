import Fastify from 'fastify';
import { runMain } from '../support/processes.js';

/**
 * The HTTP floor: a bare Fastify handler answering a constant, what `GET /health` answers through
 * the gateway's full stack (Nest, helmet, request ids, request logging).
 *
 * Usage: node bare-fastify.js <port>
 */
runMain(async () => {
  const port = Number(process.argv[2]);
  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await app.close();
});
