import { resolve } from 'node:path';

/**
 * Typed gateway configuration, read once from the environment and validated at boot.
 * Every problem names the variable at fault so an operator can fix it without reading code.
 */
export type NodeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type LogFormat = 'pretty' | 'json';

export interface AppConfig {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  /** Public base URL used in start-up messages and OpenAPI servers. */
  publicUrl: string;
  /** Connection string of an operator-provided PostgreSQL; when absent an embedded server is started. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** port: EMBEDDED_PG_PORT, or undefined to use the port remembered in DATA_DIR (54329 or a free one). */
  embeddedPostgres: { dataDir: string; port: number | undefined };
  database: {
    poolSize: number;
    connectionTimeoutMs: number;
    statementTimeoutMs: number;
    runMigrationsOnStart: boolean;
  };
  /** People signed in to the console (OpenID Connect): server-side sessions. */
  console: {
    /** A session unused this long is over. */
    sessionIdleMinutes: number;
    /** A session is over this long after sign-in, however busy. */
    sessionMaxHours: number;
  };
  auth: {
    audience: string;
    clockToleranceSeconds: number;
    maxTokenLifetimeSeconds: number;
    jwksCacheSeconds: number;
    /** Least time between two fetches of a partner's JWKS triggered by an unknown kid. */
    jwksRefetchCooldownSeconds: number;
  };
  http: {
    bodyLimitBytes: number;
    corsOrigins: string[];
    rateLimitPerMinute: number;
    /**
     * Limits counted before the token is verified (so a flood of forged tokens costs no signature
     * check and no key lookup): per source address, and per issuer the token claims.
     */
    preAuthPerAddressPerMinute: number;
    preAuthPerIssuerPerMinute: number;
    trustProxy: boolean;
  };
  accessLog: {
    /** How often the chainer links new entries into the hash chain. */
    chainIntervalMs: number;
    /** How often the chain head is signed (a checkpoint). */
    checkpointIntervalSeconds: number;
    retentionYears: number;
    partitionSize: number;
    partitionsAhead: number;
    /** Private Ed25519 JWK (JSON) that signs checkpoints; generated in DATA_DIR outside production. */
    signingKey: string | undefined;
    retiredSigningKeys: string | undefined;
    /** Key of the HMAC that turns client ids into the log's pseudonyms; generated in DATA_DIR outside production. */
    pseudonymKey: string | undefined;
  };
  partnerRegistry: {
    /** First wait before re-opening a lost notification connection (doubles up to 30 s). */
    retryMs: number;
  };
  /** How often each process looks for due webhooks (also the backoff base). */
  webhookIntervalMs: number;
  /** How often each replica tries the client-data retention job (one runs it: advisory lock); 0 = never. */
  retentionIntervalMinutes: number;
  /**
   * Partner-registered URLs the gateway calls (JWKS, webhooks) reach public addresses only,
   * unless allowed here: for every host (development, tests), or for named hosts.
   */
  outbound: { allowPrivate: boolean; privateHosts: string[] };
  /** How long the previous team keeps reading a case after a warm handover. */
  aftercareDays: number;
  /** How long a break-the-glass grant lasts (never more than 24 h). */
  breakTheGlassHours: number;
  /** `kid:base64(32 bytes)` pairs, comma-separated, first = active; generated in DATA_DIR outside production. */
  encryptionKeys: string | undefined;
  logLevel: LogLevel;
  /** `pretty` (readable lines, the default in development) or `json` (one JSON object per line, for log shippers). */
  logFormat: LogFormat;
  /** Serve the Swagger UI at /docs (the JSON document at /openapi.json is always served). */
  openApiUi: boolean;
  seedDemoPartners: boolean;
  policiesDir: string;
}

