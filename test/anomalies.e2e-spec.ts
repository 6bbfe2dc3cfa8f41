import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AnomaliesService } from '../src/oversight/anomalies.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Patterns configured in policies/anomalies.yaml open review items for the privacy officer. */
describe('anomaly review items', () => {
  let ctx: TestContext;
  let operator: TestPartner;
  let officer: string;
  let outreach: TestPartner;
  let caseId: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    operator = await ctx.operator({ id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    const admin = await operator.token({ roles: ['gateway-admin'] });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
    });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Mila' },
        signals: ['withdrawal'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    caseId = (
      await ctx.request({
        method: 'POST',
        url: `/v1/referrals/${referral.body.id}/decision`,
        token: await outreach.token({ roles: ['coordinator'], sub: 'coord' }),
        purpose: 'referral',
        body: { decision: 'accept' },
      })
    ).body.caseId;
  });
  afterAll(async () => ctx?.close());

  const scan = (now?: Date) => ctx.app.get(AnomaliesService).scan(now);
  type Item = {
    id: string;
    kind: string;
    entryIds: string[];
    summary: { rule: string; user: string } & Record<string, unknown>;
  };
  const anomalies = async () =>
    (
      (await ctx.request({ url: '/v1/reviews?status=open', token: officer, purpose: 'privacy-audit' })).body
        .items as Item[]
    ).filter((i) => i.kind === 'anomaly');
  const readCase = async (token: string, times: number) => {
    for (let i = 0; i < times; i++)
      expect((await ctx.request({ url: `/v1/cases/${caseId}`, token, purpose: 'care-coordination' })).status).toBe(200);
  };

  it('opens one item for a burst of refusals, however often the scan runs', async () => {
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const prober = await housing.token({ roles: ['referrer'], sub: 'prober' });
    for (let i = 0; i < 5; i++)
      expect((await ctx.request({ url: '/v1/access-log', token: prober, purpose: 'privacy-audit' })).status).toBe(403);
    expect(await scan()).toBe(1);
    expect(await scan()).toBe(0);
    const [item] = await anomalies();
    expect(item).toMatchObject({ summary: expect.objectContaining({ rule: 'refusal-burst', user: 'prober' }) });
    // Every refusal of the burst is behind the item, and the officer can open them.
    expect(item.entryIds).toHaveLength(5);
    const detail = await ctx.request({ url: `/v1/reviews/${item.id}`, token: officer, purpose: 'privacy-audit' });
    expect(detail.status).toBe(200);
    expect(detail.body.entryIds).toEqual(item.entryIds);
    expect(detail.body.entries).toHaveLength(5);
    expect(
      detail.body.entries.every(
        (e: { user: string; decision: string; resourceType: string }) =>
          e.user === 'prober' && e.decision === 'deny' && e.resourceType === 'AccessLogEntry',
      ),
    ).toBe(true);
  });

  it("opens an item for repeated attempts on cases outside the user's circles", async () => {
    const caw = await ctx.newPartner({ type: 'caw' });
    const curious = await caw.token({ roles: ['caseworker'], sub: 'curious' });
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await ctx.request({
            url: `/v1/cases/00000000-0000-4000-8000-00000000000${i}`,
            token: curious,
            purpose: 'duo-follow-up',
          })
        ).status,
      ).toBe(404);
    }
    await scan();
    expect((await anomalies()).map((a) => a.summary.rule)).toContain('outside-circle-attempts');
  });

  const onlyDate = [
    'hrtime',
    'nextTick',
    'performance',
    'queueMicrotask',
    'requestAnimationFrame',
    'cancelAnimationFrame',
    'requestIdleCallback',
    'cancelIdleCallback',
    'setImmediate',
    'clearImmediate',
    'setInterval',
    'clearInterval',
    'setTimeout',
    'clearTimeout',
  ] as const;
  /** Runs `work` with the gateway's clock (Date only) set to `at`: entries are written by the application as usual. */
  const at = async (when: Date, work: () => Promise<void>) => {
    jest.useFakeTimers({ now: when, advanceTimers: true, doNotFake: [...onlyDate] });
    try {
      await work();
    } finally {
      jest.useRealTimers();
    }
  };
  const itemsOf = async (rule: string, user: string) =>
    (await anomalies()).filter((a) => a.summary.rule === rule && a.summary.user === user);

  it('does not open an item for fewer refusals than the threshold', async () => {
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const hesitant = await housing.token({ roles: ['referrer'], sub: 'hesitant' });
    for (let i = 0; i < 4; i++)
      expect((await ctx.request({ url: '/v1/access-log', token: hesitant, purpose: 'privacy-audit' })).status).toBe(
        403,
      );
    await scan();
    expect(await itemsOf('refusal-burst', 'hesitant')).toEqual([]);
  });

  it('does not open an item for a single mistaken case id', async () => {
    const caw = await ctx.newPartner({ type: 'caw' });
    const typo = await caw.token({ roles: ['caseworker'], sub: 'typo' });
    for (let i = 0; i < 2; i++)
      expect(
        (
          await ctx.request({
            url: `/v1/cases/00000000-0000-4000-8000-00000000001${i}`,
            token: typo,
            purpose: 'duo-follow-up',
          })
        ).status,
      ).toBe(404);
    await scan();
    expect(await itemsOf('outside-circle-attempts', 'typo')).toEqual([]);
  });

  it('opens an item for a read of client data at night (Brussels time), not for one at noon', async () => {
    // The day after tomorrow (so the case and its circle already exist): 02:30 and 11:00 UTC are
    // 03:30 and 12:00 in Brussels in winter, 04:30 and 13:00 in summer.
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    await at(new Date(`${day}T02:30:00Z`), async () =>
      readCase(await outreach.token({ roles: ['caseworker'], sub: 'night-owl' }), 1),
    );
    await at(new Date(`${day}T11:00:00Z`), async () =>
      readCase(await outreach.token({ roles: ['caseworker'], sub: 'day-worker' }), 1),
    );
    await scan(new Date(`${day}T12:00:00Z`));
    const [night] = await itemsOf('out-of-hours-access', 'night-owl');
    expect(night).toBeDefined();
    expect(night.entryIds).toHaveLength(1);
    expect(night.summary.at).toMatch(new RegExp(`^${day} 0[34]:30$`));
    expect(await itemsOf('out-of-hours-access', 'day-worker')).toEqual([]);
  });

  it('opens a volume-spike item for a user reading far above their own usual, not for one whose usual is as high', async () => {
    // Two days ago (the gateway's clock set back, entries written by the application as usual):
    // "steady" read 20 times in an hour, "quiet" 4 times.
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    jest.useFakeTimers({ now: twoDaysAgo, advanceTimers: true, doNotFake: [...onlyDate] });
    try {
      await readCase(await outreach.token({ roles: ['caseworker'], sub: 'steady' }), 20);
      await readCase(await outreach.token({ roles: ['caseworker'], sub: 'quiet' }), 4);
    } finally {
      jest.useRealTimers();
    }
    const [{ n: past }] = await ctx.dataSource.query(
      `SELECT count(*)::int AS n FROM access_log WHERE user_sub IN ('steady', 'quiet') AND occurred_at < now() - interval '47 hours'`,
    );
    expect(past).toBe(24);
    // Now, within the hour: 25 reads each, and 19 by a newcomer (under the minimum of 20).
    await readCase(await outreach.token({ roles: ['caseworker'], sub: 'steady' }), 25);
    await readCase(await outreach.token({ roles: ['caseworker'], sub: 'quiet' }), 25);
    await readCase(await outreach.token({ roles: ['caseworker'], sub: 'newcomer' }), 19);
    await scan();
    const spikes = (await anomalies()).filter((a) => a.summary.rule === 'volume-spike');
    expect(spikes.map((s) => s.summary.user)).toEqual(['quiet']);
    expect(spikes[0].summary).toMatchObject({ reads: 25, factor: 3, windowMinutes: 60 });
    expect(spikes[0].summary.usualPerWindow).toBeGreaterThan(0);
    expect(spikes[0].summary.usualPerWindow).toBeLessThanOrEqual(4);
    // The reads of this hour are behind the item, not those of two days ago.
    expect(spikes[0].entryIds).toHaveLength(25);
    // Later scans (a spike seen two hours on has left the window) open nothing new for it.
    await scan(new Date(Date.now() + 2 * 3_600_000));
    expect((await anomalies()).filter((a) => a.summary.rule === 'volume-spike')).toHaveLength(1);
  });

  it('does not flag the first reads of users of the team that holds the case', async () => {
    await scan();
    const first = (await anomalies()).filter((a) => a.summary.rule === 'first-access-without-relation');
    expect(first).toEqual([]);
  });

  it('answers bad review ids with problem+json and keeps housing staff out, logging the refusal', async () => {
    const bad = await ctx.request({ url: '/v1/reviews/not-a-uuid', token: officer, purpose: 'privacy-audit' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const missing = await ctx.request({
      url: '/v1/reviews/00000000-0000-4000-8000-000000000000',
      token: officer,
      purpose: 'privacy-audit',
    });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    const [item] = await anomalies();
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const referrer = await housing.token({ roles: ['referrer'], sub: 'nosy-referrer' });
    const refused = await ctx.request({ url: `/v1/reviews/${item.id}`, token: referrer, purpose: 'privacy-audit' });
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const [logged] = await ctx.dataSource.query(
      `SELECT decision FROM access_log WHERE user_sub = 'nosy-referrer' ORDER BY seq DESC LIMIT 1`,
    );
    expect(logged).toEqual({ decision: 'deny' });
    const otherOfficer = await (await ctx.newPartner({ type: 'ocmw' })).token({ roles: ['privacy-officer'] });
    expect(
      (await ctx.request({ url: `/v1/reviews/${item.id}`, token: otherOfficer, purpose: 'privacy-audit' })).status,
    ).toBe(404);
  });
});
