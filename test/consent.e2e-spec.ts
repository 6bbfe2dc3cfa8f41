import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Consent decides what the CAW's preventive housing support may see; a withdrawal counts at once. */
describe('consent', () => {
  let ctx: TestContext;
  let outreach: TestPartner;
  let caw: TestPartner;
  let team: string;
  let cawWorker: string;
  let caseId: string;
  let clientId: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    caw = await ctx.newPartner({ type: 'caw' });
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
      body: { title: 'Duo', partnerIds: [caw.id, outreach.id], purposes: ['duo-follow-up'], validFrom: '2026-01-01' },
    });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'coord', profession: 'social-worker' });
    cawWorker = await caw.token({ roles: ['caseworker'], sub: 'pwb', profession: 'social-worker' });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Fatma', phone: '+3225550199' },
        signals: ['rent-arrears'],
        evictionStage: 'considered',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    const accepted = await ctx.request({
      method: 'POST',
      url: `/v1/referrals/${referral.body.id}/decision`,
      token: team,
      purpose: 'referral',
      body: { decision: 'accept' },
    });
    caseId = accepted.body.caseId;
    clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: team, purpose: 'referral' })).body
      .clientId;
    await ctx.request({
      method: 'POST',
      url: `/v1/cases/${caseId}/circle`,
      token: team,
      purpose: 'care-coordination',
      body: { partnerId: caw.id, purposes: ['duo-follow-up'] },
    });
  });
  afterAll(async () => ctx?.close());

  const record = (body: Record<string, unknown>, token = team) =>
    ctx.request({ method: 'POST', url: `/v1/clients/${clientId}/consents`, token, purpose: 'care-coordination', body });
  const consent = (overrides: Record<string, unknown> = {}) => ({
    purposes: ['duo-follow-up'],
    recipients: [{ partnerId: caw.id }],
    categories: ['identity', 'contact'],
    effect: 'permit',
    givenBy: { kind: 'client' },
    method: 'verbal',
    evidence: { sha256: null, description: 'Uitgelegd tijdens huisbezoek' },
    validFrom: '2026-01-01',
    validUntil: '2099-12-31',
    ...overrides,
  });
  const cawView = async () =>
    (await ctx.request({ url: `/v1/cases/${caseId}`, token: cawWorker, purpose: 'duo-follow-up' })).body;

  it('records "informed, no objection", which the default policy does not accept instead of consent', async () => {
    const informed = await record(consent({ effect: 'informed-no-objection', categories: ['identity'] }));
    expect(informed.status).toBe(201);
    // Nothing is granted to the CAW (not even the safety flags, which need consent since issue 13 item 11).
    const refused = await ctx.request({ url: `/v1/cases/${caseId}`, token: cawWorker, purpose: 'duo-follow-up' });
    expect(refused.status).toBe(404);
    expect(refused.text).not.toContain('givenName');
    const [entry] = await ctx.dataSource.query(
      `SELECT reason FROM access_log WHERE resource_id = $1 AND decision = 'deny' ORDER BY seq DESC LIMIT 1`,
      [caseId],
    );
    expect(entry.reason).toContain('consent');
    await ctx.request({
      method: 'POST',
      url: `/v1/consents/${informed.body.id}/withdraw`,
      token: team,
      purpose: 'care-coordination',
    });
  });

  it('ignores an expired consent and one that starts later', async () => {
    await record(consent({ validFrom: '2020-01-01', validUntil: '2021-01-01' }));
    await record(consent({ validFrom: '2099-01-01', validUntil: '2099-12-31' }));
    expect(await cawView()).not.toHaveProperty('givenName');
  });

  it('opens the consented categories to the CAW, records the consent relied on, and closes them on withdrawal', async () => {
    expect(await cawView()).not.toHaveProperty('givenName');
    const given = await record(consent());
    expect(given.status).toBe(201);
    const view = await cawView();
    expect(view).toMatchObject({ givenName: 'Fatma', phone: '+3225550199' });
    expect(view.withheld.map((w: { category: string }) => w.category)).toEqual(
      expect.arrayContaining(['health', 'care-plan']),
    );
    const [entry] = await ctx.dataSource.query(
      `SELECT consent_ids FROM access_log WHERE user_sub = 'pwb' AND decision = 'permit' ORDER BY seq DESC LIMIT 1`,
    );
    expect(entry.consent_ids).toEqual([given.body.id]);

    const withdrawn = await ctx.request({
      method: 'POST',
      url: `/v1/consents/${given.body.id}/withdraw`,
      token: team,
      purpose: 'care-coordination',
    });
    expect(withdrawn.status).toBe(200);
    expect(await cawView()).not.toHaveProperty('givenName');
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/consents/${given.body.id}/withdraw`,
          token: team,
          purpose: 'care-coordination',
        })
      ).status,
    ).toBe(409);
  });

  it('lets an explicit objection override a consent, and a partner-type recipient count', async () => {
    await record(consent({ recipients: [{ partnerType: 'caw' }] }));
    expect(await cawView()).toMatchObject({ givenName: 'Fatma' });
    await record(consent({ effect: 'deny', categories: ['contact'] }));
    const view = await cawView();
    expect(view).toMatchObject({ givenName: 'Fatma' });
    expect(view).not.toHaveProperty('phone');
    expect(view.withheld.find((w: { category: string }) => w.category === 'contact').reason).toContain('objection');
  });

  it('lists the consents with the representative and evidence, for the team only', async () => {
    await record(
      consent({
        givenBy: { kind: 'legal-representative', name: 'Mr. De Smet', capacity: 'court-appointed-administrator' },
        method: 'written',
        evidence: { sha256: 'a'.repeat(64) },
      }),
    );
    const list = await ctx.request({
      url: `/v1/clients/${clientId}/consents`,
      token: team,
      purpose: 'care-coordination',
    });
    expect(list.status).toBe(200);
    expect(list.body.items[0]).toMatchObject({
      givenBy: { kind: 'legal-representative', capacity: 'court-appointed-administrator' },
      evidence: { sha256: 'a'.repeat(64) },
    });
    expect(
      (
        await ctx.request({
          url: `/v1/clients/${clientId}/consents`,
          token: await caw.token({ roles: ['caseworker'] }),
          purpose: 'care-coordination',
        })
      ).status,
    ).toBe(403);
    const otherTeam = await (await ctx.newPartner({ type: 'outreach-team' })).token({ roles: ['coordinator'] });
    const foreign = await record(consent(), otherTeam);
    expect(foreign.status).toBe(404);
    const sealed = JSON.stringify(await ctx.dataSource.query('SELECT * FROM consent'));
    expect(sealed).not.toContain('De Smet');
  });

  it('refuses a representative without capacity, unknown categories or recipients, and reversed dates', async () => {
    const count = async () => (await ctx.dataSource.query('SELECT count(*)::int AS n FROM consent'))[0].n as number;
    const before = await count();
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'representative without capacity',
        consent({ givenBy: { kind: 'legal-representative', name: 'Someone' } }),
        '/givenBy/capacity',
      ],
      ['unknown category', consent({ categories: ['horoscope'] }), '/categories/0'],
      ['unknown recipient', consent({ recipients: [{ partnerId: 'ghost-partner' }] }), '/recipients/0/partnerId'],
      ['empty recipient', consent({ recipients: [{}] }), '/recipients/0/partnerId'],
      ['reversed dates', consent({ validFrom: '2027-01-01', validUntil: '2026-01-01' }), '/validUntil'],
      ['bad evidence hash', consent({ evidence: { sha256: 'xyz' } }), '/evidence/sha256'],
      ['unknown effect', consent({ effect: 'maybe' }), '/effect'],
    ];
    for (const [label, body, pointer] of cases) {
      const response = await record(body);
      expect({ label, status: response.status }).toEqual({ label, status: 400 });
      expect({ label, pointers: response.body.errors.map((e: { pointer: string }) => e.pointer) }).toEqual({
        label,
        pointers: expect.arrayContaining([pointer]),
      });
    }
    expect(await count()).toBe(before);
  });
});
