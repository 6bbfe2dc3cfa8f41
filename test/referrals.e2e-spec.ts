import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChainService } from '../src/access-log/chain.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** A social housing company refers a tenant; the outreach team decides; the housing company sees status only. */
describe('referrals', () => {
  let ctx: TestContext;
  let housing: TestPartner;
  let outreach: TestPartner;
  let otherHousing: TestPartner;
  let referrer: string;
  let team: string;
  let coordinator: string;

  const referral = (overrides: Record<string, unknown> = {}) => ({
    targetPartnerId: outreach.id,
    tenant: {
      givenName: 'Anna',
      familyName: 'Peeters',
      birthDate: '1985-07-30',
      language: 'nl',
      phone: '+3225550100',
      address: { street: 'Kerkstraat', number: '12', postalCode: '1050', municipality: 'Elsene' },
    },
    signals: ['neglect-of-dwelling', 'withdrawal', 'psychological-problems'],
    description: 'Ramen dichtgeplakt, reageert niet op brieven, buren melden geur.',
    evictionStage: 'considered',
    tenantInformed: 'yes',
    urgency: 'high',
    contact: { name: 'Els Janssens', phone: '+3225550101', email: 'els@example.org' },
    ...overrides,
  });
  const submit = (body: unknown, token = referrer, headers: Record<string, string> = {}) =>
    ctx.request({ method: 'POST', url: '/v1/referrals', token, purpose: 'referral', body, headers });
  const read = (id: string, token: string) => ctx.request({ url: `/v1/referrals/${id}`, token, purpose: 'referral' });

  beforeAll(async () => {
    ctx = await createTestContext();
    housing = await ctx.newPartner({ type: 'social-housing-company' });
    otherHousing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    const admin = await (await ctx.operator()).token();
    for (const party of [housing.id, otherHousing.id]) {
      const agreement = await ctx.request({
        method: 'POST',
        url: '/v1/agreements',
        token: admin,
        purpose: 'administration',
        body: {
          title: 'Aanklampende zorg',
          partnerIds: [party, outreach.id],
          purposes: ['referral'],
          validFrom: '2026-01-01',
        },
      });
      expect(agreement.status).toBe(201);
    }
    referrer = await housing.token({ roles: ['referrer'], sub: 'els', profession: 'housing-officer' });
    team = await outreach.token({ roles: ['caseworker'], sub: 'nurse-1', profession: 'psychiatric-nurse' });
    coordinator = await outreach.token({ roles: ['coordinator'], sub: 'coord-1', profession: 'psychologist' });
  });
  afterAll(async () => ctx?.close());

  it('follows a referral without a national number from submission to acceptance; the referrer sees status only', async () => {
    const created = await submit(referral());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), status: 'submitted', withheld: [] });
    const id = created.body.id;

    const asReferrer = await read(id, referrer);
    expect(asReferrer.status).toBe(200);
    expect(asReferrer.body).toMatchObject({ id, status: 'submitted', contactEstablished: false, decision: null });
    for (const field of ['givenName', 'familyName', 'notes', 'signals', 'phone', 'knownClient'])
      expect(asReferrer.body).not.toHaveProperty(field);
    expect(asReferrer.text).not.toContain('Anna');
    // The housing partner is told that clinical content is withheld from it, and why.
    const withheld = Object.fromEntries(
      asReferrer.body.withheld.map((w: { category: string; reason: string }) => [w.category, w.reason]),
    );
    expect(withheld.health).toContain('housing-never-receives-clinical-content');
    expect(Object.keys(withheld)).toEqual(expect.arrayContaining(['identity', 'health', 'narrative', 'safety']));

    const asTeam = await read(id, team);
    expect(asTeam.body).toMatchObject({
      givenName: 'Anna',
      familyName: 'Peeters',
      nationalNumber: null,
      signals: expect.arrayContaining(['withdrawal']),
      evictionStage: 'considered',
      notes: expect.stringContaining('Ramen'),
      knownClient: false,
    });

    const accepted = await ctx.request({
      method: 'POST',
      url: `/v1/referrals/${id}/decision`,
      token: coordinator,
      purpose: 'referral',
      body: { decision: 'accept' },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'accepted', caseId: expect.any(String) });

    const later = await read(id, referrer);
    expect(later.body).toMatchObject({ status: 'accepted', decision: 'accepted', decidedAt: expect.any(String) });
    expect(later.text).not.toContain('Anna');

    // Every step is on record, and the chain verifies.
    const steps = (await ctx.dataSource.query(
      `SELECT action, decision, partner_id FROM access_log WHERE resource_id = $1 ORDER BY seq`,
      [id],
    )) as { action: string; decision: string; partner_id: string }[];
    expect(steps.map((s) => `${s.partner_id === housing.id ? 'housing' : 'team'} ${s.action} ${s.decision}`)).toEqual([
      'housing create permit',
      'housing read permit',
      'team read permit',
      'team decide permit',
      'housing read permit',
    ]);
    expect((await ctx.app.get(ChainService).verify()).ok).toBe(true);
  });

  it('stores no plaintext of personal fields', async () => {
    await submit(
      referral({
        tenant: { givenName: 'Zeynep', familyName: 'Kaya', nationalNumber: '85073003328' },
        description: 'Verzamelwoede, huurachterstal van drie maanden.',
      }),
    );
    const dump =
      JSON.stringify(await ctx.dataSource.query('SELECT * FROM client')) +
      JSON.stringify(await ctx.dataSource.query('SELECT * FROM referral'));
    for (const secret of ['Zeynep', 'Kaya', '85073003328', 'Verzamelwoede', 'Els Janssens', 'Kerkstraat', 'withdrawal'])
      expect(dump).not.toContain(secret);
  });

  it('recognises a client the team already knows by national number, and tells only the team', async () => {
    const first = await submit(referral({ tenant: { familyName: 'Janssens', nationalNumber: '85073003328' } }));
    const second = await submit(referral({ tenant: { givenName: 'M.', nationalNumber: '85.07.30-033.28' } }));
    expect((await read(second.body.id, team)).body.knownClient).toBe(true);
    expect((await read(first.body.id, team)).body.knownClient).toBe(true);
    expect((await read(second.body.id, referrer)).body).not.toHaveProperty('knownClient');
  });

  it('refuses a referral without an agreement, or of a tenant who was not informed, saying what is missing', async () => {
    const stranger = await ctx.newPartner({ type: 'social-rental-agency' });
    const noAgreement = await submit(referral(), await stranger.token({ roles: ['referrer'] }));
    expect(noAgreement.status).toBe(403);
    expect(noAgreement.body.detail).toContain('cooperation agreement');
    const uninformed = await submit(referral({ tenantInformed: 'no' }));
    expect(uninformed.status).toBe(403);
    expect(uninformed.body.detail).toContain('tenant informed');
    const logged = await ctx.dataSource.query(
      `SELECT count(*)::int AS n FROM access_log WHERE resource_type = 'Referral' AND action = 'create' AND decision = 'deny'`,
    );
    expect(logged[0].n).toBe(2);
  });

  it('answers 404 "not found or no access" for another partner\'s referral, and logs the attempt', async () => {
    const created = await submit(referral());
    const otherReferrer = await otherHousing.token({ roles: ['referrer'], sub: 'nosy' });
    const response = await read(created.body.id, otherReferrer);
    expect(response.status).toBe(404);
    expect(response.body.detail).toBe('Referral not found or no access');
    const missing = await read('00000000-0000-4000-8000-000000000000', otherReferrer);
    expect(missing.body.detail).toBe(response.body.detail);
    const attempts = await ctx.dataSource.query(`SELECT decision FROM access_log WHERE user_sub = 'nosy'`);
    expect(attempts.map((a: { decision: string }) => a.decision)).toEqual(['deny', 'deny']);
  });

  it('refuses a second decision with 409 and changes nothing', async () => {
    const created = await submit(referral());
    const decide = (body: unknown) =>
      ctx.request({
        method: 'POST',
        url: `/v1/referrals/${created.body.id}/decision`,
        token: coordinator,
        purpose: 'referral',
        body,
      });
    expect(
      (
        await decide({
          decision: 'decline',
          reasonCode: 'not-our-target-group',
          reason: 'Geen psychische problematiek',
        })
      ).status,
    ).toBe(200);
    const again = await decide({ decision: 'accept' });
    expect(again.status).toBe(409);
    expect((await read(created.body.id, referrer)).body.status).toBe('declined');
    expect((await decide({ decision: 'redirect' })).status).toBe(400);
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/referrals/${created.body.id}/decision`,
          token: referrer,
          purpose: 'referral',
          body: { decision: 'accept' },
        })
      ).status,
    ).toBe(403);
  });

  it('rejects invalid referrals with 400 pointers and creates nothing', async () => {
    const count = async () => (await ctx.dataSource.query('SELECT count(*)::int AS n FROM referral'))[0].n as number;
    const before = await count();
    const cases: [string, unknown, string][] = [
      ['no name at all', referral({ tenant: { birthDate: '1985-07-30' } }), '/tenant/givenName'],
      [
        'bad national number',
        referral({ tenant: { familyName: 'X', nationalNumber: '85073003329' } }),
        '/tenant/nationalNumber',
      ],
      ['no signals', referral({ signals: [] }), '/signals'],
      ['unknown signal', referral({ signals: ['laziness'] }), '/signals'],
      ['bad eviction stage', referral({ evictionStage: 'soon' }), '/evictionStage'],
      ['description too long', referral({ description: 'x'.repeat(4001) }), '/description'],
      ['no contact name', referral({ contact: { phone: '+32' } }), '/contact/name'],
      ['unknown field', referral({ tenant: { familyName: 'X', religion: 'none' } }), '/tenant/religion'],
      ['target is not a team', referral({ targetPartnerId: housing.id }), '/targetPartnerId'],
    ];
    for (const [label, body, pointer] of cases) {
      const response = await submit(body);
      expect({ label, status: response.status }).toEqual({ label, status: 400 });
      expect({ label, pointers: response.body.errors.map((e: { pointer: string }) => e.pointer) }).toEqual({
        label,
        pointers: expect.arrayContaining([pointer]),
      });
    }
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: '/v1/referrals',
          token: referrer,
          purpose: 'curiosity',
          body: referral(),
        })
      ).status,
    ).toBe(400);
    expect(await count()).toBe(before);
  });

  it('replays a retried submission and refuses the same key with another body', async () => {
    const first = await submit(referral(), referrer, { 'idempotency-key': 'ref-2026-0042' });
    const retry = await submit(referral(), referrer, { 'idempotency-key': 'ref-2026-0042' });
    expect(retry.body.id).toBe(first.body.id);
    const other = await submit(referral({ urgency: 'normal' }), referrer, { 'idempotency-key': 'ref-2026-0042' });
    expect(other.status).toBe(422);
  });

  it("lists a partner's referrals with status only, scoped to the partner", async () => {
    const list = await ctx.request({ url: '/v1/referrals?limit=3', token: referrer, purpose: 'referral' });
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBe(3);
    expect(list.text).not.toContain('Anna');
    expect(list.body.items.every((i: { role: string }) => i.role === 'referrer')).toBe(true);
    const others = await ctx.request({
      url: '/v1/referrals',
      token: await otherHousing.token({ roles: ['referrer'] }),
      purpose: 'referral',
    });
    expect(others.body.items).toEqual([]);
  });

  it("shows the receiving team each referral's urgency in its list, and logs that it did; the referrer neither", async () => {
    const entryOf = async (sub: string) =>
      (
        await ctx.dataSource.query(
          `SELECT categories FROM access_log WHERE user_sub = $1 AND resource_type = 'Referral' AND action = 'read'
             AND resource_id IS NULL ORDER BY seq DESC LIMIT 1`,
          [sub],
        )
      )[0] as { categories: string[] };
    const forTeam = await ctx.request({ url: '/v1/referrals?limit=5', token: team, purpose: 'referral' });
    expect(forTeam.status).toBe(200);
    expect(forTeam.body.items.length).toBeGreaterThan(0);
    for (const item of forTeam.body.items)
      expect(item).toMatchObject({ role: 'receiver', urgency: expect.any(String) });
    expect((await entryOf('nurse-1')).categories.sort()).toEqual(['case-status', 'referral-context']);

    const forReferrer = await ctx.request({ url: '/v1/referrals?limit=5', token: referrer, purpose: 'referral' });
    for (const item of forReferrer.body.items) expect(item).not.toHaveProperty('urgency');
    expect((await entryOf('els')).categories).toEqual(['case-status']);
  });
});
