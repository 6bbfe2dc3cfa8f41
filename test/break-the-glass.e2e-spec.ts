import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Crisis access only through break-the-glass: justified, time-limited, always reviewed, always marked as an override. */
describe('break-the-glass', () => {
  let ctx: TestContext;
  let outreach: TestPartner;
  let caw: TestPartner;
  let operator: TestPartner;
  let cawWorker: string;
  let caseId: string;

  beforeAll(async () => {
    ctx = await createTestContext({ BREAK_THE_GLASS_HOURS: '12' });
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    caw = await ctx.newPartner({ type: 'caw' });
    operator = await ctx.operator({ id: 'gateway-operator' });
    const admin = await operator.token({ roles: ['gateway-admin'] });
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
      body: { title: 'B', partnerIds: [caw.id, outreach.id], purposes: ['duo-follow-up'], validFrom: '2026-01-01' },
    });
    const team = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'coord' });
    cawWorker = await caw.token({ roles: ['caseworker'], sub: 'pwb-night' });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Sofie', phone: '+3225550111' },
        signals: ['aggression'],
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
    await ctx.request({
      method: 'PUT',
      url: `/v1/cases/${caseId}/care-plan`,
      token: team,
      purpose: 'care-coordination',
      body: {
        domains: [],
        crisisPlan: 'Bel de mobiele crisisdienst en de huisarts.',
        safetyFlags: ['aggression-risk'],
      },
    });
    await ctx.request({
      method: 'POST',
      url: `/v1/cases/${caseId}/circle`,
      token: team,
      purpose: 'care-coordination',
      body: { partnerId: caw.id, purposes: ['duo-follow-up'] },
    });
  });
  afterAll(async () => ctx?.close());

  const crisisRead = () => ctx.request({ url: `/v1/cases/${caseId}`, token: cawWorker, purpose: 'crisis' });
  const glass = (body: unknown, token = cawWorker, purpose = 'crisis') =>
    ctx.request({ method: 'POST', url: `/v1/cases/${caseId}/emergency-access`, token, purpose, body });

  it('opens the crisis categories for this user only after a justified grant, marks the access as an override, and queues a review', async () => {
    expect((await crisisRead()).status).toBe(404);
    const grant = await glass({ justification: 'Cliënte dreigt zichzelf iets aan te doen, crisisplan nodig.' });
    expect(grant.status).toBe(201);
    const hours = (Date.parse(grant.body.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11.9);
    expect(hours).toBeLessThanOrEqual(12);

    const view = await crisisRead();
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      crisisPlan: expect.stringContaining('crisisdienst'),
      safetyFlags: ['aggression-risk'],
      phone: '+3225550111',
    });
    expect(view.body).not.toHaveProperty('carePlan');
    const [entry] = await ctx.dataSource.query(
      `SELECT override, purpose FROM access_log WHERE user_sub = 'pwb-night' AND resource_type = 'Case' AND decision = 'permit' ORDER BY seq DESC LIMIT 1`,
    );
    expect(entry).toEqual({ override: true, purpose: 'crisis' });

    const colleague = await caw.token({ roles: ['caseworker'], sub: 'pwb-day' });
    expect((await ctx.request({ url: `/v1/cases/${caseId}`, token: colleague, purpose: 'crisis' })).status).toBe(404);

    const officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    const queue = await ctx.request({ url: '/v1/reviews?status=open', token: officer, purpose: 'privacy-audit' });
    expect(queue.body.items).toHaveLength(1);
    expect(queue.body.items[0]).toMatchObject({
      kind: 'break-the-glass',
      caseId,
      actorPartnerId: caw.id,
      override: true,
      summary: expect.objectContaining({ justification: expect.stringContaining('crisisplan') }),
    });
    // Behind the item: the grant itself and the override read made under it.
    const detail = await ctx.request({
      url: `/v1/reviews/${queue.body.items[0].id}`,
      token: officer,
      purpose: 'privacy-audit',
    });
    expect(detail.body.entries).toEqual([
      expect.objectContaining({ resourceType: 'EmergencyAccess', action: 'create', user: 'pwb-night', override: true }),
      expect.objectContaining({
        resourceType: 'Case',
        action: 'read',
        user: 'pwb-night',
        override: true,
        purpose: 'crisis',
      }),
    ]);
    expect(queue.body.items[0].entryIds).toEqual(detail.body.entries.map((e: { id: string }) => e.id));
    // The CAW's access to the outreach team's client is judged by the outreach team's officer.
    const holderOfficer = await outreach.token({ roles: ['privacy-officer'], sub: 'dpo-outreach' });
    const resolved = await ctx.request({
      method: 'POST',
      url: `/v1/reviews/${queue.body.items[0].id}/resolve`,
      token: holderOfficer,
      purpose: 'privacy-audit',
      body: { verdict: 'justified', note: 'Acute situatie, terecht.' },
    });
    expect(resolved.body).toMatchObject({ status: 'resolved', verdict: 'justified' });
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/reviews/${queue.body.items[0].id}/resolve`,
          token: holderOfficer,
          purpose: 'privacy-audit',
          body: { verdict: 'justified', note: 'Nogmaals.' },
        })
      ).status,
    ).toBe(409);
  });

  it('refuses emergency access without justification, for another purpose, or outside the circle', async () => {
    expect((await glass({})).status).toBe(400);
    expect((await glass({ justification: 'nodig' })).status).toBe(400);
    expect(
      (
        await glass(
          { justification: 'Cliënte dreigt zichzelf iets aan te doen, crisisplan nodig.' },
          cawWorker,
          'duo-follow-up',
        )
      ).status,
    ).toBe(403);
    const outsider = await (await ctx.newPartner({ type: 'mental-health-service' })).token({ roles: ['psychiatrist'] });
    expect(
      (await glass({ justification: 'Cliënte dreigt zichzelf iets aan te doen, crisisplan nodig.' }, outsider)).status,
    ).toBe(404);
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const housingStaff = await housing.token({ roles: ['referrer'] });
    expect(
      (await glass({ justification: 'Cliënte dreigt zichzelf iets aan te doen, crisisplan nodig.' }, housingStaff))
        .status,
    ).toBe(403);
    // A housing company's IdP cannot even make its staff a caseworker: refused at authentication.
    const posingAsCare = await housing.token({ roles: ['caseworker'] });
    expect(
      (await glass({ justification: 'Cliënte dreigt zichzelf iets aan te doen, crisisplan nodig.' }, posingAsCare))
        .status,
    ).toBe(401);
  });

  it('keeps the review queue to privacy officers, scoped to their organisation', async () => {
    expect((await ctx.request({ url: '/v1/reviews', token: cawWorker, purpose: 'privacy-audit' })).status).toBe(403);
    const otherOfficer = await (await ctx.newPartner({ type: 'ocmw' })).token({ roles: ['privacy-officer'] });
    expect(
      (await ctx.request({ url: '/v1/reviews', token: otherOfficer, purpose: 'privacy-audit' })).body.items,
    ).toEqual([]);
    const cawOfficer = await caw.token({ roles: ['privacy-officer'] });
    expect(
      (await ctx.request({ url: '/v1/reviews', token: cawOfficer, purpose: 'privacy-audit' })).body.items,
    ).toHaveLength(1);
  });
});
