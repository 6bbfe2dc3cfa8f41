import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * The officer's date-range search looks at the newest entries first and searches the whole range
 * only when they do not fill the page (AccessLogRepository.page). Either way, every page must be
 * exactly what reading the whole range gives: checked here against SQL over the same entries, for
 * a recent range (found among the newest) and an old one (older than the newest 2,000 entries).
 */
describe('access log search by date range', () => {
  let ctx: TestContext;
  let operator: TestPartner;
  let officer: string;
  let db: pg.Client;
  const now = Date.now();
  const day = 24 * 3600 * 1000;

  beforeAll(async () => {
    ctx = await createTestContext();
    operator = await ctx.operator({ id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo-network' });
    db = new pg.Client({ connectionString: ctx.databaseUrl });
    await db.connect();
    // 3,000 entries over the last 30 days, in time order, every third of another partner; the
    // chainer is not needed for searching (nothing here verifies the chain).
    await db.query(
      `INSERT INTO access_log_terms (digest, roles, action, resource_type, decision, reason, fields, override, policy_version, format, categories)
       VALUES (sha256('search permit'), ARRAY['caseworker'], 'read', 'Case', 'permit', 'synthetic', '{}', false, 'test', 2, '{}'),
              (sha256('search deny'), ARRAY['caseworker'], 'read', 'Case', 'deny', 'synthetic', '{}', false, 'test', 2, '{}')`,
    );
    await db.query(
      `INSERT INTO access_log_entry (id, occurred_at, request_id, partner_id, user_sub, resource_id, client_ref,
         custodian_partner_id, purpose, consent_id, disclosure_sha256, entry_hash, consent_ids, agreement_id, grant_id, terms_id)
       SELECT gen_random_uuid(), to_timestamp($1 / 1000.0) + make_interval(secs => g * 864), 'search-' || g,
              CASE WHEN g % 3 = 0 THEN 'other-partner' ELSE 'gateway-operator' END, 'user-' || (g % 7),
              md5(g::text)::uuid::text, NULL, NULL, 'care-coordination', NULL, NULL, sha256(('e' || g)::bytea), NULL, NULL, NULL,
              (SELECT id FROM access_log_terms WHERE digest = sha256(CASE WHEN g % 5 = 0 THEN 'search deny' ELSE 'search permit' END::bytea))
         FROM generate_series(1, 3000) g`,
      [now - 30 * day],
    );
  });
  afterAll(async () => {
    await db?.end();
    await ctx?.close();
  });

  /** Every page of a search, following the cursor. */
  async function allPages(query: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await ctx.request({
        url: `/v1/access-log?limit=50&${query}${cursor ? `&cursor=${cursor}` : ''}`,
        token: officer,
        purpose: 'privacy-audit',
      });
      expect(response.status).toBe(200);
      ids.push(...(response.body.items as { id: string }[]).map((item) => item.id));
      cursor = response.body.nextCursor as string | null;
    } while (cursor);
    return ids;
  }

  /** The same range read whole from the database, newest first (taken before the search logs itself). */
  async function reference(
    from: number,
    to: number,
    only: { decision?: string; user?: string; partner?: string } = {},
  ): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM access_log WHERE occurred_at >= $1 AND occurred_at < $2 AND ($3::text IS NULL OR decision = $3)
          AND ($4::text IS NULL OR user_sub = $4) AND ($5::text IS NULL OR partner_id = $5)
        ORDER BY seq DESC`,
      [new Date(from), new Date(to), only.decision ?? null, only.user ?? null, only.partner ?? null],
    );
    return rows.map((r) => r.id);
  }

  const range = (from: number, to: number) =>
    `from=${encodeURIComponent(new Date(from).toISOString())}&to=${encodeURIComponent(new Date(to).toISOString())}`;

  it('gives a recent range page by page, exactly as reading the whole range', async () => {
    // The last five days of synthetic entries (no search entry yet falls in it: it ends an hour ago).
    const from = now - 5 * day;
    const to = now - 3600 * 1000;
    const expected = await reference(from, to);
    expect(expected.length).toBeGreaterThan(400);
    expect(await allPages(range(from, to))).toEqual(expected);
  });

  it('gives an old range, older than the newest entries, as reading the whole range', async () => {
    const from = now - 28 * day;
    const to = now - 25 * day;
    const expected = await reference(from, to);
    expect(expected.length).toBeGreaterThan(100);
    expect(await allPages(range(from, to))).toEqual(expected);
    // With another filter too, and a range only partly among the newest entries.
    const wide = await reference(now - 20 * day, now - 3600 * 1000, { decision: 'deny' });
    expect(await allPages(`${range(now - 20 * day, now - 3600 * 1000)}&decision=deny`)).toEqual(wide);
  });

  it('does not stop at the newest entries when they hold only part of a page', async () => {
    // About one entry in a hundred matches: the newest 2,000 hold some, older ones hold the rest.
    const only = { decision: 'deny', user: 'user-3', partner: 'other-partner' };
    const expected = await reference(now - 30 * day, now - 3600 * 1000, only);
    expect(expected.length).toBeGreaterThan(25);
    expect(expected.length).toBeLessThan(50);
    const query = `${range(now - 30 * day, now - 3600 * 1000)}&decision=deny&user=user-3&partner=other-partner`;
    expect(await allPages(query)).toEqual(expected);
  });
});
