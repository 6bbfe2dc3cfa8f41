import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { get } from 'node:http';
import { generateKeyPair, SignJWT } from 'jose';
import { AccessLogRepository } from '../src/access-log/access-log.repository.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** A forged token signed with a key nobody registered, claiming `issuer`. */
async function forged(issuer: string, audience: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: ['gateway-admin'], sub: 'mallory', iss: issuer, aud: audience, iat: now, exp: now + 300 })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .sign(privateKey);
}

describe('Cache-Control: no-store on the API', () => {
  let ctx: TestContext;
  let admin: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    admin = await (await ctx.operator()).token();
  });
  afterAll(async () => ctx?.close());

  it('is on every /v1 answer — data, validation errors, refusals, unknown routes — and not forced elsewhere', async () => {
    const answers = [
      await ctx.request({ url: '/v1/partners', token: admin, purpose: 'administration' }),
      await ctx.request({ url: '/v1/partners?limit=0', token: admin, purpose: 'administration' }),
      await ctx.request({ url: '/v1/partners', purpose: 'administration' }),
      await ctx.request({ url: '/v1/partners', token: admin }),
      await ctx.request({ url: '/v1/no-such-thing', token: admin, purpose: 'administration' }),
      await ctx.request({ url: '/v1/session', token: admin }),
    ];
    expect(answers.map((a) => [a.status, a.headers['cache-control']])).toEqual([
      [200, 'no-store'],
      [400, 'no-store'],
      [401, 'no-store'],
      [400, 'no-store'],
      [404, 'no-store'],
      [200, 'no-store'],
    ]);
    expect((await ctx.request({ url: '/.well-known/jwks.json' })).headers['cache-control']).toBe('public, max-age=300');
  });

  it('sends a Content-Security-Policy without inline scripts', async () => {
    const csp = String((await ctx.request({ url: '/health' })).headers['content-security-policy']);
    const scriptSrc = csp.split(';').find((d) => d.trim().startsWith('script-src'));
    expect(scriptSrc?.trim()).toBe("script-src 'self'");
  });
});

describe('rate limit before authentication', () => {
  let ctx: TestContext;
  let partner: TestPartner;
  beforeAll(async () => {
    ctx = await createTestContext({ PREAUTH_RATE_LIMIT_PER_ISSUER: '5', PREAUTH_RATE_LIMIT_PER_ADDRESS: '40' });
    partner = await ctx.newPartner({ type: 'social-housing-company' });
  });
  afterAll(async () => ctx?.close());

  it('answers a flood of forged tokens claiming one issuer with 429 once its budget is spent, and spares other issuers', async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<TestContext['request']>> | undefined;
    for (let i = 0; i < 7; i++) {
      const response = await ctx.request({
        url: '/v1/session',
        token: await forged(partner.issuer, ctx.config.auth.audience),
      });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(limited!.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited!.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited!.headers['cache-control']).toBe('no-store');
    // The budget is the claimed issuer's: a partner with another issuer is still served.
    const other = await ctx.newPartner({ type: 'caw' });
    expect(
      (await ctx.request({ url: '/v1/session', token: await other.token({ roles: ['caseworker'] }) })).status,
    ).toBe(200);
  });

  it('then limits the source address, whatever the token, while health probes still answer', async () => {
    const other = await ctx.newPartner({ type: 'ocmw' });
    const token = await other.token({ roles: ['caseworker'] });
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) {
      const response = await ctx.request({ url: '/v1/session', token: await forged(`https://idp.x${i}.test`, 'x') });
      statuses.push(response.status);
    }
    const first429 = statuses.indexOf(429);
    expect(first429).toBeGreaterThan(0);
    expect(statuses.slice(first429).every((s) => s === 429)).toBe(true);
    expect(statuses.slice(0, first429).every((s) => s === 401)).toBe(true);
    expect((await ctx.request({ url: '/v1/session', token })).status).toBe(429);
    expect((await ctx.request({ url: '/health' })).status).toBe(200);
  });
});

interface Download {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the whole message arrived, the chunked terminator included. */
  complete: boolean;
}

