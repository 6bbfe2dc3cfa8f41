import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
 * People sign in to the console at their own organisation's IdP (a real OpenID provider,
 * oidc-provider, its login and consent pages driven in Chromium): authorization code flow with
 * PKCE, a server-side session in an httpOnly SameSite=Lax cookie, rotated at sign-in, CSRF
 * refused from other origins, and a sign-out that ends the session on the server and at the IdP.
 */
describe('console sign-in with OpenID Connect', () => {
  let ctx: TestContext;
  let browser: Browser;
  let outreach: OrganisationIdp;
  let attacker: Server;
  let attackerPort: number;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ctx = await createTestContext();
    const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'] });
    outreach = await organisationWithIdp(ctx, admin, {
      id: 'outreach-oidc',
      name: 'Outreach Antwerpen',
      type: 'outreach-team',
      // The IdP's own words, Keycloak-style; the registration maps them to the gateway's.
      claimMapping: {
        roles: {
          path: ['realm_access', 'roles'],
          map: { 'team-coordinator': 'coordinator', begeleider: 'caseworker' },
        },
        profession: { path: ['functie'], map: { pvk: 'psychiatric-nurse', maatschappelijk: 'social-worker' } },
      },
      people: {
        'an.coord': {
          name: 'An Coördinator',
          realm_access: { roles: ['offline_access', 'team-coordinator', 'begeleider'] },
          functie: 'maatschappelijk',
        },
        'pieter.nacht': { name: 'Pieter', realm_access: { roles: ['begeleider'] }, functie: 'pvk' },
        // Nothing the registration maps: no role in this network.
        'x.extern': { realm_access: { roles: ['offline_access', 'uma_authorization'] } },
      },
    });
    // A page of another origin, served on 127.0.0.1 (same site, other port) and on localhost (other site).
    attacker = createServer((req, res) => {
      if (req.url === '/attack.js') {
        res.setHeader('content-type', 'text/javascript');
        res.end(`const target = new URLSearchParams(location.search).get('target');
          fetch(target + '/console/auth/sign-out', { method: 'POST', credentials: 'include', mode: 'no-cors',
            headers: { 'content-type': 'text/plain' }, body: '{}' }).finally(() => { document.title = 'sent'; });`);
        return;
      }
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><html lang="en"><title>elsewhere</title><script src="/attack.js"></script></html>');
    });
    // All addresses: "localhost" may resolve to ::1 first.
    await new Promise<void>((resolve) => attacker.listen(0, resolve));
    attackerPort = (attacker.address() as { port: number }).port;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await ctx?.close();
    await outreach?.idp.close();
  });

  async function fresh(): Promise<BrowserContext> {
    const context = await loopbackContext(browser);
    contexts.push(context);
    return context;
  }

  const sessionCookie = async (context: BrowserContext) =>
    (await context.cookies(ctx.baseUrl)).find((c) => c.name === 'schakel_session');

  /** The gateway's answer to a session cookie, sent from outside any browser. */
  const withCookie = (value: string, method = 'GET', url = '/v1/session') =>
    ctx.request({ method: method as 'GET', url, headers: { cookie: `schakel_session=${value}` } });

  /** The gateway's statuses for a route, from its request log (the browser may not see them: CORP). */
  const statuses = (route: string) =>
    ctx.logs
      .map((line) => {
        try {
          return JSON.parse(line) as { msg?: string; route?: string; status?: number };
        } catch {
          return {};
        }
      })
      .filter((entry) => entry.msg === 'request' && entry.route === route)
      .map((entry) => entry.status);

  /**
   * Opens the other origin's page, which posts to the console's sign-out with the browser's
   * credentials; returns the cookies the browser sent and the status the gateway answered.
   */
  async function attack(context: BrowserContext, origin: string): Promise<{ cookie: string; status: number }> {
    const page = await context.newPage();
    const seen = statuses('/console/auth/sign-out').length;
    const [request] = await Promise.all([
      page.waitForEvent('request', (r) => r.url().endsWith('/console/auth/sign-out')),
      page.goto(`${origin}/?target=${encodeURIComponent(ctx.baseUrl)}`),
    ]);
    // The response reaches the browser (which then withholds it from the page: CORP same-origin).
    await page.waitForEvent('requestfailed', (r) => r === request).catch(() => request.response());
    // The gateway logs the answer once sent: let its event loop run until it has.
    for (let i = 0; i < 1000 && statuses('/console/auth/sign-out').length === seen; i += 1)
      await new Promise((resolve) => setImmediate(resolve));
    const cookie = (await request.allHeaders()).cookie ?? '';
    await page.close();
    return { cookie, status: statuses('/console/auth/sign-out')[seen]! };
  }

  const rows = async () => Number((await ctx.dataSource.query('SELECT count(*) AS n FROM console_session'))[0].n);

  it('keeps the IdP registration with the partner, its client secret sealed and never shown', async () => {
    const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'] });
    const view = await ctx.request({ url: `/v1/partners/${outreach.id}`, token: admin, purpose: 'administration' });
    expect(view.body.oidc).toEqual({ issuer: outreach.idp.issuer, clientId: 'schakel-console', clientSecretSet: true });
    expect(view.text).not.toContain(outreach.idp.secretOf('schakel-console'));
    const [stored] = await ctx.dataSource.query('SELECT oidc_client_secret FROM partner WHERE id = $1', [outreach.id]);
    expect(stored.oidc_client_secret).toMatch(/^v1\./);
    expect(stored.oidc_client_secret).not.toContain(outreach.idp.secretOf('schakel-console'));
    // The sign-in page offers the organisation by name; its id is all that goes into an address.
    const offered = await ctx.request({ url: '/console/auth/organisations' });
    expect(offered.body).toEqual({ organisations: [{ id: outreach.id, name: 'Outreach Antwerpen' }], devSignIn: true });
  });

  it('signs a person in at their organisation IdP, with the roles and profession it asserts, mapped', async () => {
    const context = await fresh();
    const page = await signInAtIdp(context, ctx.baseUrl, outreach, 'an.coord', 'en');
    expect(await page.textContent('#who')).toContain('an.coord');
    expect(await page.textContent('#who')).toContain('Outreach Antwerpen');
    const session = (await page.evaluate(`fetch('/v1/session').then((r) => r.json())`)) as {
      roles: string[];
      profession: string;
      partnerId: string;
      csrfToken: string;
    };
    expect(session.partnerId).toBe('outreach-oidc');
    expect(session.roles.sort()).toEqual(['caseworker', 'coordinator']);
    expect(session.profession).toBe('social-worker');
    expect(session.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const cookie = (await sessionCookie(context))!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false, expires: -1 });
    // The script cannot read it, and nothing is kept in the page's storage or address.
    expect(await page.evaluate('document.cookie')).not.toContain('schakel_session');
    expect(await page.evaluate('sessionStorage.length + localStorage.length')).toBeLessThanOrEqual(1);
    expect(page.url()).toBe(`${ctx.baseUrl}/console`);
    await page.screenshot({ path: `${ARTIFACTS}/console-oidc-signed-in.png`, fullPage: true });
    expect(await seriousAxeViolations(page)).toEqual([]);

    // Signing in again in the same browser (the IdP remembers the person: no pages this time)
    // rotates the session id; the old one is gone on the server.
    await page.goto(`${ctx.baseUrl}/console/auth/start?organisation=${outreach.id}`);
    await page.waitForURL(`${ctx.baseUrl}/console`);
    await page.locator('nav.tabs, #main p').first().waitFor();
    const rotated = (await sessionCookie(context))!;
    expect(rotated.value).not.toBe(cookie.value);
    expect((await withCookie(cookie.value)).status).toBe(401);
    expect((await withCookie(rotated.value)).body).toMatchObject({ subject: 'an.coord', partnerId: 'outreach-oidc' });
    await page.close();
  });

  it('maps a profession from the IdP words (a psychiatric nurse of the night shift)', async () => {
    const page = await signInAtIdp(await fresh(), ctx.baseUrl, outreach, 'pieter.nacht', 'nl');
    const session = (await page.evaluate(`fetch('/v1/session').then((r) => r.json())`)) as Record<string, unknown>;
    expect(session).toMatchObject({ subject: 'pieter.nacht', profession: 'psychiatric-nurse', roles: ['caseworker'] });
    await page.close();
  });

  it('refuses a state-changing request without the session CSRF token or from another origin', async () => {
    const context = await fresh();
    const page = await signInAtIdp(context, ctx.baseUrl, outreach, 'an.coord');
    const cookie = (await sessionCookie(context))!.value;

    // Same origin, but no token: refused.
    const noToken = (await page.evaluate(
      `fetch('/console/auth/sign-out', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
        .then(async (r) => ({ status: r.status, body: await r.json() }))`,
    )) as { status: number; body: { check: string } };
    expect(noToken).toMatchObject({ status: 403, body: { check: 'csrf' } });
    // A token of another session does not do either.
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: '/console/auth/sign-out',
          headers: { cookie: `schakel_session=${cookie}`, origin: ctx.baseUrl, 'x-csrf-token': 'A'.repeat(43) },
          body: {},
        })
      ).status,
    ).toBe(403);

    // Another site (localhost vs 127.0.0.1): SameSite=Lax keeps the cookie home, so no session at all.
    const crossSite = await attack(context, `http://localhost:${attackerPort}`);
    expect(crossSite.cookie).not.toContain('schakel_session');
    // A page elsewhere can only send a "simple" request (a JSON body needs a CORS preflight, which
    // fails): its text/plain body is refused before any session is looked at.
    expect(crossSite.status).toBe(415);

    // The same site on another port: the cookie goes along, and is refused all the same.
    const sameSite = await attack(context, `http://127.0.0.1:${attackerPort}`);
    expect(sameSite.cookie).toContain('schakel_session');
    expect(sameSite.status).toBe(415);

    // Were it to get a JSON request through, even with the session's own CSRF token: the Origin is checked.
    const { csrfToken } = (await page.evaluate(`fetch('/v1/session').then((r) => r.json())`)) as { csrfToken: string };
    for (const origin of [`http://127.0.0.1:${attackerPort}`, `http://localhost:${attackerPort}`, undefined]) {
      const refused = await ctx.request({
        method: 'POST',
        url: '/console/auth/sign-out',
        headers: { cookie: `schakel_session=${cookie}`, 'x-csrf-token': csrfToken, ...(origin ? { origin } : {}) },
        body: {},
      });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ check: 'origin' });
    }

    // Neither ended the session.
    expect((await withCookie(cookie)).status).toBe(200);
    await page.close();
  });

  it('ends the session on the server and at the IdP on sign-out', async () => {
    const context = await fresh();
    const page: Page = await signInAtIdp(context, ctx.baseUrl, outreach, 'an.coord', 'fr');
    const cookie = (await sessionCookie(context))!.value;
    const before = await rows();
    const signOuts = outreach.idp.signOuts();
    await page.locator('#signout').click();
    // The IdP's end-session page (oidc-provider's own), then back at the console's sign-in.
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${ctx.baseUrl}/console`);
    await page.locator('#signin-oidc').waitFor();
    expect(outreach.idp.signOuts()).toBe(signOuts + 1);
    expect(await rows()).toBe(before - 1);
    expect(await sessionCookie(context)).toBeUndefined();
    const replay = await withCookie(cookie);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ check: 'session' });
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('refuses a person whose IdP asserts more than the organisation may, and says so on the sign-in page', async () => {
    const context = await fresh();
    const page = await context.newPage();
    await page.goto(`${ctx.baseUrl}/console`);
    await page.selectOption('#lang', 'en');
    await page.selectOption('#organisation', outreach.id);
    await page.locator('#signin-oidc button[type="submit"]').click();
    await page.locator('input[name="login"]').fill('x.extern');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${ctx.baseUrl}/console`);
    await expect(page.locator('#signin-message [role="alert"]').textContent()).resolves.toContain(
      'did not give you a role or profession this network accepts',
    );
    expect(await sessionCookie(context)).toBeUndefined();
  });

  it('ends a session after its idle time-out and after its absolute time-out', async () => {
    const context = await fresh();
    const page = await signInAtIdp(context, ctx.baseUrl, outreach, 'an.coord');
    const idle = (await sessionCookie(context))!.value;
    expect((await withCookie(idle)).status).toBe(200);
    // Unused for longer than CONSOLE_SESSION_IDLE_MINUTES (30 by default).
    await ctx.dataSource.query(
      "UPDATE console_session SET last_seen_at = now() - interval '31 minutes' WHERE partner_id = $1",
      [outreach.id],
    );
    expect((await withCookie(idle)).body).toMatchObject({ status: 401, check: 'session' });
    await page.reload();
    await page.locator('#signin-oidc').waitFor();

    // Busy, but signed in longer ago than CONSOLE_SESSION_MAX_HOURS (10 by default).
    const busy = await signInAtIdp(await fresh(), ctx.baseUrl, outreach, 'an.coord');
    const cookie = (await sessionCookie(busy.context()))!.value;
    await ctx.dataSource.query(
      "UPDATE console_session SET created_at = now() - interval '10 hours 1 minute' WHERE partner_id = $1",
      [outreach.id],
    );
    expect((await withCookie(cookie)).body).toMatchObject({ status: 401, check: 'session' });
  });

  it("refuses a session whose profession the partner's registration no longer allows", async () => {
    const nurse = await signInAtIdp(await fresh(), ctx.baseUrl, outreach, 'pieter.nacht');
    const cookie = (await sessionCookie(nurse.context()))!.value;
    expect((await withCookie(cookie)).status).toBe(200);
    const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'] });
    const narrowed = await ctx.request({
      method: 'PATCH',
      url: `/v1/partners/${outreach.id}`,
      token: admin,
      purpose: 'administration',
      body: {
        allowedProfessions: ['social-worker'],
        claimMapping: {
          roles: {
            path: ['realm_access', 'roles'],
            map: { 'team-coordinator': 'coordinator', begeleider: 'caseworker' },
          },
          profession: { path: ['functie'], map: { maatschappelijk: 'social-worker' } },
        },
      },
    });
    expect(narrowed.status).toBe(200);
    expect((await withCookie(cookie)).body).toMatchObject({ status: 401, check: 'roles' });
  });

  it("says so when an organisation's IdP cannot be reached, and keeps the address clean", async () => {
    const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'] });
    // An issuer on a port nobody listens on any more.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const gone = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const registered = await ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token: admin,
      purpose: 'administration',
      body: {
        id: 'caw-offline',
        name: 'CAW Offline',
        type: 'caw',
        municipalities: ['2000'],
        issuer: gone,
        jwksUri: `${gone}/jwks`,
        oidc: { clientId: 'schakel-console' },
      },
    });
    expect(registered.status).toBe(201);
    expect(registered.body.oidc).toEqual({ issuer: gone, clientId: 'schakel-console', clientSecretSet: false });
    const page = await (await fresh()).newPage();
    await page.goto(`${ctx.baseUrl}/console`);
    await page.selectOption('#lang', 'en');
    await page.selectOption('#organisation', 'caw-offline');
    await page.locator('#signin-oidc button[type="submit"]').click();
    await page.locator('#signin-message [role="alert"]', { hasText: 'cannot be reached' }).waitFor();
    expect(page.url()).toBe(`${ctx.baseUrl}/console`);
  });
});
