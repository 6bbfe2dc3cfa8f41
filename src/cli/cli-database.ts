import 'reflect-metadata';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { createLogger } from '../common/logging/logger.js';
import type { AppConfig } from '../config/config.js';
import { openDatabase, type OpenDatabase } from '../database/open-database.js';

/** The tools' own logger: warnings and worse, in the format the gateway uses. */
export function cliLogger(config: AppConfig): Logger {
  return createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined, config.logFormat);
}

/**
 * Opens the database for one tool run, runs `work`, and closes it again. With no DATABASE_URL
 * the tool attaches to the embedded server a running gateway already uses (or starts it), and on
 * closing leaves it running when anyone else is still connected.
 */
export async function withDatabase<T>(
  config: AppConfig,
  applicationName: string,
  work: (database: OpenDatabase, logger: Logger) => Promise<T>,
): Promise<T> {
  const logger = cliLogger(config);
  const database = await openDatabase(
    config,
    logger,
    applicationName,
    async () => (await import('../data-source.js')).createDataSource,
  );
  try {
    await holdForTests();
    return await work(database, logger);
  } finally {
    await database.close();
  }
}

/**
 * Test seam: with SCHAKEL_CLI_HOLD=stdin a tool, once it holds the database, says so on stderr and
 * waits until its stdin closes before working. Tests use it to have a tool hold the embedded server
 * for exactly as long as they need (a gateway starting meanwhile must attach to it), with no sleeps.
 */
async function holdForTests(): Promise<void> {
  if (process.env.SCHAKEL_CLI_HOLD !== 'stdin') return;
  process.stderr.write('holding the database until stdin closes\n');
  if (!process.stdin.readableEnded) {
    process.stdin.resume();
    await Promise.race([once(process.stdin, 'end'), once(process.stdin, 'close')]);
  }
  process.stdin.destroy();
}
