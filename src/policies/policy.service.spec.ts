import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadPolicySet, type FactName, type FactValue, type PolicySet } from './policy-files.js';
import { scopeHolds, scopeToSql } from './policy-scope.js';
import { holds, PolicyEngine, type AuthorizationRequest, type RequestFacts } from './policy-engine.js';

const shipped = loadPolicySet(join(process.cwd(), 'policies'));

const objectedCawRead = {
  partnerType: 'caw',
  roles: ['caseworker'],
  purpose: 'duo-follow-up',
  action: 'read',
  resourceType: 'Case',
  facts: { inCircle: true, agreementInForce: true },
  consentedCategories: ['housing'],
  objection: true,
  categories: ['housing'],
};

describe('PolicyEngine', () => {
  it("refuses a network power at the guard's type-level check to any caller but the network operator", () => {
    const engine = new PolicyEngine(shipped);
    for (const partnerType of ['other', 'social-housing-company', 'outreach-team']) {
      expect(
        engine.decide(['gateway-admin'], 'administration', 'update', 'Partner', partnerType, false).permitted,
      ).toBe(false);
      expect(
        engine.decide(['gateway-admin'], 'administration', 'create', 'Agreement', partnerType, false).permitted,
      ).toBe(false);
      expect(engine.mayUsePurpose(['gateway-admin'], 'administration', partnerType, false)).toBe(
        // gateway-admin still reads the policy for administration; no other administration power.
        engine.decide(['gateway-admin'], 'administration', 'read', 'Policy', partnerType, false).permitted,
      );
    }
    expect(engine.decide(['gateway-admin'], 'administration', 'update', 'Partner', 'other', true).permitted).toBe(true);
    expect(
      engine.scopeFor({
        partnerType: 'other',
        roles: ['privacy-officer'],
        purpose: 'privacy-audit',
        action: 'read',
        resourceType: 'AccessLogEntry',
        operator: true,
      }),
    ).toEqual({ kind: 'all' });
    expect(
      engine.scopeFor({
        partnerType: 'other',
        roles: ['privacy-officer'],
        purpose: 'privacy-audit',
        action: 'read',
        resourceType: 'AccessLogEntry',
      }),
    ).toMatchObject({ kind: 'fact', fact: 'ownOrganisation' });
  });

  it('lets a later rule override an earlier one: the objection rule wins because it comes last', () => {
    expect(new PolicyEngine(shipped).authorize(objectedCawRead).decision).toBe('deny');
    // Move the objection rule to the top: the CAW permit that follows now overrides it.
    const objection = shipped.rules.find((r) => r.id === 'objection-overrides-consent')!;
    const reordered: PolicySet = { ...shipped, rules: [objection, ...shipped.rules.filter((r) => r !== objection)] };
    const consentAsGiven = { ...objectedCawRead, objection: false };
    expect(new PolicyEngine(reordered).authorize(consentAsGiven).decision).toBe('permit');
    expect(new PolicyEngine(reordered).authorize(objectedCawRead).decision).toBe('deny');
  });

  it('projects a record to the permitted fields and names the withheld groups with the reason', () => {
    const engine = new PolicyEngine(shipped);
    const result = engine.authorize({ ...objectedCawRead, objection: false, categories: ['housing', 'health'] });
    const { data, withheld } = engine.project(
      { rentArrears: 1200, evictionStage: 'started', diagnoses: ['psychosis'], medication: ['x'] },
      result,
    );
    expect(data).toEqual({ rentArrears: 1200, evictionStage: 'started' });
    expect(withheld.map((w) => w.category)).toEqual(['health']);
    expect(JSON.stringify(data)).not.toContain('psychosis');
  });

  it('caches one ability per partner type, roles and purpose, and answers the guard type-level', () => {
    const engine = new PolicyEngine(shipped);
    expect(engine.decide(['caseworker'], 'duo-follow-up', 'read', 'Case', 'caw').permitted).toBe(true);
    expect(engine.decide(['caseworker'], 'duo-follow-up', 'update', 'Case', 'caw').permitted).toBe(false);
    expect(engine.decide(['referrer'], 'duo-follow-up', 'read', 'Case', 'social-housing-company').permitted).toBe(
      false,
    );
  });

  it('names what is missing for a refusal in one list as well as per category', () => {
    const result = new PolicyEngine(shipped).authorize({
      ...objectedCawRead,
      objection: false,
      consentedCategories: [],
      facts: { inCircle: false, agreementInForce: true },
    });
    expect(result.decision).toBe('deny');
    expect(result.missing).toEqual(
      expect.arrayContaining([expect.stringContaining('circle of care'), expect.stringContaining('consent')]),
    );
    expect(result.missing).not.toEqual(expect.arrayContaining([expect.stringContaining('agreement')]));
  });
});

