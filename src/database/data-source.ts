import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import type { AppConfig } from '../config/config.js';

/**
 * The one description of the database used by the app, the migration CLI and the tests.
 * `synchronize` is off for good: the schema changes only through reviewed migrations.
 */
export function dataSourceOptions(
  url: string,
  config: Pick<AppConfig, 'database'>,
  entities: DataSourceOptions['entities'],
  applicationName = 'schakel',
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // The entity list is the composition root's (src/entities.ts): the data layer knows no capability.
    entities,
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
      // pg's pipeline mode: statements submitted one after another on a connection are written
      // without waiting for the previous answer. TypeORM awaits each statement, so nothing changes
      // for it; the TransactionRunner uses it to send BEGIN with the first statement and the last
      // statement with COMMIT (see transaction.ts). They still run in order, one transaction.
      pipeline: true,
    },
  };
}

export function createDataSource(
  url: string,
  config: Pick<AppConfig, 'database'>,
  entities: DataSourceOptions['entities'],
  applicationName?: string,
): DataSource {
  return new DataSource(dataSourceOptions(url, config, entities, applicationName));
}

/** Makes the app's DataSource for a URL: supplied by the composition root (src/data-source.ts). */
export type DataSourceFactory = (url: string, applicationName?: string) => DataSource;
