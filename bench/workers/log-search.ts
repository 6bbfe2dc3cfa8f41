import 'reflect-metadata';
import pg from 'pg';
import { createApp } from '../../src/bootstrap.js';
import { createLogger } from '../../src/common/logging/logger.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataSource } from '../../src/data-source.js';
import { reply, runMain, workerInput } from '../support/processes.js';
import { LatencyRecorder } from '../support/stats.js';

export interface LogSearchInput {
  token: string;
  /** The officer's searches: a name and the query string of GET /v1/access-log. */
  searches: { name: string; query: string }[];
  /** Requests per search (one after the other), after a few not counted. */
  requests: number;
}

export interface LogSearchResult {
  searches: { name: string; query: string; p50Ms: number; p95Ms: number; explain: string; sql: string }[];
}

// The search over the whole log, or over its newest entries first (a date range: AccessLogRepository.page).
const SEARCH_SQL = /(?:FROM access_log|ORDER BY seq DESC LIMIT \d+\)) e\s+LEFT JOIN access_log_link/;

/**
 * The privacy officer's searches at one log size: the gateway's own app in this process (as the
 * trace worker runs it), each search sent over HTTP `requests` times one after the other (latency,
 * not throughput: p50 and p95), and the SQL the search really sent captured from pg and EXPLAINed
 * (ANALYZE, BUFFERS) on the same database.
 */
runMain(async () => {
  const input = workerInput<LogSearchInput>();
  // The background loops must not run their queries into the measurement.
  const config = loadConfig({ ...process.env, ACCESS_LOG_CHAIN_INTERVAL_MS: '60000', WEBHOOK_INTERVAL_MS: '600000' });
  const dataSource = createDataSource(config.databaseUrl!, config, 'schakel-bench-log-search');
  await dataSource.initialize();
  const app = await createApp({ config, logger: createLogger('warn'), dataSource });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/access-log`;

  let captured: { text: string; values: unknown[] } | null | undefined;
  let capturing = false;
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: object, ...args: unknown[]) {
    if (capturing) {
      const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown];
      const text = typeof first === 'string' ? first : first.text;
      const values = (
        typeof first === 'string' ? (Array.isArray(second) ? second : []) : (first.values ?? [])
      ) as unknown[];
      if (SEARCH_SQL.test(text)) captured = { text, values };
    }
    return original.apply(this, args);
  };

  const search = async (query: string) => {
    const response = await fetch(`${base}?${query}`, {
      headers: { authorization: `Bearer ${input.token}`, 'x-purpose': 'privacy-audit' },
    });
    const body = await response.text();
    if (response.status !== 200)
      throw new Error(`the log search ${query} answered ${response.status}: ${body.slice(0, 300)}`);
  };

  const explainer = new pg.Client({ connectionString: config.databaseUrl! });
  await explainer.connect();
  // As the search's own transaction runs it (AccessLogRepository.page): no parallel workers.
  await explainer.query('SET max_parallel_workers_per_gather = 0');
  const results: LogSearchResult['searches'] = [];
  try {
    for (const { name, query } of input.searches) {
      for (let i = 0; i < 3; i++) await search(query);
      const recorder = new LatencyRecorder();
      for (let i = 0; i < input.requests; i++) {
        const started = performance.now();
        await search(query);
        recorder.record(performance.now() - started);
      }
      captured = null;
      capturing = true;
      await search(query);
      capturing = false;
      const statement = captured as { text: string; values: unknown[] } | null;
      if (!statement) throw new Error(`the log search ${query} sent no search statement`);
      const plan = await explainer.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) ${statement.text}`,
        statement.values,
      );
      results.push({
        name,
        query,
        p50Ms: recorder.percentile(50),
        p95Ms: recorder.percentile(95),
        sql: statement.text.replace(/\s+/g, ' ').trim(),
        explain: plan.rows.map((r) => r['QUERY PLAN']).join('\n'),
      });
    }
  } finally {
    prototype.query = original;
    await explainer.end();
    await app.close();
    if (dataSource.isInitialized) await dataSource.destroy();
  }
  reply({ searches: results } satisfies LogSearchResult);
});
