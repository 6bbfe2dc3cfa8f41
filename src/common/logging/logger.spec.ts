import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, REDACTED_PATHS, requestLineWriter, type RequestLine } from './logger.js';

function capture(level: 'info' | 'debug') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger(level, sink);
  return { logger, lines, requestLine: requestLineWriter(logger) };
}

const line: RequestLine = {
  requestId: 'req-1',
  method: 'GET',
  route: '/v1/cases/:id',
  status: 200,
  ms: 12,
  partner: 'outreach-antwerpen',
  purpose: 'care-coordination',
};

const withoutTime = ({ time: _time, ...rest }: Record<string, unknown>) => rest;

describe('the request line', () => {
  it('is the line the redacting logger writes for the same fields (no field of it is a redacted path)', () => {
    const { logger, lines, requestLine } = capture('info');
    requestLine('info', line);
    logger.info({ ...line }, 'request');
    expect(lines).toHaveLength(2);
    expect(withoutTime(lines[0])).toEqual(withoutTime(lines[1]));
    const topLevel = REDACTED_PATHS.filter((path) => !path.includes('.') && !path.includes('['));
    for (const field of Object.keys(line)) expect(topLevel).not.toContain(field);
  });

  it("follows the logger's level, also when it changes", () => {
    const { logger, lines, requestLine } = capture('info');
    requestLine('debug', { ...line, route: '/health' });
    requestLine('info', line);
    logger.level = 'warn';
    requestLine('info', line);
    logger.level = 'debug';
    requestLine('debug', { ...line, route: '/health' });
    expect(lines.map((l) => [l.level, l.route])).toEqual([
      ['info', '/v1/cases/:id'],
      ['debug', '/health'],
    ]);
  });

  it("shares the logger's stream, in order", () => {
    const { logger, lines, requestLine } = capture('info');
    logger.info('before');
    requestLine('info', line);
    logger.warn('after');
    expect(lines.map((l) => l.msg)).toEqual(['before', 'request', 'after']);
  });
});
