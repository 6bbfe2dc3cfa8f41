import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap.js';
import { createLogger } from '../../src/common/logging/logger.js';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { createDataSource } from '../../src/data-source.js';
import { Partner, type PartnerType } from '../../src/partners/partner.entity.js';

export type Alg = 'ES256' | 'EdDSA' | 'RS256' | 'PS256';

export interface TestPartner {
  id: string;
  issuer: string;
  kid: string;
  alg: Alg;
  privateKey: CryptoKey;
  publicJwk: Record<string, unknown>;
  /** A valid token for this partner, with claim and header overrides. */
  token(
    claims?: JWTPayload & { roles?: unknown },
    options?: { kid?: string; alg?: Alg; key?: CryptoKey; lifetimeSeconds?: number },
  ): Promise<string>;
}

export interface InjectOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  token?: string;
  purpose?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestContext {
  app: NestFastifyApplication;
  dataSource: DataSource;
  config: AppConfig;
  databaseUrl: string;
  baseUrl: string;
  /** Everything the gateway logged during the suite, one JSON line per entry. */
  logs: string[];
  newPartner(options?: { type?: PartnerType; alg?: Alg; id?: string; operator?: boolean }): Promise<TestPartner>;
  /** The network operator of this test database (created on first use, type `other`): the only partner whose tokens may name gateway-admin. */
  operator(options?: { id?: string }): Promise<TestPartner>;
  request(
    options: InjectOptions,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: any; text: string }>;
  close(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env.SCHAKEL_TEST_ADMIN_URL;
  if (!url) throw new Error('SCHAKEL_TEST_ADMIN_URL is not set: run the tests through npm test');
  return url;
}

/** A fresh, empty database on the test server: suites never see each other's rows. */
export async function createTestDatabase(): Promise<string> {
  const name = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'info',
    SEED_DEMO_PARTNERS: 'false',
    // Swagger UI's static server cannot load under Jest on Node 20 (CJS requiring ESM); the
    // start-up smoke test checks /docs on the real process instead.
    OPENAPI_UI: 'false',
    // Every suite calls from 127.0.0.1 and most with a handful of issuers, far above what one
    // address would send in production; suites that test the pre-authentication limit set their own.
    PREAUTH_RATE_LIMIT_PER_ADDRESS: '1000000',
    PREAUTH_RATE_LIMIT_PER_ISSUER: '1000000',
    // Suites run their JWKS and webhook servers on 127.0.0.1; outbound-urls.e2e-spec shows the
    // refusal without this allowance.
    OUTBOUND_ALLOW_PRIVATE: 'true',
    ...env,
  });
}

let partnerCounter = 0;

/** `reuse`: a second gateway on another context's database (e.g. after a key rotation); it does not drop it. */
export async function createTestContext(
  env: Record<string, string> = {},
  reuse?: { databaseUrl: string },
): Promise<TestContext> {
  const databaseUrl = reuse?.databaseUrl ?? (await createTestDatabase());
  const config = testConfig(databaseUrl, env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const dataSource = createDataSource(databaseUrl, config);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  const app = await createApp({ config, logger, dataSource });
  // Real HTTP on loopback (fastify's inject pulls in a CommonJS->ESM require Jest cannot do on Node 20).
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  let operatorPartner: Promise<TestPartner> | undefined;
  const context: TestContext = {
    app,
    dataSource,
    config,
    databaseUrl,
    logs,
    async newPartner(options = {}) {
      const alg = options.alg ?? 'ES256';
      partnerCounter += 1;
      const id = options.id ?? `p${partnerCounter}-${randomBytes(3).toString('hex')}`;
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const kid = `${id}-k1`;
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg };
      const issuer = `https://idp.${id}.test`;
      await dataSource.getRepository(Partner).save({
        id,
        name: `Partner ${id}`,
        type: options.type ?? 'outreach-team',
        municipalities: ['1050'],
        issuer,
        jwks: { keys: [publicJwk] },
        jwksUri: null,
        status: 'active',
        operator: options.operator ?? false,
      });
      return {
        id,
        issuer,
        kid,
        alg,
        privateKey,
        publicJwk,
        async token(claims = {}, opts = {}) {
          const now = Math.floor(Date.now() / 1000);
          const lifetime = opts.lifetimeSeconds ?? 600;
          return new SignJWT({
            roles: ['gateway-admin'],
            sub: 'user-1',
            iss: issuer,
            aud: config.auth.audience,
            iat: now,
            exp: now + lifetime,
            ...claims,
          })
            .setProtectedHeader({ alg: opts.alg ?? alg, kid: opts.kid ?? kid, typ: 'JWT' })
            .sign(opts.key ?? privateKey);
        },
      };
    },
    async operator(options = {}) {
      operatorPartner ??= context.newPartner({ type: 'other', operator: true, ...options });
      return operatorPartner;
    },
    baseUrl,
    async request({ method = 'GET', url, token, purpose, body, headers = {} }) {
      const response = await fetch(baseUrl + url, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(purpose ? { 'x-purpose': purpose } : {}),
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: parsed, text };
    },
    async close() {
      await app.close();
      if (dataSource.isInitialized) await dataSource.destroy();
      if (!reuse) await dropTestDatabase(databaseUrl);
    },
  };
  return context;
}
