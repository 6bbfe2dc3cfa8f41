import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { Partner } from '../src/partners/partner.entity.js';
import { createApp } from '../src/bootstrap.js';
import { createLogger } from '../src/common/logging/logger.js';
import { createDataSource } from '../src/data-source.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { createTestContext, testConfig, type TestContext } from './support/test-context.js';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/**
 * The gateway survives its database going away: 503 problem+json while it is down, readiness
 * fails, and it serves again once the database is back, without a restart. Uses its own embedded
 * server (whatever DATABASE_URL says) because the test stops and starts it.
 */
describe('database restart', () => {
  const dataDir = join(process.cwd(), '.data', 'test-resilience-postgres');
  // Unset: the port remembered beside this cluster (or a free one), the same again after the restart.
  const port = process.env.TEST_RESILIENCE_PG_PORT ? Number(process.env.TEST_RESILIENCE_PG_PORT) : undefined;
  let embedded: EmbeddedDatabase;
  let dataSource: DataSource;
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres({ dataDir, port, database: 'resilience', logger: quiet as never });
    // The cluster persists between runs; start every run from an empty database.
    const admin = new pg.Client({ connectionString: embedded.adminUrl });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS resilience WITH (FORCE)');
    await admin.query('CREATE DATABASE resilience');
    await admin.end();
    const config = testConfig(embedded.url, { DB_CONNECTION_TIMEOUT_MS: '1000' });
    dataSource = createDataSource(embedded.url, config);
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const sink = new Writable({ write: (_c, _e, done) => done() });
    app = await createApp({ config, logger: createLogger('info', sink), dataSource });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  });

  it('answers 503 while the database is down and recovers when it is back', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    await dataSource.getRepository(Partner).save({
      id: 'resilient-admin',
      name: 'Operator',
      type: 'other',
      municipalities: [],
      issuer: 'https://idp.resilient.test',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'r1', alg: 'ES256' }] },
      jwksUri: null,
      status: 'active',
      operator: true,
    });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      roles: ['gateway-admin'],
      sub: 'u',
      iss: 'https://idp.resilient.test',
      aud: 'schakel-gateway',
      iat: now,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'r1' })
      .sign(privateKey);
    const listPartners = () =>
      fetch(`${baseUrl}/v1/partners`, { headers: { authorization: `Bearer ${token}`, 'x-purpose': 'administration' } });
    expect((await fetch(`${baseUrl}/health/ready`)).status).toBe(200);
    expect((await listPartners()).status).toBe(200);

    await embedded.stop();
    const down = await fetch(`${baseUrl}/health/ready`);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toMatch(/problem\+json/);
    expect(((await down.json()) as { checks: unknown }).checks).toMatchObject({ database: 'down' });
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
    const data = await fetch(`${baseUrl}/v1/partners`, {
      headers: { authorization: `Bearer ${token}`, 'x-purpose': 'administration' },
    });
    expect(data.status).toBe(503);
    expect(data.headers.get('content-type')).toMatch(/problem\+json/);

    embedded = await startEmbeddedPostgres({ dataDir, port, database: 'resilience', logger: quiet as never });
    const recovered = await eventually(async () => (await fetch(`${baseUrl}/health/ready`)).status === 200, 20_000);
    expect(recovered).toBe(true);
    expect((await listPartners()).status).toBe(200);
  });
});

describe('pool exhaustion', () => {
  let ctx: TestContext;
  let held: QueryRunner | undefined;

  beforeAll(async () => {
    ctx = await createTestContext({ DB_POOL_SIZE: '1', DB_CONNECTION_TIMEOUT_MS: '500' });
  });
  afterAll(async () => {
    await held?.release();
    await ctx?.close();
  });

  it('answers 503 instead of hanging when no connection frees up in time', async () => {
    const partner = await ctx.operator();
    const token = await partner.token();
    held = ctx.dataSource.createQueryRunner();
    await held.connect();
    await held.query('SELECT 1');
    const started = Date.now();
    const response = await ctx.request({ url: '/v1/partners', token, purpose: 'administration' });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body.type).toContain('service-unavailable');
    expect(Date.now() - started).toBeLessThan(10_000);
    await held.release();
    held = undefined;
    expect((await ctx.request({ url: '/v1/partners', token, purpose: 'administration' })).status).toBe(200);
  });
});
