import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { createTestContext, type TestContext } from './support/test-context.js';

/**
 * The integrity tab shows the latest signed tree head and verifies a pasted receipt in the
 * browser (WebCrypto: SHA-256 and Ed25519), against the key set fetched once from
 * /.well-known/jwks.json, under the console's strict CSP (script-src 'self').
 */
const ARTIFACTS = 'test/artifacts';

describe('web console: receipts in the integrity tab', () => {
  let ctx: TestContext;
  let browser: Browser;
  let officer: string;
  let receipt: { entry: Record<string, unknown>; proof: Record<string, unknown> };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ctx = await createTestContext();
    const operator = await ctx.operator({ id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    const search = await ctx.request({ url: '/v1/access-log', token: officer, purpose: 'privacy-audit' });
    const entryId = String(search.headers['schakel-access-entry']);
    receipt = (
      await ctx.request({
        url: `/v1/access-log/entries/${entryId}/receipt`,
        token: officer,
        purpose: 'privacy-audit',
      })
    ).body;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  async function signIn(token: string): Promise<Page> {
    const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(`${ctx.baseUrl}/console`);
    await page.selectOption('#lang', 'en');
    await page.locator('#token').focus();
    await page.keyboard.insertText(token);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('nav.tabs');
    return page;
  }

  it('shows the signed tree head and verifies a pasted receipt, refusing a tampered one', async () => {
    const page = await signIn(officer);
    const requests: string[] = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname));
    await page.click('#tab-integrity');
    await page.waitForSelector('#tree-head-verdict');
    expect(await page.textContent('#tree-head-verdict')).toBe('Signature valid for the published key.');

    await page.fill('#receipt', JSON.stringify(receipt));
    await page.click('#verify-receipt');
    await page.waitForFunction("document.querySelector('#receipt-verdict').textContent.length > 0");
    expect(await page.textContent('#receipt-verdict')).toMatch(
      /^Valid: this access is in the signed tree of \d+ entries/,
    );
    await page.screenshot({ path: `${ARTIFACTS}/console-officer-receipt.png`, fullPage: true });

    const tampered = { ...receipt, entry: { ...receipt.entry, purpose: 'crisis' } };
    await page.fill('#receipt', JSON.stringify(tampered));
    await page.click('#verify-receipt');
    await page.waitForFunction("document.querySelector('#receipt-verdict').textContent.startsWith('Not valid')");
    const forged = {
      ...receipt,
      proof: { ...receipt.proof, auditPath: [...(receipt.proof.auditPath as string[]), 'a'.repeat(64)] },
    };
    await page.fill('#receipt', JSON.stringify(forged));
    await page.click('#verify-receipt');
    await page.waitForFunction(
      "document.querySelector('#receipt-verdict').textContent === 'Not valid: the audit path does not lead to the root.'",
    );
    // The proof was checked in the browser: verifying asked the server nothing.
    expect(requests.filter((path) => path.includes('/receipt') || path.includes('/proof'))).toEqual([]);
    expect(requests.filter((path) => path === '/.well-known/jwks.json').length).toBeLessThanOrEqual(1);
    await page.context().close();
  });
});
