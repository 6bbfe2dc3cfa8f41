import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PartnerRegistry } from '../src/partners/partner-registry.service.js';
import { CRYPTO, type Crypto } from '../src/common/crypto/crypto.module.js';
import { Clock } from '../src/common/time/clock.js';
import { GATEWAY_KEYS, type GatewayKeys } from '../src/access-log/gateway-keys.js';
import { describeErrors, fhirErrors } from './support/fhir-schema.js';
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
        `SELECT rule_id, agreement_id FROM access_log WHERE action = 'create' AND resource_id = $1`,
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
        `SELECT categories FROM access_log WHERE resource_type = 'Case' AND action = 'read' AND resource_id = $1 ORDER BY id DESC LIMIT 1`,
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
        `SELECT fields FROM access_log WHERE action = 'decide' AND resource_id = $1 AND decision = 'permit'`,
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

  describe("item 3: find one's own referrals", () => {
    it("keeps the referrer's own reference, shows it back and filters by it, by status and by date", async () => {
      const company = await ctx.newPartner({ type: 'social-rental-agency' });
      await ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: await (await ctx.operator()).token(),
        purpose: 'administration',
        body: { title: 'SVK', partnerIds: [company.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
      });
      const agent = await company.token({ roles: ['referrer'], sub: 'svk' });
      const first = await refer(agent, { externalReference: 'SVK-2026/0412' });
      expect(first.status).toBe(201);
      expect(first.body.externalReference).toBe('SVK-2026/0412');
      const second = await refer(agent, { externalReference: 'SVK-2026/0413' });
      await decide(second.body.id, { decision: 'decline', reasonCode: 'already-in-care' });
      const list = (query: string) => ctx.request({ url: `/v1/referrals${query}`, token: agent, purpose: 'referral' });
      const ids = async (query: string) => {
        const response = await list(query);
        expect({ query, status: response.status }).toEqual({ query, status: 200 });
        return response.body.items.map((i: { id: string }) => i.id);
      };
      expect(await ids('?reference=SVK-2026%2F0412')).toEqual([first.body.id]);
      expect(await ids('?status=declined')).toEqual([second.body.id]);
      expect(await ids('?status=submitted')).toEqual([first.body.id]);
      expect(await ids('')).toEqual([second.body.id, first.body.id]);
      expect(await ids('?from=2999-01-01')).toEqual([]);
      expect(await ids(`?to=2000-01-01T00:00:00Z`)).toEqual([]);
      expect(await ids(`?from=2026-01-01&to=2999-01-01&status=declined`)).toEqual([second.body.id]);
      const [row] = (await list('?status=declined')).body.items;
      expect(row).toMatchObject({
        externalReference: 'SVK-2026/0413',
        reasonCode: 'already-in-care',
        role: 'referrer',
      });
      expect((await read(first.body.id, agent)).body.externalReference).toBe('SVK-2026/0412');
      for (const query of ['?status=lost', '?from=yesterday', '?from=%2B275760-09-13', '?to=0001-01-01']) {
        const response = await list(query);
        expect({ query, status: response.status }).toEqual({ query, status: 400 });
      }
      expect((await refer(agent, { externalReference: 'line\nbreak' })).status).toBe(400);
    });
  });

  describe('item 4: the referrer is told', () => {
    it('notifies the referrer (and its webhook) when its referral is accepted, contact is made and the case closes', async () => {
      await ctx.dataSource.query(`UPDATE partner SET webhook_url = 'http://127.0.0.1:9/hook' WHERE id = $1`, [
        housing.id,
      ]);
      await ctx.app.get(PartnerRegistry).propagate();
      const created = await refer(referrer, { externalReference: 'WH-77' });
      const accepted = await decide(created.body.id, { decision: 'accept' });
      const caseId = accepted.body.caseId as string;
      const team = (method: 'POST', url: string, body: unknown, purpose: string) =>
        ctx.request({ method, url: `/v1/cases/${caseId}${url}`, token: coordinator, purpose, body });
      expect(
        (
          await team(
            'POST',
            '/contact-attempts',
            { at: new Date().toISOString(), channel: 'home-visit', outcome: 'contact' },
            'outreach-contact',
          )
        ).status,
      ).toBe(201);
      for (const to of ['outreach', 'closed'])
        expect(
          (
            await team(
              'POST',
              '/transitions',
              { to, ...(to === 'closed' ? { endReason: 'forced-admission' } : {}) },
              'care-coordination',
            )
          ).status,
        ).toBe(200);
      const notes = await ctx.request({ url: '/v1/notifications', token: referrer, purpose: 'referral' });
      expect(notes.status).toBe(200);
      const mine = notes.body.items
        .filter((n: { resourceId: string }) => n.resourceId === created.body.id)
        .map((n: { kind: string; detail: { status: string; externalReference: string } }) => [
          n.kind,
          n.detail.status,
          n.detail.externalReference,
        ]);
      expect(mine.sort()).toEqual(
        [
          ['referral-status-changed', 'accepted', 'WH-77'],
          ['referral-status-changed', 'contact-established', 'WH-77'],
          ['referral-status-changed', 'closed', 'WH-77'],
        ].sort(),
      );
      // Closing flows back as a date, never the end reason.
      const seen = await read(created.body.id, referrer);
      expect(seen.body.closedAt).toEqual(expect.any(String));
      expect(seen.text).not.toContain('forced-admission');
      expect(JSON.stringify(notes.body)).not.toContain('forced-admission');
      const deliveries = await ctx.dataSource.query(
        `SELECT d.jws FROM webhook_delivery d JOIN partner_notification n ON n.id = d.notification_id WHERE n.resource_id = $1`,
        [created.body.id],
      );
      expect(deliveries).toHaveLength(3);
      const payload = JSON.parse(Buffer.from(deliveries[0].jws.split('.')[1], 'base64url').toString('utf8'));
      expect(payload).toMatchObject({ type: 'referral-status-changed', resourceId: created.body.id });
      expect(JSON.stringify(payload)).not.toMatch(/Anna|Peeters/);
      await ctx.dataSource.query(`UPDATE partner SET webhook_url = NULL WHERE id = $1`, [housing.id]);
      await ctx.app.get(PartnerRegistry).propagate();
    });

    it("tells nobody about a referral the team registered on a person's behalf", async () => {
      const created = await refer(caseworker, { targetPartnerId: outreach.id, referrerKind: 'family' });
      await decide(created.body.id, { decision: 'decline', reasonCode: 'not-our-target-group' });
      const [{ n }] = await ctx.dataSource.query(
        `SELECT count(*)::int AS n FROM partner_notification WHERE resource_id = $1`,
        [created.body.id],
      );
      expect(n).toBe(0);
    });
  });

  describe('item 8: a handover that holds', () => {
    it('needs an agreement covering warm-handover, then lets the new holder run the case', async () => {
      const { caseId, clientId } = await acceptedCase();
      const otherGp = await ctx.newPartner({ type: 'general-practitioner' });
      await ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: await (await ctx.operator()).token(),
        purpose: 'administration',
        body: {
          title: 'Zorg',
          partnerIds: [otherGp.id, outreach.id],
          purposes: ['care-coordination'],
          validFrom: '2026-01-01',
        },
      });
      for (const partnerId of [gp.id, otherGp.id])
        expect(
          (
            await ctx.request({
              method: 'POST',
              url: `/v1/cases/${caseId}/circle`,
              token: coordinator,
              purpose: 'care-coordination',
              body: { partnerId, purposes: ['care-coordination'] },
            })
          ).status,
        ).toBe(201);
      await ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/consents`,
        token: coordinator,
        purpose: 'care-coordination',
        body: {
          purposes: ['warm-handover'],
          recipients: [{ partnerType: 'general-practitioner' }],
          categories: ['identity', 'health', 'care-plan'],
          effect: 'permit',
          givenBy: { kind: 'client' },
          method: 'written',
          validFrom: '2026-01-01',
        },
      });
      const handover = (toPartnerId: string) =>
        ctx.request({
          method: 'POST',
          url: `/v1/cases/${caseId}/handover`,
          token: coordinator,
          purpose: 'warm-handover',
          body: { toPartnerId },
        });
      const refused = await handover(otherGp.id);
      expect(refused.status).toBe(422);
      expect(refused.body.missing.join(' ')).toContain('warm-handover');
      const logged = await ctx.dataSource.query(
        `SELECT reason FROM access_log WHERE resource_id = $1 AND action = 'update' AND decision = 'deny'`,
        [caseId],
      );
      expect(logged).toEqual([{ reason: expect.stringContaining('warm handover') }]);
      expect((await handover(gp.id)).status).toBe(200);
      // The entry names the agreement the handover relied on (the one between the two holders), and the consent.
      const [handedOver] = await ctx.dataSource.query(
        `SELECT e.agreement_id, cardinality(e.consent_ids) AS consents FROM access_log e
          WHERE e.resource_id = $1 AND e.action = 'update' AND e.decision = 'permit' AND e.reason LIKE 'warm handover%'`,
        [caseId],
      );
      const [covering] = await ctx.dataSource.query(
        `SELECT a.id FROM agreement a WHERE 'warm-handover' = ANY (a.purposes)
            AND EXISTS (SELECT 1 FROM agreement_party p WHERE p.agreement_id = a.id AND p.partner_id = $1)`,
        [gp.id],
      );
      expect(handedOver).toEqual({ agreement_id: covering.id, consents: 1 });

      // The GP now runs the case: status, contact, notes, consent, the client's access report, closing.
      const asGp = (method: 'GET' | 'POST', url: string, purpose: string, body?: unknown) =>
        ctx.request({ method, url, token: doctor, purpose, body });
      expect(
        (await asGp('POST', `/v1/cases/${caseId}/transitions`, 'care-coordination', { to: 'outreach' })).status,
      ).toBe(200);
      expect(
        (
          await asGp('POST', `/v1/cases/${caseId}/contact-attempts`, 'outreach-contact', {
            at: new Date().toISOString(),
            channel: 'phone',
            outcome: 'contact',
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await asGp('POST', `/v1/cases/${caseId}/notes`, 'care-coordination', {
            category: 'health',
            text: 'Medicatie herzien',
          })
        ).status,
      ).toBe(201);
      const consent = await asGp('POST', `/v1/clients/${clientId}/consents`, 'care-coordination', {
        purposes: ['care-coordination'],
        recipients: [{ partnerType: 'mental-health-service' }],
        categories: ['health'],
        effect: 'permit',
        givenBy: { kind: 'client' },
        method: 'verbal',
        validFrom: '2026-01-01',
      });
      expect(consent.status).toBe(201);
      const report = await asGp('GET', `/v1/clients/${clientId}/access-report?lang=nl`, 'subject-access');
      expect(report.status).toBe(200);
      for (const to of ['intake', 'active', 'closed'])
        expect(
          (
            await asGp('POST', `/v1/cases/${caseId}/transitions`, 'care-coordination', {
              to,
              ...(to === 'closed' ? { endReason: 'mutual-agreement' } : {}),
            })
          ).status,
        ).toBe(200);
      // The previous team no longer records consents for this client.
      const previous = await ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/consents`,
        token: coordinator,
        purpose: 'care-coordination',
        body: {
          purposes: ['care-coordination'],
          recipients: [{ partnerId: caw.id }],
          categories: ['identity'],
          effect: 'permit',
          givenBy: { kind: 'client' },
          method: 'verbal',
          validFrom: '2026-01-01',
        },
      });
      expect([403, 404]).toContain(previous.status);
    });
  });

  describe('item 10: the circle holds only those with a care mission', () => {
    it('refuses a housing partner, and a profession that does not fit what the purposes open', async () => {
      const { caseId } = await acceptedCase();
      const admin = await (await ctx.operator()).token();
      await ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: admin,
        purpose: 'administration',
        body: {
          title: 'Huur',
          partnerIds: [housing.id, outreach.id],
          purposes: ['care-coordination'],
          validFrom: '2026-01-01',
        },
      });
      const add = (body: unknown) =>
        ctx.request({
          method: 'POST',
          url: `/v1/cases/${caseId}/circle`,
          token: coordinator,
          purpose: 'care-coordination',
          body,
        });
      const landlord = await add({ partnerId: housing.id, purposes: ['care-coordination'] });
      expect(landlord.status).toBe(422);
      expect(landlord.body.detail).toContain('care mission');
      // A GP practice does not employ psychiatrists; an administrator is not bound by secrecy.
      expect(
        (await add({ partnerId: gp.id, purposes: ['care-coordination'], profession: 'psychiatrist' })).status,
      ).toBe(422);
      const admin2 = await add({ partnerId: gp.id, purposes: ['care-coordination'], profession: 'administrator' });
      expect(admin2.status).toBe(422);
      expect(admin2.body.detail).toContain('health');
      expect((await add({ partnerId: gp.id, purposes: ['care-coordination'], profession: 'astrologer' })).status).toBe(
        400,
      );
      const view = await ctx.request({ url: `/v1/cases/${caseId}`, token: coordinator, purpose: 'care-coordination' });
      expect(view.body.circle.map((m: { partnerId: string }) => m.partnerId)).toEqual([outreach.id]);
      const doctorAdded = await add({
        partnerId: gp.id,
        purposes: ['care-coordination'],
        profession: 'general-practitioner',
      });
      expect(doctorAdded.status).toBe(201);
      expect(doctorAdded.body.profession).toBe('general-practitioner');
      const refusals = await ctx.dataSource.query(
        `SELECT count(*)::int AS n FROM access_log WHERE resource_id = $1 AND decision = 'deny'`,
        [caseId],
      );
      expect(refusals[0].n).toBe(3);
    });
  });

  describe('item 11: clinical signals are health data; safety flags need consent outside the team', () => {
    it('keeps clinical signals out of the housing category, write-only for the referrer', async () => {
      const created = await refer(referrer, { signals: ['hoarding', 'addiction', 'psychological-problems'] });
      expect(created.status).toBe(201);
      const team = await read(created.body.id, coordinator);
      expect(team.body.signals).toEqual(['hoarding']);
      expect(team.body.healthSignals).toEqual(['addiction', 'psychological-problems']);
      const referrerView = await read(created.body.id, referrer);
      expect(referrerView.text).not.toMatch(/addiction|psychological/);
      const accepted = await decide(created.body.id, { decision: 'accept' });
      const caseId = accepted.body.caseId as string;
      const clientId = team.body.clientId as string;
      await ctx.request({
        method: 'PUT',
        url: `/v1/cases/${caseId}/care-plan`,
        token: coordinator,
        purpose: 'care-coordination',
        body: { domains: [], safetyFlags: ['aggression-risk'] },
      });
      await ctx.request({
        method: 'POST',
        url: `/v1/cases/${caseId}/circle`,
        token: coordinator,
        purpose: 'care-coordination',
        body: { partnerId: caw.id, purposes: ['duo-follow-up'] },
      });
      const consent = (categories: string[]) =>
        ctx.request({
          method: 'POST',
          url: `/v1/clients/${clientId}/consents`,
          token: coordinator,
          purpose: 'care-coordination',
          body: {
            purposes: ['duo-follow-up'],
            recipients: [{ partnerId: caw.id }],
            categories,
            effect: 'permit',
            givenBy: { kind: 'client' },
            method: 'verbal',
            validFrom: '2026-01-01',
          },
        });
      const pwb = await caw.token({ roles: ['caseworker'], sub: 'pwb2', profession: 'social-worker' });
      const cawRead = () => ctx.request({ url: `/v1/cases/${caseId}`, token: pwb, purpose: 'duo-follow-up' });
      await consent(['housing']);
      const housingOnly = await cawRead();
      expect(housingOnly.status).toBe(200);
      // The CAW reads the housing signals, never the clinical ones, and no safety flags without consent for them.
      expect(housingOnly.body.signals).toEqual(['hoarding']);
      expect(housingOnly.text).not.toMatch(/addiction|psychological|aggression-risk/);
      expect(housingOnly.body.withheld.map((w: { category: string }) => w.category)).toEqual(
        expect.arrayContaining(['health', 'safety']),
      );
      await consent(['safety']);
      expect((await cawRead()).body.safetyFlags).toEqual(['aggression-risk']);
      // The holding team keeps seeing them.
      const own = await ctx.request({ url: `/v1/cases/${caseId}`, token: coordinator, purpose: 'care-coordination' });
      expect(own.body).toMatchObject({
        safetyFlags: ['aggression-risk'],
        healthSignals: ['addiction', 'psychological-problems'],
      });
    });
  });

  describe('item 12: legal representatives act within their capacity', () => {
    it('refuses a consent outside the capacity (422, logged) and records one within it, with the court order', async () => {
      const { clientId } = await acceptedCase();
      const consent = (givenBy: Record<string, unknown>, categories: string[], effect = 'permit') =>
        ctx.request({
          method: 'POST',
          url: `/v1/clients/${clientId}/consents`,
          token: coordinator,
          purpose: 'care-coordination',
          body: {
            purposes: ['care-coordination'],
            recipients: [{ partnerId: gp.id }],
            categories,
            effect,
            givenBy: { kind: 'legal-representative', name: 'Mr. De Smet', ...givenBy },
            method: 'written',
            validFrom: '2026-01-01',
          },
        });
      const property = await consent({ capacity: 'administrator-of-property' }, ['housing', 'health']);
      expect(property.status).toBe(422);
      expect(property.body.detail).toContain('health');
      expect((await consent({ capacity: 'administrator-of-property' }, ['housing', 'social'])).status).toBe(201);
      const confidant = await consent({ capacity: 'confidant' }, ['identity']);
      expect(confidant.status).toBe(422);
      expect(confidant.body.detail).toContain('does not consent');
      // An objection is never outside anyone's capacity.
      expect((await consent({ capacity: 'confidant' }, ['health'], 'deny')).status).toBe(201);
      expect((await consent({ capacity: 'administrator-of-the-person' }, ['health'])).status).toBe(422);
      const person = await consent(
        {
          capacity: 'administrator-of-the-person',
          courtOrder: { reference: 'Vredegerecht Elsene 2026/77', date: '2026-02-01' },
        },
        ['health', 'care-plan'],
      );
      expect(person.status).toBe(201);
      expect((await consent({ capacity: 'parent-or-guardian' }, ['health'])).status).toBe(201);
      const unknown = await consent({ capacity: 'neighbour' }, ['identity']);
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors).toEqual([expect.objectContaining({ pointer: '/givenBy/capacity' })]);
      const refusals = await ctx.dataSource.query(
        `SELECT count(*)::int AS n FROM access_log WHERE resource_type = 'Consent' AND action = 'create' AND decision = 'deny' AND client_ref IS NOT NULL`,
      );
      expect(refusals[0].n).toBeGreaterThanOrEqual(3);
      const listed = await ctx.request({
        url: `/v1/clients/${clientId}/consents`,
        token: coordinator,
        purpose: 'care-coordination',
      });
      expect(JSON.stringify(listed.body)).toContain('Vredegerecht Elsene 2026/77');
    });
  });

  describe('item 13: the switches do something', () => {
    it("refuses a contact attempt through the network without the client's knowledge, and records the channel", async () => {
      const { caseId } = await acceptedCase();
      const attempt = (body: Record<string, unknown>) =>
        ctx.request({
          method: 'POST',
          url: `/v1/cases/${caseId}/contact-attempts`,
          token: coordinator,
          purpose: 'outreach-contact',
          body: { at: new Date().toISOString(), channel: 'via-network', outcome: 'no-answer', ...body },
        });
      expect((await attempt({})).status).toBe(400);
      const unknowing = await attempt({ clientKnows: false });
      expect(unknowing.status).toBe(422);
      expect(unknowing.body.detail).toContain('contactViaNetworkWithoutKnowledge');
      const knowing = await attempt({ clientKnows: true });
      expect(knowing.status).toBe(201);
      const entries = await ctx.dataSource.query(
        `SELECT decision, reason FROM access_log WHERE resource_id = $1 AND reason LIKE '%via-network%' ORDER BY seq`,
        [caseId],
      );
      expect(entries).toEqual([
        { decision: 'deny', reason: expect.stringContaining("without the client's knowledge") },
        { decision: 'permit', reason: expect.stringContaining('channel via-network, client knows') },
      ]);
      const view = await ctx.request({ url: `/v1/cases/${caseId}`, token: coordinator, purpose: 'care-coordination' });
      expect(view.body.contactAttempts).toEqual([
        expect.objectContaining({ channel: 'via-network', clientKnows: true }),
      ]);
    });

    it('has separate switches for Q1 and Q2, and family consent as a constant', async () => {
      const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'] });
      const policy = await ctx.request({ url: '/v1/policies', token: admin, purpose: 'administration' });
      expect(policy.body.switches).toMatchObject({
        referralOfUninformedTenant: 'refuse',
        referralAfterTenantRefused: 'refuse',
        contactViaNetworkWithoutKnowledge: false,
      });
      expect(policy.body.switches).not.toHaveProperty('familyRequiresConsent');
      expect(policy.body.constants).toEqual({ familyRequiresConsent: true });
    });
  });

  describe('item 7: identity and contact change (GDPR art. 16)', () => {
    it('lets the holding team correct identity and contact, logged with the fields written, and nobody else', async () => {
      const { clientId, caseId } = await acceptedCase();
      const patch = (body: unknown, token = caseworker) =>
        ctx.request({
          method: 'PATCH',
          url: `/v1/clients/${clientId}/identity`,
          token,
          purpose: 'care-coordination',
          body,
        });
      const changed = await patch({
        phone: '+32470123456',
        address: null,
        nationalNumber: '85073003328',
        reason: 'Nieuw nummer, uit huis gezet',
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        identity: { givenName: 'Anna', familyName: 'Peeters', nationalNumber: '85073003328' },
        contact: { phone: '+32470123456', address: null },
        changed: ['nationalNumber', 'phone', 'address'],
      });
      const view = await ctx.request({ url: `/v1/cases/${caseId}`, token: coordinator, purpose: 'care-coordination' });
      expect(view.body).toMatchObject({ phone: '+32470123456', address: null, givenName: 'Anna' });
      const [entry] = await ctx.dataSource.query(
        `SELECT fields, categories, decision FROM access_log WHERE resource_type = 'ClientIdentity' AND decision = 'permit'`,
      );
      expect(entry.categories).toEqual(expect.arrayContaining(['identity', 'contact']));
      expect(entry.fields).toEqual(expect.arrayContaining(['phone', 'address', 'nationalNumber']));
      // Bad input changes nothing; others may not.
      for (const body of [
        { reason: 'nothing given' },
        { phone: 'call me', reason: 'bad phone' },
        { nationalNumber: '85073003329', reason: 'bad check digits' },
        { phone: '+3225550100' },
        { phone: '+3225550100', reason: 'x', shoeSize: 43 },
      ])
        expect((await patch(body)).status).toBe(400);
      expect((await patch({ phone: '+3225550100', reason: 'by the referrer' }, referrer)).status).toBe(403);
      const stranger = await (
        await ctx.newPartner({ type: 'outreach-team' })
      ).token({ roles: ['caseworker'], sub: 'x' });
      expect((await patch({ phone: '+3225550100', reason: 'another team' }, stranger)).status).toBe(404);
      const again = await ctx.request({ url: `/v1/cases/${caseId}`, token: coordinator, purpose: 'care-coordination' });
      expect(again.body.phone).toBe('+32470123456');
    });
  });

  describe('item 9: agreements end', () => {
    it('lets the operator suspend, reactivate and end an agreement, logged; exchanges under it stop that day', async () => {
      const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'], sub: 'op' });
      const landlord = await ctx.newPartner({ type: 'social-housing-company' });
      const agent = await landlord.token({ roles: ['referrer'], sub: 'lh' });
      const created = await ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: admin,
        purpose: 'administration',
        body: {
          title: 'Tijdelijk',
          partnerIds: [landlord.id, outreach.id],
          purposes: ['referral'],
          validFrom: '2026-01-01',
        },
      });
      const id = created.body.id as string;
      const patch = (body: unknown, token = admin) =>
        ctx.request({ method: 'PATCH', url: `/v1/agreements/${id}`, token, purpose: 'administration', body });
      expect((await refer(agent)).status).toBe(201);

      const suspended = await patch({ status: 'suspended', reason: 'Evaluatie lopende' });
      expect(suspended.status).toBe(200);
      expect(suspended.body).toMatchObject({ status: 'suspended', inForce: false });
      expect((await refer(agent)).status).toBe(403);
      expect((await patch({ status: 'active', reason: 'Evaluatie positief' })).body).toMatchObject({ inForce: true });
      expect((await refer(agent)).status).toBe(201);

      // Ending on a later day keeps it in force until then; ending now stops it today.
      const later = await patch({ status: 'ended', validUntil: '2999-12-31', reason: 'Loopt af eind volgend jaar' });
      expect(later.body).toMatchObject({ status: 'active', validUntil: '2999-12-31', inForce: true });
      const ended = await patch({ status: 'ended', reason: 'Samenwerking stopgezet' });
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ status: 'ended', inForce: false });
      expect(ended.body.validUntil < new Date().toISOString().slice(0, 10)).toBe(true);
      expect((await refer(agent)).status).toBe(403);
      expect((await patch({ status: 'active', reason: 'Toch weer' })).status).toBe(409);

      for (const body of [
        { status: 'paused', reason: 'Geen idee' },
        { status: 'ended', validUntil: '2001-01-01', reason: 'In het verleden' },
        { status: 'suspended', validUntil: '2999-01-01', reason: 'Datum bij schorsing' },
        { status: 'ended' },
      ])
        expect([400, 409]).toContain((await patch(body)).status);
      const notOperator = await (await ctx.newPartner({ type: 'outreach-team' })).token({ roles: ['coordinator'] });
      expect((await patch({ status: 'suspended', reason: 'Niet van mij' }, notOperator)).status).toBe(403);
      const entries = await ctx.dataSource.query(
        `SELECT decision, reason FROM access_log WHERE resource_type = 'Agreement' AND action = 'update' AND resource_id = $1 AND decision = 'permit' ORDER BY seq`,
        [id],
      );
      expect(entries.map((e: { reason: string }) => e.reason.split(':')[0])).toEqual([
        'cooperation agreement suspended',
        'cooperation agreement active',
        'cooperation agreement ended (last day 2999-12-31)',
        expect.stringMatching(/^cooperation agreement ended \(last day \d{4}-\d{2}-\d{2}\)$/),
      ]);
    });
  });

  describe('item 14: erasure and portability', () => {
    it("exports the client's data as JSON and a FHIR Bundle, and erases it once no case runs, keeping the log", async () => {
      const created = await refer(referrer, {
        signals: ['hoarding', 'addiction'],
        description: 'Veel afval in de gang',
      });
      const accepted = await decide(created.body.id, { decision: 'accept' });
      const caseId = accepted.body.caseId as string;
      const clientId = (await read(created.body.id, coordinator)).body.clientId as string;
      await ctx.request({
        method: 'POST',
        url: `/v1/cases/${caseId}/notes`,
        token: coordinator,
        purpose: 'care-coordination',
        body: { category: 'health', text: 'Slaapt slecht' },
      });
      const rights = (method: 'GET' | 'POST', url: string, body?: unknown, token = coordinator) =>
        ctx.request({ method, url: `/v1/clients/${clientId}${url}`, token, purpose: 'data-subject-rights', body });
      const json = await rights('GET', '/export');
      expect(json.status).toBe(200);
      expect(json.body).toMatchObject({
        clientId,
        identity: { givenName: 'Anna', familyName: 'Peeters' },
        contact: { phone: '+3225550100' },
        referrals: [
          expect.objectContaining({
            signals: ['hoarding'],
            healthSignals: ['addiction'],
            description: 'Veel afval in de gang',
          }),
        ],
        cases: [expect.objectContaining({ id: caseId, notes: [expect.objectContaining({ text: 'Slaapt slecht' })] })],
      });
      const fhir = await rights('GET', '/export?format=fhir');
      expect(fhir.status).toBe(200);
      expect(fhir.headers['content-type']).toContain('application/fhir+json');
      expect(describeErrors(fhirErrors('Bundle', fhir.body))).toEqual([]);
      expect(fhir.body.entry[0].resource).toMatchObject({ resourceType: 'Patient', name: [{ family: 'Peeters' }] });
      expect(fhir.body.entry.length).toBeGreaterThanOrEqual(3);

      const request = {
        reason: 'Schriftelijk verzoek van de cliënt',
        requestReceivedOn: '2026-11-28',
        reference: 'AVG-2026-014',
      };
      const whileOpen = await rights('POST', '/erasure', request);
      expect(whileOpen.status).toBe(409);
      expect(whileOpen.body.detail).toContain('still open');
      for (const body of [
        {},
        { reason: 'x', requestReceivedOn: '2026-11-28' },
        { ...request, requestReceivedOn: 'gisteren' },
        { ...request, extra: 1 },
      ])
        expect((await rights('POST', '/erasure', body)).status).toBe(400);
      expect((await rights('POST', '/erasure', request, caseworker)).status).toBe(403);
      const stranger = await (
        await ctx.newPartner({ type: 'outreach-team' })
      ).token({ roles: ['coordinator'], sub: 'other' });
      expect((await rights('POST', '/erasure', request, stranger)).status).toBe(404);
      expect((await rights('GET', '/export', undefined, stranger)).status).toBe(404);

      await ctx.request({
        method: 'POST',
        url: `/v1/cases/${caseId}/transitions`,
        token: coordinator,
        purpose: 'care-coordination',
        body: { to: 'closed', endReason: 'client-stopped' },
      });
      const logBefore = await ctx.dataSource.query(`SELECT count(*)::int AS n FROM access_log`);
      const erased = await rights('POST', '/erasure', request);
      expect(erased.status).toBe(200);
      expect(erased.body).toMatchObject({ id: clientId, erased: { referrals: 1, cases: 1 } });
      expect((await rights('POST', '/erasure', request)).status).toBe(409);
      const after = await rights('GET', '/export');
      expect(after.body).toMatchObject({ erasedAt: expect.any(String), contact: null });
      expect(JSON.stringify(after.body)).not.toMatch(/Anna|Peeters|afval|Slaapt|addiction|\+3225550100/);
      const caseView = await ctx.request({
        url: `/v1/cases/${caseId}`,
        token: coordinator,
        purpose: 'care-coordination',
      });
      expect(caseView.text).not.toMatch(/Anna|Slaapt/);
      // The log keeps its (pseudonymised) entries and still verifies.
      const logAfter = await ctx.dataSource.query(`SELECT count(*)::int AS n FROM access_log`);
      expect(logAfter[0].n).toBeGreaterThan(logBefore[0].n);
      const [entry] = await ctx.dataSource.query(
        `SELECT reason, client_ref FROM access_log WHERE resource_type = 'ClientData' AND action = 'delete' AND decision = 'permit'`,
      );
      expect(entry.reason).toContain('2026-11-28');
      expect(entry.client_ref).toMatch(/^[0-9a-f]{64}$/);
      const privacy = await (await ctx.operator()).token({ roles: ['privacy-officer'], sub: 'dpo' });
      const verified = await ctx.request({ url: '/v1/access-log/verify', token: privacy, purpose: 'privacy-audit' });
      expect(verified.body.ok).toBe(true);
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
        `SELECT decision, user_sub FROM access_log WHERE resource_type = 'InformationRequest' AND action = 'read' ORDER BY id DESC LIMIT 1`,
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

  /**
   * Everything readable about a client and its cases, wherever a capability keeps it: the
   * sealed columns opened with the gateway's key, the plain ones as they are (the access log
   * excepted: it keeps its pseudonymised entries).
   */
  async function readableAbout(clientIds: string[]): Promise<string> {
    const { cipher } = ctx.app.get<Crypto>(CRYPTO);
    const rows = await ctx.dataSource.query(
      `WITH cases AS (SELECT id FROM care_case WHERE client_id = ANY ($1::uuid[])),
            refs AS (SELECT id FROM referral WHERE client_id = ANY ($1::uuid[]))
       SELECT to_jsonb(c) AS row FROM client c WHERE id = ANY ($1::uuid[])
       UNION ALL SELECT to_jsonb(r) FROM referral r WHERE id IN (SELECT id FROM refs)
       UNION ALL SELECT to_jsonb(k) FROM care_case k WHERE id IN (SELECT id FROM cases)
       UNION ALL SELECT to_jsonb(n) FROM case_note n WHERE case_id IN (SELECT id FROM cases)
       UNION ALL SELECT to_jsonb(t) FROM case_transition t WHERE case_id IN (SELECT id FROM cases)
       UNION ALL SELECT to_jsonb(g) FROM emergency_grant g WHERE case_id IN (SELECT id FROM cases)
       UNION ALL SELECT to_jsonb(i) FROM information_request i WHERE case_id IN (SELECT id FROM cases)
       UNION ALL SELECT to_jsonb(v) FROM review_item v WHERE client_id = ANY ($1::uuid[]) OR case_id IN (SELECT id FROM cases)
       UNION ALL SELECT to_jsonb(o) FROM consent o WHERE client_id = ANY ($1::uuid[])
       UNION ALL SELECT to_jsonb(p) FROM partner_notification p WHERE resource_id IN (SELECT id FROM refs)
       UNION ALL SELECT jsonb_build_object('jws', d.jws) FROM webhook_delivery d
                   JOIN partner_notification p ON p.id = d.notification_id WHERE p.resource_id IN (SELECT id FROM refs)`,
      [clientIds],
    );
    const texts: string[] = [];
    for (const { row } of rows as { row: Record<string, unknown> }[])
      for (const [column, value] of Object.entries(row)) {
        if (typeof value !== 'string') texts.push(JSON.stringify(value));
        else if (column.endsWith('_sealed')) texts.push(JSON.stringify(cipher.open(value)));
        else if (column === 'jws' && value) texts.push(Buffer.from(value.split('.')[1], 'base64url').toString('utf8'));
        else texts.push(value);
      }
    return texts.join('\n');
  }

  describe('item 14: erasure reaches every capability', () => {
    it('empties what the other capabilities wrote about the client and its cases, and a record merged into it', async () => {
      await ctx.dataSource.query(`UPDATE partner SET webhook_url = 'http://127.0.0.1:9/hook' WHERE id = $1`, [
        housing.id,
      ]);
      const created = await refer(referrer, { externalReference: 'DOSSIER-ZQX-1', description: 'Gang vol ZQX' });
      const accepted = await decide(created.body.id, { decision: 'accept' });
      const caseId = accepted.body.caseId as string;
      const clientId = (await read(created.body.id, coordinator)).body.clientId as string;
      // A second record of the same person, merged into the first.
      const twin = await refer(referrer, { tenant: { givenName: 'Zqxanna', familyName: 'Zqxpeeters' } });
      const twinId = (await read(twin.body.id, coordinator)).body.clientId as string;
      const merged = await ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/merges`,
        token: coordinator,
        purpose: 'care-coordination',
        body: { duplicateId: twinId },
      });
      expect(merged.status).toBe(201);
      const asCase = (method: 'POST', url: string, body: unknown, purpose: string, token = coordinator) =>
        ctx.request({ method, url: `/v1/cases/${caseId}${url}`, token, purpose, body });
      expect(
        (await asCase('POST', '/circle', { partnerId: gp.id, purposes: ['care-coordination'] }, 'care-coordination'))
          .status,
      ).toBe(201);
      // With the client's consent for the GP, the request waits for the coordinator, who denies it with a note.
      expect(
        (
          await ctx.request({
            method: 'POST',
            url: `/v1/clients/${clientId}/consents`,
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
          })
        ).status,
      ).toBe(201);
      const asked = await ctx.request({
        method: 'POST',
        url: '/v1/information-requests',
        token: doctor,
        purpose: 'care-coordination',
        body: {
          caseId,
          purpose: 'care-coordination',
          categories: ['health'],
          justification: 'Medicatie ZQX afstemmen',
        },
      });
      expect(asked.status).toBe(201);
      expect(asked.body.decision).toBe('pending');
      expect(
        (
          await ctx.request({
            method: 'POST',
            url: `/v1/information-requests/${asked.body.id}/deny`,
            token: coordinator,
            purpose: 'care-coordination',
            body: { note: 'Cliënte wil ZQX niet delen' },
          })
        ).status,
      ).toBe(200);
      const glass = await asCase(
        'POST',
        '/emergency-access',
        { justification: 'Cliënte ZQX dreigt zichzelf iets aan te doen' },
        'crisis',
        doctor,
      );
      expect(glass.status).toBe(201);
      const [glassItem] = await ctx.dataSource.query(
        `SELECT id FROM review_item WHERE kind = 'break-the-glass' AND subject_id = $1`,
        [glass.body.grantId],
      );
      const resolved = await ctx.request({
        method: 'POST',
        url: `/v1/reviews/${glassItem.id}/resolve`,
        token: await outreach.token({ roles: ['privacy-officer'], sub: 'dpo-outreach' }),
        purpose: 'privacy-audit',
        body: { verdict: 'justified', note: 'Terecht, ZQX was in crisis' },
      });
      expect(resolved.status).toBe(200);
      const report = await ctx.request({
        url: `/v1/clients/${clientId}/access-report`,
        token: coordinator,
        purpose: 'subject-access',
      });
      const contested = await ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/access-report/contests`,
        token: coordinator,
        purpose: 'subject-access',
        body: { entryId: report.body.accesses[0].entryId, note: 'Cliënte ZQX begrijpt dit niet' },
      });
      expect(contested.status).toBe(201);
      expect(await readableAbout([clientId, twinId])).toMatch(/ZQX.*/);

      await asCase('POST', '/transitions', { to: 'closed', endReason: 'client-stopped' }, 'care-coordination');
      const erased = await ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/erasure`,
        token: coordinator,
        purpose: 'data-subject-rights',
        body: { reason: 'Schriftelijk verzoek van de cliënt', requestReceivedOn: '2026-11-29' },
      });
      expect(erased.status).toBe(200);
      expect(erased.body.erased).toMatchObject({ informationRequests: 1, reviews: 2 });

      // Through HTTP: the requests queue, the review queue and the notifications show none of it.
      const requests = await ctx.request({
        url: `/v1/information-requests?caseId=${caseId}`,
        token: coordinator,
        purpose: 'care-coordination',
      });
      expect(requests.status).toBe(200);
      expect(requests.body.items).toHaveLength(1);
      expect(requests.text).not.toMatch(/ZQX/i);
      const officer = await (await ctx.operator()).token({ roles: ['privacy-officer'], sub: 'dpo' });
      const reviews = await ctx.request({ url: '/v1/reviews', token: officer, purpose: 'privacy-audit' });
      const mine = reviews.body.items.filter((i: { clientId: string }) => i.clientId === clientId);
      expect(mine.map((i: { kind: string }) => i.kind).sort()).toEqual(['break-the-glass', 'contested-access']);
      expect(mine.find((i: { kind: string }) => i.kind === 'break-the-glass')).toMatchObject({
        summary: { user: 'dr', erased: true },
        verdict: 'justified',
        note: null,
      });
      expect(JSON.stringify(mine)).not.toMatch(/ZQX/i);
      const told = await ctx.request({ url: '/v1/notifications', token: referrer, purpose: 'referral' });
      expect(told.text).not.toContain('DOSSIER-ZQX-1');
      // Through SQL, every column keyed to the client, its cases and referrals, sealed ones opened.
      const left = await readableAbout([clientId, twinId]);
      expect(left).not.toMatch(/ZQX|Anna|Peeters|\+3225550100|Els Janssens/i);
      const twinRow = await ctx.dataSource.query('SELECT erased_at FROM client WHERE id = $1', [twinId]);
      expect(twinRow[0].erased_at).not.toBeNull();
      // The log is untouched and still verifies.
      const verified = await ctx.request({ url: '/v1/access-log/verify', token: officer, purpose: 'privacy-audit' });
      expect(verified.body.ok).toBe(true);
    });
  });

  describe('item 15: retention enforced for client and case data', () => {
    it('erases, through its trigger and by the test clock, what is past retention, and only that', async () => {
      const clock = ctx.app.get(Clock);
      const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'], sub: 'ops' });
      const run = (token = admin) =>
        ctx.request({ method: 'POST', url: '/v1/retention/run', token, purpose: 'administration' });
      const closed = await acceptedCase();
      await ctx.request({
        method: 'POST',
        url: `/v1/cases/${closed.caseId}/transitions`,
        token: coordinator,
        purpose: 'care-coordination',
        body: { to: 'closed', endReason: 'mutual-agreement' },
      });
      const stillOpen = await acceptedCase();
      const declined = await refer();
      await decide(declined.body.id, { decision: 'decline', reasonCode: 'outside-area' });
      const declinedClient = (await read(declined.body.id, coordinator)).body.clientId as string;
      const exported = (clientId: string) =>
        ctx.request({ url: `/v1/clients/${clientId}/export`, token: coordinator, purpose: 'data-subject-rights' });
      try {
        clock.set(new Date());
        expect((await run()).body).toMatchObject({ ran: true, erased: 0 });
        // Six years on: the declined referral (P5Y) is past retention, the closed case (P10Y) not yet.
        clock.set(new Date(Date.now() + 6 * 365 * 86_400_000));
        expect((await run()).body).toMatchObject({ ran: true });
        expect((await exported(declinedClient)).body.erasedAt).toEqual(expect.any(String));
        expect((await exported(closed.clientId)).body.erasedAt).toBeNull();
        // Eleven years on: the closed case too; the open case never.
        clock.set(new Date(Date.now() + 11 * 365 * 86_400_000));
        expect((await run()).body.erased).toBeGreaterThanOrEqual(1);
        const gone = (await exported(closed.clientId)).body;
        expect(gone.erasedAt).toEqual(expect.any(String));
        expect(JSON.stringify(gone)).not.toMatch(/Anna|Peeters/);
        // The job erases as a request does: nothing readable left anywhere about those clients.
        expect(await readableAbout([closed.clientId, declinedClient])).not.toMatch(
          /Anna|Peeters|Verteld|Els Janssens|\+32/,
        );
        expect(await readableAbout([stillOpen.clientId])).toMatch(/Anna/);
        expect((await exported(stillOpen.clientId)).body).toMatchObject({
          erasedAt: null,
          identity: { givenName: 'Anna' },
        });

        // One replica at a time: while another holds the lock, a run does nothing.
        const holder = ctx.dataSource.createQueryRunner();
        await holder.connect();
        try {
          await holder.query("SELECT pg_advisory_lock(hashtext('schakel:client-retention'))");
          expect((await run()).body).toMatchObject({ ran: false, erased: 0 });
        } finally {
          await holder.query("SELECT pg_advisory_unlock(hashtext('schakel:client-retention'))");
          await holder.release();
        }
        // One entry per run (naming no client, no category, no ground) ...
        const runs = await ctx.dataSource.query(
          `SELECT reason, request_id, categories, ground, client_ref FROM access_log
            WHERE resource_type = 'ClientData' AND action = 'delete' AND user_sub = 'ops' AND resource_id IS NULL ORDER BY seq`,
        );
        expect(runs.length).toBe(4);
        expect(runs[3].reason).toContain('another replica');
        for (const run of runs) expect(run).toMatchObject({ categories: [], ground: null, client_ref: null });
        // ... and one per client erased, in the run's transaction: that client, its pseudonym and
        // holder, the retention rule's ground and categories.
        const perClient = await ctx.dataSource.query(
          `SELECT resource_id, client_ref, custodian_partner_id, reason, rule_id, ground, categories, fields, request_id, decision
             FROM access_log
            WHERE resource_type = 'ClientData' AND action = 'delete' AND user_sub = 'ops' AND resource_id IS NOT NULL ORDER BY seq`,
        );
        const keys = ctx.app.get<GatewayKeys>(GATEWAY_KEYS);
        for (const clientId of [declinedClient, closed.clientId]) {
          const entry = perClient.find((e: { resource_id: string }) => e.resource_id === clientId);
          expect(entry).toMatchObject({
            client_ref: keys.pseudonym(clientId),
            custodian_partner_id: outreach.id,
            decision: 'permit',
            rule_id: 'operator-runs-retention',
            fields: ['erased'],
          });
          expect(entry.reason).toMatch(/^client data erased: retention/);
          expect(entry.ground).toEqual(expect.stringContaining('5(1)(e)'));
          expect(entry.categories).toEqual(expect.arrayContaining(['identity', 'health']));
          expect(runs.map((r: { request_id: string }) => r.request_id)).toContain(entry.request_id);
        }
        expect(perClient.map((e: { resource_id: string }) => e.resource_id)).not.toContain(stillOpen.clientId);
        expect(new Set(perClient.map((e: { resource_id: string }) => e.resource_id)).size).toBe(perClient.length);
        // Only the operator's administrators run it.
        expect((await run(coordinator)).status).toBe(403);
      } finally {
        clock.set(null);
      }
    });
  });

  describe('item 16: a processing register that can be signed', () => {
    it('names controller and DPO per partner, security measures, transfers, art. 9 grounds, in the language asked', async () => {
      const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'], sub: 'ops' });
      const registered = await ctx.request({
        method: 'PATCH',
        url: `/v1/partners/${housing.id}`,
        token: admin,
        purpose: 'administration',
        body: {
          privacyContact: {
            controller: { name: 'Woonhaven cv', address: 'Kerkstraat 1, 1050 Elsene', email: 'info@woonhaven.example' },
            dpo: { name: 'An De Wilde', email: 'dpo@woonhaven.example' },
          },
        },
      });
      expect(registered.status).toBe(200);
      expect(registered.body.privacyContact.dpo.email).toBe('dpo@woonhaven.example');
      const badContact = await ctx.request({
        method: 'PATCH',
        url: `/v1/partners/${housing.id}`,
        token: admin,
        purpose: 'administration',
        body: { privacyContact: { controller: { name: 'X' }, dpo: { email: 'not-an-email' } } },
      });
      expect(badContact.status).toBe(400);

      const officer = await (await ctx.operator()).token({ roles: ['privacy-officer'], sub: 'dpo' });
      const register = (query: string, accept = 'application/json') =>
        ctx.request({
          url: `/v1/processing-register${query}`,
          token: officer,
          purpose: 'privacy-audit',
          headers: { accept },
        });
      const fr = await register('?lang=fr');
      expect(fr.status).toBe(200);
      expect(fr.body.titles.title).toBe('Registre des activités de traitement (RGPD art. 30)');
      expect(fr.body.controllers).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            partnerId: housing.id,
            controller: expect.objectContaining({ name: 'Woonhaven cv' }),
            dpo: expect.objectContaining({ email: 'dpo@woonhaven.example' }),
          }),
          expect.objectContaining({ partnerId: outreach.id, controller: null, dpo: null }),
        ]),
      );
      expect(fr.body.transfers).toContain('Aucun transfert');
      expect(fr.body.securityMeasures.length).toBeGreaterThan(0);
      const duo = fr.body.activities.find((a: { purpose: string }) => a.purpose === 'duo-follow-up');
      expect(duo.specialCategoryGrounds).toEqual([{ category: 'safety', article9: ['9(2)(a)'] }]);
      expect(duo.grounds).toEqual(
        expect.arrayContaining([{ article: 'RGPD art. 9(2)(a)', ground: 'consentement explicite' }]),
      );
      // Every special category in the record has an art. 9 ground.
      for (const activity of fr.body.activities)
        for (const special of activity.specialCategoryGrounds)
          expect({ purpose: activity.purpose, ...special }).toEqual({
            purpose: activity.purpose,
            category: special.category,
            article9: expect.arrayContaining([expect.stringMatching(/^9\(2\)/)]),
          });
      const nl = await register('?lang=nl', 'text/markdown');
      expect(nl.text).toContain('# Register van verwerkingsactiviteiten (AVG art. 30)');
      expect(nl.text).toContain('Woonhaven cv');
      expect(nl.text).toContain('Doorgifte naar derde landen');
      expect(nl.text).toContain('safety (art. 9(2)(a))');
      expect((await register('?lang=de')).status).toBe(400);
    });
  });
});
