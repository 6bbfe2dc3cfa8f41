import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { createApp } from '../../src/bootstrap.js';
import { createLogger } from '../../src/common/logging/logger.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataSource } from '../../src/data-source.js';
import { reply, runMain, workerInput } from '../support/processes.js';
import { encodeValue, type SecureReadTrace, type TracedStatement } from '../support/replay.js';

export interface TraceInput {
  caseId: string;
  token: string;
  purpose: string;
  outFile: string;
}

/**
 * Captures the statements one secure case read sends to PostgreSQL: the gateway's own app
 * (createApp, same configuration as the gateway under test) in this process, every pg query
 * recorded while one warmed-up read runs. Twice, to check that the list is stable.
 */
runMain(async () => {
  const input = workerInput<TraceInput>();
  // The background loops (chaining, webhooks) must not slip their queries into the trace.
  const config = loadConfig({ ...process.env, ACCESS_LOG_CHAIN_INTERVAL_MS: '60000', WEBHOOK_INTERVAL_MS: '600000' });
  const dataSource = createDataSource(config.databaseUrl!, config, 'schakel-bench-trace');
  await dataSource.initialize();
  const app = await createApp({ config, logger: createLogger('warn'), dataSource });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/cases/${input.caseId}`;

  let recording: TracedStatement[] | null = null;
  const connections = new WeakMap<object, number>();
  let nextConnection = 1;
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: object, ...args: unknown[]) {
    const sink = recording;
    if (!sink) return original.apply(this, args);
    const [first, second] = args as [string | { text: string; values?: unknown[]; name?: string }, unknown];
    const text = typeof first === 'string' ? first : first.text;
    const values = (
      typeof first === 'string' ? (Array.isArray(second) ? second : []) : (first.values ?? [])
    ) as unknown[];
    if (!connections.has(this)) connections.set(this, nextConnection++);
    const statement: TracedStatement = {
      connection: connections.get(this)!,
      text,
      values: values.map(encodeValue),
      rowsJson: '[]',
      ...(typeof first === 'object' && first.name ? { prepared: true } : {}),
    };
    sink.push(statement);
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      void (result as Promise<{ rows?: unknown }>).then(
        (r) => (statement.rowsJson = JSON.stringify(r?.rows ?? [])),
        () => undefined,
      );
    }
    return result;
  };

  const read = async () => {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${input.token}`, 'x-purpose': input.purpose },
    });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`the secure read answered ${response.status}: ${body.slice(0, 300)}`);
  };
  for (let i = 0; i < 5; i++) await read();
  const traces: TracedStatement[][] = [];
  for (let i = 0; i < 2; i++) {
    recording = [];
    await read();
    traces.push(recording);
    recording = null;
  }
  prototype.query = original;
  await app.close();
  if (dataSource.isInitialized) await dataSource.destroy();

  const texts = traces.map((t) => t.map((s) => `${s.connection}:${s.text}`).join('\n'));
  if (texts[0] !== texts[1])
    throw new Error(`two reads of the same case sent different statements:\n${texts[0]}\n---\n${texts[1]}`);
  const trace: SecureReadTrace = { caseId: input.caseId, statements: traces[1] };
  writeFileSync(input.outFile, `${JSON.stringify(trace, null, 2)}\n`);
  reply({ statements: trace.statements.map((s) => ({ connection: s.connection, text: s.text })) });
});
