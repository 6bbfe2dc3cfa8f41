import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Funders and the steering group get figures, never people: small cells are suppressed. */
describe('statistics', () => {
  let ctx: TestContext;
  let outreach: TestPartner;
  let coordinator: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const ocmw = await ctx.newPartner({ type: 'ocmw' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    const admin = await (await ctx.newPartner({ type: 'other' })).token();
    for (const referrer of [housing, ocmw]) {
      await ctx.request({ method: 'POST', url: '/v1/agreements', token: admin, purpose: 'administration', body: { title: 'A', partnerIds: [referrer.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' } });
    }
    coordinator = await outreach.token({ roles: ['coordinator', 'caseworker'] });
    const refer = async (referrer: TestPartner, name: string) =>
      (await ctx.request({ method: 'POST', url: '/v1/referrals', token: await referrer.token({ roles: ['referrer'] }), purpose: 'referral', body: { targetPartnerId: outreach.id, tenant: { givenName: name }, signals: ['withdrawal'], evictionStage: 'none', tenantInformed: 'yes', contact: { name: 'E' } } })).body.id as string;
    // Seven from housing, two from the OCMW; six accepted, five of them reached.
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await refer(housing, `H${i}`));
    for (let i = 0; i < 2; i++) ids.push(await refer(ocmw, `O${i}`));
    for (const [i, id] of ids.slice(0, 6).entries()) {
      const caseId = (await ctx.request({ method: 'POST', url: `/v1/referrals/${id}/decision`, token: coordinator, purpose: 'referral', body: { decision: 'accept' } })).body.caseId;
      if (i < 5) await ctx.request({ method: 'POST', url: `/v1/cases/${caseId}/contact-attempts`, token: coordinator, purpose: 'outreach-contact', body: { at: new Date().toISOString(), channel: 'home-visit', outcome: 'contact' } });
    }
  });
  afterAll(async () => ctx?.close());

  const stats = (query: string, token = coordinator) => ctx.request({ url: `/v1/statistics?${query}`, token, purpose: 'statistics' });

  it('counts referrals, decisions and reach, suppressing small cells so they cannot be recovered', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const response = await stats(`from=2026-01-01&to=${today}`);
    expect(response.status).toBe(200);
    // 7 housing and 2 OCMW: the 2 is hidden, and so is the 7, or 9 - 7 would reveal it.
    expect(response.body.referralsByReferrerType).toEqual({ cells: { 'social-housing-company': 'suppressed', ocmw: '<5' }, total: 9 });
    // 6 accepted, 3 submitted.
    expect(response.body.decisions).toEqual({ cells: { accepted: 'suppressed', submitted: '<5' }, total: 9 });
    // 5 reached, 1 not.
    expect(response.body.reach).toEqual({ cells: { 'contact-established': 'suppressed', 'not-reached': '<5' }, total: 6 });
    expect(response.body.daysFromReferralToFirstContact.n).toBe(5);
    expect(JSON.stringify(response.body)).not.toMatch(/H[0-9]|O[0-9]/);
  });

  it('refuses a reversed period and callers outside network coordination', async () => {
    expect((await stats('from=2026-06-01&to=2026-01-01')).status).toBe(400);
    expect((await stats('from=yesterday&to=2026-01-01')).status).toBe(400);
    const caseworker = await outreach.token({ roles: ['caseworker'] });
    expect((await stats('from=2026-01-01&to=2026-12-31', caseworker)).status).toBe(403);
  });
});
