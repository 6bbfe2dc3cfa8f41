import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import {
  loopbackContext,
  organisationWithIdp,
  seriousAxeViolations,
  signInAtIdp,
  type OrganisationIdp,
} from './support/console-oidc.js';
import { createTestContext, type TestContext } from './support/test-context.js';

const ARTIFACTS = 'test/artifacts';

/**
 * The "done when" walk of the care path, through the console alone: every person signs in by
 * OpenID Connect at their own organisation's IdP (one oidc-provider per organisation), works in
 * the console's screens, and each screen passes axe-core with no serious or critical violation.
 * One browser for the whole walk; every wait is for a visible state.
 */
describe('the care path through the console', () => {
  let ctx: TestContext;
  let browser: Browser;
  const orgs: Record<'housing' | 'outreach' | 'caw' | 'gp' | 'operator', OrganisationIdp> = {} as never;
  const contexts: BrowserContext[] = [];
  let step = 0;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const old of readdirSync(ARTIFACTS)) if (old.startsWith('walk-')) rmSync(`${ARTIFACTS}/${old}`);
    ctx = await createTestContext();
    const operator = await ctx.operator({ id: 'gateway-operator' });
    const admin = await operator.token({ roles: ['gateway-admin'] });
    const setup = (method: 'POST' | 'PATCH', url: string, body: unknown) =>
      ctx.request({ method, url, token: admin, purpose: 'administration', body });
    orgs.housing = await organisationWithIdp(ctx, admin, {
      id: 'woonhaven',
      name: 'Woonhaven Antwerpen',
      type: 'social-housing-company',
      people: { els: { name: 'Els', roles: ['referrer'], profession: 'housing-officer' } },
    });
    orgs.outreach = await organisationWithIdp(ctx, admin, {
      id: 'outreach-antwerpen',
      name: 'Aanklampend team Antwerpen',
      type: 'outreach-team',
      claimMapping: {
        roles: {
          path: ['realm_access', 'roles'],
          map: { 'team-coordinator': 'coordinator', begeleider: 'caseworker' },
        },
        profession: { path: ['functie'], map: { pvk: 'psychiatric-nurse', maatschappelijk: 'social-worker' } },
      },
      people: {
        coord: { realm_access: { roles: ['team-coordinator', 'begeleider'] }, functie: 'maatschappelijk' },
        nacht: { realm_access: { roles: ['begeleider'] }, functie: 'pvk' },
      },
    });
    orgs.caw = await organisationWithIdp(ctx, admin, {
      id: 'caw-antwerpen',
      name: 'CAW Antwerpen',
      type: 'caw',
      people: { pwb: { roles: ['caseworker'], profession: 'social-worker' } },
    });
    orgs.gp = await organisationWithIdp(ctx, admin, {
      id: 'wgc-noord',
      name: 'Wijkgezondheidscentrum Noord',
      type: 'general-practitioner',
      people: { dr: { roles: ['caseworker'], profession: 'general-practitioner' } },
    });
    // The network operator signs its officers in at its own IdP too.
    orgs.operator = await organisationWithIdp(ctx, admin, {
      id: operator.id,
      name: `Partner ${operator.id}`,
      type: 'other',
      existing: true,
      people: { dpo: { roles: ['privacy-officer'] } },
    });
    const agree = (partnerIds: string[], purposes: string[]) =>
      setup('POST', '/v1/agreements', { title: 'Samenwerking', partnerIds, purposes, validFrom: '2026-01-01' });
    await agree([orgs.housing.id, orgs.outreach.id], ['referral']);
    await agree([orgs.caw.id, orgs.outreach.id], ['duo-follow-up']);
    await agree([orgs.gp.id, orgs.outreach.id], ['care-coordination', 'warm-handover']);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await ctx?.close();
    for (const org of Object.values(orgs)) await org.idp.close();
  });

  async function person(org: OrganisationIdp, login: string, lang: 'nl' | 'fr' | 'en'): Promise<Page> {
    const context = await loopbackContext(browser);
    contexts.push(context);
    return signInAtIdp(context, ctx.baseUrl, org, login, lang);
  }

  /** A screenshot per step and axe-core on the screen as it stands. */
  async function checkpoint(page: Page, name: string): Promise<void> {
    step += 1;
    await page.screenshot({ path: `${ARTIFACTS}/walk-${String(step).padStart(2, '0')}-${name}.png`, fullPage: true });
    expect({ name, violations: await seriousAxeViolations(page) }).toEqual({ name, violations: [] });
    // Nothing personal in the address, ever.
    expect(page.url()).toBe(`${ctx.baseUrl}/console`);
  }

  /**
   * A hang guard, not a timing check: the walk is a dozen people's sessions in a real browser with
   * an accessibility scan at each step — about 45 s alone on 2 cores, over a minute when the
   * machine is busy. The default 60 s failed it under load twice; a real hang still fails.
   */
  const WALK_TIMEOUT_MS = 240_000;

  const done = (form: Locator) => form.locator('xpath=..').locator('.form-result [role="status"]').waitFor();

  it(
    'walks from the referral to the client report',
    async () => {
      // 1. The housing company's referrer refers.
      const els = await person(orgs.housing, 'els', 'nl');
      await els.getByLabel('Voornaam').fill('Anna');
      await els.getByLabel('Postcode').fill('2000');
      await els.getByLabel('huurachterstal').check();
      await els.getByLabel('zich terugtrekken').check();
      await els.getByLabel('Beschrijving', { exact: true }).fill('Huurachterstal, opent de deur niet.');
      await els.getByLabel('ja, de huurder weet het').check();
      await els.getByLabel('Uw naam').fill('Els Janssens');
      await checkpoint(els, 'housing-referral-form');
      await els.locator('#view form button[type="submit"]').last().click();
      await els.waitForSelector('#referral-message .good');
      await checkpoint(els, 'housing-referral-sent');

      // 2. The outreach coordinator accepts, records consent and adds the CAW (and the GP) to the circle.
      const coord = await person(orgs.outreach, 'coord', 'nl');
      await coord.click('#tab-incoming');
      const incoming = coord.locator('article.incoming').first();
      await incoming.locator('button.open-referral').click();
      await incoming.locator('.referral-body > dl').waitFor();
      expect(await incoming.textContent()).toContain('Anna');
      await checkpoint(coord, 'outreach-incoming');
      await incoming.locator('form.accept button[type="submit"]').click();
      await coord.locator('#incoming-list').getByText('Geen aanmeldingen').waitFor();

      await coord.click('#tab-cases');
      await coord.locator('button.open-case').first().click();
      const caseView = coord.locator('section.case');
      await caseView.waitFor();
      // Vocabulary in the user's language, not the API's codes: the case's status, the tenant informed.
      await caseView.getByText('aangemeld', { exact: true }).first().waitFor();
      await caseView.getByText('ja, de huurder weet het', { exact: true }).first().waitFor();
      await checkpoint(coord, 'outreach-case');
      const consent = caseView.locator('form.consent');
      await consent.getByLabel('duobegeleiding met het CAW').check();
      await consent.getByLabel('Ontvangende partner (id)').fill(orgs.caw.id);
      await consent.getByLabel('woonsituatie').check();
      await consent.getByLabel('sociale situatie en inkomen').check();
      // The CAW finds the case in its own list only if the client lets it know the case's status.
      await consent.getByLabel('dossierstatus').check();
      await consent.getByLabel('Omschrijving van het bewijs').fill('Mondeling akkoord tijdens huisbezoek');
      await consent.locator('button[type="submit"]').click();
      await done(consent);
      const circle = caseView.locator('form.circle');
      // The partner field suggests the organisations the team cooperates with, by name: no slug to know.
      const suggested = await circle.getByLabel('Partner (id)').evaluate((input) => {
        // (no DOM types in the tests' compilation: the shape this reads)
        type Option = { value: string; textContent: string | null };
        const list = (input as unknown as { list: { options: ArrayLike<Option> } | null }).list;
        return Array.from(list?.options ?? [], (o) => ({ value: o.value, label: o.textContent }));
      });
      expect(suggested).toEqual(expect.arrayContaining([expect.objectContaining({ value: orgs.caw.id })]));
      await circle.getByLabel('Partner (id)').fill(orgs.caw.id);
      await circle.getByLabel('duobegeleiding met het CAW').check();
      await circle.locator('button[type="submit"]').click();
      await caseView.getByText(orgs.caw.id).first().waitFor();
      const circle2 = coord.locator('section.case form.circle');
      await circle2.getByLabel('Partner (id)').fill(orgs.gp.id);
      await circle2.getByLabel('zorgcoördinatie').check();
      await circle2.getByLabel('warme overdracht').check();
      await circle2.locator('button[type="submit"]').click();
      await coord.locator('section.case').getByText(orgs.gp.id).first().waitFor();
      const gpConsent = coord.locator('section.case form.consent');
      await gpConsent.getByLabel('zorgcoördinatie').check();
      await gpConsent.getByLabel('warme overdracht').check();
      await gpConsent.getByLabel('Ontvangende partner (id)').fill(orgs.gp.id);
      await gpConsent.getByLabel('zorgplan').check();
      await gpConsent.getByLabel('dossierstatus').check();
      await gpConsent.getByLabel('Vorm').selectOption('written');
      await gpConsent.locator('button[type="submit"]').click();
      await done(gpConsent);
      const plan = coord.locator('section.case form.care-plan');
      await plan.getByLabel('Doel').fill('Huurachterstal afbetalen');
      await plan.locator('button[type="submit"]').click();
      await coord.locator('section.case').getByText('Huurachterstal afbetalen').first().waitFor();
      // A home visit and a note in its category.
      const attemptForm = coord.locator('section.case form.contact-attempt');
      await attemptForm.getByLabel('Resultaat').selectOption('contact');
      await attemptForm.locator('button[type="submit"]').click();
      await coord.locator('section.case').getByText('huisbezoek').first().waitFor();
      const noteForm = coord.locator('section.case form.note');
      await noteForm.getByLabel(/^Categorie/).selectOption('housing');
      await noteForm
        .getByLabel('Notitie', { exact: true })
        .fill('Brievenbus <b>uitgepuild</b>, eerste contact aan de deur.');
      await noteForm.locator('button[type="submit"]').click();
      await coord.locator('section.case').getByText('Brievenbus <b>uitgepuild</b>', { exact: false }).first().waitFor();
      await checkpoint(coord, 'outreach-consent-circle');
      // The case reference the team gives its circle partners (an opaque id, first in the case view).
      const caseReference = ((await coord.locator('section.case dl.entry dd').first().textContent()) ?? '').trim();
      expect(caseReference).toMatch(/^[0-9a-f-]{36}$/);

      // 3. The CAW caseworker asks for housing and social data and reads it once.
      const pwb = await person(orgs.caw, 'pwb', 'fr');
      // Listed: the client lets the CAW know the case's status, so the case is filled in.
      await pwb.waitForFunction(
        (selector) =>
          (
            globalThis as unknown as { document: { querySelector(s: string): { value: string } | null } }
          ).document.querySelector(selector)?.value.length === 36,
        '#ask-cases input[name="caseId"]',
      );
      const ask = pwb.locator('form.ask');
      await ask.getByLabel('situation de logement').check();
      await ask.getByLabel('situation sociale et revenus').check();
      await ask.getByLabel('Pourquoi en avez-vous besoin ?').fill('Visite commune sur les arriérés de loyer');
      await ask.locator('button[type="submit"]').click();
      const answer = pwb.locator('#ask-cases .decision');
      await answer.waitFor();
      expect(await answer.textContent()).toContain('autorisé');
      await answer.locator('button.read-once').click();
      await answer.locator('.disclosure > dl').waitFor();
      expect(await answer.locator('.disclosure').textContent()).toContain('arriérés de loyer');
      await checkpoint(pwb, 'caw-read-once');
      await pwb.click('#tab-notifications');
      await pwb.locator('#notification-list p, #notification-list ul').first().waitFor();
      await checkpoint(pwb, 'caw-notifications');

      // 4. The GP asks for the care plan: it waits for the coordinator, who approves it in the queue.
      const dr = await person(orgs.gp, 'dr', 'en');
      const drAsk = dr.locator('form.ask');
      await drAsk.getByLabel('Case', { exact: true }).fill(caseReference);
      await drAsk.getByLabel('care plan').check();
      await drAsk.getByLabel('Why do you need this?').fill('Medication alignment');
      await drAsk.locator('button[type="submit"]').click();
      const waiting = dr.locator('#ask-cases .decision');
      await waiting.waitFor();
      expect(await waiting.textContent()).toContain('waiting for the coordinator');
      await checkpoint(dr, 'gp-request-waits');

      await coord.click('#tab-queue');
      const queued = coord.locator('article.queued').first();
      await queued.waitFor();
      expect(await queued.textContent()).toContain('Medication alignment');
      await checkpoint(coord, 'outreach-queue');
      // By keyboard: the note, then Tab to "Goedkeuren" and Enter.
      await queued.locator('form.approve').getByLabel('Toelichting bij uw beslissing').focus();
      await coord.keyboard.insertText('Nodig voor medicatie');
      await coord.keyboard.press('Tab');
      expect(await coord.evaluate('document.activeElement.textContent')).toBe('Goedkeuren');
      await coord.keyboard.press('Enter');
      await coord.locator('#queue-list').getByText('Geen vragen die wachten.').waitFor();

      await dr.click('#tab-myRequests');
      const mine = dr.locator('article.my-request').first();
      await mine.locator('button.read-once').click();
      await mine.locator('.disclosure').getByText('Huurachterstal afbetalen').waitFor();
      await checkpoint(dr, 'gp-reads-after-approval');

      // 5. The night shift's psychiatric nurse breaks the glass.
      const nacht = await person(orgs.outreach, 'nacht', 'nl');
      await nacht.click('#tab-cases');
      await nacht.locator('button.open-case').first().click();
      const glass = nacht.locator('section.case form.break-glass');
      await glass.getByLabel('Verantwoording').fill('Buren melden rookgeur en geroep, cliënte in crisis.');
      await glass.locator('button[type="submit"]').click();
      await nacht.locator('#case-title').getByText('crisis').waitFor();
      await checkpoint(nacht, 'outreach-break-glass');

      // 6. The network operator's privacy officer resolves the review and prints the client's report.
      const dpo = await person(orgs.operator, 'dpo', 'nl');
      // The log filtered by override, then by kind of record.
      await dpo.getByLabel('Alleen noodtoegang').check();
      await dpo.click('form[role="search"] button[type="submit"]');
      await dpo.locator('#log-results tbody tr.override').first().waitFor();
      const shown = await dpo.locator('#log-results tbody tr').count();
      expect(await dpo.locator('#log-results tbody tr.override').count()).toBe(shown);
      await checkpoint(dpo, 'officer-log-overrides');
      await dpo.getByLabel('Alleen noodtoegang').uncheck();
      await dpo.getByLabel('Soort gegeven (resource)').selectOption('Disclosure');
      await dpo.click('form[role="search"] button[type="submit"]');
      await dpo.locator('#log-results tbody tr', { hasText: 'Disclosure' }).first().waitFor();
      expect(await dpo.locator('#log-results tbody tr', { hasNotText: 'Disclosure' }).count()).toBe(0);
      await dpo.click('#tab-reviews');
      const review = dpo.locator('article.review', { hasText: 'Noodtoegang' }).first();
      await review.waitFor();
      await review.getByLabel('gerechtvaardigd', { exact: true }).check();
      await review.getByLabel('Toelichting (verplicht)').fill('Acute situatie, terecht gebruikt.');
      await checkpoint(dpo, 'officer-review');
      await review.getByRole('button', { name: 'Afhandelen' }).click();
      // The handled item leaves the list. Not "the list is empty": the minutely anomaly scan may
      // have opened items of its own meanwhile (an out-of-hours access when the walk runs at night).
      await dpo.locator('article.review', { hasText: 'Noodtoegang' }).waitFor({ state: 'detached' });
      await dpo.click('#tab-report');
      await dpo.locator('select[name="client"] option').nth(1).waitFor({ state: 'attached' });
      await dpo.selectOption('select[name="client"]', { index: 1 });
      await dpo.click('#view form button[type="submit"]');
      await dpo.waitForSelector('#report-result ol li');
      expect(await dpo.locator('#report-result li.override').count()).toBeGreaterThan(0);
      await dpo.emulateMedia({ media: 'print' });
      await checkpoint(dpo, 'officer-report-print');

      // 7. The case moves on and passes to the GP in a warm handover.
      await coord.click('#tab-cases');
      await coord.locator('button.open-case').first().click();
      const transition = coord.locator('section.case form.transition');
      await transition.getByLabel('Nieuwe status').selectOption('outreach');
      await transition.locator('button[type="submit"]').click();
      await coord
        .locator('section.case dd', { hasText: /^aanklampend contact$/ })
        .first()
        .waitFor();
      const handover = coord.locator('section.case form.handover');
      await handover.getByLabel('Naar partner (id)').fill(orgs.gp.id);
      await handover.locator('button[type="submit"]').click();
      await coord.locator('section.case .form-result').getByText(`Overgedragen aan ${orgs.gp.id}`).waitFor();
      await checkpoint(coord, 'outreach-handover');
    },
    WALK_TIMEOUT_MS,
  );

  it('lets the team redirect with advice or decline with a reason, which the referrer reads in its own words', async () => {
    const els = await person(orgs.housing, 'els', 'fr');
    const refer = async (givenName: string) => {
      await els.click('#tab-referral');
      await els.getByLabel('Prénom').fill(givenName);
      await els.getByLabel('Code postal').fill('2000');
      await els.getByLabel('repli sur soi').check();
      await els.getByLabel('oui, le locataire le sait').check();
      await els.getByLabel('Votre nom').fill('Els Janssens');
      await els.getByRole('button', { name: 'Envoyer le signalement' }).click();
      await els.waitForSelector('#referral-message .good');
    };
    await refer('Bram');
    await refer('Chris');

    const coord = await person(orgs.outreach, 'coord', 'en');
    await coord.click('#tab-incoming');
    const first = coord.locator('article.incoming').first();
    const redirect = first.locator('form.redirect');
    await redirect.getByLabel('Better-placed service (advice to the referrer)').fill('CAW Antwerpen, woonbegeleiding');
    await redirect.getByLabel('Reason (the referrer reads it)').selectOption('better-placed-service');
    await redirect.getByLabel("The team's own note (not for the referrer)").fill('Eerder woonbegeleiding nodig.');
    await checkpoint(coord, 'outreach-redirect');
    await redirect.locator('button[type="submit"]').click();
    await coord.locator('article.incoming').nth(1).waitFor({ state: 'detached' });
    const decline = coord.locator('article.incoming').first().locator('form.decline');
    await decline.getByLabel('Reason (the referrer reads it)').selectOption('outside-area');
    await decline.locator('button[type="submit"]').click();
    await coord.locator('#incoming-list').getByText('No referrals waiting for a decision.').waitFor();

    await els.click('#tab-referrals');
    await els.locator('#referral-list td.referral-reason', { hasText: "en dehors de notre zone d'action" }).waitFor();
    await els.locator('#referral-list td.referral-reason', { hasText: 'un autre service est mieux placé' }).waitFor();
    expect(await els.textContent('#referral-list')).not.toContain('Eerder woonbegeleiding');
    await checkpoint(els, 'housing-reasons');
  });
});