/** Every combination of record facts a list query may meet (consent as one state for all categories, or for housing only). */
function* records(): Generator<{ facts: RequestFacts; consented: string[]; objection: boolean }> {
  const bools = [true, false, undefined];
  for (const ownOrganisation of bools)
    for (const inCircle of bools)
      for (const agreementInForce of bools)
        for (const aftercare of [true, false])
          for (const breakTheGlass of [true, false])
            for (const consented of [[], ['housing'], ['health', 'care-plan'], shipped.categories.map((c) => c.id)])
              for (const objection of [false, true])
                yield {
                  facts: { ownOrganisation, inCircle, agreementInForce, aftercare, breakTheGlass },
                  consented,
                  objection,
                };
}

const listCallers: (Omit<AuthorizationRequest, 'facts'> & { label: string })[] = [
  {
    label: 'CAW caseworker, duo follow-up',
    partnerType: 'caw',
    roles: ['caseworker'],
    profession: 'social-worker',
    purpose: 'duo-follow-up',
    action: 'read',
    resourceType: 'Case',
  },
  {
    label: 'GP with secrecy, care coordination',
    partnerType: 'general-practitioner',
    roles: ['caseworker'],
    profession: 'general-practitioner',
    purpose: 'care-coordination',
    action: 'read',
    resourceType: 'Case',
  },
  {
    label: 'GP without a profession claim, health only',
    partnerType: 'general-practitioner',
    roles: ['caseworker'],
    purpose: 'care-coordination',
    action: 'read',
    resourceType: 'Case',
    categories: ['health'],
  },
  {
    label: 'outreach caseworker, care coordination',
    partnerType: 'outreach-team',
    roles: ['caseworker'],
    purpose: 'care-coordination',
    action: 'read',
    resourceType: 'Case',
  },
  {
    label: 'OCMW caseworker, crisis',
    partnerType: 'ocmw',
    roles: ['caseworker'],
    purpose: 'crisis',
    action: 'read',
    resourceType: 'Case',
  },
  {
    label: 'housing referrer, own referrals',
    partnerType: 'social-housing-company',
    roles: ['referrer'],
    purpose: 'referral',
    action: 'read',
    resourceType: 'Referral',
  },
  {
    label: 'housing referrer, health of referrals',
    partnerType: 'social-housing-company',
    roles: ['referrer'],
    purpose: 'referral',
    action: 'read',
    resourceType: 'Referral',
    categories: ['health'],
  },
  {
    label: 'privacy officer, case content',
    partnerType: 'other',
    roles: ['privacy-officer'],
    purpose: 'privacy-audit',
    action: 'read',
    resourceType: 'Case',
  },
  {
    label: 'coordinator, merge clients',
    partnerType: 'outreach-team',
    roles: ['coordinator'],
    purpose: 'care-coordination',
    action: 'merge',
    resourceType: 'Client',
  },
];

