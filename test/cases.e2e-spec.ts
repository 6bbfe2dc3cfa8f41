import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChainService } from '../src/access-log/chain.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * The first half of the care path: a social housing company refers a tenant without a national
 * number; the outreach team accepts, tries to make contact three times, records intake, moves
 * the case to active and adds the CAW to the circle. The housing company, polling, sees only
 * status and "contact established". Every step is logged and the chain verifies.
 */
describe('cases along the care path', () => {
  let ctx: TestContext;
  let housing: TestPartner;
  let outreach: TestPartner;
  let caw: TestPartner;
  let referrer: string;
  let nurse: string;
  let cawWorker: string;
  let caseId: string;
  let referralId: string;

  const as = (token: string, purpose: string) => ({
    get: (url: string) => ctx.request({ url, token, purpose }),
    post: (url: string, body: unknown) => ctx.request({ method: 'POST', url, token, purpose, body }),
    put: (url: string, body: unknown) => ctx.request({ method: 'PUT', url, token, purpose, body }),
    del: (url: string) => ctx.request({ method: 'DELETE', url, token, purpose }),
  });

  beforeAll(async () => {
    ctx = await createTestContext();
    housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    caw = await ctx.newPartner({ type: 'caw' });
    const admin = await (await ctx.operator()).token();
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: {
        title: 'Aanmelding',
        partnerIds: [housing.id, outreach.id],
        purposes: ['referral'],
        validFrom: '2026-01-01',
      },
    });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: {
        title: 'Duo',
        partnerIds: [caw.id, outreach.id],
        purposes: ['duo-follow-up', 'care-coordination'],
        validFrom: '2026-01-01',
      },
    });
    referrer = await housing.token({ roles: ['referrer'], sub: 'els' });
    nurse = await outreach.token({
      roles: ['caseworker', 'coordinator'],
      sub: 'nurse-1',
      profession: 'psychiatric-nurse',
    });
    cawWorker = await caw.token({ roles: ['caseworker'], sub: 'pwb-1', profession: 'social-worker' });
  });
  afterAll(async () => ctx?.close());

  it('runs from referral to an active case with the CAW in the circle, the referrer seeing only status', async () => {
    const housingApi = as(referrer, 'referral');
    const referral = await housingApi.post('/v1/referrals', {
      targetPartnerId: outreach.id,
      tenant: { givenName: 'Jamal', phone: '+3225550123' },
      signals: ['withdrawal', 'rent-arrears'],
      description: 'Ligt de hele dag in bed volgens de buren.',
      evictionStage: 'none',
      tenantInformed: 'yes',
      contact: { name: 'Els Janssens' },
    });
    expect(referral.status).toBe(201);
    referralId = referral.body.id;
    const poll = async () => (await housingApi.get(`/v1/referrals/${referralId}`)).body;
    expect(await poll()).toMatchObject({ status: 'submitted', contactEstablished: false });

    const accepted = await as(nurse, 'referral').post(`/v1/referrals/${referralId}/decision`, { decision: 'accept' });
    caseId = accepted.body.caseId;
    const team = as(nurse, 'outreach-contact');
    expect(
      (await team.post(`/v1/cases/${caseId}/transitions`, { to: 'outreach', reason: 'Start aanklampend werken' }))
        .status,
    ).toBe(200);
    for (const [outcome, channel] of [
      ['no-answer', 'home-visit'],
      ['no-answer', 'letter'],
      ['contact', 'home-visit'],
    ] as const) {
      expect(
        (await team.post(`/v1/cases/${caseId}/contact-attempts`, { at: new Date().toISOString(), channel, outcome }))
          .status,
      ).toBe(201);
      const seen = await poll();
      expect(seen.contactEstablished).toBe(outcome === 'contact');
      expect(Object.keys(seen).sort()).toEqual([
        'closedAt',
        'contactEstablished',
        'decidedAt',
        'decision',
        'externalReference',
        'id',
        'reasonCode',
        'reasonLabel',
        'redirectedTo',
        'referredAt',
        'status',
        'withheld',
      ]);
      expect(seen.withheld.map((w: { category: string }) => w.category)).toContain('health');
    }
    expect((await team.post(`/v1/cases/${caseId}/transitions`, { to: 'intake' })).status).toBe(200);
    const coordination = as(nurse, 'care-coordination');
    expect((await coordination.post(`/v1/cases/${caseId}/transitions`, { to: 'active' })).status).toBe(200);
    const plan = await coordination.put(`/v1/cases/${caseId}/care-plan`, {
      domains: [
        { domain: 'housing', goals: ['Huurachterstal afbetalen'], interventions: ['Afbetalingsplan met de SHM'] },
      ],
      crisisPlan: 'Bij decompensatie: mobiel crisisteam bellen.',
      safetyFlags: ['visit-in-pairs'],
    });
    expect(plan.status).toBe(200);
    expect(
      (await coordination.post(`/v1/cases/${caseId}/notes`, { category: 'safety', text: 'Grote hond, vooraf bellen.' }))
        .status,
    ).toBe(201);
    expect(
      (await coordination.post(`/v1/cases/${caseId}/notes`, { category: 'health', text: 'Vermoeden van psychose.' }))
        .status,
    ).toBe(201);
    expect((await coordination.post(`/v1/cases/${caseId}/notes`, { category: 'gossip', text: 'x' })).status).toBe(400);
    const added = await coordination.post(`/v1/cases/${caseId}/circle`, {
      partnerId: caw.id,
      purposes: ['duo-follow-up'],
    });
    expect(added.status).toBe(201);

    const teamView = await coordination.get(`/v1/cases/${caseId}`);
    expect(teamView.body).toMatchObject({
      status: 'active',
      givenName: 'Jamal',
      carePlan: [expect.objectContaining({ domain: 'housing' })],
      crisisPlan: expect.stringContaining('crisisteam'),
      safetyFlags: ['visit-in-pairs'],
    });
    expect(teamView.body.history.map((h: { to: string }) => h.to)).toEqual([
      'referred',
      'outreach',
      'intake',
      'active',
    ]);
    expect(teamView.body.contactAttempts).toHaveLength(3);
    expect(teamView.body.circle.map((m: { partnerId: string }) => m.partnerId)).toEqual([outreach.id, caw.id]);
    expect(teamView.body.notes.map((n: { category: string }) => n.category)).toEqual(['safety', 'health']);

    // Safety flags are art. 9 data: the CAW, in the circle, sees nothing without the client's consent
    // (issue 13 item 11); with consent for the safety flags, it sees them for its visits and nothing else.
    expect((await as(cawWorker, 'duo-follow-up').get(`/v1/cases/${caseId}`)).status).toBe(404);
    const clientId = (await as(nurse, 'referral').get(`/v1/referrals/${referralId}`)).body.clientId as string;
    expect(
      (
        await coordination.post(`/v1/clients/${clientId}/consents`, {
          purposes: ['duo-follow-up'],
          recipients: [{ partnerId: caw.id }],
          categories: ['safety'],
          effect: 'permit',
          givenBy: { kind: 'client' },
          method: 'verbal',
          validFrom: '2026-01-01',
        })
      ).status,
    ).toBe(201);
    const cawView = await as(cawWorker, 'duo-follow-up').get(`/v1/cases/${caseId}`);
    expect(cawView.status).toBe(200);
    expect(cawView.body.safetyFlags).toEqual(['visit-in-pairs']);
    expect(cawView.body).not.toHaveProperty('givenName');
    expect(cawView.body).not.toHaveProperty('crisisPlan');
    expect(cawView.body.notes.map((n: { text: string }) => n.text)).toEqual(['Grote hond, vooraf bellen.']);
    expect(cawView.text).not.toContain('psychose');
    expect(cawView.body.withheld.map((w: { category: string }) => w.category)).toEqual(
      expect.arrayContaining(['identity', 'housing', 'health']),
    );

    expect(await poll()).toMatchObject({ status: 'accepted', contactEstablished: true });

    const logged = (
      await ctx.dataSource.query(
        `SELECT count(*)::int AS n FROM access_log WHERE resource_id IN ($1, $2) AND decision = 'permit'`,
        [caseId, referralId],
      )
    )[0].n;
    expect(logged).toBeGreaterThanOrEqual(14);
    expect((await ctx.app.get(ChainService).verify()).ok).toBe(true);

    const tables =
      JSON.stringify(await ctx.dataSource.query('SELECT * FROM care_case')) +
      JSON.stringify(await ctx.dataSource.query('SELECT * FROM client')) +
      JSON.stringify(await ctx.dataSource.query('SELECT * FROM case_transition')) +
      JSON.stringify(await ctx.dataSource.query('SELECT * FROM case_note'));
    for (const plaintext of [
      'Jamal',
      '+3225550123',
      'Huurachterstal',
      'crisisteam',
      'visit-in-pairs',
      'aanklampend',
      'psychose',
    ])
      expect(tables).not.toContain(plaintext);
  });

  it('refuses illegal transitions with 409 and a closed case stays closed', async () => {
    const team = as(nurse, 'care-coordination');
    expect((await team.post(`/v1/cases/${caseId}/transitions`, { to: 'outreach' })).status).toBe(409);
    expect((await team.post(`/v1/cases/${caseId}/transitions`, { to: 'closed' })).status).toBe(400);
    expect(
      (await team.post(`/v1/cases/${caseId}/transitions`, { to: 'closed', endReason: 'mutual-agreement' })).status,
    ).toBe(200);
    const reopen = await team.post(`/v1/cases/${caseId}/transitions`, { to: 'active' });
    expect(reopen.status).toBe(409);
    expect(reopen.body.detail).toContain('new referral');
  });

  it('reopens a closed case when the same person is referred again', async () => {
    const housingApi = as(referrer, 'referral');
    const refer = () =>
      housingApi.post('/v1/referrals', {
        targetPartnerId: outreach.id,
        tenant: { familyName: 'Verbeke', nationalNumber: '85073003328' },
        signals: ['nuisance'],
        evictionStage: 'started',
        tenantInformed: 'yes',
        contact: { name: 'Els' },
      });
    const first = await refer();
    const opened = await as(nurse, 'referral').post(`/v1/referrals/${first.body.id}/decision`, { decision: 'accept' });
    expect(opened.body.reopened).toBe(false);
    await as(nurse, 'care-coordination').post(`/v1/cases/${opened.body.caseId}/transitions`, {
      to: 'closed',
      endReason: 'no-contact',
    });

    const second = await refer();
    const again = await as(nurse, 'referral').post(`/v1/referrals/${second.body.id}/decision`, { decision: 'accept' });
    expect(again.body).toMatchObject({ status: 'accepted', caseId: opened.body.caseId, reopened: true });
    const view = await as(nurse, 'care-coordination').get(`/v1/cases/${opened.body.caseId}`);
    expect(view.body.status).toBe('referred');
    expect(view.body.history.map((h: { from: string; to: string }) => `${h.from}>${h.to}`)).toEqual([
      'none>referred',
      'referred>closed',
      'closed>referred',
    ]);
  });

  it('hides a case from partners outside its circle (404) and keeps the referrer out of cases', async () => {
    const stranger = await (await ctx.newPartner({ type: 'caw' })).token({ roles: ['caseworker'], sub: 'stranger' });
    const response = await as(stranger, 'duo-follow-up').get(`/v1/cases/${caseId}`);
    expect(response.status).toBe(404);
    expect(response.body.detail).toBe('Case not found or no access');
    expect((await as(referrer, 'care-coordination').get(`/v1/cases/${caseId}`)).status).toBe(403);
    expect(
      (
        await as(cawWorker, 'duo-follow-up').post(`/v1/cases/${caseId}/contact-attempts`, {
          at: new Date().toISOString(),
          channel: 'phone',
          outcome: 'contact',
        })
      ).status,
    ).toBe(403);
  });

  it('refuses a circle member without an agreement for that purpose, and bad input, changing nothing', async () => {
    const gp = await ctx.newPartner({ type: 'general-practitioner' });
    const team = as(nurse, 'care-coordination');
    const noAgreement = await team.post(`/v1/cases/${caseId}/circle`, {
      partnerId: gp.id,
      purposes: ['care-coordination'],
    });
    expect(noAgreement.status).toBe(422);
    expect(noAgreement.body.detail).toContain('agreement');
    for (const body of [
      { partnerId: 'ghost', purposes: ['care-coordination'] },
      { partnerId: gp.id, purposes: ['gossip'] },
      { partnerId: gp.id, purposes: [] },
    ]) {
      expect((await team.post(`/v1/cases/${caseId}/circle`, body)).status).toBe(400);
    }
    for (const body of [
      { at: 'yesterday', channel: 'phone', outcome: 'contact' },
      { at: new Date().toISOString(), channel: 'pigeon', outcome: 'contact' },
    ]) {
      expect((await as(nurse, 'outreach-contact').post(`/v1/cases/${caseId}/contact-attempts`, body)).status).toBe(400);
    }
    expect(
      (
        await team.put(`/v1/cases/${caseId}/care-plan`, {
          domains: [{ domain: 'astrology', goals: [], interventions: [] }],
        })
      ).status,
    ).toBe(400);
    const view = await team.get(`/v1/cases/${caseId}`);
    expect(view.body.circle.map((m: { partnerId: string }) => m.partnerId)).toEqual([outreach.id, caw.id]);
  });

  it('answers an unknown purpose with 400 on every case endpoint, and a reused Idempotency-Key with 422', async () => {
    const calls: [string, string, unknown][] = [
      ['GET', '/v1/cases', undefined],
      ['GET', `/v1/cases/${caseId}`, undefined],
      ['POST', `/v1/cases/${caseId}/transitions`, { to: 'active' }],
      [
        'POST',
        `/v1/cases/${caseId}/contact-attempts`,
        { at: new Date().toISOString(), channel: 'phone', outcome: 'no-answer' },
      ],
      ['PUT', `/v1/cases/${caseId}/care-plan`, { domains: [] }],
      ['POST', `/v1/cases/${caseId}/notes`, { category: 'housing', text: 'x' }],
      ['POST', `/v1/cases/${caseId}/circle`, { partnerId: caw.id, purposes: ['duo-follow-up'] }],
      ['DELETE', `/v1/cases/${caseId}/circle/00000000-0000-4000-8000-000000000000`, undefined],
    ];
    for (const [method, url, body] of calls) {
      const response = await ctx.request({ method: method as 'GET', url, token: nurse, purpose: 'gossip', body });
      expect({ method, url, status: response.status }).toEqual({ method, url, status: 400 });
    }
    const key = { 'idempotency-key': 'attempt-77' };
    const attempt = (outcome: string) =>
      ctx.request({
        method: 'POST',
        url: `/v1/cases/${caseId}/contact-attempts`,
        token: nurse,
        purpose: 'outreach-contact',
        body: { at: '2026-11-20T10:00:00.000Z', channel: 'phone', outcome },
        headers: key,
      });
    expect((await attempt('no-answer')).status).toBe(201);
    expect((await attempt('no-answer')).headers['idempotent-replayed']).toBe('true');
    expect((await attempt('refused')).status).toBe(422);
  });

  it('removes a partner from the circle, after which it no longer sees the case', async () => {
    const team = as(nurse, 'care-coordination');
    const members = (await team.get(`/v1/cases/${caseId}`)).body.circle as { id: string; partnerId: string }[];
    const cawMember = members.find((m) => m.partnerId === caw.id)!;
    expect((await team.del(`/v1/cases/${caseId}/circle/${cawMember.id}`)).status).toBe(200);
    expect((await as(cawWorker, 'duo-follow-up').get(`/v1/cases/${caseId}`)).status).toBe(404);
    const own = members.find((m) => m.partnerId === outreach.id)!;
    expect((await team.del(`/v1/cases/${caseId}/circle/${own.id}`)).status).toBe(409);
  });
});
