import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChainService } from '../src/access-log/chain.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * The whole care path of shared/domain.md through the gateway: referral, acceptance, consent,
 * information requests, withdrawal, break-the-glass, review, closing with a warm handover; the
 * housing company sees only status throughout, every step is logged, every disclosure has its
 * manifest, and the chain verifies. Then the rest of issue 13's path: a redirected referral (where
 * to and why, as a reason code), a self-referral the team registers, a handover to the GP who runs
 * and closes the case, and the client's export and erasure.
 */
describe('the whole care path', () => {
  let ctx: TestContext;
  let housing: TestPartner;
  let outreach: TestPartner;
  let caw: TestPartner;
  let gp: TestPartner;
  let operator: TestPartner;

  beforeAll(async () => {
    ctx = await createTestContext();
    housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    caw = await ctx.newPartner({ type: 'caw' });
    gp = await ctx.newPartner({ type: 'general-practitioner' });
    operator = await ctx.operator({ id: 'gateway-operator' });
    const admin = await operator.token({ roles: ['gateway-admin'] });
    const agree = (partnerIds: string[], purposes: string[]) =>
      ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: admin,
        purpose: 'administration',
        body: { title: 'Samenwerking', partnerIds, purposes, validFrom: '2026-01-01' },
      });
    await agree([housing.id, outreach.id], ['referral']);
    await agree([caw.id, outreach.id], ['duo-follow-up']);
    await agree([gp.id, outreach.id], ['care-coordination', 'warm-handover']);
  });
  afterAll(async () => ctx?.close());

  it('keeps every promise along the way', async () => {
    const referrer = await housing.token({ roles: ['referrer'], sub: 'els' });
    const coordinator = await outreach.token({
      roles: ['coordinator', 'caseworker'],
      sub: 'coord',
      profession: 'psychiatric-nurse',
    });
    const pwb = await caw.token({ roles: ['caseworker'], sub: 'pwb', profession: 'social-worker' });
    const officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    const call = (token: string, purpose: string, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) =>
      ctx.request({ method, url, token, purpose, body });
    const housingSees: Record<string, unknown>[] = [];

    // 1. The housing company refers.
    const referral = await call(referrer, 'referral', 'POST', '/v1/referrals', {
      targetPartnerId: outreach.id,
      tenant: { givenName: 'Anna', familyName: 'Peeters', phone: '+3225550100' },
      signals: ['hoarding', 'rent-arrears', 'withdrawal'],
      description: 'Huurachterstal en verzamelwoede, opent de deur niet.',
      evictionStage: 'considered',
      tenantInformed: 'yes',
      contact: { name: 'Els Janssens' },
    });
    expect(referral.status).toBe(201);
    const poll = async () =>
      housingSees.push((await call(referrer, 'referral', 'GET', `/v1/referrals/${referral.body.id}`)).body);
    await poll();

    // 2. The team accepts and records the client's consent for the CAW (housing and social, duo follow-up).
    const accepted = await call(coordinator, 'referral', 'POST', `/v1/referrals/${referral.body.id}/decision`, {
      decision: 'accept',
    });
    const caseId = accepted.body.caseId as string;
    const clientId = (await call(coordinator, 'referral', 'GET', `/v1/referrals/${referral.body.id}`)).body
      .clientId as string;
    await poll();
    await call(coordinator, 'outreach-contact', 'POST', `/v1/cases/${caseId}/contact-attempts`, {
      at: new Date().toISOString(),
      channel: 'home-visit',
      outcome: 'contact',
    });
    await poll();
    await call(coordinator, 'care-coordination', 'POST', `/v1/cases/${caseId}/circle`, {
      partnerId: caw.id,
      purposes: ['duo-follow-up'],
    });
    const consent = await call(coordinator, 'care-coordination', 'POST', `/v1/clients/${clientId}/consents`, {
      purposes: ['duo-follow-up'],
      recipients: [{ partnerId: caw.id }],
      categories: ['housing', 'social'],
      effect: 'permit',
      givenBy: { kind: 'client' },
      method: 'verbal',
      validFrom: '2026-01-01',
    });
    expect(consent.status).toBe(201);

    // 3. The CAW asks for housing and social data: permitted, and the disclosure holds only those fields.
    const ask = (categories: string[]) =>
      call(pwb, 'duo-follow-up', 'POST', '/v1/information-requests', {
        caseId,
        purpose: 'duo-follow-up',
        categories,
        justification: 'Gezamenlijk huisbezoek over de huurachterstal',
      });
    const housingRequest = await ask(['housing', 'social']);
    expect(housingRequest.body).toMatchObject({ decision: 'permit', categories: ['housing', 'social'] });
    const disclosure = await call(
      pwb,
      'duo-follow-up',
      'GET',
      `/v1/information-requests/${housingRequest.body.id}/disclosure`,
    );
    expect(Object.keys(disclosure.body.data).sort()).toEqual(['evictionStage', 'signals']);
    expect(disclosure.text).not.toContain('Anna');

    // 4. The CAW asks for health data: denied, with the reason.
    const healthRequest = await ask(['health']);
    expect(healthRequest.body.decision).toBe('deny');
    expect(healthRequest.body.reason).toMatch(/^Refused/);

    // 5. The client withdraws consent: the CAW's next request is denied, and the CAW has a notification.
    await call(coordinator, 'care-coordination', 'POST', `/v1/consents/${consent.body.id}/withdraw`);
    expect((await ask(['housing'])).body.decision).toBe('deny');
    const notifications = await call(pwb, 'duo-follow-up', 'GET', '/v1/notifications');
    expect(notifications.body.items).toEqual([
      expect.objectContaining({ kind: 'consent-withdrawn', consentId: consent.body.id }),
    ]);

    // 6. A team member breaks the glass in a crisis; a review item appears and the privacy officer resolves it.
    const nightShift = await outreach.token({
      roles: ['caseworker'],
      sub: 'night-nurse',
      profession: 'psychiatric-nurse',
    });
    const grant = await call(nightShift, 'crisis', 'POST', `/v1/cases/${caseId}/emergency-access`, {
      justification: 'Buren melden rookgeur en geroep, cliënte in crisis.',
    });
    expect(grant.status).toBe(201);
    expect((await call(nightShift, 'crisis', 'GET', `/v1/cases/${caseId}`)).status).toBe(200);
    const queue = await call(officer, 'privacy-audit', 'GET', '/v1/reviews?status=open');
    expect(queue.body.items).toHaveLength(1);
    expect(
      (
        await call(officer, 'privacy-audit', 'POST', `/v1/reviews/${queue.body.items[0].id}/resolve`, {
          verdict: 'justified',
          note: 'Acute crisis, terecht gebruikt.',
        })
      ).body.status,
    ).toBe('resolved');

    // 7. The case closes with a warm handover to the GP.
    await call(coordinator, 'care-coordination', 'POST', `/v1/cases/${caseId}/circle`, {
      partnerId: gp.id,
      purposes: ['care-coordination', 'warm-handover'],
    });
    await call(coordinator, 'care-coordination', 'POST', `/v1/clients/${clientId}/consents`, {
      purposes: ['warm-handover', 'care-coordination'],
      recipients: [{ partnerId: gp.id }],
      categories: ['identity', 'care-plan', 'health'],
      effect: 'permit',
      givenBy: { kind: 'client' },
      method: 'written',
      validFrom: '2026-01-01',
    });
    for (const to of ['outreach', 'intake', 'active'])
      await call(coordinator, 'care-coordination', 'POST', `/v1/cases/${caseId}/transitions`, { to });
    expect(
      (
        await call(coordinator, 'care-coordination', 'POST', `/v1/cases/${caseId}/transitions`, {
          to: 'closed',
          endReason: 'mutual-agreement',
        })
      ).status,
    ).toBe(200);
    const handover = await call(coordinator, 'warm-handover', 'POST', `/v1/cases/${caseId}/handover`, {
      toPartnerId: gp.id,
    });
    expect(handover.body).toMatchObject({ from: outreach.id, to: gp.id });
    await poll();

    // The housing company saw only status, throughout.
    for (const seen of housingSees) {
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
      expect(JSON.stringify(seen)).not.toMatch(/Anna|Peeters|hoarding|verzamelwoede|rookgeur/);
    }
    expect(housingSees.map((s) => s.contactEstablished)).toEqual([false, false, true, true]);

    // Every step is in the access log, every disclosure has its manifest, and the chain verifies.
    const steps = (await ctx.dataSource.query(
      `SELECT resource_type, action, decision, override, fields, disclosure_sha256 FROM access_log ORDER BY seq`,
    )) as {
      resource_type: string;
      action: string;
      decision: string;
      override: boolean;
      fields: string[];
      disclosure_sha256: string | null;
    }[];
    const kinds = new Set(steps.map((s) => `${s.resource_type}:${s.action}:${s.decision}`));
    for (const expected of [
      'Referral:create:permit',
      'Referral:decide:permit',
      'Consent:create:permit',
      'InformationRequest:create:permit',
      'InformationRequest:create:deny',
      'Disclosure:read:permit',
      'Consent:update:permit',
      'EmergencyAccess:create:permit',
      'Review:update:permit',
      'Case:update:permit',
    ]) {
      expect(kinds).toContain(expected);
    }
    for (const disclosureEntry of steps.filter((s) => s.resource_type === 'Disclosure' && s.decision === 'permit')) {
      expect(disclosureEntry.fields).toEqual(['evictionStage', 'signals']);
      expect(disclosureEntry.disclosure_sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(steps.some((s) => s.override)).toBe(true);
    const report = await ctx.app.get(ChainService).verify();
    expect(report.ok).toBe(true);
    expect(report.entries).toBe(steps.length);

    // The client's access report reads correctly in all three languages (the network's privacy
    // officer answers the request): who, in what role, which data, why, on which consent; the
    // emergency access marked with its justification; users pseudonymised, no names anywhere.
    const accessReport = async (lang: string) =>
      (await call(officer, 'subject-access', 'GET', `/v1/clients/${clientId}/access-report?lang=${lang}`)) as {
        status: number;
        text: string;
        body: {
          accesses: { partnerId: string; action: string; override: boolean; sentence: string }[];
          refusals: { count: number; summary: string };
        };
      };
    const expected = {
      nl: {
        caw: /^\d{1,2} \p{L}+ \d{4}: Partner \S+ \(hulpverlener, medewerker [0-9a-f]{8}\) raadpleegde uw woonsituatie met als doel: duobegeleiding met de preventieve woonbegeleiding van het CAW \(woon- en sociale problemen\), met uw toestemming van 1 januari 2026 \(rechtsgrond: AVG art\. 6\(1\)\(a\): uw toestemming\)\.$/u,
        override: 'NOODTOEGANG (achteraf gecontroleerd) — reden: “Buren melden rookgeur en geroep, cliënte in crisis.”',
        refused: 'geweigerd',
      },
      fr: {
        caw: /^\d{1,2} \p{L}+ \d{4}: Partner \S+ \(intervenant, collaborateur [0-9a-f]{8}\) a consulté votre situation de logement dans le but : accompagnement en duo avec l'accompagnement préventif au logement du CAW \(problèmes de logement et sociaux\), avec votre consentement du 1 janvier 2026 \(base légale: RGPD art\. 6\(1\)\(a\): votre consentement\)\.$/u,
        override:
          "ACCÈS D'URGENCE (contrôlé a posteriori) — motif: “Buren melden rookgeur en geroep, cliënte in crisis.”",
        refused: 'refusée',
      },
      en: {
        caw: /^\d{1,2} \p{L}+ \d{4}: Partner \S+ \(caseworker, employee [0-9a-f]{8}\) read your housing situation for this purpose: joint follow-up with the CAW's preventive housing support \(housing and social problems\), with your consent of 1 January 2026 \(legal basis: GDPR art\. 6\(1\)\(a\): your consent\)\.$/u,
        override:
          'EMERGENCY ACCESS (reviewed afterwards) — justification: “Buren melden rookgeur en geroep, cliënte in crisis.”',
        refused: 'refused',
      },
    };
    for (const lang of ['nl', 'fr', 'en'] as const) {
      const answer = await accessReport(lang);
      expect(answer.status).toBe(200);
      const cawReads = answer.body.accesses.filter((a) => a.partnerId === caw.id && a.action === 'read' && !a.override);
      expect(cawReads.length).toBeGreaterThan(0);
      for (const read of cawReads)
        expect({ lang, sentence: read.sentence }).toEqual({
          lang,
          sentence: expect.stringMatching(expected[lang].caw),
        });
      const overrides = answer.body.accesses.filter((a) => a.override && a.action === 'read');
      expect(overrides.length).toBeGreaterThan(0);
      for (const read of overrides) expect(read.sentence).toContain(expected[lang].override);
      expect(answer.body.refusals.count).toBeGreaterThan(0);
      expect(answer.body.refusals.summary).toContain(expected[lang].refused);
      expect(answer.text).not.toMatch(/Anna|Peeters|night-nurse|"pwb"|"coord"/);
    }
  });

  it('carries the rest of the path: a redirect, a self-referral, a handover to the GP who closes, an erasure', async () => {
    const referrer = await housing.token({ roles: ['referrer'], sub: 'els' });
    const coordinator = await outreach.token({
      roles: ['coordinator', 'caseworker'],
      sub: 'coord',
      profession: 'psychiatric-nurse',
    });
    const doctor = await gp.token({
      roles: ['caseworker', 'coordinator'],
      sub: 'dr',
      profession: 'general-practitioner',
    });
    const call = (token: string, purpose: string, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) =>
      ctx.request({ method, url, token, purpose, body });
    const tenant = { givenName: 'Youssef', familyName: 'El Amrani', phone: '+3225550199' };

    // A redirected referral: the housing company hears where to, and why, in its language.
    const redirected = await call(referrer, 'referral', 'POST', '/v1/referrals', {
      targetPartnerId: outreach.id,
      tenant,
      signals: ['rent-arrears'],
      evictionStage: 'started',
      tenantInformed: 'yes',
      externalReference: 'WH-2026-1001',
      contact: { name: 'Els Janssens' },
    });
    expect(redirected.status).toBe(201);
    expect(
      (
        await call(coordinator, 'referral', 'POST', `/v1/referrals/${redirected.body.id}/decision`, {
          decision: 'redirect',
          redirectToPartnerId: caw.id,
          reasonCode: 'better-placed-service',
        })
      ).status,
    ).toBe(200);
    const heard = await call(referrer, 'referral', 'GET', `/v1/referrals/${redirected.body.id}`);
    expect(heard.body).toMatchObject({
      status: 'redirected',
      externalReference: 'WH-2026-1001',
      redirectedTo: { partnerId: caw.id },
      reasonCode: 'better-placed-service',
      reasonLabel: { nl: 'een andere dienst is beter geplaatst', fr: expect.any(String), en: expect.any(String) },
    });
    expect(heard.text).not.toMatch(/Youssef|Amrani/);

    // A self-referral: the tenant walked in; the team registers it on their behalf and accepts it.
    const self = await call(coordinator, 'referral', 'POST', '/v1/referrals', {
      targetPartnerId: outreach.id,
      referrerKind: 'self',
      tenant,
      signals: ['withdrawal', 'psychological-problems'],
      evictionStage: 'none',
      tenantInformed: 'yes',
    });
    expect(self.status).toBe(201);
    const accepted = await call(coordinator, 'referral', 'POST', `/v1/referrals/${self.body.id}/decision`, {
      decision: 'accept',
    });
    const caseId = accepted.body.caseId as string;
    const clientId = (await call(coordinator, 'referral', 'GET', `/v1/referrals/${self.body.id}`)).body
      .clientId as string;
    const caseView = await call(coordinator, 'care-coordination', 'GET', `/v1/cases/${caseId}`);
    expect(caseView.body).toMatchObject({ referrerKind: 'self', healthSignals: ['psychological-problems'] });

    // A handover to the GP, who then runs and closes the case.
    expect(
      (
        await call(coordinator, 'care-coordination', 'POST', `/v1/cases/${caseId}/circle`, {
          partnerId: gp.id,
          purposes: ['care-coordination'],
          profession: 'general-practitioner',
        })
      ).status,
    ).toBe(201);
    await call(coordinator, 'care-coordination', 'POST', `/v1/clients/${clientId}/consents`, {
      purposes: ['warm-handover'],
      recipients: [{ partnerId: gp.id }],
      categories: ['identity', 'health'],
      effect: 'permit',
      givenBy: { kind: 'client' },
      method: 'verbal',
      validFrom: '2026-01-01',
    });
    const handover = await call(coordinator, 'warm-handover', 'POST', `/v1/cases/${caseId}/handover`, {
      toPartnerId: gp.id,
    });
    expect(handover.status).toBe(200);
    for (const to of ['outreach', 'intake', 'active', 'closed'])
      expect(
        (
          await call(doctor, 'care-coordination', 'POST', `/v1/cases/${caseId}/transitions`, {
            to,
            ...(to === 'closed' ? { endReason: 'mutual-agreement' } : {}),
          })
        ).status,
      ).toBe(200);
    expect((await call(doctor, 'care-coordination', 'GET', `/v1/cases/${caseId}`)).body.status).toBe('closed');

    // The client asks for their data, then for its erasure; the GP now holds the client and answers.
    const copy = await call(doctor, 'data-subject-rights', 'GET', `/v1/clients/${clientId}/export`);
    expect(copy.status).toBe(200);
    expect(copy.body.identity).toMatchObject({ givenName: 'Youssef' });
    const erased = await call(doctor, 'data-subject-rights', 'POST', `/v1/clients/${clientId}/erasure`, {
      reason: 'De cliënt vroeg schriftelijk om wissing na afsluiting',
      requestReceivedOn: '2026-11-30',
    });
    expect(erased.status).toBe(200);
    const after = await call(doctor, 'data-subject-rights', 'GET', `/v1/clients/${clientId}/export`);
    expect(JSON.stringify(after.body)).not.toMatch(/Youssef|Amrani|psychological/);

    const kinds = new Set(
      (
        (await ctx.dataSource.query(
          `SELECT resource_type, action, decision FROM access_log WHERE user_sub IN ('coord', 'dr', 'els')`,
        )) as { resource_type: string; action: string; decision: string }[]
      ).map((s) => `${s.resource_type}:${s.action}:${s.decision}`),
    );
    for (const expected of [
      'Referral:decide:permit',
      'Case:update:permit',
      'ClientData:export:permit',
      'ClientData:delete:permit',
    ])
      expect(kinds).toContain(expected);
    expect((await ctx.app.get(ChainService).verify()).ok).toBe(true);
  });
});