describe('list scopes (filters pushed into SQL)', () => {
  const engine = new PolicyEngine(shipped);

  it.each(listCallers.map((c) => [c.label, c] as const))(
    '%s: a record is in the scope exactly when authorize() grants it something without a pending review',
    (_label, caller) => {
      const scope = engine.scopeFor(caller);
      for (const record of records()) {
        const result = engine.authorize({
          ...caller,
          facts: record.facts,
          consentedCategories: record.consented,
          objection: record.objection,
        });
        // A category waiting for the coordinator grants nothing yet (the access kernel withholds it).
        const shown = result.grants.some((g) => !g.review);
        const factOf = (fact: FactName, category: string | undefined): FactValue | undefined =>
          fact === 'consent'
            ? record.objection
              ? 'objected'
              : category && record.consented.includes(category)
                ? 'given'
                : 'none'
            : (record.facts as Record<string, FactValue | undefined>)[fact];
        const inScope = scopeHolds(scope, factOf, holds);
        expect({ record, inScope }).toEqual({ record, inScope: shown });
      }
    },
  );

  it('gives nothing to a caller no rule addresses, and every record to an unconditional permit', () => {
    expect(
      engine.scopeFor({
        partnerType: 'other',
        roles: ['privacy-officer'],
        purpose: 'privacy-audit',
        action: 'read',
        resourceType: 'Case',
      }),
    ).toEqual({ kind: 'none' });
    expect(
      engine.scopeFor({
        partnerType: 'other',
        roles: ['gateway-admin'],
        purpose: 'administration',
        action: 'read',
        resourceType: 'Partner',
        operator: true,
      }),
    ).toEqual({ kind: 'all' });
    // The same role of any partner but the network operator addresses no rule at all.
    expect(
      engine.scopeFor({
        partnerType: 'other',
        roles: ['gateway-admin'],
        purpose: 'administration',
        action: 'read',
        resourceType: 'Partner',
      }),
    ).toEqual({ kind: 'none' });
    expect(
      engine.scopeFor({
        partnerType: 'social-housing-company',
        roles: ['referrer'],
        purpose: 'referral',
        action: 'read',
        resourceType: 'Referral',
        categories: ['health'],
      }),
    ).toEqual({ kind: 'none' });
  });

  it('compiles a scope to SQL with bound parameters, keeping later deny rules as AND NOT', () => {
    const scope = engine.scopeFor({
      partnerType: 'caw',
      roles: ['caseworker'],
      purpose: 'duo-follow-up',
      action: 'read',
      resourceType: 'Case',
      categories: ['housing'],
    });
    const { sql, params } = scopeToSql(scope, {
      inCircle: () => 'c.in_circle',
      agreementInForce: () => 'c.agreement',
      consent: (category, bind) => `consent_for(${bind(category!)})`,
    });
    // The objection rule comes later in the file, so it is checked first: NOT objected AND the CAW permit.
    expect(sql).toBe(
      '((NOT COALESCE((consent_for(:policy_0)) = :policy_1, FALSE)) AND COALESCE((c.in_circle) = :policy_2, FALSE) AND COALESCE((c.agreement) = :policy_3, FALSE) AND COALESCE((consent_for(:policy_4)) = :policy_5, FALSE))',
    );
    expect(params).toEqual({
      policy_0: 'housing',
      policy_1: 'objected',
      policy_2: true,
      policy_3: true,
      policy_4: 'housing',
      policy_5: 'given',
    });
  });

  it('refuses to compile a scope whose fact the query cannot express (fail closed)', () => {
    const scope = engine.scopeFor({
      partnerType: 'caw',
      roles: ['caseworker'],
      purpose: 'duo-follow-up',
      action: 'read',
      resourceType: 'Case',
    });
    expect(() => scopeToSql(scope, { inCircle: () => 'c.in_circle', agreementInForce: () => 'c.agreement' })).toThrow(
      /no SQL for the policy fact "consent"/,
    );
  });
});
