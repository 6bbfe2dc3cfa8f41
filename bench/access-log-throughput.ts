import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessLogRepository } from '../src/access-log/access-log.repository.js';
import { entryHash, GENESIS_HASH, linkHash } from '../src/access-log/hashing.js';
import { createLogger } from '../src/common/logging/logger.js';
import { loadConfig } from '../src/config/config.js';
import { createDataSource } from '../src/database/data-source.js';
import { openDatabase } from '../src/database/open-database.js';

/**
 * `npm run bench`: throughput of audited accesses (a small read plus its log entry, one
 * transaction each) from many concurrent writers, for three designs measured in the same run:
 *   none        — the read alone, no log (the ceiling)
 *   global-lock — link each entry into the chain inside the request transaction, serialised by
 *                 one lock held until commit (the naive design)
 *   chainer     — the gateway's design: insert the entry; a chainer links committed entries
 * Prints entries/s and ratios. Set BENCH_WRITERS / BENCH_ACCESSES to change the load.
 */
const WRITERS = Number(process.env.BENCH_WRITERS ?? 32);
const ACCESSES = Number(process.env.BENCH_ACCESSES ?? 60);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function content(i: number) {
  return {
    id: randomUUID(),
    occurredAt: new Date(),
    requestId: `bench-${i}`,
    partnerId: 'demo-caw',
    userSub: 'bench',
    roles: ['caseworker'],
    profession: null,
    action: 'read',
    resourceType: 'Case',
    resourceId: String(i),
    clientRef: null,
    custodianPartnerId: 'demo-outreach',
    purpose: 'duo-follow-up',
    legalBasis: null,
    consentId: null,
    decision: 'permit' as const,
    reason: 'bench',
    ruleId: null,
    fields: ['housing'],
    disclosureSha256: null,
    override: false,
    policyVersion: 'bench',
    format: 2,
    consentIds: [] as string[],
    agreementId: null,
    ground: null,
    categories: ['housing'],
    grantId: null,
  };
}

// The simulated access: one indexed read, as a real case read would do.
const readCase = (manager: EntityManager) =>
  manager.query('SELECT count(*) FROM access_log_checkpoint WHERE id = $1', [1]);

async function run(label: string, dataSource: DataSource, access: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let n = 0; n < ACCESSES; n++) await access(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = (WRITERS * ACCESSES) / seconds;
  process.stdout.write(`  ${label.padEnd(12)} ${rate.toFixed(0).padStart(7)} accesses/s\n`);
  void dataSource;
  return rate;
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', DB_POOL_SIZE: '20' });
  const logger = createLogger('warn');
  const server = await openDatabase(config, logger, 'schakel-bench');
  const adminUrl = server.embedded?.adminUrl ?? config.databaseUrl!;
  await server.dataSource.destroy();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS schakel_bench WITH (FORCE)');
  await admin.query('CREATE DATABASE schakel_bench');
  const url = new URL(adminUrl);
  url.pathname = '/schakel_bench';
  const dataSource = createDataSource(url.toString(), config, 'schakel-bench');
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.query(
    'CREATE TABLE bench_naive_head (id int PRIMARY KEY, position bigint NOT NULL, hash char(64) NOT NULL)',
  );
  await dataSource.query(`INSERT INTO bench_naive_head VALUES (1, 0, '${GENESIS_HASH}')`);
  const repository = new AccessLogRepository(dataSource);

  process.stdout.write(
    `access-log throughput: ${WRITERS} concurrent writers x ${ACCESSES} accesses, ${ROUNDS} rounds, pool ${config.database.poolSize}\n`,
  );
  const results: Record<string, number[]> = { none: [], 'global-lock': [], chainer: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    process.stdout.write(`round ${round}\n`);
    results.none.push(
      await run('none', dataSource, () => dataSource.transaction(async (m) => void (await readCase(m)))),
    );

    results['global-lock'].push(
      await run('global-lock', dataSource, (i) =>
        dataSource.transaction(async (m) => {
          await readCase(m);
          const entry = content(i);
          const hash = entryHash(entry);
          // Taken as late as possible (best case for this design), then held until commit.
          const [head] = await m.query('SELECT position, hash FROM bench_naive_head WHERE id = 1 FOR UPDATE');
          const position = BigInt(head.position) + 1n;
          const link = linkHash(position, head.hash, hash);
          await repository.insert(m, { ...entry, entryHash: hash }, null);
          await m.query('UPDATE bench_naive_head SET position = $1, hash = $2 WHERE id = 1', [
            position.toString(),
            link,
          ]);
        }),
      ),
    );

    let chaining = true;
    const chainer = (async () => {
      while (chaining) if ((await repository.chainPending(1000)) === 0) await new Promise((r) => setTimeout(r, 20));
    })();
    results.chainer.push(
      await run('chainer', dataSource, (i) =>
        dataSource.transaction(async (m) => {
          await readCase(m);
          const entry = content(i);
          await repository.insert(m, { ...entry, entryHash: entryHash(entry) }, null);
        }),
      ),
    );
    chaining = false;
    await chainer;
    while ((await repository.chainPending(1000)) > 0);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const none = median(results.none);
  const naive = median(results['global-lock']);
  const ours = median(results.chainer);
  process.stdout.write(
    `\nmedians: none ${none.toFixed(0)}/s, global-lock ${naive.toFixed(0)}/s, chainer ${ours.toFixed(0)}/s\n` +
      `ratio chainer / global-lock: ${(ours / naive).toFixed(2)}\n` +
      `ratio chainer / none:        ${(ours / none).toFixed(2)}\n` +
      `ratio global-lock / none:    ${(naive / none).toFixed(2)}\n`,
  );
  await dataSource.destroy();
  await admin.query('DROP DATABASE IF EXISTS schakel_bench WITH (FORCE)');
  await admin.end();
  await server.embedded?.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
