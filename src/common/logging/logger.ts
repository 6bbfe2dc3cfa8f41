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

/** Bytes of JSON lines the server's stdout collects before one write (see bufferedStdout). */
export const LOG_BUFFER_BYTES = 8192;
/** The longest an info line waits in that buffer. */
export const LOG_FLUSH_MS = 250;

type Destination = ReturnType<typeof pino.destination>;

/**
 * stdout for the long-running server: JSON lines collected and written together, instead of one
 * write to stdout (a system call, handed to libuv's thread pool and back) per request line. What
 * may wait is bounded: 8 KB, a quarter of a second, and nothing at warn or above (see flushNow).
 * On exit — process.exit and an uncaught error included — pino writes what is left synchronously;
 * only a process killed outright (SIGKILL, the OOM killer, a V8 abort) can lose up to a quarter
 * second of info lines. Never evidence: that is the access log, committed before the answer.
 */
function bufferedStdout(): Destination {
  return pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS });
}

/**
 * Writes out what waits, so a warning or error (and the lines before it) is out before a crash
 * that may follow: synchronously when no write is under way, else as soon as that write is done
 * (sonic-boom's flush() does nothing while one is; `_writing` is its own flag for that).
 */
function flushNow(destination: Destination): void {
  if ((destination as unknown as { _writing?: unknown })._writing === false) destination.flushSync();
  else destination.once('drain', () => destination.flush());
}

/**
 * The application logger: JSON lines (production, log shippers), or in development the same
 * entries as readable lines. Either way the redaction below applies first. `buffered` (the
 * server, see bufferedStdout) only applies to JSON on stdout; command-line tools keep writing
 * each line as it comes, in order with their own output.
 */
export function createLogger(
  level: LogLevel,
  destination?: NodeJS.WritableStream,
  format: LogFormat = 'json',
  options: { buffered?: boolean } = {},
): Logger {
  const buffered = destination === undefined && format === 'json' && options.buffered ? bufferedStdout() : undefined;
  // One stream for the logger and its request-line writer, so their lines stay in order.
  const stream = (buffered ??
    destination ??
    (format === 'pretty' ? prettyDestination() : pino.destination({ dest: 1, sync: true }))) as pino.DestinationStream;
  const shared: pino.LoggerOptions = {
    base: { service: 'schakel' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    ...(buffered
      ? {
          hooks: {
            logMethod(this: Logger, args: Parameters<pino.LogFn>, method: pino.LogFn, levelValue: number) {
              method.apply(this, args);
              if (levelValue >= pino.levels.values.warn) flushNow(buffered);
            },
          },
        }
      : {}),
  };
  const logger = pino({ ...shared, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
  // Lets everything through: the logger it belongs to decides what is written (requestLineWriter).
  requestLines.set(logger, pino({ ...shared, level: 'trace' }, stream));
  return logger;
}

const requestLines = new WeakMap<Logger, Logger>();

/** The fields of the one line the server writes per request: fixed metadata, never a body, query or token. */
export interface RequestLine {
  requestId: string;
  method: string;
  route: string;
  status: number;
  ms: number;
  partner?: string;
  purpose?: string;
}

/**
 * Writes the line per request into the logger's stream, at the logger's level, without the
 * redaction pass: none of these fields is a redacted path, so the pass could not change the line
 * (logger.spec.ts checks the lines are the same), and it cost ~30 µs per line — @pinojs/redact
 * parses each of its 45 paths on every call, more than the rest of the line together.
 */
export function requestLineWriter(logger: Logger): (level: 'info' | 'debug', line: RequestLine) => void {
  const writer = requestLines.get(logger) ?? logger;
  return (level, line) => {
    if (logger.isLevelEnabled(level)) writer[level](line, 'request');
  };
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
