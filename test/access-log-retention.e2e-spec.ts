import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChainService } from '../src/access-log/chain.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Entries past the retention period go; what remains still verifies from a signed anchor. */
describe('access-log retention', () => {
  let ctx: TestContext;
  let officer: string;
  let operator: TestPartner;

  beforeAll(async () => {
    ctx = await createTestContext({ ACCESS_LOG_RETENTION_YEARS: '10' });
    operator = await ctx.operator({ id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
  });
  afterAll(async () => ctx?.close());

  const search = () => ctx.request({ url: '/v1/access-log', token: officer, purpose: 'privacy-audit' });
  const count = async () =>
    (await ctx.dataSource.query('SELECT count(*)::int AS n FROM access_log_entry'))[0].n as number;

  it('purges entries older than the retention period and keeps the rest verifiable', async () => {
    const chain = ctx.app.get(ChainService);
    for (let i = 0; i < 4; i++) await search();
    await chain.chainAll();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const boundary = new Date();
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 3; i++) await search();
    await chain.chainAll();
    expect(await count()).toBe(7);

    // Ten years after the boundary, the first four entries are past retention.
    const tenYearsOn = new Date(boundary);
    tenYearsOn.setFullYear(tenYearsOn.getFullYear() + 10);
    const result = await chain.purgeExpired(tenYearsOn);
    expect(result).toEqual({ purged: 4, anchor: '4' });
    expect(await count()).toBe(3);

    const report = await chain.verify();
    expect(report).toMatchObject({ ok: true, entries: 3, head: { position: '7' } });
  });

  it('keeps everything younger than the retention period, and always the head', async () => {
    const chain = ctx.app.get(ChainService);
    expect(await chain.purgeExpired(new Date())).toEqual({ purged: 0, anchor: null });
    const farFuture = new Date();
    farFuture.setFullYear(farFuture.getFullYear() + 50);
    await chain.purgeExpired(farFuture);
    expect(await count()).toBeGreaterThanOrEqual(1);
    expect((await chain.verify()).ok).toBe(true);
  });
});
