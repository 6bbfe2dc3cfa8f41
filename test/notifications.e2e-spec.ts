import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { compactVerify, importJWK } from 'jose';
import { NotificationsService } from '../src/notifications/notifications.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** A withdrawn consent reaches every partner that received data under it: a record, and a signed webhook with retries. */
describe('consent withdrawal notifications', () => {
  let ctx: TestContext;
  let server: Server;
  const received: string[] = [];
  let failuresLeft = 2;
  let caw: TestPartner;
  let team: string;
  let cawWorker: string;
  let consentId: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          res.statusCode = 503;
        } else {
          received.push(body);
          res.statusCode = 204;
        }
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ctx = await createTestContext({ WEBHOOK_INTERVAL_MS: '50' });
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const outreach = await ctx.newPartner({ type: 'outreach-team' });
    caw = await ctx.newPartner({ type: 'caw' });
    const admin = await (await ctx.operator()).token();
    await ctx.request({
      method: 'PATCH',
      url: `/v1/partners/${caw.id}`,
      token: admin,
      purpose: 'administration',
      body: { webhookUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/schakel` },
    });
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
      body: { title: 'B', partnerIds: [caw.id, outreach.id], purposes: ['duo-follow-up'], validFrom: '2026-01-01' },
    });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'] });
    cawWorker = await caw.token({ roles: ['caseworker'] });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Nora' },
        signals: ['debts'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    const caseId = (
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
      url: `/v1/cases/${caseId}/circle`,
      token: team,
      purpose: 'care-coordination',
      body: { partnerId: caw.id, purposes: ['duo-follow-up'] },
    });
    consentId = (
      await ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/consents`,
        token: team,
        purpose: 'care-coordination',
        body: {
          purposes: ['duo-follow-up'],
          recipients: [{ partnerId: caw.id }],
          categories: ['identity'],
          effect: 'permit',
          givenBy: { kind: 'client' },
          method: 'verbal',
          validFrom: '2026-01-01',
        },
      })
    ).body.id;
    expect(
      (await ctx.request({ url: `/v1/cases/${caseId}`, token: cawWorker, purpose: 'duo-follow-up' })).body.givenName,
    ).toBe('Nora');
  });
  afterAll(async () => {
    await ctx?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('records a notification for the CAW and delivers a webhook signed by the gateway, retrying after failures', async () => {
    const withdrawn = await ctx.request({
      method: 'POST',
      url: `/v1/consents/${consentId}/withdraw`,
      token: team,
      purpose: 'care-coordination',
    });
    expect(withdrawn.body).toMatchObject({ withdrawn: true, partnersNotified: 1 });

    const list = await ctx.request({ url: '/v1/notifications', token: cawWorker, purpose: 'duo-follow-up' });
    expect(list.body.items).toEqual([
      expect.objectContaining({
        kind: 'consent-withdrawn',
        consentId,
        categories: ['identity'],
        clientRef: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
    expect(list.text).not.toContain('Nora');

    // Wait for the outbox row to say "delivered": the receiver sees the body before the
    // gateway has committed the attempt, so the row — not the receiver — is the finish line.
    const notifications = ctx.app.get(NotificationsService);
    const deliveryRow = async () =>
      (await ctx.dataSource.query('SELECT attempts, delivered_at FROM webhook_delivery'))[0];
    for (let i = 0; i < 100 && !(await deliveryRow())?.delivered_at; i++) {
      await notifications.deliverDue();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(received).toHaveLength(1);
    const delivery = await deliveryRow();
    expect(delivery.attempts).toBe(3);
    expect(delivery.delivered_at).not.toBeNull();

    const jwks = (await ctx.request({ url: '/.well-known/jwks.json' })).body;
    const { payload } = await compactVerify(received[0], await importJWK(jwks.keys[0], 'EdDSA'));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({
      type: 'consent-withdrawn',
      consentId,
      partnerId: caw.id,
    });
  });

  it('does not notify the holding team itself, nor partners that never received data under the consent', async () => {
    const teamList = await ctx.request({ url: '/v1/notifications', token: team, purpose: 'care-coordination' });
    expect(teamList.body.items).toEqual([]);
  });
});
