import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

const JUSTIFICATION = 'Buren melden brand in de woning <script>alert(1)</script> & crisisplan nodig';

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
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'coord-secret-sub' });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Yasmina' },
        signals: ['rent-arrears'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    const caseId = (
      await ctx.request({
        method: 'POST',
        url: `/v1/referrals/${referral.body.id}/decision`,
        token: team,
        purpose: 'referral',
        body: { decision: 'accept' },
      })
    ).body.caseId;
    clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: team, purpose: 'referral' })).body
      .clientId;
    await ctx.request({
      method: 'POST',
      url: `/v1/cases/${caseId}/circle`,
      token: team,
      purpose: 'care-coordination',
      body: { partnerId: caw.id, purposes: ['duo-follow-up'] },
    });
    await ctx.request({
      method: 'POST',
      url: `/v1/clients/${clientId}/consents`,
      token: team,
      purpose: 'care-coordination',
      body: {
        purposes: ['duo-follow-up'],
        recipients: [{ partnerId: caw.id }],
        categories: ['identity'],
        effect: 'permit',
        givenBy: { kind: 'client' },
        method: 'verbal',
        validFrom: '2026-02-12',
      },
    });
    await ctx.request({
      url: `/v1/cases/${caseId}`,
      token: await caw.token({ roles: ['caseworker'], sub: 'pwb-sub' }),
      purpose: 'duo-follow-up',
    });
    await ctx.request({
      url: `/v1/cases/${caseId}`,
      token: await (await ctx.newPartner({ type: 'caw' })).token({ roles: ['caseworker'] }),
      purpose: 'duo-follow-up',
    });
    // A night-time crisis: the CAW worker breaks the glass; the justification goes to the client too.
    const nightWorker = await caw.token({ roles: ['caseworker'], sub: 'pwb-night-sub' });
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/cases/${caseId}/emergency-access`,
          token: nightWorker,
          purpose: 'crisis',
          body: { justification: JUSTIFICATION },
        })
      ).status,
    ).toBe(201);
    expect((await ctx.request({ url: `/v1/cases/${caseId}`, token: nightWorker, purpose: 'crisis' })).status).toBe(200);
  });
  afterAll(async () => ctx?.close());

  const report = (lang: string, headers: Record<string, string> = {}) =>
    ctx.request({
      url: `/v1/clients/${clientId}/access-report?lang=${lang}`,
      token: team,
      purpose: 'subject-access',
      headers,
    });

  it('says who read which data, for what purpose and on which consent, in Dutch, French and English, without naming users', async () => {
    const nl = await report('nl');
    expect(nl.status).toBe(200);
    const cawAccess = nl.body.accesses.find(
      (a: { partnerId: string; action: string }) => a.partnerId === caw.id && a.action === 'read',
    );
    expect(cawAccess).toMatchObject({
      categories: expect.arrayContaining(['identity']),
      purpose: 'duo-follow-up',
      consentGivenOn: '2026-02-12',
    });
    expect(cawAccess.sentence).toContain('raadpleegde');
    expect(cawAccess.sentence).toContain('met uw toestemming van 12 februari 2026');
    expect(nl.body.refusals.count).toBeGreaterThanOrEqual(1);
    expect(nl.text).not.toContain('pwb-sub');
    expect(nl.text).not.toContain('coord-secret-sub');
    const fr = await report('fr');
    expect(
      fr.body.accesses.find((a: { partnerId: string; action: string }) => a.partnerId === caw.id && a.action === 'read')
        .sentence,
    ).toContain('avec votre consentement du 12 février 2026');
    const en = await report('en');
    expect(en.body.title).toBe('Who looked at your data, and why');
  });

  it('marks overrides with the justification of the emergency grant, in Dutch, French and English', async () => {
    const expected: Record<string, string> = {
      nl: 'NOODTOEGANG (achteraf gecontroleerd) — reden: “',
      fr: "ACCÈS D'URGENCE (contrôlé a posteriori) — motif: “",
      en: 'EMERGENCY ACCESS (reviewed afterwards) — justification: “',
    };
    for (const lang of ['nl', 'fr', 'en']) {
      const overrides = (await report(lang)).body.accesses.filter((a: { override: boolean }) => a.override);
      // The grant itself and the crisis read made under it.
      expect(overrides.map((a: { action: string }) => a.action)).toEqual(['create', 'read']);
      for (const access of overrides) {
        expect(access.justification).toBe(JUSTIFICATION);
        expect(access.sentence).toContain(`${expected[lang]}${JUSTIFICATION}”`);
      }
    }
    const ordinary = (await report('en')).body.accesses.find((a: { override: boolean }) => !a.override);
    expect(ordinary.justification).toBeNull();
  });

  it('shows each user as a stable pseudonym, never the user id, by default', async () => {
    const first = await report('nl');
    const second = await report('en');
    const pseudonymOf = (body: { accesses: { user: string; action: string; override: boolean }[] }) =>
      body.accesses.find((a) => a.override && a.action === 'read')!.user;
    expect(pseudonymOf(first.body)).toMatch(/^medewerker [0-9a-f]{8}$/);
    expect(pseudonymOf(second.body)).toBe(pseudonymOf(first.body).replace('medewerker', 'employee'));
    const users = new Set(first.body.accesses.map((a: { user: string }) => a.user));
    expect(users.size).toBeGreaterThanOrEqual(3);
    expect(first.body.accesses[0].sentence).toContain(first.body.accesses[0].user);
    for (const sub of ['pwb-night-sub', 'pwb-sub', 'coord-secret-sub']) expect(first.text).not.toContain(sub);
  });

  it('prints as an HTML page, with the justification escaped', async () => {
    const page = await report('fr', { accept: 'text/html' });
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; crisisplan');
    expect(page.text).not.toContain('<script>');
    expect(page.text).toContain('class="override"');
  });

  it('prints as an HTML page', async () => {
    const html = await report('en', { accept: 'text/html' });
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.text).toContain('<h1>Who looked at your data, and why</h1>');
    expect(html.text).toContain('<li');
  });

  it('turns a contested access into a review item for the privacy officer', async () => {
    const entryId = (await report('nl')).body.accesses.find(
      (a: { partnerId: string }) => a.partnerId === caw.id,
    ).entryId;
    const contest = await ctx.request({
      method: 'POST',
      url: `/v1/clients/${clientId}/access-report/contests`,
      token: team,
      purpose: 'subject-access',
      body: { entryId, note: 'Cliënte begrijpt niet waarom het CAW dit zag.' },
    });
    expect(contest.status).toBe(201);
    const officer = await operator.token({ roles: ['privacy-officer'] });
    const queue = await ctx.request({ url: '/v1/reviews?status=open', token: officer, purpose: 'privacy-audit' });
    expect(queue.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'contested-access',
          actorPartnerId: caw.id,
          override: false,
          entryIds: [entryId],
        }),
      ]),
    );
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/clients/${clientId}/access-report/contests`,
          token: team,
          purpose: 'subject-access',
          body: { entryId: '00000000-0000-4000-8000-000000000000', note: 'Onbekend' },
        })
      ).status,
    ).toBe(400);
  });

  it('refuses other organisations (404) and bad languages (400)', async () => {
    expect((await report('de')).status).toBe(400);
    const cawToken = await caw.token({ roles: ['caseworker'] });
    expect(
      (await ctx.request({ url: `/v1/clients/${clientId}/access-report`, token: cawToken, purpose: 'subject-access' }))
        .status,
    ).toBe(403);
    const otherTeam = await (await ctx.newPartner({ type: 'outreach-team' })).token({ roles: ['caseworker'] });
    expect(
      (await ctx.request({ url: `/v1/clients/${clientId}/access-report`, token: otherTeam, purpose: 'subject-access' }))
        .status,
    ).toBe(404);
  });
});

