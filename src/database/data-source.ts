import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import type { AppConfig } from '../config/config.js';
import { ENTITIES } from '../entities.js';

/**
 * The one description of the database used by the app, the migration CLI and the tests.
 * `synchronize` is off for good: the schema changes only through reviewed migrations.
 */
export function dataSourceOptions(
  url: string,
  config: Pick<AppConfig, 'database'>,
  applicationName = 'schakel',
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName,
    // gen_random_uuid() is built into PostgreSQL 13+: no extension, so no superuser needed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    extra: {
      max: config.database.poolSize,
      // A request waiting for a pool connection fails (and becomes a 503) instead of hanging.
      connectionTimeoutMillis: config.database.connectionTimeoutMs,
      statement_timeout: config.database.statementTimeoutMs,
      idleTimeoutMillis: 30_000,
    },
  };
}

export function createDataSource(
  url: string,
  config: Pick<AppConfig, 'database'>,
  applicationName?: string,
): DataSource {
  return new DataSource(dataSourceOptions(url, config, applicationName));
}
