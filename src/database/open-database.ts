import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

export interface OpenDatabase {
  dataSource: DataSource;
  embedded?: EmbeddedDatabase;
  /**
   * Closes this process's connections. The embedded server is stopped only when no other process
   * is connected to it (see startEmbeddedPostgres): a tool never takes it away from a gateway.
   */
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or attaches to (or else starts) the embedded PostgreSQL of DATA_DIR
 * when none is configured. Shared by the gateway and every command-line tool, so they all see
 * the same database and share its server.
 */
export async function openDatabase(
  config: AppConfig,
  logger: Logger,
  applicationName: string,
  /** Loads the app's DataSource factory (the composition root's, with every entity). */
  loadFactory: () => Promise<(url: string, config: AppConfig, applicationName?: string) => DataSource>,
): Promise<OpenDatabase> {
  // TypeORM, the entities and the migrations load while the embedded server starts.
  const [embedded, createDataSource] = await Promise.all([
    config.databaseUrl
      ? undefined
      : startEmbeddedPostgres({
          dataDir: config.embeddedPostgres.dataDir,
          port: config.embeddedPostgres.port,
          applicationName,
          logger,
        }),
    loadFactory(),
  ]);
  const url = config.databaseUrl ?? embedded!.url;
  const dataSource = createDataSource(url, config, applicationName);
  try {
    await dataSource.initialize();
  } catch (error) {
    await embedded?.release();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    dataSource,
    embedded,
    close() {
      closing ??= (async () => {
        try {
          if (dataSource.isInitialized) await dataSource.destroy();
        } finally {
          await embedded?.release();
        }
      })();
      return closing;
    },
  };
}
