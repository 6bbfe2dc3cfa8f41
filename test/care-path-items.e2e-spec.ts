import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * Issue 13, item by item, through HTTP: what referrers, teams, partner services and clients
 * could not do before (each test here fails on the main branch it was written against).
 */
describe('the care path, complete (issue 13)', () => {
  let ctx: TestContext;
  let housing: TestPartner;
  let outreach: TestPartner;
  let caw: TestPartner;
  let gp: TestPartner;
  let referrer: string;
  let coordinator: string;
  let doctor: string;
  let caseworker: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    housing = await ctx.newPartner({ type: 'social-housing-company' });
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
        body: { title: 'Samenwerking', partnerIds, purposes, validFrom: '2026-01-01' },
      });
    await agree([housing.id, outreach.id], ['referral']);
    await agree([caw.id, outreach.id], ['duo-follow-up', 'referral']);
    await agree([gp.id, outreach.id], ['care-coordination', 'warm-handover', 'referral']);
    referrer = await housing.token({ roles: ['referrer'], sub: 'els' });
    coordinator = await outreach.token({
      roles: ['coordinator', 'caseworker'],
      sub: 'coord',
      profession: 'psychologist',
    });
    caseworker = await outreach.token({ roles: ['caseworker'], sub: 'cw', profession: 'social-worker' });
    doctor = await gp.token({ roles: ['caseworker'], sub: 'dr', profession: 'general-practitioner' });
  });
  afterAll(async () => ctx?.close());

  const refer = (token = referrer, extra: Record<string, unknown> = {}) =>
    ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token,
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Anna', familyName: 'Peeters', phone: '+3225550100' },
        signals: ['neglect-of-dwelling', 'withdrawal'],
        evictionStage: 'considered',
        tenantInformed: 'yes',
        tenantInformedNote: 'Verteld tijdens huisbezoek',
        urgency: 'high',
        contact: { name: 'Els Janssens', phone: '+3225550101' },
        ...extra,
      },
    });
  const decide = (id: string, body: unknown, token = coordinator) =>
    ctx.request({ method: 'POST', url: `/v1/referrals/${id}/decision`, token, purpose: 'referral', body });
  const read = (id: string, token: string) => ctx.request({ url: `/v1/referrals/${id}`, token, purpose: 'referral' });

  /** A referral accepted by the outreach team: its case and client. */
  async function acceptedCase(): Promise<{ referralId: string; caseId: string; clientId: string }> {
    const created = await refer();
    const accepted = await decide(created.body.id, { decision: 'accept' });
    const clientId = (await read(created.body.id, coordinator)).body.clientId as string;
    return { referralId: created.body.id, caseId: accepted.body.caseId, clientId };
  }

  describe('item 1: anyone may refer', () => {
    it('lets a partner of type other (a police zone) refer under an agreement, and shows it the status only', async () => {
      const police = await ctx.newPartner({ type: 'other' });
      const officer = await police.token({ roles: ['referrer'], sub: 'agent' });
      expect((await refer(officer)).status).toBe(403);
      await ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: await (await ctx.operator()).token(),
        purpose: 'administration',
        body: {
          title: 'Politiezone',
          partnerIds: [police.id, outreach.id],
          purposes: ['referral'],
          validFrom: '2026-01-01',
        },
      });
      const created = await refer(officer);
      expect(created.status).toBe(201);
      const seen = await read(created.body.id, officer);
      expect(seen.status).toBe(200);
      expect(seen.body).toMatchObject({ status: 'submitted', decision: null });
      expect(seen.body.givenName).toBeUndefined();
      expect(seen.body.tenantInformedNote).toBeUndefined();
    });

    it('lets the CAW, as joint referral point, refer on to a mobile team', async () => {
      const mobile = await ctx.newPartner({ type: 'mobile-team' });
      await ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: await (await ctx.operator()).token(),
        purpose: 'administration',
        body: {
          title: 'Doorverwijzing',
          partnerIds: [caw.id, mobile.id],
          purposes: ['referral'],
          validFrom: '2026-01-01',
        },
      });
      const worker = await caw.token({ roles: ['caseworker'], sub: 'pwb', profession: 'social-worker' });
      const created = await refer(worker, { targetPartnerId: mobile.id });
      expect(created.status).toBe(201);
      const seen = await read(created.body.id, worker);
      expect(seen.body.status).toBe('submitted');
      expect(seen.body.givenName).toBeUndefined();
      const received = await read(created.body.id, await mobile.token({ roles: ['caseworker'], sub: 'm' }));
      expect(received.body).toMatchObject({
        givenName: 'Anna',
        referrerKind: 'organisation',
        referrerPartnerId: caw.id,
      });
    });

    it("lets the receiving team register a self-referral on the person's behalf, and no one else", async () => {
      const selfReferral = await refer(caseworker, {
        targetPartnerId: outreach.id,
        referrerKind: 'self',
        contact: undefined,
        tenantInformedNote: undefined,
      });
      expect(selfReferral.status).toBe(201);
      const seen = await read(selfReferral.body.id, coordinator);
      expect(seen.body).toMatchObject({ referrerKind: 'self', referrerPartnerId: outreach.id, givenName: 'Anna' });
      const [entry] = await ctx.dataSource.query(
        `SELECT rule_id, agreement_id FROM access_log_entry WHERE action = 'create' AND resource_id = $1`,
        [selfReferral.body.id],
      );
      expect(entry).toEqual({ rule_id: 'team-registers-referral-on-behalf', agreement_id: null });
      // A team does not refer to itself as an organisation, nor register for a person at another team.
      const toItself = await refer(caseworker, { targetPartnerId: outreach.id });
      expect(toItself.status).toBe(400);
      expect(toItself.body.errors).toEqual([expect.objectContaining({ pointer: '/targetPartnerId' })]);
      const elsewhere = await refer(referrer, { referrerKind: 'family' });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.errors).toEqual([expect.objectContaining({ pointer: '/referrerKind' })]);
      const unknownKind = await refer(caseworker, { targetPartnerId: outreach.id, referrerKind: 'neighbour' });
      expect(unknownKind.status).toBe(400);
    });
  });

  describe('item 5: what the referrer said reaches the team', () => {
    it('shows the team tenantInformed and its note, urgency and the contact person, on the referral and the case', async () => {
      const { referralId, caseId } = await acceptedCase();
      const expected = {
        tenantInformed: 'yes',
        tenantInformedNote: 'Verteld tijdens huisbezoek',
        urgency: 'high',
        referrerKind: 'organisation',
        referrerPartnerId: housing.id,
        referrerContact: { name: 'Els Janssens', phone: '+3225550101' },
      };
      expect((await read(referralId, coordinator)).body).toMatchObject(expected);
      const onCase = await ctx.request({
        url: `/v1/cases/${caseId}`,
        token: coordinator,
        purpose: 'care-coordination',
      });
      expect(onCase.status).toBe(200);
      expect(onCase.body).toMatchObject(expected);
      const [entry] = await ctx.dataSource.query(
        `SELECT categories FROM access_log_entry WHERE resource_type = 'Case' AND action = 'read' AND resource_id = $1 ORDER BY id DESC LIMIT 1`,
        [caseId],
      );
      expect(entry.categories).toContain('referral-context');
      // The referrer reads its own words back only as status.
      expect((await read(referralId, referrer)).body.tenantInformedNote).toBeUndefined();
    });
  });

  describe('item 2: status back, with reasons from a closed list', () => {
    it('lists the reason codes with NL/FR/EN labels', async () => {
      const response = await ctx.request({ url: '/v1/referrals/reasons', token: referrer });
      expect(response.status).toBe(200);
      expect(response.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            id: 'outside-area',
            label: expect.objectContaining({ nl: expect.any(String), fr: expect.any(String), en: 'outside our area' }),
          }),
        ]),
      );
    });

    it('tells the referrer where a redirected referral went, and why, in three languages', async () => {
      const created = await refer();
      const redirected = await decide(created.body.id, {
        decision: 'redirect',
        redirectToPartnerId: caw.id,
        reasonCode: 'outside-area',
        reason: 'Woont net over de gemeentegrens; cliënt heeft psychose',
      });
      expect(redirected.status).toBe(200);
      const seen = await read(created.body.id, referrer);
      expect(seen.status).toBe(200);
      expect(seen.body).toMatchObject({
        status: 'redirected',
        decision: 'redirected',
        redirectedTo: { partnerId: caw.id, name: `Partner ${caw.id}` },
        reasonCode: 'outside-area',
        reasonLabel: { nl: 'buiten ons werkgebied', fr: expect.any(String), en: 'outside our area' },
      });
      // The team's own note never reaches the referrer.
      expect(seen.text).not.toContain('psychose');
      const [entry] = await ctx.dataSource.query(
        `SELECT fields FROM access_log_entry WHERE action = 'decide' AND resource_id = $1 AND decision = 'permit'`,
        [created.body.id],
      );
      expect(entry.fields).toEqual(expect.arrayContaining(['status', 'redirectedTo', 'reasonCode', 'decisionReason']));
    });

    it('tells the referrer why a referral was declined, never in free text', async () => {
      const created = await refer();
      expect((await decide(created.body.id, { decision: 'decline', reasonCode: 'tenant-unreachable' })).status).toBe(
        200,
      );
      const seen = await read(created.body.id, referrer);
      expect(seen.body).toMatchObject({
        status: 'declined',
        redirectedTo: null,
        reasonCode: 'tenant-unreachable',
        reasonLabel: expect.objectContaining({ en: 'the tenant cannot be reached' }),
      });
    });

    it('refuses a decline without a reason code, an unknown code and an unknown partner (400), changing nothing', async () => {
      const created = await refer();
      const without = await decide(created.body.id, { decision: 'decline', reason: 'free text only' });
      expect(without.status).toBe(400);
      expect(without.headers['content-type']).toContain('application/problem+json');
      const unknown = await decide(created.body.id, { decision: 'decline', reasonCode: 'too-difficult' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors).toEqual([expect.objectContaining({ pointer: '/reasonCode' })]);
      const wrongKind = await decide(created.body.id, { decision: 'decline', reasonCode: 'better-placed-service' });
      expect(wrongKind.status).toBe(400);
      const nowhere = await decide(created.body.id, { decision: 'redirect', redirectToPartnerId: 'no-such-partner' });
      expect(nowhere.status).toBe(400);
      expect(nowhere.body.errors).toEqual([expect.objectContaining({ pointer: '/redirectToPartnerId' })]);
      const toSelf = await decide(created.body.id, { decision: 'redirect', redirectToPartnerId: outreach.id });
      expect(toSelf.status).toBe(400);
      expect((await read(created.body.id, referrer)).body).toMatchObject({ status: 'submitted', reasonCode: null });
    });
  });

  describe('item 6: a queue for coordinators', () => {
    let caseId: string;
    let pendingId: string;

    beforeAll(async () => {
      const opened = await acceptedCase();
      caseId = opened.caseId;
      await ctx.request({
        method: 'POST',
        url: `/v1/cases/${caseId}/circle`,
        token: coordinator,
        purpose: 'care-coordination',
        body: { partnerId: gp.id, purposes: ['care-coordination'] },
      });
      await ctx.request({
        method: 'POST',
        url: `/v1/clients/${opened.clientId}/consents`,
        token: coordinator,
        purpose: 'care-coordination',
        body: {
          purposes: ['care-coordination'],
          recipients: [{ partnerId: gp.id }],
          categories: ['identity', 'health'],
          effect: 'permit',
          givenBy: { kind: 'client' },
          method: 'verbal',
          validFrom: '2026-01-01',
        },
      });
      const asked = await ctx.request({
        method: 'POST',
        url: '/v1/information-requests',
        token: doctor,
        purpose: 'care-coordination',
        body: {
          caseId,
          purpose: 'care-coordination',
          categories: ['health'],
          justification: 'Medicatie afstemmen na ontslag',
        },
      });
      expect(asked.body.decision).toBe('pending');
      pendingId = asked.body.id;
    });

    const queue = (token: string, query: string, purpose = 'care-coordination') =>
      ctx.request({ url: `/v1/information-requests${query}`, token, purpose });

    it("lists the pending requests on the team's cases, with the justification to judge", async () => {
      const pending = await queue(coordinator, '?status=pending');
      expect(pending.status).toBe(200);
      expect(pending.body.items).toEqual([
        expect.objectContaining({
          id: pendingId,
          caseId,
          requesterPartnerId: gp.id,
          decision: 'pending',
          pendingCategories: ['health'],
          justification: 'Medicatie afstemmen na ontslag',
          role: 'holder',
        }),
      ]);
      expect(pending.body.nextCursor).toBeNull();
      expect((await queue(coordinator, `?caseId=${caseId}`)).body.items.map((i: { id: string }) => i.id)).toEqual([
        pendingId,
      ]);
      expect((await queue(coordinator, '?status=permit')).body.items).toEqual([]);
      const [entry] = await ctx.dataSource.query(
        `SELECT decision, user_sub FROM access_log_entry WHERE resource_type = 'InformationRequest' AND action = 'read' ORDER BY id DESC LIMIT 1`,
      );
      expect(entry).toEqual({ decision: 'permit', user_sub: 'coord' });
    });

    it('shows the requester its own requests, and nobody else anything', async () => {
      const own = await queue(doctor, '');
      expect(own.body.items).toEqual([expect.objectContaining({ id: pendingId, role: 'requester' })]);
      const other = await ctx.newPartner({ type: 'outreach-team' });
      const stranger = await other.token({ roles: ['coordinator'], sub: 'stranger' });
      expect((await queue(stranger, '?status=pending')).body.items).toEqual([]);
      expect((await queue(referrer, '?status=pending', 'referral')).status).toBe(403);
    });

    it('refuses bad filters with 400 problem+json', async () => {
      for (const query of ['?status=maybe', '?caseId=42', '?limit=0', '?cursor=!!']) {
        const response = await queue(coordinator, query);
        expect({ query, status: response.status }).toEqual({ query, status: 400 });
        expect(response.headers['content-type']).toContain('application/problem+json');
      }
    });

    it('notifies the holding team when a request waits for its judgement', async () => {
      const notes = await ctx.request({ url: '/v1/notifications', token: coordinator, purpose: 'care-coordination' });
      expect(notes.status).toBe(200);
      expect(notes.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            kind: 'information-request-pending',
            resourceType: 'InformationRequest',
            resourceId: pendingId,
            categories: ['health'],
            detail: { caseId, requesterPartnerId: gp.id },
          }),
        ]),
      );
      const theirs = await ctx.request({ url: '/v1/notifications', token: doctor, purpose: 'care-coordination' });
      expect(theirs.body.items).toEqual([]);
    });
  });
});
