import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AnomaliesService } from '../src/oversight/anomalies.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Patterns configured in policies/anomalies.yaml open review items for the privacy officer. */
describe('anomaly review items', () => {
  let ctx: TestContext;
  let operator: TestPartner;
  let officer: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    operator = await ctx.newPartner({ type: 'other', id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
  });
  afterAll(async () => ctx?.close());

  const scan = (now?: Date) => ctx.app.get(AnomaliesService).scan(now);
  const anomalies = async () => ((await ctx.request({ url: '/v1/reviews?status=open', token: officer, purpose: 'privacy-audit' })).body.items as { kind: string; summary: { rule: string; user: string } }[]).filter((i) => i.kind === 'anomaly');

  it('opens one item for a burst of refusals, however often the scan runs', async () => {
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const prober = await housing.token({ roles: ['referrer'], sub: 'prober' });
    for (let i = 0; i < 5; i++) expect((await ctx.request({ url: '/v1/access-log', token: prober, purpose: 'privacy-audit' })).status).toBe(403);
    expect(await scan()).toBe(1);
    expect(await scan()).toBe(0);
    expect(await anomalies()).toEqual([expect.objectContaining({ summary: expect.objectContaining({ rule: 'refusal-burst', user: 'prober' }) })]);
  });

  it('opens an item for repeated attempts on cases outside the user\'s circles', async () => {
    const caw = await ctx.newPartner({ type: 'caw' });
    const curious = await caw.token({ roles: ['caseworker'], sub: 'curious' });
    for (let i = 0; i < 3; i++) {
      expect((await ctx.request({ url: `/v1/cases/00000000-0000-4000-8000-00000000000${i}`, token: curious, purpose: 'duo-follow-up' })).status).toBe(404);
    }
    await scan();
    expect((await anomalies()).map((a) => a.summary.rule)).toContain('outside-circle-attempts');
  });

  it('opens an item for a read of client data at night (Brussels time)', async () => {
    const night = new Date('2026-11-20T02:30:00Z'); // 03:30 in Brussels
    await ctx.dataSource.query(
      `INSERT INTO access_log_entry (id, occurred_at, request_id, partner_id, user_sub, roles, action, resource_type, client_ref, purpose, decision, reason, policy_version, entry_hash)
       VALUES (gen_random_uuid(), $1, 'r-night', 'demo-caw', 'night-owl', '{caseworker}', 'read', 'Case', repeat('a', 64), 'duo-follow-up', 'permit', 'test', 'v', repeat('0', 64))`,
      [night],
    );
    await scan(new Date('2026-11-20T08:00:00Z'));
    expect((await anomalies()).find((a) => a.summary.rule === 'out-of-hours-access')?.summary.user).toBe('night-owl');
  });
});
