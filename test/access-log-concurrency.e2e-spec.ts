import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { createDataSource } from '../src/data-source.js';
import { Partner } from '../src/partners/partner.entity.js';
import { freePort } from './support/processes.js';
import { createTestDatabase, dropTestDatabase, testConfig } from './support/test-context.js';
import { exportJWK as exportPublic, SignJWT } from 'jose';

/**
 * Two gateway processes share one database and write the log at the same time: every request
 * leaves exactly one entry, and the result is one valid chain.
 */
describe('access log with two gateway processes', () => {
  let databaseUrl: string;
  const processes: ChildProcess[] = [];
  // Ports the OS says are free: a fixed range can be taken by another suite's gateway.
  let ports: number[] = [];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    const dataSource = createDataSource(databaseUrl, testConfig(databaseUrl));
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.destroy();
  });
  afterAll(async () => {
    for (const child of processes) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(
      processes.map((child) =>
        child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve)),
      ),
    );
    await dropTestDatabase(databaseUrl);
  });

  it('records one entry per request and keeps a single valid chain', async () => {
    ports = [await freePort(), await freePort()];
    const { privateKey: signing } = await generateKeyPair('Ed25519', { extractable: true });
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      MIGRATIONS_RUN_ON_START: 'false',
      SEED_DEMO_PARTNERS: 'false',
      LOG_LEVEL: 'error',
      RATE_LIMIT_PER_MINUTE: '100000',
      DB_POOL_SIZE: '10',
      ACCESS_LOG_CHAIN_INTERVAL_MS: '100',
      ACCESS_LOG_CHECKPOINT_SECONDS: '1',
      // Replicas share the signing and pseudonym keys, as in production.
      GATEWAY_SIGNING_KEY: JSON.stringify(await exportJWK(signing)),
      PSEUDONYM_KEY: 'concurrency-test-pseudonym-key-0123456789',
    };
    for (const port of ports) {
      const child = spawn(process.execPath, [join(process.cwd(), 'dist/src/main.js')], {
        env: { ...env, PORT: String(port) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      processes.push(child);
    }

    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const dataSource = createDataSource(databaseUrl, testConfig(databaseUrl));
    await dataSource.initialize();
    await dataSource.getRepository(Partner).save({
      id: 'gateway-operator',
      name: 'Operator',
      type: 'other',
      municipalities: [],
      issuer: 'https://idp.operator.test',
      jwks: { keys: [{ ...(await exportPublic(publicKey)), kid: 'op-1', alg: 'ES256' }] },
      jwksUri: null,
      status: 'active',
      operator: true,
    });
    await dataSource.destroy();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      roles: ['privacy-officer'],
      sub: 'dpo',
      iss: 'https://idp.operator.test',
      aud: 'schakel-gateway',
      iat: now,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'op-1' })
      .sign(privateKey);

    for (const port of ports) {
      let ready = false;
      // Two processes booting side by side on two cores: wait for each to say it is ready (bounded).
      for (let i = 0; i < 360 && !ready; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect({ port, ready }).toEqual({ port, ready: true });
    }

    const perProcess = 150;
    const requests = ports.flatMap((port) =>
      Array.from({ length: perProcess }, () =>
        fetch(`http://127.0.0.1:${port}/v1/access-log?limit=1`, {
          headers: { authorization: `Bearer ${token}`, 'x-purpose': 'privacy-audit' },
        }),
      ),
    );
    const statuses = await Promise.all(requests.map((r) => r.then((res) => res.status)));
    const tally = statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
    expect(tally).toEqual({ 200: ports.length * perProcess });

    const [{ n }] = (await admin.query('SELECT count(*)::int AS n FROM access_log')).rows;
    expect(n).toBe(ports.length * perProcess);

    // Both chainers have run concurrently; wait until everything is linked and a checkpoint exists.
    for (let i = 0; i < 80; i++) {
      const [{ pending }] = (await admin.query('SELECT count(*)::int AS pending FROM access_log_unchained')).rows;
      const [{ checkpoints }] = (await admin.query('SELECT count(*)::int AS checkpoints FROM access_log_checkpoint'))
        .rows;
      if (pending === 0 && checkpoints > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const links = (
      await admin.query(
        'SELECT min(position)::int AS first, max(position)::int AS last, count(*)::int AS n FROM access_log_link',
      )
    ).rows[0];
    expect(links).toEqual({ first: 1, last: n, n });
    await admin.end();

    const report = (await (
      await fetch(`http://127.0.0.1:${ports[0]}/v1/access-log/verify`, {
        headers: { authorization: `Bearer ${token}`, 'x-purpose': 'privacy-audit' },
      })
    ).json()) as {
      ok: boolean;
      entries: number;
      lastCheckpoint: { signatureValid: boolean } | null;
    };
    expect(report.ok).toBe(true);
    expect(report.entries).toBeGreaterThanOrEqual(n);
    expect(report.lastCheckpoint?.signatureValid).toBe(true);
  }, 180_000);
});
