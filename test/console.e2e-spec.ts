import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * The web console in a real browser (headless Chromium driven by playwright-core): a privacy
 * officer finds a client's accesses, opens an entry and resolves a break-the-glass review; a
 * housing company refers a tenant through the guided form and follows its status.
 */
const ARTIFACTS = 'test/artifacts';
// Free text that reaches the console; it must show as text and never run.
const INJECTION = 'Acute crisis <img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

describe('web console', () => {
  let ctx: TestContext;
  let browser: Browser;
  let housing: TestPartner;
  let outreach: TestPartner;
  let officerToken: string;
  let teamToken: string;
  let clientId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ctx = await createTestContext();
    const operator = await ctx.operator({ id: 'gateway-operator' });
    housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    const caw = await ctx.newPartner({ type: 'caw' });
    const admin = await operator.token({ roles: ['gateway-admin'] });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: {
        title: 'Aanmeldingen',
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
      body: { title: 'Duo', partnerIds: [caw.id, outreach.id], purposes: ['duo-follow-up'], validFrom: '2026-01-01' },
    });
    teamToken = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'coord' });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Sofie' },
        signals: ['withdrawal'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    const caseId = (
      await ctx.request({
        method: 'POST',
        url: `/v1/referrals/${referral.body.id}/decision`,
        token: teamToken,
        purpose: 'referral',
        body: { decision: 'accept' },
      })
    ).body.caseId;
    clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: teamToken, purpose: 'referral' }))
      .body.clientId;
    await ctx.request({
      method: 'POST',
      url: `/v1/cases/${caseId}/circle`,
      token: teamToken,
      purpose: 'care-coordination',
      body: { partnerId: caw.id, purposes: ['duo-follow-up'] },
    });
    // The team's own night shift breaks the glass: the network operator's officer judges it.
    const cawNight = await outreach.token({ roles: ['caseworker'], sub: 'pwb-night' });
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/cases/${caseId}/emergency-access`,
          token: cawNight,
          purpose: 'crisis',
          body: { justification: INJECTION },
        })
      ).status,
    ).toBe(201);
    expect((await ctx.request({ url: `/v1/cases/${caseId}`, token: cawNight, purpose: 'crisis' })).status).toBe(200);
    officerToken = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  /** Opens the console in a fresh browser context (no shared storage) and signs in with the keyboard. */
  async function signIn(token: string, lang: 'nl' | 'fr' | 'en'): Promise<Page> {
    const page = await (await browser.newContext({ locale: 'nl-BE' })).newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(`${ctx.baseUrl}/console`);
    await page.selectOption('#lang', lang);
    await page.locator('#token').focus();
    await page.keyboard.insertText(token);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('nav.tabs');
    return page;
  }

  /** Every visible form control has a label a screen reader can announce. */
  // Runs in the page (a string: the test build has no DOM types).
  const unlabelled = (page: Page): Promise<string[]> =>
    page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.type !== 'hidden' && !el.labels?.length && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 80))`);

  it("lets a privacy officer find a client's accesses, open an entry with its manifest and rule, and check the chain", async () => {
    const page = await signIn(officerToken, 'en');
    expect(await page.textContent('#who')).toContain('dpo');
    await page.fill('input[name="client"]', clientId);
    await page.click('form[role="search"] button[type="submit"]');
    await page.waitForSelector('#log-results table');
    const rows = page.locator('#log-results tbody tr');
    expect(await rows.count()).toBeGreaterThan(2);
    // The emergency read stands out as an override.
    await expect(page.locator('#log-results tr.override').first().textContent()).resolves.toContain('emergency access');

    // By keyboard: Enter on "Open" moves focus to the entry; closing it returns focus to the row.
    await page.locator('#log-results tr.override button').first().focus();
    await page.keyboard.press('Enter');
    const detail = page.locator('#entry-detail');
    await detail.waitFor();
    expect(await page.evaluate('document.activeElement.id')).toBe('entry-title');
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('Disclosed fields (manifest)');
    expect(text).toContain('Deciding rule');
    expect(text).toMatch(/SHA-256 of the disclosed values[0-9a-f]{64}/);
    expect(text).toContain('crisis');
    expect(await unlabelled(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/console-officer-entry.png`, fullPage: true });
    await detail.getByRole('button', { name: 'Close' }).focus();
    await page.keyboard.press('Enter');
    expect(await detail.isHidden()).toBe(true);
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Open');

    await page.click('#tab-integrity');
    await page.waitForSelector('#chain-verdict');
    expect(await page.textContent('#chain-verdict')).toBe('The chain is intact.');
    await page.screenshot({ path: `${ARTIFACTS}/console-officer-integrity.png`, fullPage: true });

    await page.click('#tab-report');
    // Picked from the clients of the office's review items, not pasted.
    await page.locator(`select[name="client"] option[value="${clientId}"]`).waitFor({ state: 'attached' });
    await page.selectOption('select[name="client"]', clientId);
    await page.selectOption('select[name="report-lang"]', 'nl');
    await page.click('#view form button[type="submit"]');
    await page.waitForSelector('#report-result ol li');
    expect(await page.locator('#report-result li.override').count()).toBeGreaterThan(0);
    expect(await page.textContent('#report-result h3')).toBe('Wie bekeek uw gegevens, en waarom');
    await page.screenshot({ path: `${ARTIFACTS}/console-officer-report.png`, fullPage: true });
    // Nothing the officer typed or saw went into the page's address.
    expect(page.url()).toBe(`${ctx.baseUrl}/console`);
    await page.context().close();
  });

  it('lets a privacy officer resolve a break-the-glass review, showing the justification as text', async () => {
    const page = await signIn(officerToken, 'nl');
    await page.click('#tab-reviews');
    const review = page.locator('article.review', { hasText: 'Noodtoegang' });
    await review.waitFor();
    expect(await review.textContent()).toContain('Verantwoording'); // the grant's fields, labelled in Dutch
    expect(await review.textContent()).toContain('<img src=x onerror="window.__xss=1">');
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await review.locator('img').count()).toBe(0);

    // The item links to the log entries behind it: the grant and the emergency read.
    await review.locator('button.show-entries').click();
    await review.locator('.review-entries table').waitFor();
    const behind = review.locator('.review-entries tbody tr');
    expect(await behind.count()).toBe(2);
    expect(await behind.allTextContents()).toEqual([
      expect.stringContaining('EmergencyAccess'),
      expect.stringContaining('Case'),
    ]);

    await review.getByLabel('gerechtvaardigd', { exact: true }).check();
    await review.getByLabel('Toelichting (verplicht)').fill('Acute situatie, terecht gebruikt.');
    await page.screenshot({ path: `${ARTIFACTS}/console-officer-review.png`, fullPage: true });
    await review.getByRole('button', { name: 'Afhandelen' }).click();
    // The handled item leaves the list (the minutely anomaly scan may have opened others meanwhile).
    await review.waitFor({ state: 'detached' });
    const [item] = await ctx.dataSource.query(
      `SELECT status, verdict, resolved_by FROM review_item WHERE kind = 'break-the-glass'`,
    );
    expect(item).toEqual({ status: 'resolved', verdict: 'justified', resolved_by: 'dpo' });
    const [logged] = await ctx.dataSource.query(
      `SELECT count(*)::int AS n FROM access_log WHERE resource_type = 'Review' AND action = 'update' AND user_sub = 'dpo'`,
    );
    expect(logged.n).toBe(1);
    expect(page.url()).toBe(`${ctx.baseUrl}/console`);
    await page.context().close();
  });

  it('guides a housing company through a referral, explains why informing the tenant matters, and shows its status', async () => {
    const referrer = await housing.token({ roles: ['referrer'], sub: 'els' });
    const page = await signIn(referrer, 'fr');
    // A housing partner gets only its own screens, and the officer's endpoints refuse it.
    expect(await page.locator('#tab-log').count()).toBe(0);
    expect(await page.textContent('#informed-why')).toContain("Pourquoi c'est important");
    expect(await unlabelled(page)).toEqual([]);

    await page.getByLabel('Prénom').fill('Karim');
    await page.getByLabel('Code postal').fill('1050');
    expect(await page.getByLabel('huurachterstal').count()).toBe(0); // the labels are French, not Dutch
    await page.getByLabel('arriérés de loyer').check();
    await page.getByLabel('repli sur soi').check();
    await page.getByLabel('Description').fill('Boîte aux lettres débordante <b>depuis</b> trois semaines.');
    await page.getByLabel('oui, le locataire le sait').check();
    await page.getByLabel('Votre nom').fill('Els Janssens');
    await page.screenshot({ path: `${ARTIFACTS}/console-housing-referral-form.png`, fullPage: true });
    await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
    await page.waitForSelector('#referral-message .good');

    const stored = await ctx.dataSource.query(
      `SELECT id, status, tenant_informed FROM referral WHERE referrer_partner_id = $1 ORDER BY created_at DESC`,
      [housing.id],
    );
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({ status: 'submitted', tenant_informed: 'yes' });
    const asTeam = await ctx.request({ url: `/v1/referrals/${stored[0].id}`, token: teamToken, purpose: 'referral' });
    expect(asTeam.body).toMatchObject({
      givenName: 'Karim',
      signals: ['rent-arrears', 'withdrawal'],
      notes: 'Boîte aux lettres débordante <b>depuis</b> trois semaines.',
    });

    await page.click('#tab-referrals');
    await page.waitForSelector('#referral-list td.referral-status');
    expect(await page.locator('#referral-list td.referral-status').first().textContent()).toBe('envoyé');

    // The team accepts; the housing company sees that, and nothing more.
    await ctx.request({
      method: 'POST',
      url: `/v1/referrals/${stored[0].id}/decision`,
      token: teamToken,
      purpose: 'referral',
      body: { decision: 'accept' },
    });
    await page.getByRole('button', { name: 'Actualiser' }).click();
    await page.waitForSelector('#referral-list td.referral-status:text("accepté")');
    const table = (await page.textContent('#referral-list')) ?? '';
    expect(table).not.toContain('Karim');
    await page.screenshot({ path: `${ARTIFACTS}/console-housing-status.png`, fullPage: true });
    expect(page.url()).toBe(`${ctx.baseUrl}/console`);

    const refused = await page.evaluate(async (token) => {
      const response = await fetch('/v1/access-log', {
        headers: { authorization: `Bearer ${token}`, 'x-purpose': 'privacy-audit' },
      });
      return { status: response.status, type: response.headers.get('content-type') };
    }, referrer);
    expect(refused).toEqual({ status: 403, type: expect.stringContaining('application/problem+json') });
    const logged = await ctx.dataSource.query(
      `SELECT decision FROM access_log WHERE user_sub = 'els' AND resource_type = 'AccessLogEntry'`,
    );
    expect(logged).toEqual([{ decision: 'deny' }]);
    await page.context().close();
  });

  it('serves the console with a strict content security policy and only its own files', async () => {
    const page = await ctx.request({ url: '/console' });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(page.headers['content-security-policy']).toContain("form-action 'none'");
    const other = await ctx.request({ url: '/console/..%2Fpackage.json' });
    expect(other.status).toBe(404);
    expect(other.headers['content-type']).toContain('application/problem+json');
  });

  it('tells the console who is signed in and whom their organisation may refer to', async () => {
    const asHousing = await ctx.request({
      url: '/v1/session',
      token: await housing.token({ roles: ['referrer'], sub: 'els' }),
    });
    expect(asHousing.status).toBe(200);
    expect(asHousing.body).toEqual({
      partnerId: housing.id,
      partnerName: `Partner ${housing.id}`,
      partnerType: 'social-housing-company',
      subject: 'els',
      roles: ['referrer'],
      profession: null,
      referralTargets: [{ id: outreach.id, name: `Partner ${outreach.id}`, type: 'outreach-team' }],
      cooperationPartners: [
        { id: outreach.id, name: `Partner ${outreach.id}`, type: 'outreach-team', purposes: ['referral'] },
      ],
    });
    // The outreach team has a referral agreement with the housing company only.
    const asTeam = await ctx.request({ url: '/v1/session', token: teamToken });
    expect(asTeam.body.referralTargets).toEqual([
      { id: housing.id, name: `Partner ${housing.id}`, type: 'social-housing-company' },
    ]);
  });

  it("keeps a privacy officer's access reports within their remit", async () => {
    const report = (token: string) =>
      ctx.request({ url: `/v1/clients/${clientId}/access-report?lang=en`, token, purpose: 'subject-access' });
    const holderOfficer = await outreach.token({ roles: ['privacy-officer'], sub: 'dpo-team' });
    expect((await report(holderOfficer)).status).toBe(200);
    const otherOfficer = await housing.token({ roles: ['privacy-officer'], sub: 'dpo-housing' });
    const refused = await report(otherOfficer);
    expect(refused.status).toBe(404);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const [logged] = await ctx.dataSource.query(
      `SELECT decision FROM access_log WHERE user_sub = 'dpo-housing' AND resource_type = 'ClientAccessReport'`,
    );
    expect(logged).toEqual({ decision: 'deny' });
    // A privacy officer reads the report but does not register contests for the client.
    const contest = await ctx.request({
      method: 'POST',
      url: `/v1/clients/${clientId}/access-report/contests`,
      token: holderOfficer,
      purpose: 'subject-access',
      body: { entryId: '00000000-0000-4000-8000-000000000000', note: 'Klant betwist dit.' },
    });
    expect(contest.status).toBe(403);
  });

  it('refuses the session endpoint without a valid token, saying why', async () => {
    const response = await ctx.request({ url: '/v1/session', token: 'not-a-token' });
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.text).not.toContain('not-a-token');
  });
});
