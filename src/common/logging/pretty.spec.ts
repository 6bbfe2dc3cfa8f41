import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { prettyLine } from './pretty.js';

function jsonLines(log: (logger: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  log(createLogger('info', sink));
  return lines;
}

describe('the readable development log format', () => {
  it('prints time, level, message and fields on one line', () => {
    const [line] = jsonLines((logger) => logger.info({ route: '/v1/cases', status: 200 }, 'request'));
    expect(prettyLine(line!, false)).toMatch(/^\d\d:\d\d:\d\d INFO {2}request {2}route=\/v1\/cases status=200\n$/);
  });

  it('shows only what the JSON line holds: redaction happens before formatting', () => {
    const [line] = jsonLines((logger) =>
      logger.warn({ tenant: { givenName: 'Mira' }, authorization: 'Bearer abc' }, 'odd request'),
    );
    const pretty = prettyLine(line!, false);
    expect(pretty).toContain('WARN  odd request');
    expect(pretty).not.toContain('Mira');
    expect(pretty).not.toContain('Bearer');
    expect(pretty).toContain('[redacted]');
  });

  it('puts an error on the same line as its message', () => {
    const [line] = jsonLines((logger) =>
      logger.fatal({ err: { name: 'EmbeddedPostgresError', message: 'port taken' } }, 'gateway failed to start'),
    );
    expect(prettyLine(line!, false).trim()).toMatch(
      /FATAL gateway failed to start {2}EmbeddedPostgresError: port taken$/,
    );
  });
});
