import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * Input no validator expects — absurd nesting, NUL characters, lone surrogates, a missing
 * required object — is a 400 problem+json that names the field and changes nothing; never a 500.
 */
describe('malformed input', () => {
  let ctx: TestContext;
  let outreach: TestPartner;
  let referrer: string;
  let team: string;
  let clientId: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    const admin = await (await ctx.operator()).token();
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
    });
    referrer = await housing.token({ roles: ['referrer'] });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], profession: 'social-worker' });
    const referral = await submit(valid());
    expect(referral.status).toBe(201);
    await ctx.request({
      method: 'POST',
      url: `/v1/referrals/${referral.body.id}/decision`,
      token: team,
      purpose: 'referral',
      body: { decision: 'accept' },
    });
    clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: team, purpose: 'referral' })).body
      .clientId;
  });
  afterAll(async () => ctx?.close());

  const valid = (): Record<string, unknown> => ({
    targetPartnerId: outreach.id,
    tenant: { givenName: 'Anna' },
    signals: ['debts'],
    description: 'Brievenbus puilt uit.',
    evictionStage: 'none',
    tenantInformed: 'yes',
    contact: { name: 'Els', email: 'els@example.org' },
  });
  const submit = (body: unknown) =>
    ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: referrer,
      purpose: 'referral',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  const referralCount = async () => (await ctx.dataSource.query('SELECT count(*)::int AS n FROM referral'))[0].n;

  /** A 400 problem+json naming `pointer`, with nothing created and the offending text not echoed. */
  async function expectRefused(
    send: () => Promise<{ status: number; headers: Record<string, unknown>; body: any; text: string }>,
    pointer: string,
  ) {
    const before = await referralCount();
    const response = await send();
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(response.text).not.toContain('Brievenbus');
    expect(await referralCount()).toBe(before);
    return response;
  }

  it('refuses JSON nested 10,000 deep, as an array, an object, and inside a field', async () => {
    await expectRefused(() => submit('['.repeat(10_000) + ']'.repeat(10_000)), '');
    await expectRefused(() => submit('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)), '');
    const inField = JSON.stringify(valid()).replace(
      '"signals":["debts"]',
      `"signals":${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    );
    await expectRefused(() => submit(inField), '');
  });

  it('still reads brackets inside strings as text, not as nesting', async () => {
    const response = await submit({ ...valid(), description: '[[[[{{{{'.repeat(200) });
    expect(response.status).toBe(201);
  });

  it('refuses NUL characters in a text field, in a nested field and in a field name', async () => {
    await expectRefused(() => submit({ ...valid(), description: 'Brievenbus\u0000' }), '/description');
    await expectRefused(() => submit({ ...valid(), tenant: { givenName: 'An\u0000na' } }), '/tenant/givenName');
    await expectRefused(() => submit({ ...valid(), 'x\u0000': 'y' }), '/x\uFFFD');
  });

  it('refuses NUL characters in the query string and in a path parameter', async () => {
    const query = await ctx.request({ url: '/v1/referrals?cursor=abc%00def', token: referrer, purpose: 'referral' });
    expect(query.status).toBe(400);
    expect(query.headers['content-type']).toMatch(/problem\+json/);
    expect(query.body.errors).toEqual([expect.objectContaining({ pointer: '/cursor' })]);
    const path = await ctx.request({ url: '/v1/referrals/%00', token: referrer, purpose: 'referral' });
    expect(path.status).toBe(400);
    expect(path.headers['content-type']).toMatch(/problem\+json/);
  });

  it('answers a URL that does not decode with a 400 problem', async () => {
    const response = await ctx.request({ url: '/v1/referrals/%ED%A0%80', token: referrer, purpose: 'referral' });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
  });

  it('refuses a referral without its tenant or its contact', async () => {
    const { tenant: _tenant, ...withoutTenant } = valid();
    await expectRefused(() => submit(withoutTenant), '/tenant');
    const { contact: _contact, ...withoutContact } = valid();
    await expectRefused(() => submit(withoutContact), '/contact');
  });

  it('refuses a lone surrogate in an e-mail address, and takes a well-formed emoji in a description', async () => {
    const lone = JSON.stringify(valid()).replace('els@example.org', '\\ud800els@example.org');
    await expectRefused(() => submit(lone), '/contact/email');
    const loneLow = JSON.stringify(valid()).replace('Brievenbus', 'Brievenbus\\udc00');
    await expectRefused(() => submit(loneLow), '/description');
    expect((await submit({ ...valid(), description: 'Post ligt op de mat 📬' })).status).toBe(201);
  });

  it('refuses a consent without givenBy, and records nothing', async () => {
    const count = async () =>
      (await ctx.dataSource.query('SELECT count(*)::int AS n FROM consent WHERE client_id = $1', [clientId]))[0].n;
    const before = await count();
    const response = await ctx.request({
      method: 'POST',
      url: `/v1/clients/${clientId}/consents`,
      token: team,
      purpose: 'care-coordination',
      body: {
        purposes: ['duo-follow-up'],
        recipients: [{ partnerType: 'caw' }],
        categories: ['identity'],
        effect: 'permit',
        method: 'verbal',
        validFrom: '2026-01-01',
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/givenBy');
    expect(await count()).toBe(before);
  });

  it('takes JSON only: a form-encoded body is 415', async () => {
    const before = await referralCount();
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: referrer,
      purpose: 'referral',
      body: 'targetPartnerId=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(await referralCount()).toBe(before);
  });
});