/** The network's switches: users named, refusals left out. */
describe('client access report under other network switches', () => {
  let ctx: TestContext;
  let dir: string;
  let team: string;
  let clientId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'policy-report-'));
    cpSync(join(process.cwd(), 'policies'), dir, { recursive: true });
    const network = readFileSync(join(dir, 'network.yaml'), 'utf8')
      .replace('accessReportNamesUsers: false', 'accessReportNamesUsers: true')
      .replace('accessReportRefusals: summarise', 'accessReportRefusals: omit');
    writeFileSync(join(dir, 'network.yaml'), network);
    ctx = await createTestContext({ POLICIES_DIR: dir });
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const outreach = await ctx.newPartner({ type: 'outreach-team' });
    const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'] });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
    });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'named-coordinator' });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Ines' },
        signals: ['hoarding'],
        evictionStage: 'considered',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    const caseId = (
      await ctx.request({
        method: 'POST',
        url: `/v1/referrals/${referral.body.id}/decision`,
        token: team,
        purpose: 'referral',
        body: { decision: 'accept' },
      })
    ).body.caseId;
    clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: team, purpose: 'referral' })).body
      .clientId;
    await ctx.request({ url: `/v1/cases/${caseId}`, token: team, purpose: 'care-coordination' });
    // A refused attempt by another team.
    expect(
      (
        await ctx.request({
          url: `/v1/cases/${caseId}`,
          token: await (await ctx.newPartner({ type: 'caw' })).token({ roles: ['caseworker'] }),
          purpose: 'duo-follow-up',
        })
      ).status,
    ).toBe(404);
  });
  afterAll(async () => {
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the user and leaves refusals out, in every language and in HTML', async () => {
    for (const lang of ['nl', 'fr', 'en']) {
      const response = await ctx.request({
        url: `/v1/clients/${clientId}/access-report?lang=${lang}`,
        token: team,
        purpose: 'subject-access',
      });
      expect(response.status).toBe(200);
      const read = response.body.accesses.find(
        (a: { action: string; user: string }) => a.action === 'read' && a.user === 'named-coordinator',
      );
      expect(read.sentence).toContain('named-coordinator');
      expect(response.body).not.toHaveProperty('refusals');
    }
    const [{ n }] = await ctx.dataSource.query(
      "SELECT count(*)::int AS n FROM access_log WHERE decision = 'deny' AND resource_type = 'Case'",
    );
    expect(n).toBe(1);
    const page = await ctx.request({
      url: `/v1/clients/${clientId}/access-report?lang=nl`,
      token: team,
      purpose: 'subject-access',
      headers: { accept: 'text/html' },
    });
    expect(page.text).toContain('named-coordinator');
    expect(page.text).not.toContain('geweigerd');
  });
});
