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
    const admin = await (await ctx.operator()).token();
    for (const referrer of [housing, ocmw]) {
      await ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: admin,
        purpose: 'administration',
        body: { title: 'A', partnerIds: [referrer.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
      });
    }
    coordinator = await outreach.token({ roles: ['coordinator', 'caseworker'] });
    const refer = async (referrer: TestPartner, name: string) =>
      (
        await ctx.request({
          method: 'POST',
          url: '/v1/referrals',
          token: await referrer.token({ roles: ['referrer'] }),
          purpose: 'referral',
          body: {
            targetPartnerId: outreach.id,
            tenant: { givenName: name },
            signals: ['withdrawal'],
            evictionStage: 'none',
            tenantInformed: 'yes',
            contact: { name: 'E' },
          },
        })
      ).body.id as string;
    // Seven from housing, two from the OCMW; six accepted, five of them reached.
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await refer(housing, `H${i}`));
    for (let i = 0; i < 2; i++) ids.push(await refer(ocmw, `O${i}`));
    for (const [i, id] of ids.slice(0, 6).entries()) {
      const caseId = (
        await ctx.request({
          method: 'POST',
          url: `/v1/referrals/${id}/decision`,
          token: coordinator,
          purpose: 'referral',
          body: { decision: 'accept' },
        })
      ).body.caseId;
      if (i < 5)
        await ctx.request({
          method: 'POST',
          url: `/v1/cases/${caseId}/contact-attempts`,
          token: coordinator,
          purpose: 'outreach-contact',
          body: { at: new Date().toISOString(), channel: 'home-visit', outcome: 'contact' },
        });
    }
  });
  afterAll(async () => ctx?.close());

  const stats = (query: string, token = coordinator) =>
    ctx.request({ url: `/v1/statistics?${query}`, token, purpose: 'statistics' });

  it('counts referrals, decisions and reach, suppressing small cells so they cannot be recovered', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const response = await stats(`from=2026-01-01&to=${today}`);
    expect(response.status).toBe(200);
    // 7 housing and 2 OCMW: the 2 is hidden, and so is the 7, or 9 - 7 would reveal it.
    expect(response.body.referralsByReferrerType).toEqual({
      cells: { 'social-housing-company': 'suppressed', ocmw: '<5' },
      total: 9,
    });
    // 6 accepted, 3 submitted.
    expect(response.body.decisions).toEqual({ cells: { accepted: 'suppressed', submitted: '<5' }, total: 9 });
    // 5 reached, 1 not.
    expect(response.body.reach).toEqual({
      cells: { 'contact-established': 'suppressed', 'not-reached': '<5' },
      total: 6,
    });
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

/** The measures funders ask for: waiting time, linkage to care, evictions, forced admissions, per programme. */
describe('statistics per programme', () => {
  let ctx: TestContext;
  let admin: string;
  let coordinator: string;
  let firstTeam: TestPartner;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    ctx = await createTestContext();
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    firstTeam = await ctx.newPartner({ type: 'housing-first-team' });
    const outreachTeam = await ctx.newPartner({ type: 'outreach-team' });
    admin = await (await ctx.operator()).token();
    for (const [team, programme] of [
      [firstTeam, 'housing-first'],
      [outreachTeam, 'aanklampende-zorg'],
    ] as const) {
      await ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: admin,
        purpose: 'administration',
        body: { title: 'A', partnerIds: [housing.id, team.id], purposes: ['referral'], validFrom: '2026-01-01' },
      });
      expect(
        (
          await ctx.request({
            method: 'PATCH',
            url: `/v1/partners/${team.id}`,
            token: admin,
            purpose: 'administration',
            body: { programme },
          })
        ).body.programme,
      ).toBe(programme);
    }
    coordinator = await firstTeam.token({ roles: ['coordinator', 'caseworker'] });
    const referrer = await housing.token({ roles: ['referrer'] });
    const refer = async (target: TestPartner, evictionStage: string) =>
      (
        await ctx.request({
          method: 'POST',
          url: '/v1/referrals',
          token: referrer,
          purpose: 'referral',
          body: {
            targetPartnerId: target.id,
            tenant: { givenName: 'T' },
            signals: ['rent-arrears'],
            evictionStage,
            tenantInformed: 'yes',
            contact: { name: 'E' },
          },
        })
      ).body.id as string;
    const move = async (caseId: string, to: string, endReason?: string) =>
      expect(
        (
          await ctx.request({
            method: 'POST',
            url: `/v1/cases/${caseId}/transitions`,
            token: coordinator,
            purpose: 'care-coordination',
            body: { to, ...(endReason ? { endReason } : {}) },
          })
        ).status,
      ).toBe(200);
    // Housing First: ten referrals (five with an eviction started, five considered), all accepted.
    // Five go through the waiting list and are linked to regular care; of the other five, two
    // end in eviction, one in a forced admission, two by mutual agreement.
    const endings = ['eviction', 'eviction', 'forced-admission', 'mutual-agreement', 'mutual-agreement'];
    for (let i = 0; i < 10; i++) {
      const id = await refer(firstTeam, i % 2 === 0 ? 'started' : 'considered');
      const caseId = (
        await ctx.request({
          method: 'POST',
          url: `/v1/referrals/${id}/decision`,
          token: coordinator,
          purpose: 'referral',
          body: { decision: 'accept' },
        })
      ).body.caseId;
      if (i < 5) {
        for (const to of ['outreach', 'intake', 'waiting-list', 'active']) await move(caseId, to);
        await move(caseId, 'closed', 'linked-to-care');
      } else {
        await move(caseId, 'closed', endings[i - 5]);
      }
    }
    // The outreach team's programme: two referrals, no eviction procedure.
    for (let i = 0; i < 2; i++) await refer(outreachTeam, 'none');
  });
  afterAll(async () => ctx?.close());

  const stats = (query: string, token = coordinator) =>
    ctx.request({ url: `/v1/statistics?from=2026-01-01&to=${today}${query}`, token, purpose: 'statistics' });

  it('computes waiting time, linkage to care, evictions and forced admissions for one programme, suppressing small cells', async () => {
    const response = await stats('&programme=housing-first');
    expect(response.status).toBe(200);
    expect(response.body.programme).toBe('housing-first');
    expect(response.body.decisions).toEqual({ cells: { accepted: 10 }, total: 10 });
    // Five stays on the waiting list, each left within the test: a median of (almost) zero days.
    expect(response.body.waitingList.daysOnWaitingList.n).toBe(5);
    expect(response.body.waitingList.daysOnWaitingList.median).toBe(0);
    expect(response.body.waitingList.stillWaiting).toBe(0);
    expect(response.body.linkageToCare).toEqual({
      cells: { 'linked-to-care': 5, 'other-end': 5 },
      total: 10,
      sharePercent: 50,
    });
    expect(response.body.evictions.referralsByEvictionStage).toEqual({
      cells: { none: 0, considered: 5, started: 5 },
      total: 10,
    });
    // Two evictions, one forced admission, two by agreement: all under five.
    expect(response.body.endReasons).toEqual({
      cells: { 'linked-to-care': 5, eviction: '<5', 'forced-admission': '<5', 'mutual-agreement': '<5' },
      total: 10,
    });
    expect(response.body.evictions.casesClosedByEviction).toBe('<5');
    expect(response.body.forcedAdmissions.casesClosedByForcedAdmission).toBe('<5');
  });

  it('narrows by programme, and hides a cell that the total would give away', async () => {
    const all = await stats('');
    expect(all.body.referralsByReferrerType.total).toBe(12);
    // 5 started, 5 considered, 2 none: the 2 is hidden, and so is the next-smallest.
    const stages = all.body.evictions.referralsByEvictionStage;
    expect(stages.total).toBe(12);
    expect(stages.cells.none).toBe('<5');
    expect(Object.values(stages.cells).filter((c) => c === 'suppressed')).toHaveLength(1);
    const outreach = await stats('&programme=aanklampende-zorg');
    expect(outreach.body.referralsByReferrerType.total).toBe('<5');
    expect(outreach.body.decisions).toEqual({ cells: { submitted: '<5' }, total: '<5' });
    expect(outreach.body.linkageToCare.sharePercent).toBeNull();
    expect((await stats('&programme=mobile-2b')).body.referralsByReferrerType.total).toBe(0);
  });

  it('refuses an unknown programme with problem+json, for statistics and for the partner registry, changing nothing', async () => {
    for (const programme of ['not-a-programme', 'Bad!']) {
      const response = await stats(`&programme=${encodeURIComponent(programme)}`);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body.errors[0].pointer).toBe('/programme');
    }
    const patch = await ctx.request({
      method: 'PATCH',
      url: `/v1/partners/${firstTeam.id}`,
      token: admin,
      purpose: 'administration',
      body: { programme: 'street-magic' },
    });
    expect(patch.status).toBe(400);
    expect(patch.headers['content-type']).toContain('application/problem+json');
    expect(
      (await ctx.request({ url: `/v1/partners/${firstTeam.id}`, token: admin, purpose: 'administration' })).body
        .programme,
    ).toBe('housing-first');
  });

  it('refuses housing staff (403, problem+json) and logs the refusal', async () => {
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const response = await stats('', await housing.token({ roles: ['referrer'], sub: 'housing-stats' }));
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const [entry] = await ctx.dataSource.query(
      `SELECT decision, resource_type FROM access_log WHERE user_sub = 'housing-stats'`,
    );
    expect(entry.decision).toBe('deny');
  });
});
