import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChainService } from '../src/access-log/chain.service.js';
import { LogMaintenanceService } from '../src/access-log/log-maintenance.service.js';
import { LogPartitionsRepository } from '../src/access-log/log-partitions.repository.js';
import { createLogger } from '../src/common/logging/logger.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * Retention by whole partitions (npm run log:maintain): partitions are made ahead; those past the
 * retention period that are exactly a prefix of the chain are dropped after their last position is
 * signed as the anchor, and what remains still verifies from it. No row is ever deleted.
 */
describe('access-log partitions and retention', () => {
  let ctx: TestContext;
  let officer: string;
  let operator: TestPartner;
  let maintenance: LogMaintenanceService;
  let chain: ChainService;

  beforeAll(async () => {
    ctx = await createTestContext({
      ACCESS_LOG_RETENTION_YEARS: '10',
      ACCESS_LOG_PARTITION_SIZE: '3',
      ACCESS_LOG_PARTITIONS_AHEAD: '2',
    });
    operator = await ctx.operator({ id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    chain = ctx.app.get(ChainService);
    // As the command builds it (src/cli/log-cli.ts), on the test's own connection (the schema owner here).
    maintenance = new LogMaintenanceService(
      chain,
      new LogPartitionsRepository(ctx.dataSource),
      ctx.config,
      createLogger('warn'),
    );
  });
  afterAll(async () => ctx?.close());

  /** Each search of the log is itself logged: one entry. */
  const search = () => ctx.request({ url: '/v1/access-log', token: officer, purpose: 'privacy-audit' });
  const count = async () => (await ctx.dataSource.query('SELECT count(*)::int AS n FROM access_log'))[0].n as number;
  const nextSeq = async () =>
    Number(
      (
        await ctx.dataSource.query(
          'SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM access_log_entry_seq_seq',
        )
      )[0].next,
    );
  const partitions = async () =>
    (
      (await ctx.dataSource.query(
        `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'access_log_entry'::regclass ORDER BY c.relname`,
      )) as { name: string; bound: string }[]
    ).map((p) => p.name);

  it('makes partitions of the configured size ahead of the entries (the empty ones the migration made are remade)', async () => {
    const result = await maintenance.maintain();
    expect(result.dropped).toEqual([]);
    const next = await nextSeq();
    const upper = (await ctx.dataSource.query(
      `SELECT max((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''?(\\d+)'))[1]::bigint) AS top
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'access_log_entry'::regclass`,
    )) as { top: string }[];
    expect(Number(upper[0].top)).toBeGreaterThanOrEqual(next + 2 * 3);
    // Entries and links have the same ranges, under the same names.
    const links = (
      (await ctx.dataSource.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'access_log_link'::regclass ORDER BY c.relname`,
      )) as { name: string }[]
    ).map((p) => p.name.replace('link', 'entry'));
    expect(links).toEqual(await partitions());
    // A second run has nothing to do.
    expect(await maintenance.maintain()).toMatchObject({ created: [], resized: [], dropped: [] });
  });

  it('rebuilds the indexes of closed partitions full, once, and leaves the open one alone', async () => {
    // (Partitions ahead hold 6 entries: 4 more writes close one without running out.)
    for (let i = 0; i < 3; i++) await search();
    await chain.chainAll();
    const next = await nextSeq();
    const indexes = async () =>
      (await ctx.dataSource.query(
        `SELECT t.relname AS "table", ic.relname AS name, (regexp_match(pg_get_expr(t.relpartbound, t.oid), 'TO \\(''?(\\d+)'))[1]::bigint AS upper,
                coalesce(ic.reloptions, '{}') AS options, obj_description(ic.oid, 'pg_class') AS comment
           FROM pg_inherits i JOIN pg_class t ON t.oid = i.inhrelid JOIN pg_index x ON x.indrelid = t.oid
           JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_am am ON am.oid = ic.relam
          WHERE i.inhparent IN ('access_log_entry'::regclass, 'access_log_link'::regclass) AND am.amname = 'btree'`,
      )) as { table: string; name: string; upper: string; options: string[]; comment: string | null }[];
    const everything = async () =>
      (await ctx.request({ url: '/v1/access-log?limit=100', token: officer, purpose: 'privacy-audit' })).body.items.map(
        (e: { id: string }) => e.id,
      ) as string[];
    const before = await everything();
    const result = await maintenance.maintain();
    expect(result.compacted.length).toBeGreaterThan(0);
    const after = await indexes();
    const closed = after.filter((i) => Number(i.upper) <= next);
    const open = after.filter((i) => Number(i.upper) > next);
    expect(closed.length).toBeGreaterThan(0);
    // Every b-tree index of every closed partition, the links' too; none of a partition still written.
    for (const index of closed) {
      expect(index).toMatchObject({ comment: 'compacted by log:maintain' });
      expect(index.options).toContain('fillfactor=100');
    }
    expect(new Set(closed.map((i) => i.table.replace(/_p-?\d+$/, '')))).toEqual(
      new Set(['access_log_entry', 'access_log_link']),
    );
    for (const index of open) expect(index.comment).toBeNull();
    // Once: a second run rebuilds nothing; the rebuilt indexes serve searches and verification.
    expect((await maintenance.maintain()).compacted).toEqual([]);
    expect((await everything()).slice(1)).toEqual(before);
    expect(await chain.verify()).toMatchObject({ ok: true });
  });

  it('keeps the partitions append-only: UPDATE, DELETE and TRUNCATE of one are refused', async () => {
    await search();
    const [name] = (await partitions()).filter((p) => !p.endsWith('_p0'));
    for (const sql of [`UPDATE ${name} SET purpose = 'x'`, `DELETE FROM ${name}`, `TRUNCATE ${name}`]) {
      await expect(ctx.dataSource.query(sql)).rejects.toThrow(/append-only/);
    }
  });

  it('drops whole partitions past retention that are a chain prefix, anchored, and the rest verifies', async () => {
    // Fill partitions to a boundary, so the older entries end exactly where a partition ends.
    await search();
    while ((await nextSeq()) % 3 !== 1) await search();
    await maintenance.maintain();
    await chain.chainAll();
    const older = await count();
    const lastOld = (await nextSeq()) - 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const boundary = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 4; i++) await search();
    await chain.chainAll();
    const total = await count();

    // Nothing is young enough to go yet.
    expect(await maintenance.maintain(new Date())).toMatchObject({ dropped: [], anchor: null, purged: 0 });

    // Ten years after the boundary, every partition of older entries is past retention.
    const tenYearsOn = new Date(boundary);
    tenYearsOn.setFullYear(tenYearsOn.getFullYear() + 10);
    const [anchorLink] = (await ctx.dataSource.query('SELECT position FROM access_log_link WHERE entry_seq = $1', [
      lastOld,
    ])) as { position: string }[];
    const result = await maintenance.maintain(tenYearsOn);
    expect(result).toMatchObject({ anchor: String(anchorLink.position), purged: older });
    expect(result.dropped.length).toBeGreaterThan(0);
    expect(await count()).toBe(total - older);
    // The anchor is a signed checkpoint; the checkpoints before it went with their prefix.
    const [{ first }] = (await ctx.dataSource.query(
      'SELECT min(position)::text AS first FROM access_log_checkpoint',
    )) as { first: string }[];
    expect(first).toBe(String(anchorLink.position));

    const report = await chain.verify();
    expect({ ...report, problem: (report as { problem?: string }).problem }).toMatchObject({
      ok: true,
      entries: total - older,
    });
  });

  it('always keeps the head, however far in the future it runs', async () => {
    const farFuture = new Date();
    farFuture.setFullYear(farFuture.getFullYear() + 50);
    await maintenance.maintain(farFuture);
    expect(await count()).toBeGreaterThanOrEqual(1);
    expect(await chain.verify()).toMatchObject({ ok: true });
  });
});
