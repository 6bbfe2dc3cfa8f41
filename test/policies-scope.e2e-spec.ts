import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadPolicySet, type FactValue } from '../src/policies/policy-files.js';
import { scopeToSql } from '../src/policies/policy-scope.js';
import { PolicyEngine, type AuthorizationRequest } from '../src/policies/policy-engine.js';
import { adminUrl } from './support/test-context.js';

/**
 * A list endpoint filters by the policy in SQL, before the LIMIT: the compiled scope, run by
 * PostgreSQL over every combination of record facts, selects exactly the records for which the
 * engine's authorize() permits something — and a page of it is the first page of that set.
 */
describe('policy scopes run in PostgreSQL', () => {
  const engine = new PolicyEngine(loadPolicySet(join(process.cwd(), 'policies')));
  let db: DataSource;

  interface Row {
    id: number;
    own: boolean | null;
    circle: boolean | null;
    agreement: boolean | null;
    aftercare: boolean;
    glass: boolean;
    consented: string[];
    objection: boolean;
  }
  const rows: Row[] = [];
  for (const own of [true, false, null])
    for (const circle of [true, false, null])
      for (const agreement of [true, false, null])
        for (const aftercare of [true, false])
          for (const glass of [true, false])
            for (const consented of [
              [],
              ['housing'],
              ['health', 'care-plan'],
              ['identity', 'contact', 'housing', 'social', 'case-status'],
            ])
              for (const objection of [false, true])
                rows.push({ id: rows.length + 1, own, circle, agreement, aftercare, glass, consented, objection });

  const literal = (v: boolean | null) => (v === null ? 'NULL::boolean' : v ? 'TRUE' : 'FALSE');
  const values = rows
    .map(
      (r) =>
        `(${r.id}, ${literal(r.own)}, ${literal(r.circle)}, ${literal(r.agreement)}, ${literal(r.aftercare)}, ${literal(r.glass)}, ARRAY[${r.consented.map((c) => `'${c}'`).join(',')}]::text[], ${literal(r.objection)})`,
    )
    .join(',\n');

  /** How a repository would map the policy's facts to its columns. */
  const facts = {
    ownOrganisation: () => 'r.own',
    inCircle: () => 'r.circle',
    agreementInForce: () => 'r.agreement',
    aftercare: () => 'r.aftercare',
    breakTheGlass: () => 'r.glass',
    consent: (category: string | undefined, bind: (v: FactValue) => string) =>
      category
        ? `CASE WHEN r.objection THEN 'objected' WHEN ${bind(category)} = ANY(r.consented) THEN 'given' ELSE 'none' END`
        : `CASE WHEN r.objection THEN 'objected' ELSE 'none' END`,
  };

  async function select(caller: Omit<AuthorizationRequest, 'facts'>, limit?: number): Promise<number[]> {
    const { sql, params } = scopeToSql(engine.scopeFor(caller), facts);
    const query = `SELECT r.id FROM (VALUES ${values}) AS r(id, own, circle, agreement, aftercare, glass, consented, objection) WHERE ${sql} ORDER BY r.id${limit ? ` LIMIT ${limit}` : ''}`;
    const [text, bound] = db.driver.escapeQueryWithParameters(query, params);
    return ((await db.query(text, bound)) as { id: number }[]).map((r) => Number(r.id));
  }

  const expected = (caller: Omit<AuthorizationRequest, 'facts'>) =>
    rows
      .filter((r) =>
        engine
          .authorize({
            ...caller,
            facts: {
              ownOrganisation: r.own ?? undefined,
              inCircle: r.circle ?? undefined,
              agreementInForce: r.agreement ?? undefined,
              aftercare: r.aftercare,
              breakTheGlass: r.glass,
            },
            consentedCategories: r.consented,
            objection: r.objection,
            // A category waiting for the coordinator's judgement grants nothing yet.
          })
          .grants.some((g) => !g.review),
      )
      .map((r) => r.id);

  beforeAll(async () => {
    db = new DataSource({ type: 'postgres', url: adminUrl() });
    await db.initialize();
  });
  afterAll(async () => db?.destroy());

  const callers: [string, Omit<AuthorizationRequest, 'facts'>][] = [
    [
      'CAW caseworker in duo follow-up',
      {
        partnerType: 'caw',
        roles: ['caseworker'],
        profession: 'social-worker',
        purpose: 'duo-follow-up',
        action: 'read',
        resourceType: 'Case',
      },
    ],
    [
      'GP under professional secrecy',
      {
        partnerType: 'general-practitioner',
        roles: ['caseworker'],
        profession: 'general-practitioner',
        purpose: 'care-coordination',
        action: 'read',
        resourceType: 'Case',
      },
    ],
    [
      'outreach caseworker',
      {
        partnerType: 'outreach-team',
        roles: ['caseworker'],
        purpose: 'care-coordination',
        action: 'read',
        resourceType: 'Case',
      },
    ],
    [
      'OCMW in a crisis',
      { partnerType: 'ocmw', roles: ['caseworker'], purpose: 'crisis', action: 'read', resourceType: 'Case' },
    ],
    [
      'housing referrer',
      {
        partnerType: 'social-housing-company',
        roles: ['referrer'],
        purpose: 'referral',
        action: 'read',
        resourceType: 'Referral',
      },
    ],
  ];

  it.each(callers)('%s: SQL selects exactly what authorize() permits', async (_label, caller) => {
    const want = expected(caller);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(rows.length);
    expect(await select(caller)).toEqual(want);
  });

  it('filters before the LIMIT: a page is the first page of the permitted records, never a filtered page', async () => {
    const caller = callers[0][1];
    expect(await select(caller, 10)).toEqual(expected(caller).slice(0, 10));
  });

  it('selects nothing for a caller the policy gives no case content (a privacy officer)', async () => {
    expect(
      await select({
        partnerType: 'other',
        roles: ['privacy-officer'],
        purpose: 'privacy-audit',
        action: 'read',
        resourceType: 'Case',
      }),
    ).toEqual([]);
  });
});
