import 'reflect-metadata';
import { createApp } from './bootstrap.js';
import { createLogger } from './common/logging/logger.js';
import { ConfigError, loadConfig, redactedConfig } from './config/config.js';
import { openDatabase } from './database/open-database.js';
import { seedDemoPartners } from './partners/demo/demo-seed.repository.js';

/**
 * `npm start`: configuration → database (embedded when no DATABASE_URL) → migrations → demo
 * partners → HTTP. Ctrl-C / SIGTERM closes HTTP, the pool and the embedded server, in that order.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  logger.info({ config: redactedConfig(config) }, 'configuration');
  const database = await openDatabase(config, logger);
  let app: Awaited<ReturnType<typeof createApp>> | undefined;

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    try {
      await app?.close();
    } finally {
      await database.close();
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    if (config.database.runMigrationsOnStart) {
      const applied = await database.dataSource.runMigrations({ transaction: 'each' });
      if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'applied migrations');
    }
    if (config.seedDemoPartners) await seedDemoPartners(database.dataSource, config.dataDir, logger);
    app = await createApp({ config, logger, dataSource: database.dataSource });
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    logger.fatal(
      { err: { name: (error as Error)?.name, message: (error as Error)?.message } },
      'gateway failed to start',
    );
    await database.close().catch(() => undefined);
    process.exit(1);
  }

  const url = config.publicUrl;
  process.stdout.write(
    [
      '',
      `schakel gateway is running at ${url}`,
      `  API docs:    ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
      `  Console:     ${url}/console   (sign in with a token, e.g. --partner gateway-operator --role privacy-officer)`,
      `  Readiness:   ${url}/health/ready`,
      `  Database:    ${database.embedded ? `embedded PostgreSQL in ${config.embeddedPostgres.dataDir}` : 'DATABASE_URL'}`,
      config.seedDemoPartners
        ? '  Get a token: npm run token -- --partner gateway-operator --role gateway-admin\n' +
          `  Try it:      curl -H "Authorization: Bearer $(npm run -s token -- --partner gateway-operator --role gateway-admin)" -H "X-Purpose: administration" ${url}/v1/partners`
        : '',
      '  Stop:        Ctrl-C',
      '',
    ].join('\n'),
  );
}

void main();
