import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The compiled logger (npm test compiles first): the child is plain node, its stdout a pipe. */
const LOGGER = pathToFileURL(join(process.cwd(), 'dist', 'src', 'common', 'logging', 'logger.js')).href;

/** Runs `body` in a child with the server's buffered logger as `logger`; its stdout lines and exit. */
function child(body: string, killOnStderr = false): Promise<{ lines: string[]; code: number | null }> {
  const script = `const { createLogger } = await import(${JSON.stringify(LOGGER)});
const logger = createLogger('info', undefined, 'json', { buffered: true });
${body}`;
  const process_ = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  process_.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  // The child says "ready" on stderr once it has logged: then it is killed outright.
  if (killOnStderr) process_.stderr.once('data', () => process_.kill('SIGKILL'));
  return new Promise((resolve) =>
    process_.on('close', (code) => resolve({ lines: stdout.split('\n').filter((l) => l !== ''), code: code ?? null })),
  );
}

const messages = (lines: string[]) => lines.map((line) => (JSON.parse(line) as { msg: string }).msg);

describe('the server log (buffered stdout)', () => {
  it('loses no line when the process exits or dies of an uncaught error', async () => {
    const exited = await child(`logger.info('one'); logger.info('two'); process.exit(3);`);
    expect(exited.code).toBe(3);
    expect(messages(exited.lines)).toEqual(['one', 'two']);

    const thrown = await child(`logger.info('one'); logger.info('two'); throw new Error('boom');`);
    expect(thrown.code).toBe(1);
    expect(messages(thrown.lines)).toEqual(['one', 'two']);
  });

  it('writes a warning (and what waited before it) at once, so a process killed outright still shows it', async () => {
    const killed = await child(
      `logger.info('before'); logger.warn('trouble'); process.stderr.write('ready'); setInterval(() => {}, 1000);`,
      true,
    );
    expect(killed.code).toBeNull();
    expect(messages(killed.lines)).toEqual(['before', 'trouble']);
  });
});
