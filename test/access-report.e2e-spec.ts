import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** The client asks who looked at their file and why (GDPR art. 15); the team gives the answer in the client's language. */
describe('client access report', () => {
  let ctx: TestContext;
  let outreach: TestPartner;
  let caw: TestPartner;
  let operator: TestPartner;
  let team: string;
  let clientId: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    caw = await ctx.newPartner({ type: 'caw' });
    operator = await ctx.newPartner({ type: 'other', id: 'gateway-operator' });
    const admin = await operator.token({ roles: ['gateway-admin'] });
    await ctx.request({ method: 'POST', url: '/v1/agreements', token: admin, purpose: 'administration', body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' } });
    await ctx.request({ method: 'POST', url: '/v1/agreements', token: admin, purpose: 'administration', body: { title: 'B', partnerIds: [caw.id, outreach.id], purposes: ['duo-follow-up'], validFrom: '2026-01-01' } });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'coord-secret-sub' });
    const referral = await ctx.request({ method: 'POST', url: '/v1/referrals', token: await housing.token({ roles: ['referrer'] }), purpose: 'referral', body: { targetPartnerId: outreach.id, tenant: { givenName: 'Yasmina' }, signals: ['rent-arrears'], evictionStage: 'none', tenantInformed: 'yes', contact: { name: 'E' } } });
    const caseId = (await ctx.request({ method: 'POST', url: `/v1/referrals/${referral.body.id}/decision`, token: team, purpose: 'referral', body: { decision: 'accept' } })).body.caseId;
    clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: team, purpose: 'referral' })).body.clientId;
    await ctx.request({ method: 'POST', url: `/v1/cases/${caseId}/circle`, token: team, purpose: 'care-coordination', body: { partnerId: caw.id, purposes: ['duo-follow-up'] } });
    await ctx.request({ method: 'POST', url: `/v1/clients/${clientId}/consents`, token: team, purpose: 'care-coordination', body: { purposes: ['duo-follow-up'], recipients: [{ partnerId: caw.id }], categories: ['identity'], effect: 'permit', givenBy: { kind: 'client' }, method: 'verbal', validFrom: '2026-02-12' } });
    await ctx.request({ url: `/v1/cases/${caseId}`, token: await caw.token({ roles: ['caseworker'], sub: 'pwb-sub' }), purpose: 'duo-follow-up' });
    await ctx.request({ url: `/v1/cases/${caseId}`, token: await (await ctx.newPartner({ type: 'caw' })).token({ roles: ['caseworker'] }), purpose: 'duo-follow-up' });
  });
  afterAll(async () => ctx?.close());

  const report = (lang: string, headers: Record<string, string> = {}) => ctx.request({ url: `/v1/clients/${clientId}/access-report?lang=${lang}`, token: team, purpose: 'subject-access', headers });

  it('says who read which data, for what purpose and on which consent, in Dutch, French and English, without naming users', async () => {
    const nl = await report('nl');
    expect(nl.status).toBe(200);
    const cawAccess = nl.body.accesses.find((a: { partnerId: string; action: string }) => a.partnerId === caw.id && a.action === 'read');
    expect(cawAccess).toMatchObject({ categories: expect.arrayContaining(['identity']), purpose: 'duo-follow-up', consentGivenOn: '2026-02-12' });
    expect(cawAccess.sentence).toContain('raadpleegde');
    expect(cawAccess.sentence).toContain('met uw toestemming van 12 februari 2026');
    expect(nl.body.refusals.count).toBeGreaterThanOrEqual(1);
    expect(nl.text).not.toContain('pwb-sub');
    expect(nl.text).not.toContain('coord-secret-sub');
    const fr = await report('fr');
    expect(fr.body.accesses.find((a: { partnerId: string; action: string }) => a.partnerId === caw.id && a.action === 'read').sentence).toContain('avec votre consentement du 12 février 2026');
    const en = await report('en');
    expect(en.body.title).toBe('Who looked at your data, and why');
  });

  it('prints as an HTML page', async () => {
    const html = await report('en', { accept: 'text/html' });
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.text).toContain('<h1>Who looked at your data, and why</h1>');
    expect(html.text).toContain('<li');
  });

  it('turns a contested access into a review item for the privacy officer', async () => {
    const entryId = (await report('nl')).body.accesses.find((a: { partnerId: string }) => a.partnerId === caw.id).entryId;
    const contest = await ctx.request({ method: 'POST', url: `/v1/clients/${clientId}/access-report/contests`, token: team, purpose: 'subject-access', body: { entryId, note: 'Cliënte begrijpt niet waarom het CAW dit zag.' } });
    expect(contest.status).toBe(201);
    const officer = await operator.token({ roles: ['privacy-officer'] });
    const queue = await ctx.request({ url: '/v1/reviews?status=open', token: officer, purpose: 'privacy-audit' });
    expect(queue.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'contested-access', actorPartnerId: caw.id, override: false, entryIds: [entryId] })]));
    expect((await ctx.request({ method: 'POST', url: `/v1/clients/${clientId}/access-report/contests`, token: team, purpose: 'subject-access', body: { entryId: '00000000-0000-4000-8000-000000000000', note: 'Onbekend' } })).status).toBe(400);
  });

  it('refuses other organisations (404) and bad languages (400)', async () => {
    expect((await report('de')).status).toBe(400);
    const cawToken = await caw.token({ roles: ['caseworker'] });
    expect((await ctx.request({ url: `/v1/clients/${clientId}/access-report`, token: cawToken, purpose: 'subject-access' })).status).toBe(403);
    const otherTeam = await (await ctx.newPartner({ type: 'outreach-team' })).token({ roles: ['caseworker'] });
    expect((await ctx.request({ url: `/v1/clients/${clientId}/access-report`, token: otherTeam, purpose: 'subject-access' })).status).toBe(404);
  });
});
