import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestContext, type TestContext } from './support/test-context.js';

/** The line of `- id: <rule>` in the shipped rules.yaml: where explain must point. */
const ruleLine = (id: string) =>
  readFileSync(join(process.cwd(), 'policies', 'rules.yaml'), 'utf8')
    .split('\n')
    .findIndex((l) => l.trim() === `- id: ${id}`) + 1;

/** A privacy officer asks the policy: what is enforced, why was this allowed, what is the record of processing. */
describe('policy endpoints', () => {
  let ctx: TestContext;
  let officer: string;
  let referrer: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    const operator = await ctx.operator();
    officer = await operator.token({ roles: ['privacy-officer'] });
    referrer = await (await ctx.newPartner({ type: 'social-housing-company' })).token({ roles: ['referrer'] });
  });
  afterAll(async () => ctx?.close());

  const explain = (body: unknown, token = officer) =>
    ctx.request({ method: 'POST', url: '/v1/policies/explain', token, purpose: 'privacy-audit', body });

  it('shows the enforced policy with its version and every rule with its source line', async () => {
    const response = await ctx.request({ url: '/v1/policies', token: officer, purpose: 'privacy-audit' });
    expect(response.status).toBe(200);
    expect(response.body.version).toMatch(/^sha256:/);
    expect(response.body.switches.referralOfUninformedTenant).toBe('refuse');
    expect(response.body.switches.referralAfterTenantRefused).toBe('refuse');
    expect(response.body.switches).not.toHaveProperty('familyRequiresConsent');
    expect(response.body.constants).toEqual({ familyRequiresConsent: true });
    const rule = response.body.rules.find((r: { id: string }) => r.id === 'caw-duo-follow-up');
    expect(rule).toMatchObject({
      subject: 'Case',
      requires: ['inCircle', 'agreementInForce', 'consent'],
      source: { file: 'policies/rules.yaml', line: expect.any(Number) },
    });
  });

  it('explains a permit: the deciding rule with file and line, the permitted categories and the legal basis', async () => {
    const response = await explain({
      subject: { partnerType: 'caw', roles: ['caseworker'], profession: 'social-worker' },
      action: 'read',
      resource: 'Case',
      purpose: 'duo-follow-up',
      facts: { inCircle: true, agreementInForce: true },
      consent: ['housing', 'social'],
      categories: ['housing', 'social', 'health'],
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      decision: 'permit',
      rule: { id: 'caw-duo-follow-up', file: 'policies/rules.yaml', line: ruleLine('caw-duo-follow-up') },
      permittedCategories: ['housing', 'social'],
      legalBasis: expect.stringContaining('consent'),
    });
    expect(response.body.withheld).toEqual([expect.objectContaining({ category: 'health' })]);
    expect(response.body.permittedFields).toEqual(expect.arrayContaining(['rentArrears', 'debts']));
  });

  it('explains a refusal by what is missing: no agreement, not in the circle, no consent', async () => {
    const response = await explain({
      subject: { partnerType: 'caw', roles: ['caseworker'] },
      action: 'read',
      resource: 'Case',
      purpose: 'duo-follow-up',
      facts: { inCircle: false, agreementInForce: false },
      categories: ['housing'],
    });
    expect(response.body.decision).toBe('deny');
    expect(response.body.withheld[0].missing).toEqual(
      expect.arrayContaining([
        expect.stringContaining('agreement'),
        expect.stringContaining('circle of care'),
        expect.stringContaining('consent'),
      ]),
    );
    expect(response.body.explanation).toMatch(/^Refused/);
    expect(response.body.missing).toEqual(response.body.withheld[0].missing);
    expect(response.body.rule).toBeNull();
  });

  it('says that "informed, no objection" does not stand in for consent under the default switch', async () => {
    const response = await explain({
      subject: { partnerType: 'caw', roles: ['caseworker'] },
      action: 'read',
      resource: 'Case',
      purpose: 'duo-follow-up',
      facts: { inCircle: true, agreementInForce: true },
      informedNoObjection: ['housing'],
      categories: ['housing'],
    });
    expect(response.body).toMatchObject({ decision: 'deny', missing: [expect.stringContaining('consent')] });
  });

  it('explains an objection and a rule that refuses outright', async () => {
    const objection = await explain({
      subject: { partnerType: 'caw', roles: ['caseworker'] },
      action: 'read',
      resource: 'Case',
      purpose: 'duo-follow-up',
      facts: { inCircle: true, agreementInForce: true },
      consent: ['housing'],
      objection: true,
      categories: ['housing'],
    });
    expect(objection.body).toMatchObject({
      decision: 'deny',
      rule: {
        id: 'objection-overrides-consent',
        file: 'policies/rules.yaml',
        line: ruleLine('objection-overrides-consent'),
      },
      missing: ['no objection of the client on file'],
    });
    expect(objection.body.explanation).toMatch(
      /^Refused by rule objection-overrides-consent \(policies\/rules\.yaml:\d+\)/,
    );
    const perCategory = await explain({
      subject: { partnerType: 'caw', roles: ['caseworker'] },
      action: 'read',
      resource: 'Case',
      purpose: 'duo-follow-up',
      facts: { inCircle: true, agreementInForce: true },
      consent: ['housing', 'social'],
      objectedCategories: ['social'],
      categories: ['housing', 'social'],
    });
    expect(perCategory.body).toMatchObject({
      decision: 'permit',
      permittedCategories: ['housing'],
      withheld: [{ category: 'social', missing: ['no objection of the client on file'] }],
    });
    const housing = await explain({
      subject: { partnerType: 'social-housing-company', roles: ['referrer'] },
      action: 'read',
      resource: 'Referral',
      purpose: 'referral',
      facts: { ownOrganisation: true },
      categories: ['health'],
    });
    expect(housing.body).toMatchObject({ decision: 'deny', rule: { id: 'housing-never-receives-clinical-content' } });
  });

  it('says pending where the coordinator must judge necessity', async () => {
    const response = await explain({
      subject: { partnerType: 'general-practitioner', roles: ['caseworker'], profession: 'general-practitioner' },
      action: 'read',
      resource: 'Case',
      purpose: 'care-coordination',
      facts: { inCircle: true, agreementInForce: true },
      consent: ['health'],
      categories: ['health'],
    });
    expect(response.body).toMatchObject({
      decision: 'pending',
      rule: { id: 'care-partner-shares-health-under-secrecy' },
    });
  });

  it('refuses questions about unknown roles, purposes and categories with 400 pointers', async () => {
    const response = await explain({
      subject: { partnerType: 'caw', roles: ['wizard'] },
      action: 'read',
      resource: 'Case',
      purpose: 'gossip',
      consent: ['horoscope'],
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(
      expect.arrayContaining(['/subject/roles/0', '/purpose', '/consent/0']),
    );
    expect(
      (
        await explain({
          subject: { partnerType: 'bank', roles: [] },
          action: 'read',
          resource: 'Case',
          purpose: 'referral',
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await explain({
          subject: { partnerType: 'caw', roles: ['caseworker'] },
          action: 'read',
          resource: 'Case',
          purpose: 'referral',
          extra: 1,
        })
      ).status,
    ).toBe(400);
  });

  it('keeps the policy internals from a housing referrer', async () => {
    expect((await ctx.request({ url: '/v1/policies', token: referrer, purpose: 'administration' })).status).toBe(403);
    expect((await explain({}, referrer)).status).toBe(403);
  });

  it('generates the record of processing for every purpose, as JSON and Markdown', async () => {
    const json = await ctx.request({ url: '/v1/processing-register', token: officer, purpose: 'privacy-audit' });
    expect(json.status).toBe(200);
    expect(json.body.activities).toHaveLength(13);
    const duo = json.body.activities.find((a: { purpose: string }) => a.purpose === 'duo-follow-up');
    expect(duo).toMatchObject({
      legalBasis: { article6: expect.any(String) },
      retention: 'P10Y',
      recipients: ['caw', 'ocmw'],
    });
    expect(duo.categories).toEqual(expect.arrayContaining(['housing', 'social']));
    const care = json.body.activities.find((a: { purpose: string }) => a.purpose === 'care-coordination');
    expect(care.specialCategories).toEqual(expect.arrayContaining(['health']));
    for (const activity of json.body.activities) expect(activity.legalBasis.article6.length).toBeGreaterThan(3);

    const markdown = await ctx.request({
      url: '/v1/processing-register',
      token: officer,
      purpose: 'privacy-audit',
      headers: { accept: 'text/markdown' },
    });
    expect(markdown.headers['content-type']).toContain('text/markdown');
    expect(markdown.text).toContain('# Record of processing activities (GDPR art. 30)');
    expect(
      markdown.text
        .split('\n')
        .filter((l) => l.startsWith('| ') && !l.startsWith('| purpose') && !l.startsWith('| ---')),
    ).toHaveLength(13);
  });
});
