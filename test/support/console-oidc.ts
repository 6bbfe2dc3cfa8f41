import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startOpenIdProvider, type OpenIdProvider } from './openid-provider.js';
import type { TestContext } from './test-context.js';

/** A partner organisation with its own IdP (oidc-provider) where its people sign in to the console. */
export interface OrganisationIdp {
  id: string;
  name: string;
  idp: OpenIdProvider;
}

const CONSOLE_CLIENT = 'schakel-console';

/**
 * Starts an IdP for one organisation (its people by login name, with the claims it asserts in its
 * own words) and registers the organisation at the gateway through the administration API: its
 * issuer, key set, claim mapping and the gateway's client registration at that IdP.
 */
export async function organisationWithIdp(
  ctx: TestContext,
  adminToken: string,
  options: {
    id: string;
    name: string;
    type: string;
    people: Record<string, Record<string, unknown>>;
    claimMapping?: Record<string, unknown>;
    allowedRoles?: string[];
    programme?: string;
    /** A partner already registered (the network operator): only its people's IdP is added. */
    existing?: boolean;
  },
): Promise<OrganisationIdp> {
  const idp = await startOpenIdProvider({
    audience: ctx.config.auth.audience,
    clients: [],
    firstKid: `${options.id}-2026`,
    people: {
      clientId: CONSOLE_CLIENT,
      redirectUri: `${ctx.baseUrl}/console/auth/callback`,
      postLogoutRedirectUri: `${ctx.baseUrl}/console`,
      accounts: options.people,
    },
  });
  if (options.existing) {
    const changed = await ctx.request({
      method: 'PATCH',
      url: `/v1/partners/${options.id}`,
      token: adminToken,
      purpose: 'administration',
      body: { oidc: { issuer: idp.issuer, clientId: CONSOLE_CLIENT, clientSecret: idp.secretOf(CONSOLE_CLIENT) } },
    });
    if (changed.status !== 200) throw new Error(`adding an IdP to ${options.id}: ${changed.status} ${changed.text}`);
    return { id: options.id, name: options.name, idp };
  }
  const registered = await ctx.request({
    method: 'POST',
    url: '/v1/partners',
    token: adminToken,
    purpose: 'administration',
    body: {
      id: options.id,
      name: options.name,
      type: options.type,
      municipalities: ['2000'],
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      ...(options.claimMapping ? { claimMapping: options.claimMapping } : {}),
      ...(options.allowedRoles ? { allowedRoles: options.allowedRoles } : {}),
      ...(options.programme ? { programme: options.programme } : {}),
      oidc: { clientId: CONSOLE_CLIENT, clientSecret: idp.secretOf(CONSOLE_CLIENT) },
    },
  });
  if (registered.status !== 201) throw new Error(`registering ${options.id}: ${registered.status} ${registered.text}`);
  return { id: options.id, name: options.name, idp };
}

/** A fresh browser context that reaches only loopback (the IdP's page imports a web font). */
export async function loopbackContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'nl-BE' });
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/]|localhost[:/])/, (route) => route.abort());
  return context;
}

/**
 * Signs a person in the way they would: the console's sign-in page, their organisation chosen,
 * the IdP's own login and consent pages, back at the console with its tabs or its message.
 */
export async function signInAtIdp(
  context: BrowserContext,
  baseUrl: string,
  organisation: OrganisationIdp,
  login: string,
  lang: 'nl' | 'fr' | 'en' = 'nl',
): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => {
    throw error;
  });
  await page.goto(`${baseUrl}/console`);
  await page.selectOption('#lang', lang);
  await page.selectOption('#organisation', organisation.id);
  await page.locator('#signin-oidc button[type="submit"]').click();
  // The IdP's interaction pages (oidc-provider): login, then consent for the gateway's client.
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${baseUrl}/console`);
  await page.locator('#who').filter({ hasText: login }).waitFor();
  return page;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core in the page (evaluated through the debugging protocol, so the console's CSP stays as
 * it is): the violations of serious or critical impact, by rule and target.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
  const violations = (await page.evaluate(
    `window.axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => String(n.target)) })))`,
  )) as { id: string; impact: string; targets: string[] }[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.targets.join(' | ')}`);
}
