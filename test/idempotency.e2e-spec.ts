import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { controllerRoutes, WRITE_METHODS } from '../src/common/http/controller-routes.js';
import { IdempotencyInterceptor } from '../src/common/idempotency/idempotency.interceptor.js';
import { PartnerRegistry } from '../src/partners/partner-registry.service.js';
import { Agreement } from '../src/partners/agreements/agreement.entity.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** A housing company's system retries after a timeout: nothing may be created twice. */
describe('Idempotency-Key on writes', () => {
  let ctx: TestContext;
  let admin: TestPartner;
  let token: string;
  let parties: string[];

  beforeAll(async () => {
    ctx = await createTestContext();
    admin = await ctx.operator();
    token = await admin.token();
    parties = [(await ctx.newPartner({ type: 'social-housing-company' })).id, (await ctx.newPartner()).id];
  });
  afterAll(async () => ctx?.close());

  const agreement = (title: string) => ({
    title,
    partnerIds: parties,
    purposes: ['administration'],
    validFrom: '2026-01-01',
  });
  const post = (body: unknown, key?: string, as = token) =>
    ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: as,
      purpose: 'administration',
      body,
      headers: key ? { 'idempotency-key': key } : {},
    });
  const countTitled = (title: string) => ctx.dataSource.getRepository(Agreement).countBy({ title });

  it('guards every write route of every controller, and no read route (reads run without any interceptor)', () => {
    const unguarded: string[] = [];
    const readsWithInterceptors: string[] = [];
    const routes = controllerRoutes(ctx.app);
    for (const { controller, name, handler, method } of routes) {
      const interceptors = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [];
      const route = `${RequestMethod[method]} ${controller.name}.${name}`;
      if (!WRITE_METHODS.has(method)) {
        if (interceptors.length > 0) readsWithInterceptors.push(route);
      } else if (!(interceptors[0] instanceof IdempotencyInterceptor)) unguarded.push(route);
    }
    expect(routes.filter((r) => WRITE_METHODS.has(r.method)).length).toBeGreaterThanOrEqual(29);
    expect(unguarded).toEqual([]);
    expect(readsWithInterceptors).toEqual([]);
  });

  it('replays on a write of another controller too (PATCH an agreement: the retry gets the first answer)', async () => {
    const created = await post(agreement('suspend-me'));
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const suspend = () =>
      ctx.request({
        method: 'PATCH',
        url: `/v1/agreements/${id}`,
        token,
        purpose: 'administration',
        body: { status: 'suspended', reason: 'Stuurgroep pauzeert de samenwerking' },
        headers: { 'idempotency-key': 'suspend-1' },
      });
    const first = await suspend();
    expect(first.status).toBe(200);
    const retry = await suspend();
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
  });

  it('returns the first response to a retry with the same key and body, creating once', async () => {
    const first = await post(agreement('retry-me'), 'key-1');
    const retry = await post(agreement('retry-me'), 'key-1');
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await countTitled('retry-me')).toBe(1);
  });

  it('treats the same body with key order changed as the same request', async () => {
    const body = agreement('reordered');
    await post(body, 'key-order');
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    expect((await post(reordered, 'key-order')).headers['idempotent-replayed']).toBe('true');
    expect(await countTitled('reordered')).toBe(1);
  });

  it('answers 422 when the same key comes with another body, and changes nothing', async () => {
    await post(agreement('original'), 'key-2');
    const reused = await post(agreement('something else'), 'key-2');
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toMatch(/problem\+json/);
    expect(await countTitled('something else')).toBe(0);
  });

  it('scopes keys to the calling partner', async () => {
    await post(agreement('partner-a'), 'shared-key');
    // The network has one operator: hand the role to another partner, which reuses the key.
    const otherAdmin = await ctx.newPartner({ type: 'other' });
    // Changed around the API: wait until the partner registry has it (the barrier an API change waits for).
    const flag = async (id: string, operator: boolean) => {
      await ctx.dataSource.query('UPDATE partner SET operator = $2 WHERE id = $1', [id, operator]);
      await ctx.app.get(PartnerRegistry).propagate();
    };
    await flag(admin.id, false);
    await flag(otherAdmin.id, true);
    const other = await post(agreement('partner-b'), 'shared-key', await otherAdmin.token());
    await flag(otherAdmin.id, false);
    await flag(admin.id, true);
    expect(other.status).toBe(201);
    expect(await countTitled('partner-b')).toBe(1);
  });

  it('frees the key when the first attempt was refused, so a corrected retry goes through', async () => {
    const bad = await post({ ...agreement('fixed-later'), validFrom: 'yesterday' }, 'key-3');
    expect(bad.status).toBe(400);
    const retriedSame = await post({ ...agreement('fixed-later'), validFrom: 'yesterday' }, 'key-3');
    expect(retriedSame.status).toBe(400);
    const corrected = await post(agreement('fixed-later'), 'key-3');
    expect(corrected.status).toBe(201);
  });

  it('refuses a malformed key with 400 and creates nothing', async () => {
    const response = await post(agreement('bad-key'), 'has spaces and ünïcode');
    expect(response.status).toBe(400);
    expect(await countTitled('bad-key')).toBe(0);
  });

  it('creates one record when two identical requests race', async () => {
    const [a, b] = await Promise.all([post(agreement('race'), 'key-race'), post(agreement('race'), 'key-race')]);
    expect([a.status, b.status].sort()).toEqual(a.status === b.status ? [201, 201] : [201, 409]);
    expect(await countTitled('race')).toBe(1);
  });
});

