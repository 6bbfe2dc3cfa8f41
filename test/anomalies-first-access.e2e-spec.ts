import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnomaliesService } from '../src/oversight/anomalies.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * First access without a relation. Under the shipped policy every permitted read of a case needs
 * the circle of care, so this rule guards against a network loosening that: here the network lets
 * the OCMW see identity data under an agreement and consent without being in the circle.
 */
describe('first-access anomaly', () => {
  let ctx: TestContext;
  let dir: string;
  let officer: string;
  let ocmw: TestPartner;
  let caseId: string;
  let team: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'policy-first-access-'));
    cpSync(join(process.cwd(), 'policies'), dir, { recursive: true });
    const rules = readFileSync(join(dir, 'rules.yaml'), 'utf8');
    const start = rules.indexOf('  - id: ocmw-social-support');
    const end = rules.indexOf('  - id:', start + 10);
    writeFileSync(
      join(dir, 'rules.yaml'),
      rules.slice(0, start) + rules.slice(start, end).replace('      inCircle: { eq: true }\n', '') + rules.slice(end),
    );
    ctx = await createTestContext({ POLICIES_DIR: dir });
    const operator = await ctx.operator({ id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'] });
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const outreach = await ctx.newPartner({ type: 'outreach-team' });
    ocmw = await ctx.newPartner({ type: 'ocmw' });
    const admin = await operator.token({ roles: ['gateway-admin'] });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
    });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: {
        title: 'B',
        partnerIds: [ocmw.id, outreach.id],
        purposes: ['eviction-prevention'],
        validFrom: '2026-01-01',
      },
    });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'coord' });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Jef' },
        signals: ['rent-arrears'],
        evictionStage: 'started',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    caseId = (
      await ctx.request({
        method: 'POST',
        url: `/v1/referrals/${referral.body.id}/decision`,
        token: team,
        purpose: 'referral',
        body: { decision: 'accept' },
      })
    ).body.caseId;
    const clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: team, purpose: 'referral' }))
      .body.clientId;
    await ctx.request({
      method: 'POST',
      url: `/v1/clients/${clientId}/consents`,
      token: team,
      purpose: 'care-coordination',
      body: {
        purposes: ['eviction-prevention'],
        recipients: [{ partnerId: ocmw.id }],
        categories: ['identity'],
        effect: 'permit',
        givenBy: { kind: 'client' },
        method: 'written',
        validFrom: '2026-01-01',
      },
    });
  });
  afterAll(async () => {
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const items = async () =>
    (
      (await ctx.request({ url: '/v1/reviews?status=open', token: officer, purpose: 'privacy-audit' })).body.items as {
        kind: string;
        entryIds: string[];
        summary: { rule: string; user: string };
      }[]
    ).filter((i) => i.summary.rule === 'first-access-without-relation');

  it('flags a colleague who reads a disclosure about a client the organisation has no relation with, once', async () => {
    const asker = await ocmw.token({ roles: ['caseworker'], sub: 'ocmw-asker' });
    const request = await ctx.request({
      method: 'POST',
      url: '/v1/information-requests',
      token: asker,
      purpose: 'eviction-prevention',
      body: {
        caseId,
        purpose: 'eviction-prevention',
        categories: ['identity'],
        justification: 'Huurachterstal, overleg met OCMW over schuldhulp',
      },
    });
    expect(request.body.decision).toBe('permit');
    const colleague = await ocmw.token({ roles: ['caseworker'], sub: 'ocmw-colleague' });
    const disclosure = await ctx.request({
      url: `/v1/information-requests/${request.body.id}/disclosure`,
      token: colleague,
      purpose: 'eviction-prevention',
    });
    expect(disclosure.status).toBe(200);
    const scan = ctx.app.get(AnomaliesService);
    await scan.scan();
    await scan.scan();
    const found = await items();
    expect(found).toHaveLength(1);
    expect(found[0].summary.user).toBe('ocmw-colleague');
    const [entry] = await ctx.dataSource.query(
      `SELECT id FROM access_log WHERE user_sub = 'ocmw-colleague' AND resource_type = 'Disclosure' AND decision = 'permit'`,
    );
    expect(found[0].entryIds).toEqual([entry.id]);
  });

  it('does not flag the OCMW once it is in the circle of care (the holding team is in it from the start)', async () => {
    const before = (await items()).length;
    const added = await ctx.request({
      method: 'POST',
      url: `/v1/cases/${caseId}/circle`,
      token: team,
      purpose: 'care-coordination',
      body: { partnerId: ocmw.id, purposes: ['eviction-prevention'] },
    });
    expect(added.status).toBe(201);
    const ocmwReader = await ocmw.token({ roles: ['caseworker'], sub: 'ocmw-in-circle' });
    expect(
      (await ctx.request({ url: `/v1/cases/${caseId}`, token: ocmwReader, purpose: 'eviction-prevention' })).status,
    ).toBe(200);
    await ctx.app.get(AnomaliesService).scan();
    expect(await items()).toHaveLength(before);
  });
});
