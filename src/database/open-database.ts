import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { createDataSource } from './data-source.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

export interface OpenDatabase {
  dataSource: DataSource;
  embedded?: EmbeddedDatabase;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or boots the embedded PostgreSQL when none is configured.
 * Shared by the gateway, the migration CLI and the log tools so they all see the same database.
 */
export async function openDatabase(
  config: AppConfig,
  logger: Logger,
  applicationName = 'schakel',
): Promise<OpenDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.embeddedPostgres.dataDir,
      port: config.embeddedPostgres.port,
      logger,
    });
    url = embedded.url;
  }
  const dataSource = createDataSource(url, config, applicationName);
  try {
    await dataSource.initialize();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return {
    dataSource,
    embedded,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