/** A stored first answer is kept for a day: personal data in it must not sit there readable. */
describe('idempotency records at rest', () => {
  let ctx: TestContext;
  let team: string;
  let clientId: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const outreach = await ctx.newPartner({ type: 'outreach-team' });
    const admin = await (await ctx.operator()).token();
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
    });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], profession: 'social-worker' });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Fatma' },
        signals: ['debts'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
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

  it("keeps a representative's name and the consent evidence sealed, and a retry still gets the same answer", async () => {
    const name = 'Hendrik Vandenbroucke';
    const evidence = 'Ondertekend formulier, bewaard in het dossier van de bewindvoerder';
    const sha256 = 'c0ffee'.repeat(10) + 'c0ff';
    const consent = {
      purposes: ['duo-follow-up'],
      recipients: [{ partnerType: 'caw' }],
      categories: ['identity', 'housing'],
      effect: 'permit',
      givenBy: { kind: 'legal-representative', name, capacity: 'court-appointed-administrator' },
      method: 'written',
      evidence: { sha256, description: evidence },
      validFrom: '2026-01-01',
    };
    const post = () =>
      ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/consents`,
        token: team,
        purpose: 'care-coordination',
        body: consent,
        headers: { 'idempotency-key': 'consent-rep-1' },
      });
    const first = await post();
    expect(first.status).toBe(201);
    expect(first.body.givenBy).toMatchObject({ name });

    const rows: { row: string }[] = await ctx.dataSource.query(
      'SELECT row_to_json(r)::text AS row FROM idempotency_record r',
    );
    expect(rows).toHaveLength(1);
    for (const secret of [name, 'Vandenbroucke', evidence, sha256]) expect(rows[0].row).not.toContain(secret);
    expect(rows[0].row).toMatch(/"response_sealed":"v1\./);

    const retry = await post();
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    const [{ n }] = await ctx.dataSource.query('SELECT count(*)::int AS n FROM consent WHERE client_id = $1', [
      clientId,
    ]);
    expect(n).toBe(1);
  });

  it('refuses, without writing again, a retry whose stored answer predates sealing', async () => {
    const body = {
      purposes: ['duo-follow-up'],
      recipients: [{ partnerType: 'caw' }],
      categories: ['identity'],
      effect: 'permit',
      givenBy: { kind: 'client' },
      method: 'verbal',
      validFrom: '2026-01-01',
    };
    const post = () =>
      ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/consents`,
        token: team,
        purpose: 'care-coordination',
        body,
        headers: { 'idempotency-key': 'consent-legacy' },
      });
    expect((await post()).status).toBe(201);
    // What the migration leaves of an answer stored readable before this release.
    await ctx.dataSource.query(`UPDATE idempotency_record SET response_sealed = NULL WHERE key = 'consent-legacy'`);
    const count = async () =>
      (await ctx.dataSource.query('SELECT count(*)::int AS n FROM consent WHERE client_id = $1', [clientId]))[0].n;
    const before = await count();
    const retry = await post();
    expect(retry.status).toBe(409);
    expect(retry.headers['content-type']).toMatch(/problem\+json/);
    expect(await count()).toBe(before);
  });
});
