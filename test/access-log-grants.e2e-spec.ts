import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createApp } from '../src/bootstrap.js';
import { createLogger } from '../src/common/logging/logger.js';
import { createDataSource } from '../src/data-source.js';
import { Partner } from '../src/partners/partner.entity.js';
import { adminUrl, testConfig } from './support/test-context.js';

/**
 * On an operator's PostgreSQL the gateway is not a superuser: migrations run as the schema owner,
 * the gateway as a login role with the grants the README lists. The log must still be written,
 * chained and read, and the gateway's role must not be able to change it.
 */
describe('access log under a non-superuser role', () => {
  const suffix = randomBytes(3).toString('hex');
  const owner = `schakel_owner_${suffix}`;
  const appRole = `schakel_app_${suffix}`;
  const database = `t_grants_${suffix}`;
  const password = randomBytes(12).toString('hex');
  let superuser: pg.Client;
  let appData: DataSource;
  let app: NestFastifyApplication;
  let baseUrl: string;

  const urlFor = (role: string) => {
    const url = new URL(adminUrl());
    url.username = role;
    url.password = password;
    url.pathname = `/${database}`;
    return url.toString();
  };

  beforeAll(async () => {
    superuser = new pg.Client({ connectionString: adminUrl() });
    await superuser.connect();
    await superuser.query(`CREATE ROLE ${owner} LOGIN PASSWORD '${password}'`);
    await superuser.query(`CREATE ROLE ${appRole} LOGIN PASSWORD '${password}'`);
    await superuser.query(`CREATE DATABASE ${database} OWNER ${owner}`);

    // The grants an operator gives (README, "Database roles"), made as the schema owner.
    const asOwner = new pg.Client({ connectionString: urlFor(owner) });
    await asOwner.connect();
    await asOwner.query(`GRANT CONNECT ON DATABASE ${database} TO ${appRole}`);
    await asOwner.query(`GRANT USAGE ON SCHEMA public TO ${appRole}`);
    await asOwner.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${appRole}`,
    );
    await asOwner.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${appRole}`);
    await asOwner.end();

    const migrator = createDataSource(urlFor(owner), testConfig(urlFor(owner)));
    await migrator.initialize();
    await migrator.runMigrations({ transaction: 'each' });
    await migrator.destroy();

    const config = testConfig(urlFor(appRole));
    appData = createDataSource(urlFor(appRole), config);
    await appData.initialize();
    app = await createApp({
      config,
      logger: createLogger('info', new Writable({ write: (_c, _e, done) => done() })),
      dataSource: appData,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app?.close();
    if (appData?.isInitialized) await appData.destroy();
    await superuser.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await superuser.query(`DROP ROLE IF EXISTS ${appRole}`);
    await superuser.query(`DROP ROLE IF EXISTS ${owner}`);
    await superuser.end();
  });

  it('writes, chains and verifies the log, and cannot change it', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    await appData.getRepository(Partner).save({
      id: 'gateway-operator',
      name: 'Operator',
      type: 'other',
      municipalities: [],
      issuer: 'https://idp.op.test',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] },
      jwksUri: null,
      status: 'active',
      operator: true,
    });
    const now = Math.floor(Date.now() / 1000);
    const sign = (roles: string[]) =>
      new SignJWT({ roles, sub: 'u', iss: 'https://idp.op.test', aud: 'schakel-gateway', iat: now, exp: now + 600 })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .sign(privateKey);
    const officer = await sign(['privacy-officer']);

    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${baseUrl}/v1/access-log`, {
        headers: { authorization: `Bearer ${officer}`, 'x-purpose': 'privacy-audit' },
      });
      expect(response.status).toBe(200);
    }
    const verified = (await (
      await fetch(`${baseUrl}/v1/access-log/verify`, {
        headers: { authorization: `Bearer ${await sign(['gateway-admin'])}`, 'x-purpose': 'administration' },
      })
    ).json()) as { ok: boolean; entries: number };
    expect(verified).toMatchObject({ ok: true });
    expect(verified.entries).toBeGreaterThanOrEqual(3);

    for (const sql of [
      "UPDATE access_log_entry SET purpose = 'x'",
      'DELETE FROM access_log_link',
      "UPDATE access_log_checkpoint SET jws = 'x'",
    ]) {
      await expect(appData.query(sql)).rejects.toThrow(/permission denied/);
    }
    await expect(appData.query('TRUNCATE access_log_entry')).rejects.toThrow(/permission denied|append-only/);
    // The terms entries share: the gateway adds them (and may rewrite one to itself, as
    // INSERT … ON CONFLICT DO UPDATE does), never changes or removes one.
    for (const sql of [
      "UPDATE access_log_terms SET reason = 'x'",
      'DELETE FROM access_log_terms',
      'TRUNCATE access_log_terms',
    ])
      await expect(appData.query(sql)).rejects.toThrow(/permission denied|append-only/);
  });
});
