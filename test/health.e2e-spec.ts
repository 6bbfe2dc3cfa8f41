import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from './support/test-context.js';

/** Headers that differ from answer to answer by nature, not by the route that sent them. */
const PER_ANSWER = ['date', 'content-length', 'content-type', 'x-request-id', 'connection', 'keep-alive'];

/**
 * The liveness probe is answered by Fastify itself, past Nest (see ConstantAnswer): it must still
 * answer what it always did, with every header any other answer carries, and log as before.
 */
describe('GET /health (liveness)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ LOG_LEVEL: 'debug' });
  });
  afterAll(async () => ctx?.close());

  it('answers {"status":"ok"} as JSON', async () => {
    const response = await ctx.request({ url: '/health' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.text).toBe('{"status":"ok"}');
  });

  it('carries the same security headers as an answer through Nest, and its own request id', async () => {
    const live = await ctx.request({ url: '/health', headers: { 'x-request-id': 'probe-1' } });
    const ready = await ctx.request({ url: '/health/ready' });
    const shared = (headers: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_ANSWER.includes(name)));
    expect(shared(ready.headers)).toMatchObject({
      'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.any(String),
    });
    expect(shared(live.headers)).toEqual(shared(ready.headers));
    expect(live.headers['x-request-id']).toBe('probe-1');
  });

  it('answers HEAD with the same headers and no body', async () => {
    const response = await fetch(`${ctx.baseUrl}/health`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.text()).toBe('');
  });

  it('logs the probe at debug, with its route, and nothing of it at info', async () => {
    await ctx.request({ url: '/health', headers: { 'x-request-id': 'probe-log' } });
    // The line is written once the answer is sent; give the hook its turn.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = ctx.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.requestId === 'probe-log');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'debug', msg: 'request', method: 'GET', route: '/health', status: 200 }),
    ]);
  });
});
