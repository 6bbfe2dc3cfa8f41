import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../../config/config.js';
import { prettyDestination } from './pretty.js';

/**
 * Paths pino censors wherever they appear. Application logs carry request metadata only
 * (method, route, status, ids); this list is the safety net for anything that slips in:
 * credentials, keys and the personal data fields the gateway handles.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.authorization',
  'cookie',
  'headers.cookie',
  'req.headers.cookie',
  '*.cookie',
  'headers["x-csrf-token"]',
  'clientSecret',
  '*.clientSecret',
  'token',
  '*.token',
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
  'DATABASE_URL',
  'jwk.d',
  '*.d',
  '*.privateKey',
  'privateKey',
  'tenant',
  '*.tenant',
  'givenName',
  '*.givenName',
  'familyName',
  '*.familyName',
  'birthDate',
  '*.birthDate',
  'nationalNumber',
  '*.nationalNumber',
  'phone',
  '*.phone',
  'email',
  '*.email',
  'address',
  '*.address',
  'description',
  '*.description',
  'body',
  '*.body',
];

/**
 * The application logger: JSON lines (production, log shippers), or in development the same
 * entries as readable lines. Either way the redaction below applies first.
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream, format: LogFormat = 'json'): Logger {
  return pino(
    {
      level,
      base: { service: 'schakel' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    (destination ?? (format === 'pretty' ? prettyDestination() : undefined)) as pino.DestinationStream | undefined,
  );
}

/** Nest's start-up narration: a line per module and per route, which buries the start banner. */
const BOOTSTRAP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** Routes Nest's own log calls into the same structured, redacted JSON stream. */
export class PinoNestLogger implements LoggerService {
  /** quietBootstrap: Nest's start-up narration at debug instead of info (the readable development format). */
  constructor(
    private readonly logger: Logger,
    private readonly quietBootstrap = false,
  ) {}

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    if (level === 'info' && this.quietBootstrap && context && BOOTSTRAP_CONTEXTS.has(context)) level = 'debug';
    if (message instanceof Error) {
      this.logger[level](
        { context, err: { name: message.name, message: message.message, stack: message.stack } },
        message.message,
      );
    } else {
      this.logger[level]({ context }, typeof message === 'string' ? message : JSON.stringify(message));
    }
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
}

export const APP_LOGGER = Symbol('APP_LOGGER');
