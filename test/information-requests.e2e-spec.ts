import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Partner services ask; the gateway decides by purpose, consent and policy, and discloses once. */
describe('information requests', () => {
  let ctx: TestContext;
  let outreach: TestPartner;
  let caw: TestPartner;
  let gp: TestPartner;
  let coordinator: string;
  let cawWorker: string;
  let doctor: string;
  let caseId: string;
  let clientId: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    caw = await ctx.newPartner({ type: 'caw' });
    gp = await ctx.newPartner({ type: 'general-practitioner' });
    const admin = await (await ctx.operator()).token();
    const agree = (partnerIds: string[], purposes: string[]) =>
      ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: admin,
        purpose: 'administration',
        body: { title: 'A', partnerIds, purposes, validFrom: '2026-01-01' },
      });
    await agree([housing.id, outreach.id], ['referral']);
    await agree([caw.id, outreach.id], ['duo-follow-up']);
    await agree([gp.id, outreach.id], ['care-coordination']);
    coordinator = await outreach.token({
      roles: ['coordinator', 'caseworker'],
      sub: 'coord',
      profession: 'psychologist',
    });
    cawWorker = await caw.token({ roles: ['caseworker'], sub: 'pwb', profession: 'social-worker' });
    doctor = await gp.token({ roles: ['caseworker'], sub: 'dr', profession: 'general-practitioner' });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Karim', phone: '+3225550177' },
        signals: ['debts'],
        evictionStage: 'started',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    const accepted = await ctx.request({
      method: 'POST',
      url: `/v1/referrals/${referral.body.id}/decision`,
      token: coordinator,
      purpose: 'referral',
      body: { decision: 'accept' },
    });
    caseId = accepted.body.caseId;
    clientId = (
      await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: coordinator, purpose: 'referral' })
    ).body.clientId;
    await ctx.request({
      method: 'PUT',
      url: `/v1/cases/${caseId}/care-plan`,
      token: coordinator,
      purpose: 'care-coordination',
      body: { domains: [{ domain: 'finances', goals: ['Schuldbemiddeling'], interventions: ['OCMW'] }] },
    });
    for (const [partnerId, purposes] of [
      [caw.id, ['duo-follow-up']],
      [gp.id, ['care-coordination']],
    ] as const) {
      await ctx.request({
        method: 'POST',
        url: `/v1/cases/${caseId}/circle`,
        token: coordinator,
        purpose: 'care-coordination',
        body: { partnerId, purposes },
      });
    }
    await ctx.request({
      method: 'POST',
      url: `/v1/clients/${clientId}/consents`,
      token: coordinator,
      purpose: 'care-coordination',
      body: {
        purposes: ['duo-follow-up'],
        recipients: [{ partnerId: caw.id }],
        categories: ['identity'],
        effect: 'permit',
        givenBy: { kind: 'client' },
        method: 'verbal',
        validFrom: '2026-01-01',
      },
    });
    await ctx.request({
      method: 'POST',
      url: `/v1/clients/${clientId}/consents`,
      token: coordinator,
      purpose: 'care-coordination',
      body: {
        purposes: ['care-coordination'],
        recipients: [{ partnerType: 'general-practitioner' }],
        categories: ['identity', 'care-plan'],
        effect: 'permit',
        givenBy: { kind: 'client' },
        method: 'written',
        validFrom: '2026-01-01',
      },
    });
  });
  afterAll(async () => ctx?.close());

  const ask = (token: string, purpose: string, categories: string[], extra: Record<string, unknown> = {}) =>
    ctx.request({
      method: 'POST',
      url: '/v1/information-requests',
      token,
      purpose,
      body: { caseId, purpose, categories, justification: 'Joint home visit on rent arrears', ...extra },
    });
  const disclose = (id: string, token: string, purpose: string) =>
    ctx.request({ url: `/v1/information-requests/${id}/disclosure`, token, purpose });

  it('permits what consent covers, withholds the rest with what is missing, and discloses once with a manifest', async () => {
    const request = await ask(cawWorker, 'duo-follow-up', ['identity', 'contact']);
    expect(request.status).toBe(201);
    expect(request.body).toMatchObject({
      decision: 'permit',
      categories: ['identity'],
      rule: 'caw-duo-follow-up',
      basis: expect.stringContaining('consent'),
      consentId: expect.any(String),
    });
    expect(request.body.withheld).toEqual([
      expect.objectContaining({ category: 'contact', missing: [expect.stringContaining('consent')] }),
    ]);

    const first = await disclose(request.body.id, cawWorker, 'duo-follow-up');
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ givenName: 'Karim', familyName: null, birthDate: null, language: null });
    expect(first.text).not.toContain('+3225550177');
    const [entry] = await ctx.dataSource.query(
      `SELECT fields, disclosure_sha256, consent_ids, categories, ground FROM access_log WHERE resource_type = 'Disclosure' AND decision = 'permit'`,
    );
    expect(entry.fields).toEqual(['birthDate', 'familyName', 'givenName', 'language']);
    expect(entry.disclosure_sha256).toMatch(/^[0-9a-f]{64}$/);
    // The log names the consent relied on, the category disclosed and the ground of the rule.
    expect(entry.consent_ids).toEqual([request.body.consentId]);
    expect(entry.categories).toEqual(['identity']);
    expect(entry.ground).toContain('6(1)(a)');

    const second = await disclose(request.body.id, cawWorker, 'duo-follow-up');
    expect(second.status).toBe(409);
    const refused = await ctx.dataSource.query(
      `SELECT count(*)::int AS n FROM access_log WHERE resource_type = 'Disclosure' AND decision = 'deny'`,
    );
    expect(refused[0].n).toBe(1);
  });

  it('leaves health-type data to the coordinator (pending), then discloses after approval', async () => {
    const request = await ask(doctor, 'care-coordination', ['care-plan']);
    expect(request.body.decision).toBe('pending');
    expect(request.body.reason).toContain('coordinator');
    expect((await disclose(request.body.id, doctor, 'care-coordination')).status).toBe(403);
    const approved = await ctx.request({
      method: 'POST',
      url: `/v1/information-requests/${request.body.id}/approve`,
      token: coordinator,
      purpose: 'care-coordination',
      body: { note: 'Nodig voor medicatieafstemming' },
    });
    expect(approved.body.decision).toBe('permit');
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/information-requests/${request.body.id}/approve`,
          token: coordinator,
          purpose: 'care-coordination',
          body: {},
        })
      ).status,
    ).toBe(409);
    const disclosure = await disclose(request.body.id, doctor, 'care-coordination');
    expect(disclosure.body.data.carePlan[0]).toMatchObject({ domain: 'finances' });
  });

  it('denies with the reason in words and what would be needed', async () => {
    const request = await ask(cawWorker, 'duo-follow-up', ['health']);
    expect(request.body.decision).toBe('deny');
    expect(request.body.reason).toMatch(/^Refused/);
    expect((await disclose(request.body.id, cawWorker, 'duo-follow-up')).status).toBe(403);
  });

  it('honours a consent withdrawn between request and disclosure', async () => {
    const consents = await ctx.request({
      url: `/v1/clients/${clientId}/consents`,
      token: coordinator,
      purpose: 'care-coordination',
    });
    const cawConsent = consents.body.items.find((c: { recipients: { partnerId?: string }[] }) =>
      c.recipients.some((r) => r.partnerId === caw.id),
    );
    const request = await ask(cawWorker, 'duo-follow-up', ['identity']);
    expect(request.body.decision).toBe('permit');
    await ctx.request({
      method: 'POST',
      url: `/v1/consents/${cawConsent.id}/withdraw`,
      token: coordinator,
      purpose: 'care-coordination',
    });
    // Decided again at disclosure: nothing is permitted any more, so nothing leaves, the refusal
    // says what is missing, and the request is not used up (a new consent would let it through).
    const disclosure = await disclose(request.body.id, cawWorker, 'duo-follow-up');
    expect(disclosure.status).toBe(403);
    expect(disclosure.body.missing).toEqual(expect.arrayContaining([expect.stringContaining('consent')]));
    expect(disclosure.text).not.toContain('givenName');
    const [row] = await ctx.dataSource.query('SELECT disclosed_at FROM information_request WHERE id = $1', [
      request.body.id,
    ]);
    expect(row.disclosed_at).toBeNull();
  });

  it('refuses bad requests with 400, other partners with 404, and a purpose the role may not use with 403', async () => {
    expect((await ask(cawWorker, 'duo-follow-up', ['identity'], { purpose: 'care-coordination' })).status).toBe(400);
    expect((await ask(cawWorker, 'duo-follow-up', ['horoscope'])).status).toBe(400);
    expect((await ask(cawWorker, 'duo-follow-up', ['identity'], { justification: 'short' })).status).toBe(400);
    expect((await ask(cawWorker, 'duo-follow-up', ['identity'], { caseId: 'nope' })).status).toBe(400);
    const stranger = await (await ctx.newPartner({ type: 'caw' })).token({ roles: ['caseworker'] });
    expect((await ask(stranger, 'duo-follow-up', ['identity'])).status).toBe(404);
    const request = await ask(cawWorker, 'duo-follow-up', ['identity']);
    expect((await disclose(request.body.id, doctor, 'duo-follow-up')).status).toBe(404);
    const housingToken = await (
      await ctx.newPartner({ type: 'social-housing-company' })
    ).token({ roles: ['referrer'] });
    expect((await ask(housingToken, 'duo-follow-up', ['identity'])).status).toBe(403);
  });
});
