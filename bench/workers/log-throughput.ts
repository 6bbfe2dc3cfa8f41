import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AccessLogRepository } from '../../src/access-log/access-log.repository.js';
import { ChainService } from '../../src/access-log/chain.service.js';
import { loadGatewayKeys } from '../../src/access-log/gateway-keys.js';
import { entryHash, GENESIS_HASH, linkHash } from '../../src/access-log/hashing.js';
import { createLogger } from '../../src/common/logging/logger.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataSource } from '../../src/data-source.js';
import { reply, runMain, workerInput } from '../support/processes.js';
import { closedLoop, interleave, type Measurement, type RowLength } from '../support/stats.js';

export interface LogThroughputInput {
  caseId: string;
  writers: number;
  length: RowLength;
  /** Chained and unchained run in this many alternating slices (see --slices): their ratio is the point. */
  slices: number;
}

export interface LogThroughputResult {
  none: Measurement;
  globalLock: Measurement;
  unchained: Measurement;
  chained: Measurement;
  /** Chained, but the chainer does not grow the Merkle tree (as before issue 14). */
  chainedWithoutTree: Measurement;
}

/**
 * The access log's design, priced (formerly bench/access-log-throughput.ts): an audited access
 * (read the case row, in a transaction, through TypeORM) from many concurrent writers, with
 *   none        — no log entry (the ceiling);
 *   global-lock — the naive design: the entry linked into a chain inside the request's
 *                 transaction, serialised by one row lock held until commit (taken as late as
 *                 possible, its best case);
 *   unchained   — the entry inserted by the real repository, nobody linking it yet;
 *   chained     — the same, with the gateway's ChainService linking committed entries beside it,
 *                 on its own timer (ACCESS_LOG_CHAIN_INTERVAL_MS), as every gateway process does,
 *                 growing the Merkle tree in the same transaction;
 *   chained without the tree — the chainer linking only (the tree's cost, issue 14).
 * The unchained entries are linked afterwards, outside the measurement, so the log still verifies.
 */
runMain(async () => {
  const input = workerInput<LogThroughputInput>();
  const config = loadConfig({ ...process.env, DB_POOL_SIZE: String(input.writers) });
  const logger = createLogger('warn');
  const dataSource = createDataSource(config.databaseUrl!, config, 'bench-log-throughput');
  await dataSource.initialize();
  const repository = new AccessLogRepository(dataSource);
  const chain = new ChainService(repository, await loadGatewayKeys(config), config, logger);

  let i = 0;
  const content = () => ({
    id: randomUUID(),
    occurredAt: new Date(Math.floor(Date.now())),
    requestId: `bench-log-${i++}`,
    partnerId: 'bench-outreach',
    userSub: 'bench-caseworker',
    roles: ['caseworker'],
    profession: 'psychiatric-nurse',
    action: 'read',
    resourceType: 'Case',
    resourceId: input.caseId,
    clientRef: null,
    custodianPartnerId: 'bench-outreach',
    purpose: 'care-coordination',
    legalBasis: null,
    consentId: null,
    decision: 'permit' as const,
    reason: 'bench',
    ruleId: null,
    fields: ['case-status'],
    disclosureSha256: null,
    override: false,
    policyVersion: 'bench',
    format: 2,
    consentIds: [] as string[],
    agreementId: null,
    ground: null,
    categories: ['case-status'],
    grantId: null,
  });
  const readCase = (manager: EntityManager) => manager.query('SELECT * FROM care_case WHERE id = $1', [input.caseId]);
  const logged = () =>
    dataSource.transaction(async (manager) => {
      await readCase(manager);
      const entry = content();
      await repository.insert(manager, { ...entry, entryHash: entryHash(entry) }, null);
    });
  const measure = (operation: () => Promise<unknown>, length = input.length) =>
    closedLoop(input.writers, length, async () => void (await operation()));

  const none = await measure(() => dataSource.transaction(readCase));
  await dataSource.query(
    'CREATE TABLE IF NOT EXISTS bench_naive_head (id int PRIMARY KEY, position bigint NOT NULL, hash char(64) NOT NULL)',
  );
  await dataSource.query(`INSERT INTO bench_naive_head VALUES (1, 0, '${GENESIS_HASH}') ON CONFLICT (id) DO NOTHING`);
  const globalLock = await measure(() =>
    dataSource.transaction(async (manager) => {
      await readCase(manager);
      const entry = content();
      const hash = entryHash(entry);
      const [head] = (await manager.query('SELECT position, hash FROM bench_naive_head WHERE id = 1 FOR UPDATE')) as {
        position: string;
        hash: string;
      }[];
      const position = BigInt(head.position) + 1n;
      await repository.insert(manager, { ...entry, entryHash: hash }, null);
      await manager.query('UPDATE bench_naive_head SET position = $1, hash = $2 WHERE id = 1', [
        position.toString(),
        linkHash(position, head.hash, hash),
      ]);
    }),
  );
  await chain.chainAll();
  // Chained and unchained in alternating slices (chained first, then unchained first, …), so a
  // slow minute of a shared machine weighs on both. Before a chained slice nothing is left to link.
  const [chained, unchained] = await interleave(input.length, input.slices, [
    async (length) => {
      chain.onApplicationBootstrap();
      const measured = await measure(logged, length);
      await chain.onApplicationShutdown();
      await chain.chainAll();
      return measured;
    },
    async (length) => {
      const measured = await measure(logged, length);
      await chain.chainAll();
      return measured;
    },
  ]);
  // The same with the chainer linking only, not growing the Merkle tree (the design before issue
  // 14): what the tree costs. The tree catches up from the links on the next batch.
  const growTree = repository.tree.append.bind(repository.tree);
  repository.tree.append = () => Promise.resolve(null);
  chain.onApplicationBootstrap();
  const chainedWithoutTree = await measure(logged);
  await chain.onApplicationShutdown();
  await chain.chainAll();
  repository.tree.append = growTree;
  await dataSource.destroy();
  reply({ none, globalLock, unchained, chained, chainedWithoutTree } satisfies LogThroughputResult);
});
