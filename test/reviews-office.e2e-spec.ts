import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { careNetwork, type CareNetwork } from './support/network.js';
import { createTestContext, type TestContext } from './support/test-context.js';

/**
 * Reviews are judged by the right office: the privacy officer of the organisation holding the
 * client; when that organisation's own staff made the access, the network operator's. Never the
 * officer of the organisation whose user made the access. The client learns the verdict of a contest.
 */
describe('reviews by the right office', () => {
  let ctx: TestContext;
  let net: CareNetwork;
  let outreachOfficer: string;
  let cawOfficer: string;
  let networkOfficer: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    net = await careNetwork(ctx, { givenName: 'Marc' });
    outreachOfficer = await net.outreach.token({ roles: ['privacy-officer'], sub: 'dpo-outreach' });
    cawOfficer = await net.caw.token({ roles: ['privacy-officer'], sub: 'dpo-caw' });
    networkOfficer = await (await ctx.operator()).token({ roles: ['privacy-officer'], sub: 'dpo-network' });
  });
  afterAll(async () => ctx?.close());

  const breakTheGlass = async (token: string) => {
    const response = await ctx.request({
      method: 'POST',
      url: `/v1/cases/${net.caseId}/emergency-access`,
      token,
      purpose: 'crisis',
      body: { justification: 'Client threatens to jump, crisis plan needed at once' },
    });
    expect(response.status).toBe(201);
    return response.body.reviewItemId as string;
  };
  const resolve = (id: string, token: string, verdict = 'justified') =>
    ctx.request({
      method: 'POST',
      url: `/v1/reviews/${id}/resolve`,
      token,
      purpose: 'privacy-audit',
      body: { verdict, note: 'Checked with the team' },
    });
  const status = async (id: string) =>
    (await ctx.dataSource.query('SELECT status FROM review_item WHERE id = $1', [id]))[0].status;

  it("lets the holder's office judge another organisation's break-the-glass, never the actor's own office", async () => {
    const item = await breakTheGlass(await net.caw.token({ roles: ['caseworker'], sub: 'pwb-crisis' }));
    // The CAW's officer sees the item of its own staff, but may not judge it.
    expect(
      (await ctx.request({ url: `/v1/reviews/${item}`, token: cawOfficer, purpose: 'privacy-audit' })).status,
    ).toBe(200);
    expect((await resolve(item, cawOfficer)).status).toBe(404);
    expect(await status(item)).toBe('open');
    expect((await resolve(item, networkOfficer)).status).toBe(404);
    expect((await resolve(item, outreachOfficer)).status).toBe(200);
    expect(await status(item)).toBe('resolved');
  });

  it("sends the holder's own staff's break-the-glass to the network operator's office", async () => {
    const item = await breakTheGlass(
      await net.outreach.token({ roles: ['caseworker'], sub: 'night-nurse', profession: 'psychiatric-nurse' }),
    );
    expect((await resolve(item, outreachOfficer)).status).toBe(404);
    expect(await status(item)).toBe('open');
    expect((await resolve(item, networkOfficer)).status).toBe(200);
    const refused = await ctx.dataSource.query(
      `SELECT 1 FROM access_log WHERE user_sub = 'dpo-outreach' AND resource_type = 'Review' AND resource_id = $1 AND decision = 'deny'`,
      [item],
    );
    expect(refused).toHaveLength(1);
  });

  it("tells the client the verdict on their contest, in the client's language", async () => {
    await net.consent({
      purposes: ['duo-follow-up'],
      recipients: [{ partnerId: net.caw.id }],
      categories: ['identity'],
    });
    expect((await net.readCase(net.cawWorker, 'duo-follow-up')).status).toBe(200);
    const [entry] = await ctx.dataSource.query(
      `SELECT id FROM access_log WHERE user_sub = 'pwb' AND resource_type = 'Case' AND decision = 'permit' ORDER BY seq DESC LIMIT 1`,
    );
    const contest = await ctx.request({
      method: 'POST',
      url: `/v1/clients/${net.clientId}/access-report/contests`,
      token: net.coordinator,
      purpose: 'subject-access',
      body: { entryId: entry.id, note: 'The client did not expect the CAW to read this' },
    });
    expect(contest.status).toBe(201);
    const report = async (lang: string) =>
      (
        await ctx.request({
          url: `/v1/clients/${net.clientId}/access-report?lang=${lang}`,
          token: net.coordinator,
          purpose: 'subject-access',
        })
      ).body.accesses.find((a: { entryId: string }) => a.entryId === entry.id);
    expect((await report('en')).sentence).toContain('has not judged it yet');
    // The CAW made the read: its officer does not judge; the holder's does.
    expect((await resolve(contest.body.reviewItemId, cawOfficer, 'not-justified')).status).toBe(404);
    expect((await resolve(contest.body.reviewItemId, outreachOfficer, 'not-justified')).status).toBe(200);
    expect(await report('en')).toMatchObject({
      contest: { verdict: 'not-justified' },
      sentence: expect.stringContaining('judged it not justified'),
    });
    expect((await report('nl')).sentence).toContain('niet gerechtvaardigd');
    expect((await report('fr')).sentence).toContain('non justifié');
  });
});
