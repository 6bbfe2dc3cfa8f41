import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { AccessService } from '../src/access/access.service.js';
import { careNetwork, type CareNetwork } from './support/network.js';
import { createTestContext, type TestContext } from './support/test-context.js';

/**
 * The seams the access kernel closes (issue "one access kernel"): each test failed on the
 * gateway before it, where every service decided and recorded access its own way.
 */
describe('one access kernel', () => {
  let ctx: TestContext;
  let net: CareNetwork;

  beforeAll(async () => {
    ctx = await createTestContext();
    net = await careNetwork(ctx);
    // Safety flags for home visits, and a health note the GP may later receive.
    const plan = await ctx.request({
      method: 'PUT',
      url: `/v1/cases/${net.caseId}/care-plan`,
      token: net.coordinator,
      purpose: 'care-coordination',
      body: {
        domains: [{ domain: 'housing', goals: ['Keep the flat'], interventions: ['PWB'] }],
        safetyFlags: ['animals'],
      },
    });
    if (plan.status !== 200) throw new Error(`care plan: ${plan.text}`);
    const note = await ctx.request({
      method: 'POST',
      url: `/v1/cases/${net.caseId}/notes`,
      token: net.coordinator,
      purpose: 'care-coordination',
      body: { category: 'health', text: 'Stopped medication in October' },
    });
    if (note.status !== 201) throw new Error(`note: ${note.text}`);
  });
  afterAll(async () => ctx?.close());

  const lastEntry = async (where: string, params: unknown[] = []) =>
    (
      await ctx.dataSource.query(
        `SELECT id, seq, action, resource_type, resource_id, client_ref, custodian_partner_id, decision, reason, consent_ids, ground, categories, fields, format
           FROM access_log WHERE ${where} ORDER BY seq DESC LIMIT 1`,
        params,
      )
    )[0];
  const report = async (lang = 'en') =>
    (
      await ctx.request({
        url: `/v1/clients/${net.clientId}/access-report?lang=${lang}`,
        token: net.coordinator,
        purpose: 'subject-access',
      })
    ).body;

  it('gives a GP nothing from the case route while the coordinator has not judged the request (no route around the coordinator)', async () => {
    const gpConsent = await net.consent({
      purposes: ['care-coordination'],
      recipients: [{ partnerType: 'general-practitioner' }],
      categories: ['identity', 'health'],
    });
    const asked = await ctx.request({
      method: 'POST',
      url: '/v1/information-requests',
      token: net.doctor,
      purpose: 'care-coordination',
      body: {
        caseId: net.caseId,
        purpose: 'care-coordination',
        categories: ['identity', 'health'],
        justification: 'Medication review at the practice',
      },
    });
    expect(asked.body.decision).toBe('pending');

    const around = await net.readCase(net.doctor, 'care-coordination');
    expect(around.status).toBe(403);
    expect(around.text).not.toContain('Ilse');
    expect(around.text).not.toContain('medication');
    expect(await lastEntry(`user_sub = 'dr' AND resource_type = 'Case'`)).toMatchObject({
      decision: 'deny',
      resource_id: net.caseId,
    });

    const approved = await ctx.request({
      method: 'POST',
      url: `/v1/information-requests/${asked.body.id}/approve`,
      token: net.coordinator,
      purpose: 'care-coordination',
      body: { note: 'Needed for the medication review' },
    });
    expect(approved.status).toBe(200);
    const disclosed = await ctx.request({
      url: `/v1/information-requests/${asked.body.id}/disclosure`,
      token: net.doctor,
      purpose: 'care-coordination',
    });
    expect(disclosed.status).toBe(200);
    expect(disclosed.body.data).toMatchObject({
      givenName: 'Ilse',
      notes: [expect.objectContaining({ category: 'health' })],
    });
    const entry = await lastEntry(`user_sub = 'dr' AND resource_type = 'Disclosure' AND decision = 'permit'`);
    expect(entry.consent_ids).toEqual([gpConsent]);
    expect(entry.categories).toEqual(expect.arrayContaining(['identity', 'health']));
    // The note is recorded under its own category's name, never as "notes".
    expect(entry.fields).toContain('notes:health');
    expect(entry.fields).not.toContain('notes');
    expect(entry.ground).toContain('9(2)(h)');

    // The client's report names the health note as health, never "notes about your support".
    const line = (await report()).accesses.find((a: { entryId: string }) => a.entryId === entry.id);
    expect(line.sentence).toContain('your health');
    expect(line.sentence).not.toMatch(/follow-up data|notes/);
  });

  it('states exactly the consents relied on: safety flags under their own consent, none after a withdrawal', async () => {
    // Safety flags are art. 9 data: outside the holding team only with the client's consent (issue 13 item 11).
    expect((await net.readCase(net.cawWorker, 'duo-follow-up')).status).toBe(404);
    const safety = await net.consent({
      purposes: ['duo-follow-up'],
      recipients: [{ partnerId: net.caw.id }],
      categories: ['safety'],
    });
    const flags = await net.readCase(net.cawWorker, 'duo-follow-up');
    expect(flags.status).toBe(200);
    expect(flags.body.safetyFlags).toEqual(['animals']);
    let entry = await lastEntry(`user_sub = 'pwb' AND resource_type = 'Case' AND decision = 'permit'`);
    expect(entry).toMatchObject({ consent_ids: [safety], categories: ['safety'], format: 2 });
    expect(entry.ground).toContain('6(1)(a)');
    expect(entry.ground).toContain('9(2)(a)');

    const identity = await net.consent({
      purposes: ['duo-follow-up'],
      recipients: [{ partnerId: net.caw.id }],
      categories: ['identity'],
    });
    const withConsent = await net.readCase(net.cawWorker, 'duo-follow-up');
    expect(withConsent.body.givenName).toBe('Ilse');
    entry = await lastEntry(`user_sub = 'pwb' AND resource_type = 'Case' AND decision = 'permit'`);
    expect([...entry.consent_ids].sort()).toEqual([identity, safety].sort());

    expect((await net.withdraw(identity)).status).toBe(200);
    const after = await net.readCase(net.cawWorker, 'duo-follow-up');
    expect(after.body).not.toHaveProperty('givenName');
    entry = await lastEntry(`user_sub = 'pwb' AND resource_type = 'Case' AND decision = 'permit'`);
    expect(entry.consent_ids).toEqual([safety]);
    expect(entry.categories).toEqual(['safety']);
    const sentence = (await report()).accesses.find((a: { entryId: string }) => a.entryId === entry.id).sentence;
    expect(sentence).toContain('with your consent');
    expect((await net.withdraw(safety)).status).toBe(200);
  });

  it("states the referral's own ground, not the purpose's list", async () => {
    const entry = await lastEntry(`resource_type = 'Referral' AND action = 'create' AND decision = 'permit'`);
    expect(entry.ground).toMatch(/^GDPR art\. 6\(1\)\(e\)/);
    expect(entry.ground).not.toMatch(/secrecy|vital|9\(2\)/);
  });

  it('states art. 9 for a referral only when it carried clinical signals (health data, write-only)', async () => {
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: net.referrer,
      purpose: 'referral',
      body: {
        targetPartnerId: net.outreach.id,
        tenant: { givenName: 'Omar' },
        signals: ['hoarding', 'addiction'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'Els' },
      },
    });
    expect(referral.status).toBe(201);
    const entry = await lastEntry(`resource_id = '${referral.body.id}' AND action = 'create'`);
    expect(entry.categories).toEqual(expect.arrayContaining(['health', 'housing']));
    expect(entry.ground).toContain('9(2)(h)');
  });

  it("tells the client an objection, a withdrawal and a representative's consent as what they were", async () => {
    const objection = await net.consent({
      purposes: ['case-consultation'],
      recipients: [{ partnerType: 'ocmw' }],
      categories: ['health'],
      effect: 'deny',
    });
    const represented = await net.consent({
      purposes: ['duo-follow-up'],
      recipients: [{ partnerId: net.caw.id }],
      categories: ['housing'],
      givenBy: { kind: 'legal-representative', name: 'Mr Administrator', capacity: 'court-appointed-administrator' },
    });
    await net.withdraw(represented);
    const { accesses } = await report();
    expect(objection).toBeTruthy();
    const sentences: string[] = accesses.map((a: { sentence: string }) => a.sentence);
    expect(sentences.some((s) => s.includes('recorded your objection'))).toBe(true);
    expect(sentences.some((s) => s.includes('recorded your consent (given by your legal representative)'))).toBe(true);
    expect(sentences.some((s) => s.includes('recorded the withdrawal of your consent'))).toBe(true);
    const consentEntries = await ctx.dataSource.query(
      `SELECT id FROM access_log WHERE resource_type = 'Consent' AND decision = 'permit'`,
    );
    for (const { id } of consentEntries) {
      const line = accesses.find((a: { entryId: string }) => a.entryId === id);
      if (line) expect(line.sentence).not.toContain('with your consent');
    }
    // In the client's other languages too.
    const nl = await report('nl');
    expect(nl.accesses.some((a: { sentence: string }) => a.sentence.includes('legde uw bezwaar vast'))).toBe(true);
  });

  it('keeps every consent a read relied on, and tells each recipient when any of them is withdrawn', async () => {
    const first = await net.consent({
      purposes: ['duo-follow-up'],
      recipients: [{ partnerId: net.caw.id }],
      categories: ['identity'],
    });
    const second = await net.consent({
      purposes: ['duo-follow-up'],
      recipients: [{ partnerType: 'caw' }],
      categories: ['housing'],
    });
    const read = await net.readCase(net.cawWorker, 'duo-follow-up');
    expect(read.body).toMatchObject({ givenName: 'Ilse', signals: ['rent-arrears', 'withdrawal'] });
    const entry = await lastEntry(`user_sub = 'pwb' AND resource_type = 'Case' AND decision = 'permit'`);
    expect(entry.consent_ids).toEqual([first, second].sort());

    const withdrawn = await net.withdraw(second);
    expect(withdrawn.body.partnersNotified).toBe(1);
    const notices = await ctx.request({ url: '/v1/notifications', token: net.cawWorker, purpose: 'duo-follow-up' });
    expect(notices.body.items.map((n: { consentId: string }) => n.consentId)).toContain(second);
    await net.withdraw(first);
  });

  it('serialises a withdrawal with the reads that rely on the consent (deterministic seam, no timing)', async () => {
    const consentId = await net.consent({
      purposes: ['duo-follow-up'],
      recipients: [{ partnerId: net.caw.id }],
      categories: ['identity'],
    });
    const access = ctx.app.get(AccessService);
    let paused!: () => void;
    let release!: () => void;
    const readerPaused = new Promise<void>((resolve) => (paused = resolve));
    const go = new Promise<void>((resolve) => (release = resolve));
    access.testHooks.afterDecision = async (context, decision) => {
      if (context.principal.subject !== 'pwb' || decision.subject.type !== 'Case') return;
      access.testHooks.afterDecision = undefined;
      paused();
      await go;
    };
    const read = net.readCase(net.cawWorker, 'duo-follow-up');
    await readerPaused;
    // The read holds the consent (FOR SHARE) and has not committed; the withdrawal must wait for it.
    const withdrawal = net.withdraw(consentId);
    const admin = new pg.Client({ connectionString: ctx.databaseUrl });
    await admin.connect();
    try {
      for (;;) {
        const {
          rows: [{ waiting }],
        } = await admin.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (waiting > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await admin.end();
    }
    release();
    const [readResult, withdrawalResult] = await Promise.all([read, withdrawal]);
    expect(readResult.body.givenName).toBe('Ilse');
    expect(withdrawalResult.status).toBe(200);
    // The read committed first, under the consent, and its recipient is told of the withdrawal.
    expect(withdrawalResult.body.partnersNotified).toBe(1);
    const readEntry = await lastEntry(
      `user_sub = 'pwb' AND resource_type = 'Case' AND decision = 'permit' AND $1 = ANY (consent_ids)`,
      [consentId],
    );
    const withdrawalEntry = await lastEntry(`resource_type = 'Consent' AND action = 'update' AND resource_id = $1`, [
      consentId,
    ]);
    expect(BigInt(readEntry.seq)).toBeLessThan(BigInt(withdrawalEntry.seq));
    // A read after the withdrawal does not use the consent.
    expect((await net.readCase(net.cawWorker, 'duo-follow-up')).body).not.toHaveProperty('givenName');
  });

  it("logs every refusal on another organisation's objects with the record, the client and the holder", async () => {
    const stranger = await ctx.newPartner({ type: 'outreach-team' });
    const token = await stranger.token({ roles: ['coordinator', 'caseworker'], sub: 'stranger' });
    const attempts = [
      ctx.request({
        method: 'POST',
        url: `/v1/cases/${net.caseId}/emergency-access`,
        token,
        purpose: 'crisis',
        body: { justification: 'x'.repeat(40) },
      }),
      ctx.request({ url: `/v1/clients/${net.clientId}/access-report`, token, purpose: 'subject-access' }),
      ctx.request({
        method: 'POST',
        url: `/v1/clients/${net.clientId}/consents`,
        token,
        purpose: 'care-coordination',
        body: {
          purposes: ['duo-follow-up'],
          recipients: [{ partnerId: stranger.id }],
          categories: ['identity'],
          effect: 'permit',
          givenBy: { kind: 'client' },
          method: 'verbal',
          validFrom: '2026-01-01',
        },
      }),
      ctx.request({
        method: 'POST',
        url: `/v1/clients/${net.clientId}/merges`,
        token,
        purpose: 'care-coordination',
        // Another id than the client's own (a self-merge is a 400 before any lookup): 1 in 16 ids starts with 'a'.
        body: { duplicateId: net.clientId.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) },
      }),
      ctx.request({ url: `/v1/cases/${net.caseId}`, token, purpose: 'care-coordination' }),
    ];
    for (const response of await Promise.all(attempts)) expect(response.status).toBe(404);
    const refusals = await ctx.dataSource.query(
      `SELECT resource_type, custodian_partner_id, client_ref FROM access_log WHERE user_sub = 'stranger' AND decision = 'deny' ORDER BY seq`,
    );
    expect(refusals.length).toBeGreaterThanOrEqual(5);
    for (const refusal of refusals) {
      expect({
        type: refusal.resource_type,
        custodian: refusal.custodian_partner_id,
        client: Boolean(refusal.client_ref),
      }).toEqual({
        type: refusal.resource_type,
        custodian: net.outreach.id,
        client: true,
      });
    }

    // A refusal at the gate (purpose not for this role) names the case, its client and holder.
    expect((await net.readCase(net.referrer, 'referral')).status).toBe(403);
    expect(await lastEntry(`user_sub = 'els' AND decision = 'deny'`)).toMatchObject({
      resource_id: net.caseId,
      custodian_partner_id: net.outreach.id,
    });

    // A domain refusal (422: no consent for the handover) is logged against the case.
    const handover = await ctx.request({
      method: 'POST',
      url: `/v1/cases/${net.caseId}/handover`,
      token: net.coordinator,
      purpose: 'warm-handover',
      body: { toPartnerId: net.gp.id },
    });
    expect(handover.status).toBe(422);
    const refused = await lastEntry(`user_sub = 'coord' AND decision = 'deny'`);
    expect(refused).toMatchObject({
      resource_type: 'Case',
      resource_id: net.caseId,
      custodian_partner_id: net.outreach.id,
    });
    expect(refused.client_ref).toMatch(/^[0-9a-f]{64}$/);
  });

  it("carries a merged record's history in the survivor's access report", async () => {
    const again = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: net.referrer,
      purpose: 'referral',
      body: {
        targetPartnerId: net.outreach.id,
        tenant: { givenName: 'Ilse', familyName: 'P.' },
        signals: ['debts'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'Els' },
      },
    });
    const duplicate = (
      await ctx.request({ url: `/v1/referrals/${again.body.id}`, token: net.coordinator, purpose: 'referral' })
    ).body.clientId;
    const underDuplicate = await ctx.dataSource.query(
      `SELECT e.id FROM access_log e WHERE e.resource_id = $1 AND e.decision = 'permit'`,
      [again.body.id],
    );
    expect(underDuplicate.length).toBeGreaterThan(0);
    const merged = await ctx.request({
      method: 'POST',
      url: `/v1/clients/${net.clientId}/merges`,
      token: net.coordinator,
      purpose: 'care-coordination',
      body: { duplicateId: duplicate },
    });
    expect(merged.status).toBe(201);
    const entries = new Set((await report()).accesses.map((a: { entryId: string }) => a.entryId));
    for (const { id } of underDuplicate) expect(entries.has(id)).toBe(true);
  });

  describe('round trips', () => {
    /**
     * The statements of the request's own transaction (the connection that ran `marker`), from its
     * BEGIN to its COMMIT: authentication comes before, background jobs run on other connections.
     */
    async function statementsAfterAuthentication(marker: RegExp, work: () => Promise<unknown>): Promise<string[]> {
      return (await transactionOf(marker, work)).map((s) => s.text);
    }

    /**
     * The same, with whether each statement waited for the answer to the one before it: a
     * statement submitted while the connection still has one outstanding goes out behind it on the
     * wire (pg's pipeline mode), in the same round trip. pg's own queue fields say which.
     */
    async function transactionOf(
      marker: RegExp,
      work: () => Promise<unknown>,
    ): Promise<{ text: string; pipelined: boolean }[]> {
      const seen: { client: unknown; text: string; pipelined: boolean }[] = [];
      const original = pg.Client.prototype.query;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
        const queue = this as unknown as { _activeQuery: unknown; _sentQueryQueue: unknown[]; _queryQueue: unknown[] };
        const pipelined =
          Boolean(queue._activeQuery) || queue._sentQueryQueue.length > 0 || queue._queryQueue.length > 0;
        seen.push({ client: this, text: String(text).trim(), pipelined });
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof original;
      try {
        await work();
      } finally {
        pg.Client.prototype.query = original;
      }
      const hit = seen.findIndex((s) => marker.test(s.text));
      expect(hit).toBeGreaterThanOrEqual(0);
      const own = seen.filter((s) => s.client === seen[hit].client);
      const at = own.indexOf(seen[hit]);
      let begin = at;
      while (begin > 0 && !/^(BEGIN|START TRANSACTION)/i.test(own[begin].text)) begin -= 1;
      let end = at;
      while (end < own.length - 1 && !/^COMMIT/i.test(own[end].text)) end += 1;
      return own
        .slice(begin, end + 1)
        .map((s) => ({ text: s.text.split(/\s+/).slice(0, 4).join(' '), pipelined: s.pipelined }));
    }

    it('reads one case in at most 4 statements after authentication (BEGIN, facts + data, log entry, COMMIT)', async () => {
      await net.readCase(net.coordinator, 'care-coordination'); // warm caches
      const statements = await statementsAfterAuthentication(/care_case/, () =>
        net.readCase(net.coordinator, 'care-coordination'),
      );
      expect(statements.length).toBeLessThanOrEqual(4);
    });

    it('sends them in 2 round trips: BEGIN with the facts, the log entry with its COMMIT', async () => {
      await net.readCase(net.coordinator, 'care-coordination');
      const statements = await transactionOf(/care_case/, () => net.readCase(net.coordinator, 'care-coordination'));
      expect(statements.map((s) => s.text.split(' ')[0])).toEqual(['BEGIN', 'WITH', 'WITH', 'COMMIT']);
      // Only BEGIN and the log entry wait for nothing before them: two round trips.
      expect(statements.map((s) => s.pipelined)).toEqual([false, true, false, true]);
      expect(statements[2].text).toContain('entry');
    });

    it('lists one page of referrals in at most 4 statements after authentication', async () => {
      const list = () => ctx.request({ url: '/v1/referrals?limit=10', token: net.coordinator, purpose: 'referral' });
      await list();
      const statements = await statementsAfterAuthentication(/FROM "referral"/, list);
      expect(statements.length).toBeLessThanOrEqual(4);
    });
  });
});