/** Names of variables whose values must never be printed (logs, errors, config dumps). */
export const SENSITIVE_VARIABLES = ['DATABASE_URL', 'GATEWAY_SIGNING_KEY', 'PSEUDONYM_KEY', 'ENCRYPTION_KEYS'] as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  }

  /** A whole number when set, undefined when not: for settings whose absence means "choose for me". */
  optionalInteger(name: string, min: number, max: number): number | undefined {
    return this.raw(name) === undefined ? undefined : this.integer(name, min, min, max);
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return parsed;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(value.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  list(name: string): string[] {
    const value = this.raw(name);
    return value === undefined
      ? []
      : value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean);
  }

  /** Validates a secret without ever echoing its value. */
  postgresUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (!['postgres:', 'postgresql:'].includes(url.protocol)) {
        this.problems.push(`${name} must be a postgres:// or postgresql:// URL`);
      }
    } catch {
      this.problems.push(`${name} is not a valid URL (value not shown: it may hold a password)`);
    }
    return value;
  }
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): AppConfig {
  const read = new Reader(env);
  const nodeEnv = read.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const host = read.string('HOST', '127.0.0.1');
  const port = read.integer('PORT', 3000, 0, 65535);
  const dataDir = resolve(cwd, read.string('DATA_DIR', '.data'));
  const corsOrigins = read.list('CORS_ORIGINS');
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      read.problems.push(`CORS_ORIGINS entry "${origin}" must be an origin like https://app.example.org`);
  }
  const audience = read.string('GATEWAY_AUDIENCE', 'schakel-gateway');
  const config: AppConfig = {
    nodeEnv,
    host,
    port,
    publicUrl: read.string('PUBLIC_URL', `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`),
    databaseUrl: read.postgresUrl('DATABASE_URL'),
    console: {
      sessionIdleMinutes: read.integer('CONSOLE_SESSION_IDLE_MINUTES', 30, 1, 24 * 60),
      sessionMaxHours: read.integer('CONSOLE_SESSION_MAX_HOURS', 10, 1, 24 * 7),
    },
    dataDir,
    embeddedPostgres: {
      dataDir: resolve(cwd, read.string('EMBEDDED_PG_DIR', resolve(dataDir, 'postgres'))),
      port: read.optionalInteger('EMBEDDED_PG_PORT', 1024, 65535),
    },
    database: {
      poolSize: read.integer('DB_POOL_SIZE', 10, 1, 200),
      connectionTimeoutMs: read.integer('DB_CONNECTION_TIMEOUT_MS', 5000, 100, 120000),
      statementTimeoutMs: read.integer('DB_STATEMENT_TIMEOUT_MS', 15000, 100, 600000),
      runMigrationsOnStart: read.boolean('MIGRATIONS_RUN_ON_START', true),
    },
    auth: {
      audience,
      clockToleranceSeconds: read.integer('AUTH_CLOCK_TOLERANCE_SECONDS', 30, 0, 300),
      maxTokenLifetimeSeconds: read.integer('AUTH_MAX_TOKEN_LIFETIME_SECONDS', 3600, 60, 3600),
      jwksCacheSeconds: read.integer('JWKS_CACHE_SECONDS', 600, 0, 86400),
      jwksRefetchCooldownSeconds: read.integer('JWKS_REFETCH_COOLDOWN_SECONDS', 30, 0, 3600),
    },
    http: {
      bodyLimitBytes: read.integer('BODY_LIMIT_BYTES', 256 * 1024, 1024, 10 * 1024 * 1024),
      corsOrigins,
      rateLimitPerMinute: read.integer('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
      preAuthPerAddressPerMinute: read.integer('PREAUTH_RATE_LIMIT_PER_ADDRESS', 1200, 1, 10_000_000),
      preAuthPerIssuerPerMinute: read.integer('PREAUTH_RATE_LIMIT_PER_ISSUER', 1200, 1, 10_000_000),
      trustProxy: read.boolean('TRUST_PROXY', false),
    },
    accessLog: {
      chainIntervalMs: read.integer('ACCESS_LOG_CHAIN_INTERVAL_MS', 500, 50, 60_000),
      checkpointIntervalSeconds: read.integer('ACCESS_LOG_CHECKPOINT_SECONDS', 300, 1, 86_400),
      retentionYears: read.integer('ACCESS_LOG_RETENTION_YEARS', 10, 1, 100),
      // Entries per partition that `npm run log:maintain` makes, and how many partitions it keeps ahead.
      partitionSize: read.integer('ACCESS_LOG_PARTITION_SIZE', 1_000_000, 1, 1_000_000_000),
      partitionsAhead: read.integer('ACCESS_LOG_PARTITIONS_AHEAD', 2, 1, 1000),
      signingKey: read.optional('GATEWAY_SIGNING_KEY'),
      /** Public halves of earlier signing keys: old checkpoints stay verifiable after a rotation. */
      retiredSigningKeys: read.optional('GATEWAY_RETIRED_SIGNING_KEYS'),
      pseudonymKey: read.optional('PSEUDONYM_KEY'),
    },
    encryptionKeys: read.optional('ENCRYPTION_KEYS'),
    breakTheGlassHours: read.integer('BREAK_THE_GLASS_HOURS', 12, 1, 24),
    webhookIntervalMs: read.integer('WEBHOOK_INTERVAL_MS', 2000, 50, 600_000),
    retentionIntervalMinutes: read.integer('RETENTION_INTERVAL_MINUTES', 360, 0, 10_080),
    outbound: {
      allowPrivate: read.boolean('OUTBOUND_ALLOW_PRIVATE', false),
      privateHosts: read.list('OUTBOUND_PRIVATE_HOSTS').map((host) => host.toLowerCase()),
    },
    partnerRegistry: { retryMs: read.integer('PARTNER_LISTENER_RETRY_MS', 1000, 10, 600_000) },
    aftercareDays: read.integer('HANDOVER_AFTERCARE_DAYS', 30, 0, 365),
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    logFormat: read.oneOf('LOG_FORMAT', ['pretty', 'json'] as const, nodeEnv === 'development' ? 'pretty' : 'json'),
    // Off in production unless asked for: the UI is a developer's tool, and less served is less exposed.
    openApiUi: read.boolean('OPENAPI_UI', nodeEnv !== 'production'),
    seedDemoPartners: read.boolean('SEED_DEMO_PARTNERS', nodeEnv !== 'production'),
    policiesDir: resolve(cwd, read.string('POLICIES_DIR', 'policies')),
  };
  if (nodeEnv === 'production' && !config.databaseUrl) {
    read.problems.push(
      'DATABASE_URL is required when NODE_ENV=production (the embedded PostgreSQL is for development only)',
    );
  }
  if (config.accessLog.signingKey !== undefined) {
    try {
      const jwk = JSON.parse(config.accessLog.signingKey) as { kty?: string; crv?: string; d?: string };
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') throw new Error('not Ed25519');
    } catch {
      read.problems.push('GATEWAY_SIGNING_KEY must be a private Ed25519 JWK in JSON (value not shown)');
    }
  }
  if (config.accessLog.retiredSigningKeys !== undefined) {
    try {
      const keys = JSON.parse(config.accessLog.retiredSigningKeys) as {
        kty?: string;
        crv?: string;
        x?: string;
        d?: string;
      }[];
      if (!Array.isArray(keys) || keys.some((k) => k.kty !== 'OKP' || k.crv !== 'Ed25519' || typeof k.x !== 'string'))
        throw new Error('not Ed25519');
      // They are published: a private key here would be a leak, so refuse it outright.
      if (keys.some((k) => k.d !== undefined))
        read.problems.push(
          'GATEWAY_RETIRED_SIGNING_KEYS must hold public keys only (a private part "d" was given; value not shown)',
        );
    } catch {
      read.problems.push('GATEWAY_RETIRED_SIGNING_KEYS must be a JSON array of public Ed25519 JWKs');
    }
  }
  if (config.accessLog.pseudonymKey !== undefined && config.accessLog.pseudonymKey.length < 32) {
    read.problems.push('PSEUDONYM_KEY must be at least 32 characters (value not shown)');
  }
  if (nodeEnv === 'production' && (!config.accessLog.signingKey || !config.accessLog.pseudonymKey)) {
    read.problems.push('GATEWAY_SIGNING_KEY and PSEUDONYM_KEY are required when NODE_ENV=production');
  }
  if (config.encryptionKeys !== undefined) {
    const pairs = config.encryptionKeys.split(',').map((p) => p.trim().split(':'));
    if (
      pairs.some(
        ([kid, key]) => !/^[A-Za-z0-9_-]{1,32}$/.test(kid ?? '') || Buffer.from(key ?? '', 'base64').length !== 32,
      )
    ) {
      read.problems.push('ENCRYPTION_KEYS must be kid:base64 pairs of 32-byte keys, comma-separated (value not shown)');
    }
  } else if (nodeEnv === 'production') {
    read.problems.push('ENCRYPTION_KEYS is required when NODE_ENV=production');
  }
  for (const host of config.outbound.privateHosts) {
    if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(host))
      read.problems.push(`OUTBOUND_PRIVATE_HOSTS entry "${host}" must be a host name such as idp.internal.example`);
  }
  if (nodeEnv === 'production' && config.seedDemoPartners) {
    read.problems.push('SEED_DEMO_PARTNERS must be false when NODE_ENV=production (demo keys are public)');
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/** The configuration as it may be logged: secrets replaced by a marker saying whether they are set. */
export function redactedConfig(config: AppConfig): Record<string, unknown> {
  const marker = (value: string | undefined, fallback: string) => (value ? '[set, redacted]' : fallback);
  return {
    ...config,
    databaseUrl: marker(config.databaseUrl, '[not set: embedded]'),
    accessLog: {
      ...config.accessLog,
      signingKey: marker(config.accessLog.signingKey, '[not set: development key in DATA_DIR]'),
      pseudonymKey: marker(config.accessLog.pseudonymKey, '[not set: development key in DATA_DIR]'),
    },
    encryptionKeys: marker(config.encryptionKeys, '[not set: development key in DATA_DIR]'),
  };
}

/** Injection token for the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');