describe('a streamed export whose query fails', () => {
  let ctx: TestContext;
  let officer: string;
  let failOnCall = 0;
  let calls = 0;

  beforeAll(async () => {
    ctx = await createTestContext();
    officer = await (await ctx.operator()).token({ roles: ['privacy-officer'], sub: 'dpo' });
    for (let i = 0; i < 3; i++) await ctx.request({ url: '/v1/access-log', token: officer, purpose: 'privacy-audit' });
    // The seam: the n-th page query of an export runs for real, on a connection whose search_path
    // no longer finds the log, so PostgreSQL itself refuses it (relation does not exist).
    const repository = ctx.app.get(AccessLogRepository);
    const page = repository.page.bind(repository);
    jest.spyOn(repository, 'page').mockImplementation(async (filter, before, limit, manager) => {
      calls += 1;
      if (calls !== failOnCall) return page(filter, before, limit, manager);
      const runner = ctx.dataSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.query('SET search_path TO pg_catalog');
        return await page(filter, before, limit, runner.manager);
      } finally {
        await runner.query('RESET search_path');
        await runner.release();
      }
    });
  });
  afterAll(async () => ctx?.close());

  /** A raw HTTP download that tells a finished transfer from one cut off half-way. */
  function download(url: string, accept?: string): Promise<Download> {
    return new Promise((resolve, reject) => {
      const request = get(
        ctx.baseUrl + url,
        {
          headers: {
            authorization: `Bearer ${officer}`,
            'x-purpose': 'privacy-audit',
            ...(accept ? { accept } : {}),
          },
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('error', () => undefined); // "aborted": reported through `complete`
          response.on('close', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body, complete: response.complete }),
          );
        },
      );
      request.on('error', reject);
    });
  }

  /** Export with the page query number `n` failing (1 = the first page, before any entry; 2 = the next, after some). */
  async function exportFailingAt(n: number, format: string, accept?: string): Promise<Download> {
    calls = 0;
    failOnCall = n;
    try {
      return await download(`/v1/access-log/export?format=${format}`, accept);
    } finally {
      failOnCall = 0;
    }
  }

  const lines = (text: string) => text.split('\n').filter(Boolean);
  const failureLogged = (requestId: string) =>
    ctx.logs
      .map((line) => JSON.parse(line) as { level: string; requestId?: string; stream?: string; msg: string })
      .filter((entry) => entry.level === 'error' && entry.requestId === requestId && entry.stream);

  it('completes normally when nothing fails (the control)', async () => {
    const response = await exportFailingAt(0, 'ndjson');
    expect(response.status).toBe(200);
    expect(response.complete).toBe(true);
    expect(lines(response.body).every((line) => JSON.parse(line).type !== 'error')).toBe(true);
  });

  it('NDJSON: the entries so far, a last line saying the file is incomplete, then a cut-off transfer, logged', async () => {
    const response = await exportFailingAt(2, 'ndjson');
    expect(response.status).toBe(200);
    expect(response.complete).toBe(false);
    const body = lines(response.body).map((line) => JSON.parse(line));
    expect(body.filter((line) => line.type === 'entry').length).toBeGreaterThan(0);
    expect(body.at(-1)).toEqual({
      type: 'error',
      error: 'export-incomplete',
      detail: expect.stringContaining('incomplete'),
      requestId: response.headers['x-request-id'],
    });
    const logged = failureLogged(String(response.headers['x-request-id']));
    expect(logged).toHaveLength(1);
    // The driver's message (with the SQL) stays out of the application log.
    expect(JSON.stringify(logged)).not.toMatch(/access_log_entry|SELECT/);
  });

  it('FHIR NDJSON: ends with an OperationOutcome, then a cut-off transfer', async () => {
    const response = await exportFailingAt(2, 'fhir');
    expect(response.status).toBe(200);
    expect(response.complete).toBe(false);
    const body = lines(response.body).map((line) => JSON.parse(line));
    expect(body.filter((r) => r.resourceType === 'AuditEvent').length).toBeGreaterThan(0);
    expect(body.at(-1)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'fatal' }] });
    expect(failureLogged(String(response.headers['x-request-id']))).toHaveLength(1);
  });

  it('CSV and the FHIR Bundle: a cut-off transfer (they have no place for an error line), logged', async () => {
    const csv = await exportFailingAt(2, 'csv');
    expect([csv.status, csv.complete]).toEqual([200, false]);
    expect(lines(csv.body).length).toBeGreaterThan(1);
    expect(failureLogged(String(csv.headers['x-request-id']))).toHaveLength(1);
    const bundle = await exportFailingAt(2, 'fhir', 'application/fhir+json');
    expect([bundle.status, bundle.complete]).toEqual([200, false]);
    expect(() => JSON.parse(bundle.body)).toThrow();
    expect(failureLogged(String(bundle.headers['x-request-id']))).toHaveLength(1);
  });

  it('answers a failure before the first line with an error status, not a 200', async () => {
    const response = await exportFailingAt(1, 'ndjson');
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(response.complete).toBe(true);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).not.toMatch(/access_log_entry|SELECT/);
  });
});
