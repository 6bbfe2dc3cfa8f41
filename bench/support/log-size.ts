import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { AccessLogRepository } from '../../src/access-log/access-log.repository.js';
import { ChainService } from '../../src/access-log/chain.service.js';
import { loadGatewayKeys } from '../../src/access-log/gateway-keys.js';
import { LogMaintenanceService } from '../../src/access-log/log-maintenance.service.js';
import { LogPartitionsRepository } from '../../src/access-log/log-partitions.repository.js';
import { createLogger } from '../../src/common/logging/logger.js';
import type { AppConfig } from '../../src/config/config.js';
import type { LogSearchInput, LogSearchResult } from '../workers/log-search.js';
import { runWorker } from './processes.js';
import type { Seeded } from './seed.js';

/** Synthetic partners besides the bench network's own: the officer's organisation is one of 20. */
const PARTNERS = 20;
const USERS = 2_000;
const CLIENTS = 50_000;
const PURPOSES = ['care-coordination', 'referral', 'outreach-contact', 'duo-follow-up', 'crisis', 'privacy-audit'];
/** The synthetic log spans two years, oldest first, whatever its size. */
const SPAN_SECONDS = 2 * 365 * 24 * 3600;
const BATCH = 100_000;
/** Distinct terms (rule, reason, decision, …) the synthetic entries share. */
const TERMS = 200;

export interface LogSizeReport {
  sizes: number[];
  searches: { name: string; query: string; at: { size: number; p50Ms: number; p95Ms: number }[] }[];
  explainFile: string;
  bytesPerEntry: number;
  /** Where those bytes go: each table's rows and each index, summed over the partitions, per entry. */
  bytesPerEntryBy: { relation: string; bytes: number }[];
  seedSeconds: number;
  /** log:maintain's compaction of the closed partitions, after seeding. */
  compactSeconds: number;
}

/**
 * `npm run bench -- --log-size N`: the officer's searches at 100,000 and at N entries. The log is
 * seeded in SQL (INSERT … SELECT FROM generate_series, in batches: no round trip per entry), with
 * a link per entry (fake hashes: the bench database's chain does not verify, nothing else reads
 * it), partitions made beforehand by the maintenance command's own code.
 */
