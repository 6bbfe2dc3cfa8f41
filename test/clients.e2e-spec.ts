import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** Two referrals turn out to be the same person: the coordinator merges the records, and can undo it. */
describe('client record merges', () => {
  let ctx: TestContext;
  let outreach: TestPartner;
  let coordinator: string;
  const clients: string[] = [];
  const referrals: string[] = [];

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
    const referrer = await housing.token({ roles: ['referrer'] });
    coordinator = await outreach.token({ roles: ['coordinator'], sub: 'coord' });
    for (const tenant of [{ givenName: 'Mohamed', familyName: 'El Amrani' }, { givenName: 'Mo' }]) {
      const created = await ctx.request({
        method: 'POST',
        url: '/v1/referrals',
        token: referrer,
        purpose: 'referral',
        body: {
          targetPartnerId: outreach.id,
          tenant,
          signals: ['withdrawal'],
          evictionStage: 'none',
          tenantInformed: 'yes',
          contact: { name: 'E' },
        },
      });
      referrals.push(created.body.id);
      const seen = await ctx.request({
        url: `/v1/referrals/${created.body.id}`,
        token: coordinator,
        purpose: 'referral',
      });
      clients.push(seen.body.clientId);
    }
  });
  afterAll(async () => ctx?.close());

  const merge = (survivor: string, body: unknown, token = coordinator) =>
    ctx.request({ method: 'POST', url: `/v1/clients/${survivor}/merges`, token, purpose: 'care-coordination', body });
  const clientOf = async (referralId: string) =>
    (await ctx.dataSource.query('SELECT client_id FROM referral WHERE id = $1', [referralId]))[0].client_id as string;

  it('merges the duplicate into the surviving record, logs it, and undoes it exactly', async () => {
    const merged = await merge(clients[0], { duplicateId: clients[1] });
    expect(merged.status).toBe(201);
    expect(merged.body).toMatchObject({ survivorId: clients[0], duplicateId: clients[1], movedReferrals: 1 });
    expect(await clientOf(referrals[1])).toBe(clients[0]);
    expect((await merge(clients[0], { duplicateId: clients[1] })).status).toBe(409);

    const undone = await ctx.request({
      method: 'POST',
      url: `/v1/clients/merges/${merged.body.id}/undo`,
      token: coordinator,
      purpose: 'care-coordination',
    });
    expect(undone.status).toBe(200);
    expect(await clientOf(referrals[1])).toBe(clients[1]);
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/clients/merges/${merged.body.id}/undo`,
          token: coordinator,
          purpose: 'care-coordination',
        })
      ).status,
    ).toBe(409);

    const logged = await ctx.dataSource.query(
      `SELECT action FROM access_log WHERE resource_type = 'Client' AND decision = 'permit' ORDER BY seq`,
    );
    expect(logged.map((r: { action: string }) => r.action)).toEqual(['merge', 'unmerge']);
  });

  it("refuses merging a record into itself, another team's clients, or by a caseworker", async () => {
    expect((await merge(clients[0], { duplicateId: clients[0] })).status).toBe(400);
    expect((await merge(clients[0], { duplicateId: 'not-a-uuid' })).status).toBe(400);
    const otherTeam = await (await ctx.newPartner({ type: 'outreach-team' })).token({ roles: ['coordinator'] });
    const foreign = await merge(clients[0], { duplicateId: clients[1] }, otherTeam);
    expect(foreign.status).toBe(404);
    expect(foreign.body.detail).toBe('Client not found or no access');
    const caseworker = await outreach.token({ roles: ['caseworker'] });
    expect((await merge(clients[0], { duplicateId: clients[1] }, caseworker)).status).toBe(403);
    expect(await clientOf(referrals[1])).toBe(clients[1]);
  });
});
