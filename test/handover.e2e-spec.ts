import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Warm handover: coordination passes to a follow-up partner; the previous team reads on for the aftercare period. */
describe('warm handover', () => {
  let ctx: TestContext;
  let outreach: TestPartner;
  let mhs: TestPartner;
  let team: string;
  let caseId: string;
  let clientId: string;

  beforeAll(async () => {
    ctx = await createTestContext({ HANDOVER_AFTERCARE_DAYS: '30' });
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    mhs = await ctx.newPartner({ type: 'mental-health-service' });
    const admin = await (await ctx.operator()).token();
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
    });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: {
        title: 'B',
        partnerIds: [mhs.id, outreach.id],
        purposes: ['warm-handover', 'care-coordination'],
        validFrom: '2026-01-01',
      },
    });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'coord' });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Lucas' },
        signals: ['psychological-problems'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    caseId = (
      await ctx.request({
        method: 'POST',
        url: `/v1/referrals/${referral.body.id}/decision`,
        token: team,
        purpose: 'referral',
        body: { decision: 'accept' },
      })
    ).body.caseId;
    clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: team, purpose: 'referral' })).body
      .clientId;
    await ctx.request({
      method: 'PUT',
      url: `/v1/cases/${caseId}/care-plan`,
      token: team,
      purpose: 'care-coordination',
      body: { domains: [{ domain: 'health', goals: ['Ambulante opvolging'], interventions: ['CGG'] }] },
    });
  });
  afterAll(async () => ctx?.close());

  const handover = (to: string, token = team) =>
    ctx.request({
      method: 'POST',
      url: `/v1/cases/${caseId}/handover`,
      token,
      purpose: 'warm-handover',
      body: { toPartnerId: to },
    });
  const teamRead = () => ctx.request({ url: `/v1/cases/${caseId}`, token: team, purpose: 'care-coordination' });

  it("needs the partner in the circle and the client's consent", async () => {
    const notInCircle = await handover(mhs.id);
    expect(notInCircle.status).toBe(422);
    expect(notInCircle.body.detail).toContain('not in the circle');
    await ctx.request({
      method: 'POST',
      url: `/v1/cases/${caseId}/circle`,
      token: team,
      purpose: 'care-coordination',
      body: { partnerId: mhs.id, purposes: ['warm-handover', 'care-coordination'] },
    });
    const noConsent = await handover(mhs.id);
    expect(noConsent.status).toBe(422);
    expect(noConsent.body.detail).toContain('consented');
    expect((await handover(outreach.id)).status).toBe(400);
    expect((await handover('ghost-partner')).status).toBe(400);
  });

  it('moves coordination, keeps the previous team reading during aftercare, then takes its access away', async () => {
    await ctx.request({
      method: 'POST',
      url: `/v1/clients/${clientId}/consents`,
      token: team,
      purpose: 'care-coordination',
      body: {
        purposes: ['warm-handover', 'care-coordination'],
        recipients: [{ partnerId: mhs.id }],
        categories: ['identity', 'care-plan', 'health'],
        effect: 'permit',
        givenBy: { kind: 'client' },
        method: 'written',
        validFrom: '2026-01-01',
      },
    });
    const moved = await handover(mhs.id);
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ from: outreach.id, to: mhs.id });
    const days = (Date.parse(moved.body.aftercareUntil) - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(30);

    const during = await teamRead();
    expect(during.status).toBe(200);
    expect(during.body.carePlan[0]).toMatchObject({ domain: 'health' });
    // No longer the holder: the previous team cannot write.
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/cases/${caseId}/transitions`,
          token: team,
          purpose: 'care-coordination',
          body: { to: 'outreach' },
        })
      ).status,
    ).toBe(403);
    expect([403, 404]).toContain((await handover(mhs.id)).status);

    await ctx.dataSource.query(
      `UPDATE circle_member SET aftercare_until = now() - interval '1 minute' WHERE case_id = $1 AND partner_id = $2`,
      [caseId, outreach.id],
    );
    expect((await teamRead()).status).toBe(404);

    const psychiatrist = await mhs.token({ roles: ['psychiatrist'], profession: 'psychiatrist' });
    const newHolder = await ctx.request({
      url: `/v1/cases/${caseId}`,
      token: psychiatrist,
      purpose: 'care-coordination',
    });
    expect(newHolder.status).toBe(200);
    expect(newHolder.body.givenName).toBe('Lucas');
  });
});