export async function logSizeMode(options: {
  size: number;
  dataSource: DataSource;
  config: AppConfig;
  seeded: Seeded;
  workerEnv: Record<string, string>;
  resultsDir: string;
  requests: number;
  out: (line: string) => void;
}): Promise<LogSizeReport> {
  const { dataSource, config, seeded, out } = options;
  const sizes = [...new Set([Math.min(100_000, options.size), options.size])];
  // Partitions for everything the run writes, made as `npm run log:maintain` makes them.
  const partitionConfig: AppConfig = {
    ...config,
    accessLog: {
      ...config.accessLog,
      partitionsAhead: Math.ceil(options.size / config.accessLog.partitionSize) + 2,
    },
  };
  const logger = createLogger('warn');
  const chain = new ChainService(new AccessLogRepository(dataSource), await loadGatewayKeys(config), config, logger);
  const maintenance = new LogMaintenanceService(
    chain,
    new LogPartitionsRepository(dataSource),
    partitionConfig,
    logger,
  );
  await maintenance.maintain();
  await chain.chainAll();

  const partners = [
    seeded.partners.outreach,
    seeded.partners.housing,
    seeded.partners.caw,
    seeded.partners.operator,
    ...Array.from({ length: PARTNERS - 4 }, (_, i) => `bench-partner-${String(i + 1).padStart(2, '0')}`),
  ];
  const start = new Date(Date.now() - SPAN_SECONDS * 1000);
  const step = SPAN_SECONDS / options.size;
  let seeded_ = 0;
  let seedMs = 0;
  // One connection of its own, without the gateway's statement timeout (a batch may take long on a busy machine).
  const seeder = dataSource.createQueryRunner();
  await seeder.query('SET statement_timeout = 0');
  // The entries' terms (access_log_terms): TERMS distinct rules and reasons, every tenth a refusal.
  const terms = (
    (await seeder.query(
      `INSERT INTO access_log_terms (digest, roles, profession, action, resource_type, decision, reason, rule_id, fields,
         override, policy_version, format, ground, categories)
       SELECT sha256(('bench terms ' || i)::bytea), ARRAY['caseworker'], 'social-worker', 'read', 'Case',
              CASE WHEN i % 10 = 0 THEN 'deny' ELSE 'permit' END, 'Case read (rule bench-seed-' || i || ')', 'bench-seed-' || i,
              ARRAY['status'], false, 'bench-seed', 2, 'bench ground', ARRAY['case-status']
         FROM generate_series(0, $1 - 1) i ORDER BY i RETURNING id`,
      [TERMS],
    )) as { id: number }[]
  ).map((t) => t.id);
  const seedTo = async (target: number) => {
    while (seeded_ < target) {
      const from = seeded_ + 1;
      const to = Math.min(target, seeded_ + BATCH);
      const began = performance.now();
      const [{ next: lo }] = (await seeder.query(
        'SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM access_log_entry_seq_seq',
      )) as { next: string }[];
      await seeder.query(
        `INSERT INTO access_log_entry (id, occurred_at, request_id, partner_id, user_sub, resource_id, client_ref,
           custodian_partner_id, purpose, consent_id, disclosure_sha256, entry_hash, consent_ids, agreement_id, grant_id, terms_id)
         SELECT gen_random_uuid(), $1::timestamptz + make_interval(secs => g * $2::float8), 'bench-seed-' || g,
                ($3::text[])[1 + g % $4], 'bench-user-' || ((g * 7919) % $5), md5(g::text)::uuid::text,
                sha256(('client-' || ((g * 104729) % $6))::bytea), ($3::text[])[1 + (g / 7) % $4],
                ($7::text[])[1 + g % cardinality($7::text[])], NULL, sha256(('d' || g)::bytea), sha256(('e' || g)::bytea),
                NULL, NULL, NULL, ($10::int[])[1 + g % cardinality($10::int[])]
           FROM generate_series($8::bigint, $9::bigint) g`,
        [start, step, partners, PARTNERS, USERS, CLIENTS, PURPOSES, from, to, terms],
      );
      await seeder.query(
        `INSERT INTO access_log_link (position, entry_seq, hash)
         SELECT (SELECT coalesce(max(position), 0) FROM access_log_link) + row_number() OVER (ORDER BY e.seq), e.seq, sha256(e.entry_hash)
           FROM access_log_entry e WHERE e.seq >= $1`,
        [lo],
      );
      seedMs += performance.now() - began;
      seeded_ = to;
      out(`    seeded ${seeded_.toLocaleString('en-US')} entries (${(seedMs / 1000).toFixed(0)} s)`);
    }
    await seeder.query('VACUUM ANALYZE access_log_entry');
    await seeder.query('VACUUM ANALYZE access_log_link');
  };

  const searchesFor = async (): Promise<LogSearchInput['searches']> => {
    const [{ newest }] = (await dataSource.query('SELECT max(occurred_at) AS newest FROM access_log_entry')) as {
      newest: Date;
    }[];
    const dayBefore = new Date(newest.getTime() - 24 * 3600 * 1000);
    return [
      { name: 'newest page (no filter)', query: 'limit=50' },
      { name: 'by partner', query: `limit=50&partner=${encodeURIComponent(partners[5])}` },
      { name: 'by user', query: 'limit=50&user=bench-user-42' },
      { name: 'by purpose', query: 'limit=50&purpose=crisis' },
      { name: 'refusals', query: 'limit=50&decision=deny' },
      { name: 'by client', query: `limit=50&client=${seeded.clientId}` },
      { name: 'a day', query: `limit=50&from=${dayBefore.toISOString()}&to=${newest.toISOString()}` },
      {
        name: 'user + purpose + a day',
        query: `limit=50&user=bench-user-42&purpose=care-coordination&from=${dayBefore.toISOString()}&to=${newest.toISOString()}`,
      },
    ];
  };

  const bySize: { size: number; result: LogSearchResult }[] = [];
  let bytesPerEntry = 0;
  let bytesPerEntryBy: LogSizeReport['bytesPerEntryBy'] = [];
  let compactSeconds = 0;
  for (const size of sizes) {
    out(`  seeding to ${size.toLocaleString('en-US')} entries …`);
    await seedTo(size);
    // As the operator's schedule would: log:maintain rebuilds the closed partitions' indexes full.
    const compactBegan = performance.now();
    const { compacted } = await maintenance.maintain();
    compactSeconds += (performance.now() - compactBegan) / 1000;
    out(
      `    log:maintain compacted ${compacted.length} closed partitions (${((performance.now() - compactBegan) / 1000).toFixed(0)} s)`,
    );
    const [{ bytes }] = (await dataSource.query(
      `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent IN ('access_log_entry'::regclass, 'access_log_link'::regclass)`,
    )) as { bytes: string }[];
    bytesPerEntry = Number(bytes) / size;
    // The partitions' tables and indexes, by the name they share across partitions (the _p<bound> suffix dropped).
    const parts = (await dataSource.query(
      `SELECT regexp_replace(c.relname, '_p[0-9]+', '') AS relation, sum(pg_table_size(c.oid))::bigint AS bytes
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent IN ('access_log_entry'::regclass, 'access_log_link'::regclass) GROUP BY 1
       UNION ALL
       SELECT regexp_replace(x.relname, '_p[0-9]+', ''), sum(pg_relation_size(x.oid))::bigint
         FROM pg_inherits i JOIN pg_index ix ON ix.indrelid = i.inhrelid JOIN pg_class x ON x.oid = ix.indexrelid
        WHERE i.inhparent IN ('access_log_entry'::regclass, 'access_log_link'::regclass) GROUP BY 1
        ORDER BY 2 DESC`,
    )) as { relation: string; bytes: string }[];
    bytesPerEntryBy = parts.map((p) => ({ relation: p.relation, bytes: Number(p.bytes) / size }));
    out(
      `  measuring the officer's searches at ${size.toLocaleString('en-US')} entries (${(Number(bytes) / 2 ** 30).toFixed(2)} GiB) …`,
    );
    const result = await runWorker<LogSearchResult>(
      'log-search',
      {
        token: seeded.tokens.officer,
        searches: await searchesFor(),
        requests: options.requests,
      } satisfies LogSearchInput,
      options.workerEnv,
    );
    bySize.push({ size, result });
  }

  await seeder.release();
  const explainFile = join(options.resultsDir, 'log-size-explain.md');
  const last = bySize[bySize.length - 1];
  writeFileSync(
    explainFile,
    [
      `# The officer's searches at ${last.size.toLocaleString('en-US')} entries: EXPLAIN (ANALYZE, BUFFERS)`,
      '',
      ...last.result.searches.flatMap((s) => [
        `## ${s.name} — \`GET /v1/access-log?${s.query.replace(/from=[^&]+&to=[^&]+/, 'from=…&to=…')}\``,
        '',
        '```',
        s.explain,
        '```',
        '',
      ]),
    ].join('\n'),
  );
  return {
    sizes,
    searches: last.result.searches.map((s, i) => ({
      name: s.name,
      query: s.query,
      at: bySize.map(({ size, result }) => ({
        size,
        p50Ms: result.searches[i].p50Ms,
        p95Ms: result.searches[i].p95Ms,
      })),
    })),
    explainFile,
    bytesPerEntry,
    bytesPerEntryBy,
    seedSeconds: seedMs / 1000,
    compactSeconds,
  };
}

/** Free space where the database lives, for the run's header (df; nothing on failure). */
export function freeSpace(path: string): string {
  try {
    return execFileSync('df', ['-h', path]).toString().trim().split('\n').pop() ?? '';
  } catch {
    return '';
  }
}
