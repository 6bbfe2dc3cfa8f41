import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, redactedConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/schakel');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('starts with safe defaults on a fresh machine: embedded database, loopback, CORS closed', () => {
    const config = loadConfig({}, '/srv/schakel');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.embeddedPostgres.dataDir).toBe('/srv/schakel/.data/postgres');
    expect(config.host).toBe('127.0.0.1');
    expect(config.http.corsOrigins).toEqual([]);
    expect(config.auth.maxTokenLifetimeSeconds).toBe(3600);
    expect(config.seedDemoPartners).toBe(true);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      RATE_LIMIT_PER_MINUTE: '0',
      NODE_ENV: 'staging',
      CORS_ORIGINS: 'not a url',
    });
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/RATE_LIMIT_PER_MINUTE/);
    expect(problems.join('\n')).toMatch(/NODE_ENV/);
    expect(problems.join('\n')).toMatch(/CORS_ORIGINS/);
  });

  it('refuses a token lifetime above one hour', () => {
    expect(problemsOf({ AUTH_MAX_TOKEN_LIFETIME_SECONDS: '7200' }).join()).toMatch(/AUTH_MAX_TOKEN_LIFETIME_SECONDS/);
  });

  it('never echoes the database URL, even when it is malformed', () => {
    const secret = 'postgres//admin:hunter2@db';
    const problems = problemsOf({ DATABASE_URL: secret });
    expect(problems.join()).toMatch(/DATABASE_URL/);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('requires an operator database and no demo data in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' }).join('\n')).toMatch(/DATABASE_URL is required/);
    expect(problemsOf({ NODE_ENV: 'production', SEED_DEMO_PARTNERS: 'true' }).join('\n')).toMatch(
      /SEED_DEMO_PARTNERS must be false/,
    );
    expect(problemsOf({ NODE_ENV: 'production', DATABASE_URL: 'postgres://app@db/schakel' }).join()).toMatch(
      /GATEWAY_SIGNING_KEY and PSEUDONYM_KEY are required/,
    );
    const production = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app@db/schakel',
      GATEWAY_SIGNING_KEY: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'x', d: 'd' }),
      PSEUDONYM_KEY: 'p'.repeat(32),
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    });
    expect(production.seedDemoPartners).toBe(false);
    expect(production.openApiUi).toBe(false);
    expect(loadConfig({}, '/srv/schakel').openApiUi).toBe(true);
  });

  it('keeps outbound calls to public addresses unless allowed, for all hosts or named ones', () => {
    expect(loadConfig({}, '/srv/schakel').outbound).toEqual({ allowPrivate: false, privateHosts: [] });
    expect(
      loadConfig({ OUTBOUND_ALLOW_PRIVATE: 'true', OUTBOUND_PRIVATE_HOSTS: 'Keycloak.Internal' }).outbound,
    ).toEqual({ allowPrivate: true, privateHosts: ['keycloak.internal'] });
    expect(problemsOf({ OUTBOUND_PRIVATE_HOSTS: 'http://idp/' }).join()).toMatch(/OUTBOUND_PRIVATE_HOSTS/);
  });

  it('reads the limits counted before authentication, and refuses a nonsensical one', () => {
    const defaults = loadConfig({}, '/srv/schakel').http;
    expect(defaults.preAuthPerAddressPerMinute).toBeGreaterThan(defaults.rateLimitPerMinute);
    expect(defaults.preAuthPerIssuerPerMinute).toBeGreaterThan(defaults.rateLimitPerMinute);
    const set = loadConfig({ PREAUTH_RATE_LIMIT_PER_ADDRESS: '20', PREAUTH_RATE_LIMIT_PER_ISSUER: '10' }).http;
    expect([set.preAuthPerAddressPerMinute, set.preAuthPerIssuerPerMinute]).toEqual([20, 10]);
    expect(problemsOf({ PREAUTH_RATE_LIMIT_PER_ISSUER: '0' }).join()).toMatch(/PREAUTH_RATE_LIMIT_PER_ISSUER/);
  });

  it('refuses a signing key that is not a private Ed25519 JWK, without echoing it', () => {
    const problems = problemsOf({ GATEWAY_SIGNING_KEY: '{"kty":"RSA","d":"hunter2"}', PSEUDONYM_KEY: 'short' });
    expect(problems.join()).toMatch(/GATEWAY_SIGNING_KEY/);
    expect(problems.join()).toMatch(/PSEUDONYM_KEY/);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('redacts secrets from the configuration it logs', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:hunter2@db/schakel',
      PSEUDONYM_KEY: 'hunter2'.repeat(6),
    });
    expect(JSON.stringify(redactedConfig(config))).not.toContain('hunter2');
  });

  it('leaves the embedded port to the embedded server unless EMBEDDED_PG_PORT is set, and checks it when it is', () => {
    expect(loadConfig({}, '/srv/schakel').embeddedPostgres.port).toBeUndefined();
    expect(loadConfig({ EMBEDDED_PG_PORT: '55000' }, '/srv/schakel').embeddedPostgres.port).toBe(55000);
    expect(problemsOf({ EMBEDDED_PG_PORT: '80' }).join()).toMatch(/EMBEDDED_PG_PORT/);
  });

  it('logs readable lines in development and JSON otherwise, unless LOG_FORMAT says', () => {
    expect(loadConfig({}, '/srv/schakel').logFormat).toBe('pretty');
    expect(loadConfig({ NODE_ENV: 'test' }, '/srv/schakel').logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }, '/srv/schakel').logFormat).toBe('json');
    expect(problemsOf({ LOG_FORMAT: 'fancy' }).join()).toMatch(/LOG_FORMAT/);
  });
});
