import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from './common/logging/logger.js';
import { type AppConfig, ConfigError, loadConfig, redactedConfig } from './config/config.js';
import { openDatabase, type OpenDatabase } from './database/open-database.js';

/**
 * `npm start`: configuration → database (the embedded server of DATA_DIR when no DATABASE_URL:
 * attached to when another process already runs it, else started) → migrations → demo partners →
 * HTTP. Ctrl-C / SIGTERM closes HTTP, then the pool, then stops the embedded server unless
 * another process (a command-line tool) still uses it.
 */
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, undefined, config.logFormat, { buffered: true });
  logger[config.logFormat === 'pretty' ? 'debug' : 'info']({ config: redactedConfig(config) }, 'configuration');
  // Nest and the modules load while the database starts (another process): a shorter start.
  const modules = Promise.all([import('./bootstrap.js'), import('./partners/demo/demo-seed.repository.js')]);
  modules.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled

  let database: OpenDatabase | undefined;
  let app: NestFastifyApplication | undefined;
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
      await database?.close();
    }
    logger.info('stopped');
    process.exit(0);
  };

  try {
    database = await openDatabase(
      config,
      logger,
      'schakel',
      async () => (await import('./data-source.js')).createDataSource,
    );
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    const [{ createApp }, { seedDemoPartners }] = await modules;
    if (config.database.runMigrationsOnStart) {
      const applied = await database.dataSource.runMigrations({ transaction: 'each' });
      if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'applied migrations');
    }
    if (config.seedDemoPartners) await seedDemoPartners(database.dataSource, config.dataDir, logger);
    app = await createApp({ config, logger, dataSource: database.dataSource });
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // One line an operator can act on (a taken port, a bad policy), never a stack trace.
    logger.fatal(
      { err: { name: (error as Error)?.name, message: (error as Error)?.message } },
      'gateway failed to start',
    );
    await database?.close().catch(() => undefined);
    process.exit(1);
  }

  const url = config.publicUrl;
  const embedded = database.embedded;
  const where = embedded
    ? `embedded PostgreSQL in ${config.embeddedPostgres.dataDir} (port ${embedded.port}, ${embedded.origin === 'started' ? 'started by this gateway' : 'already running, shared'})`
    : 'DATABASE_URL';
  if (config.logFormat === 'json') {
    // Production logs are JSON lines only: log shippers choke on a free-text banner.
    logger.info({ url, docs: `${url}/docs`, readiness: `${url}/health/ready`, database: where }, 'gateway is running');
    return;
  }
  process.stdout.write(
    [
      '',
      `schakel gateway is running at ${url}`,
      `  API docs:    ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
      `  Console:     ${url}/console   (sign in with a token, e.g. --partner gateway-operator --role privacy-officer)`,
      `  Readiness:   ${url}/health/ready`,
      `  Database:    ${where}`,
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
