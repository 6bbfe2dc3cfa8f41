import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { AccessLogRepository, PENDING_ENTRIES } from '../src/access-log/access-log.repository.js';
import { ChainService } from '../src/access-log/chain.service.js';
import { createTestContext, type TestContext } from './support/test-context.js';

/**
 * What linking the log costs the database: the chainer's work per entry must not grow with the
 * request rate (a batch per few entries) or with the log (a scan of every entry per batch).
 */
describe('access log chaining', () => {
  let ctx: TestContext;
  let officer: string;
  let superuser: pg.Client;

  beforeAll(async () => {
    // The periodic tick stays out of the way; every link here is made by the test's own call.
    ctx = await createTestContext({ ACCESS_LOG_CHAIN_INTERVAL_MS: '60000', ACCESS_LOG_CHECKPOINT_SECONDS: '3600' });
    const operator = await ctx.operator({ id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo-network' });
    superuser = new pg.Client({ connectionString: ctx.databaseUrl });
    await superuser.connect();
  });
  afterAll(async () => {
    await superuser?.end();
    await ctx?.close();
  });

  const pending = async () => (await superuser.query('SELECT count(*)::int AS n FROM access_log_unchained')).rows[0].n;

  it('links what was committed before it in one batch, one transaction, not a batch per few entries', async () => {
    // Each search is logged: five entries waiting to be linked.
    for (let i = 0; i < 5; i++)
      expect((await ctx.request({ url: '/v1/access-log', token: officer, purpose: 'privacy-audit' })).status).toBe(200);
    expect(await pending()).toBeGreaterThanOrEqual(5);
    const repository = ctx.app.get(AccessLogRepository);
    const batches: number[] = [];
    const original = repository.chainPending.bind(repository);
    const spy = jest.spyOn(repository, 'chainPending').mockImplementation(async (batch: number) => {
      const linked = await original(batch);
      // -1: another process held the chain (nothing linked by this call).
      if (linked >= 0) batches.push(linked);
      return linked;
    });
    try {
      await ctx.app.get(ChainService).chainAll();
    } finally {
      spy.mockRestore();
    }
    expect(await pending()).toBe(0);
    // One batch that was not full took everything: no second transaction to find nothing.
    expect(batches).toHaveLength(1);
    expect(batches[0]).toBeGreaterThanOrEqual(5);
  });

  it('finds each pending entry by its key, even when the statistics say the queue is long', async () => {
    // After a burst (the chainer paused, a backlog after a restart) ANALYZE saw thousands of
    // queued entries; emptied since, the statistics still say so. A join planned on them read
    // every entry partition whole on every batch.
    await superuser.query('BEGIN');
    await superuser.query("SET LOCAL session_replication_role = 'replica'");
    await superuser.query('INSERT INTO access_log_unchained (seq) SELECT -g FROM generate_series(1, 5000) g');
    await superuser.query('ANALYZE access_log_unchained');
    await superuser.query('DELETE FROM access_log_unchained WHERE seq < 0');
    await superuser.query('COMMIT');
    const [{ 'QUERY PLAN': plan }] = (
      await superuser.query(`EXPLAIN (FORMAT JSON) ${PENDING_ENTRIES.replace('$1', '1000')}`)
    ).rows;
    const scans: string[] = [];
    const walk = (node: Record<string, unknown>) => {
      if (typeof node['Relation Name'] === 'string')
        scans.push(`${String(node['Node Type'])} ${node['Relation Name']}`);
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk((plan as { Plan: Record<string, unknown> }[])[0].Plan);
    const entryScans = scans.filter((s) => s.includes('access_log_entry'));
    expect(entryScans.length).toBeGreaterThan(0);
    for (const scan of entryScans) expect(scan).toMatch(/^Index (Only )?Scan access_log_entry/);
  });
});
