import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { AccessLogRepository } from '../src/access-log/access-log.repository.js';
import { ChainService } from '../src/access-log/chain.service.js';
import { contentHash } from '../src/access-log/verify/entry.js';
import { Partner } from '../src/partners/partner.entity.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** The privacy officer's and the client's guarantee: every access and refusal on record, tamper-evident. */
describe('access log', () => {
  let ctx: TestContext;
  let operator: TestPartner;
  let caw: TestPartner;
  let operatorOfficer: string;
  let cawOfficer: string;
  let admin: string;
  let superuser: pg.Client;

  beforeAll(async () => {
    ctx = await createTestContext({ ACCESS_LOG_CHECKPOINT_SECONDS: '3600' });
    operator = await ctx.operator({ id: 'gateway-operator' });
    caw = await ctx.newPartner({ type: 'caw' });
    operatorOfficer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo-network' });
    cawOfficer = await caw.token({ roles: ['privacy-officer'], sub: 'dpo-caw' });
    admin = await operator.token({ roles: ['gateway-admin'], sub: 'admin-1' });
    superuser = new pg.Client({ connectionString: ctx.databaseUrl });
    await superuser.connect();
  });
  afterAll(async () => {
    await superuser?.end();
    await ctx?.close();
  });

  const chain = () => ctx.app.get(ChainService);
  const entries = async () => (await superuser.query('SELECT * FROM access_log ORDER BY seq')).rows;
  const search = (token: string, query = '') =>
    ctx.request({ url: `/v1/access-log${query}`, token, purpose: 'privacy-audit' });
  const verify = async () =>
    (await ctx.request({ url: '/v1/access-log/verify', token: admin, purpose: 'administration' })).body;

  /** Tampering needs the triggers out of the way: only a superuser can do this. */
  async function tamper(sql: string, params: unknown[] = []): Promise<void> {
    await superuser.query('BEGIN');
    await superuser.query("SET LOCAL session_replication_role = 'replica'");
    await superuser.query(sql, params);
    await superuser.query('COMMIT');
  }

  async function registerPartner(id: string) {
    return ctx.request({
      method: 'POST',
      url: '/v1/partners',
      token: admin,
      purpose: 'administration',
      body: {
        id,
        name: id,
        type: 'ocmw',
        municipalities: [],
        issuer: `https://idp.${id}.test`,
        jwks: { keys: [{ ...caw.publicJwk, kid: `${id}-k` }] },
      },
    });
  }

  it('records a write with who, what, why and the policy version, in the same transaction', async () => {
    const before = (await entries()).length;
    expect((await registerPartner('ocmw-logged')).status).toBe(201);
    const written = (await entries()).slice(before);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      partner_id: 'gateway-operator',
      user_sub: 'admin-1',
      roles: ['gateway-admin'],
      action: 'create',
      resource_type: 'Partner',
      resource_id: 'ocmw-logged',
      purpose: 'administration',
      decision: 'permit',
    });
    expect(written[0].policy_version).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(written[0].fields).toEqual(expect.arrayContaining(['id', 'issuer', 'jwks']));
  });

  it('records refusals: a purpose the role may not use, and an action the role may not do', async () => {
    const referrer = await caw.token({ roles: ['caseworker'], sub: 'cw-7' });
    expect((await ctx.request({ url: '/v1/access-log', token: referrer, purpose: 'privacy-audit' })).status).toBe(403);
    expect((await ctx.request({ url: '/v1/partners', token: referrer, purpose: 'administration' })).status).toBe(403);
    const refusals = (await entries()).filter((e) => e.user_sub === 'cw-7');
    expect(refusals.map((e) => [e.decision, e.purpose, e.resource_type])).toEqual([
      ['deny', 'privacy-audit', 'AccessLogEntry'],
      ['deny', 'administration', 'Partner'],
    ]);
    expect(refusals[0].reason).toContain('privacy-audit');
  });

  it("shows the network operator's privacy officer everything, and logs the search itself with a disclosure manifest", async () => {
    const response = await search(operatorOfficer, '?limit=500');
    expect(response.status).toBe(200);
    const users = new Set(response.body.items.map((e: { userSub: string }) => e.userSub));
    expect([...users]).toEqual(expect.arrayContaining(['admin-1', 'cw-7']));
    const own = (await entries()).filter((e) => e.user_sub === 'dpo-network').at(-1);
    expect(own).toMatchObject({
      action: 'read',
      resource_type: 'AccessLogEntry',
      decision: 'permit',
      fields: ['entries'],
    });
    expect(own.disclosure_sha256).toMatch(/^[0-9a-f]{64}$/);
    // Stored as the 32 bytes of a SHA-256 (bytea); the view access_log shows them as hex.
    const [stored] = (
      await superuser.query(
        'SELECT octet_length(disclosure_sha256) AS disclosure, octet_length(entry_hash) AS entry FROM access_log_entry WHERE id = $1',
        [own.id],
      )
    ).rows;
    expect(stored).toEqual({ disclosure: 32, entry: 32 });
  });

  it("shows a partner's privacy officer only its own organisation's accesses and those to cases it holds", async () => {
    await tamper(
      `WITH terms AS (
         INSERT INTO access_log_terms (digest, roles, action, resource_type, decision, reason, fields, override, policy_version, format, categories)
         VALUES (sha256('hand-made'), '{caseworker}', 'read', 'Case', 'permit', 'test', '{}', false, 'v', 1, '{}')
         ON CONFLICT (digest) DO UPDATE SET digest = EXCLUDED.digest RETURNING id)
       INSERT INTO access_log_entry (id, occurred_at, request_id, partner_id, user_sub, purpose, entry_hash, custodian_partner_id, terms_id)
       SELECT gen_random_uuid(), now(), 'r', 'demo-gp', 'gp-1', 'care-coordination', sha256('x'), $1, id FROM terms`,
      [caw.id],
    );
    const response = await search(cawOfficer, '?limit=500');
    expect(response.status).toBe(200);
    const partners = new Set(
      response.body.items.map((e: { partnerId: string; custodianPartnerId: string | null }) =>
        e.partnerId === caw.id ? 'own' : e.custodianPartnerId === caw.id ? 'custody' : 'other',
      ),
    );
    expect([...partners].sort()).toEqual(['custody', 'own']);
    // That hand-made entry is outside the chain: verification must say so.
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.problem).toContain('outside the chain');
    await tamper("DELETE FROM access_log_entry WHERE request_id = 'r' AND user_sub = 'gp-1'");
  });

  it('writes an entry with its own terms even when the id this gateway remembers for them names other terms', async () => {
    // A database restored under a running gateway can give a remembered terms id to other terms:
    // the entry must then carry its own (roles, reason, ground), never the row that id now names.
    await search(operatorOfficer, '?limit=1');
    const [before] = (await superuser.query('SELECT * FROM access_log ORDER BY seq DESC LIMIT 1')).rows;
    const [other] = (
      await superuser.query(
        `INSERT INTO access_log_terms (digest, roles, action, resource_type, decision, reason, fields, override, policy_version, format, categories)
         VALUES (sha256('other terms'), '{nobody}', 'erase', 'Client', 'permit', 'not what happened', '{}', false, 'v', 2, '{}')
         ON CONFLICT (digest) DO UPDATE SET digest = EXCLUDED.digest RETURNING id`,
      )
    ).rows;
    const remembered = (ctx.app.get(AccessLogRepository) as unknown as { termsSeen: Map<string, { id: number }> })
      .termsSeen;
    for (const seen of remembered.values()) seen.id = other.id;

    await search(operatorOfficer, '?limit=1');
    const [after] = (await superuser.query('SELECT * FROM access_log ORDER BY seq DESC LIMIT 1')).rows;
    const terms = ['roles', 'action', 'resource_type', 'decision', 'reason', 'fields', 'ground', 'categories'];
    const termsOf = (entry: Record<string, unknown>) => Object.fromEntries(terms.map((k) => [k, entry[k]]));
    expect(after.terms_id).not.toBe(other.id);
    expect(termsOf(after)).toEqual(termsOf(before));
    expect(after.terms_id).toBe(before.terms_id);
  });

  it('filters by partner, user, purpose, decision and time, newest first, with a cursor', async () => {
    const denied = await search(operatorOfficer, '?decision=deny&user=cw-7');
    expect(denied.body.items).toHaveLength(2);
    expect(denied.body.items[0].purpose).toBe('administration');
    const page1 = await search(operatorOfficer, '?limit=2');
    const page2 = await search(operatorOfficer, `?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page1.body.items).toHaveLength(2);
    expect(page2.body.items[0].occurredAt <= page1.body.items[1].occurredAt).toBe(true);
    const future = await search(
      operatorOfficer,
      `?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
    );
    expect(future.body.items).toHaveLength(0);
    for (const bad of ['?decision=maybe', '?from=yesterday', '?partner=NOT%20A%20SLUG', '?limit=9999', '?unknown=1']) {
      const response = await search(operatorOfficer, bad);
      expect({ bad, status: response.status }).toEqual({ bad, status: 400 });
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the log, even for the table owner', async () => {
    for (const sql of [
      "UPDATE access_log_entry SET purpose = 'nothing to see'",
      "UPDATE access_log_terms SET reason = 'nothing to see'",
      'DELETE FROM access_log_terms',
      'TRUNCATE access_log_terms',
      'DELETE FROM access_log_entry',
      'TRUNCATE access_log_entry',
      'DELETE FROM access_log_link',
      'TRUNCATE access_log_checkpoint',
    ]) {
      await expect(superuser.query(sql)).rejects.toThrow(/append-only/);
    }
  });

  describe('verification', () => {
    beforeEach(async () => {
      for (let i = 0; i < 3; i++) await search(operatorOfficer);
      await chain().chainAll();
      await chain().checkpoint();
    });

    it('reports an intact log with its head and last signed checkpoint', async () => {
      const report = await verify();
      expect(report).toMatchObject({ ok: true, brokenAt: null });
      expect(report.entries).toBeGreaterThan(5);
      expect(report.lastCheckpoint).toMatchObject({ signatureValid: true });
      const jwks = (await ctx.request({ url: '/.well-known/jwks.json' })).body;
      expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
      expect(jwks.keys[0].d).toBeUndefined();
    });

    it('finds a changed entry at its position', async () => {
      const [link] = (
        await superuser.query('SELECT position, entry_seq FROM access_log_link ORDER BY position OFFSET 2 LIMIT 1')
      ).rows;
      const [original] = (await superuser.query('SELECT purpose FROM access_log WHERE seq = $1', [link.entry_seq]))
        .rows;
      await tamper("UPDATE access_log_entry SET purpose = 'statistics' WHERE seq = $1", [link.entry_seq]);
      const report = await verify();
      expect(report).toMatchObject({ ok: false, brokenAt: String(link.position) });
      expect(report.problem).toContain('changed');
      await tamper('UPDATE access_log_entry SET purpose = $2 WHERE seq = $1', [link.entry_seq, original.purpose]);
      expect((await verify()).ok).toBe(true);
    });

    it('finds an entry rewritten together with its stored hash, through the link hash', async () => {
      // The link stores only its own hash: the entry's hash it commits to is the entry's column,
      // so a forger rewriting both the entry and that column must still break the link.
      const [link] = (
        await superuser.query('SELECT position, entry_seq FROM access_log_link ORDER BY position OFFSET 2 LIMIT 1')
      ).rows;
      const repository = ctx.app.get(AccessLogRepository);
      const original = (await repository.entryAt(String(link.position)))!;
      const forged = { ...original, purpose: 'statistics' };
      await tamper('UPDATE access_log_entry SET purpose = $2, entry_hash = $3 WHERE seq = $1', [
        link.entry_seq,
        forged.purpose,
        Buffer.from(contentHash(forged), 'hex'),
      ]);
      const report = await verify();
      expect(report).toMatchObject({ ok: false, brokenAt: String(link.position) });
      expect(report.problem).toContain('link hash does not match');
      await tamper('UPDATE access_log_entry SET purpose = $2, entry_hash = $3 WHERE seq = $1', [
        link.entry_seq,
        original.purpose,
        Buffer.from(original.entryHash, 'hex'),
      ]);
      expect((await verify()).ok).toBe(true);
    });

    it('finds a deleted entry, and a deleted link, at their positions', async () => {
      const [link] = (await superuser.query('SELECT * FROM access_log_link ORDER BY position OFFSET 3 LIMIT 1')).rows;
      const [entry] = (await superuser.query('SELECT * FROM access_log_entry WHERE seq = $1', [link.entry_seq])).rows;
      await tamper('DELETE FROM access_log_entry WHERE seq = $1', [link.entry_seq]);
      expect(await verify()).toMatchObject({ ok: false, brokenAt: String(link.position) });
      const columns = Object.keys(entry);
      await tamper(
        `INSERT INTO access_log_entry (${columns.join(',')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(',')})`,
        columns.map((c) => entry[c]),
      );
      expect((await verify()).ok).toBe(true);

      await tamper('DELETE FROM access_log_link WHERE position = $1', [link.position]);
      const report = await verify();
      expect(report).toMatchObject({ ok: false, brokenAt: String(link.position) });
      await tamper('INSERT INTO access_log_link (position, entry_seq, hash) VALUES ($1, $2, $3)', [
        link.position,
        link.entry_seq,
        link.hash,
      ]);
      expect((await verify()).ok).toBe(true);
    });

    it('finds two swapped entries at the first of them', async () => {
      const links = (
        await superuser.query('SELECT position, entry_seq FROM access_log_link ORDER BY position OFFSET 1 LIMIT 2')
      ).rows;
      const swap = async () => {
        await tamper('UPDATE access_log_link SET entry_seq = -1 WHERE position = $1', [links[0].position]);
        await tamper('UPDATE access_log_link SET entry_seq = $2 WHERE position = $1', [
          links[1].position,
          links[0].entry_seq,
        ]);
        await tamper('UPDATE access_log_link SET entry_seq = $2 WHERE position = $1', [
          links[0].position,
          links[1].entry_seq,
        ]);
      };
      await swap();
      const report = await verify();
      expect(report).toMatchObject({ ok: false, brokenAt: String(links[0].position) });
      await tamper('UPDATE access_log_link SET entry_seq = -1 WHERE position = $1', [links[0].position]);
      await tamper('UPDATE access_log_link SET entry_seq = $2 WHERE position = $1', [
        links[1].position,
        links[1].entry_seq,
      ]);
      await tamper('UPDATE access_log_link SET entry_seq = $2 WHERE position = $1', [
        links[0].position,
        links[0].entry_seq,
      ]);
      expect((await verify()).ok).toBe(true);
    });

    it('finds a rewritten chain tail through the signed checkpoint', async () => {
      const [head] = (await superuser.query('SELECT * FROM access_log_link ORDER BY position DESC LIMIT 1')).rows;
      await tamper('UPDATE access_log_link SET hash = $2 WHERE position = $1', [head.position, Buffer.alloc(32, 0xff)]);
      const report = await verify();
      expect(report.ok).toBe(false);
      await tamper('UPDATE access_log_link SET hash = $2 WHERE position = $1', [head.position, head.hash]);
    });
  });

  describe('fail closed', () => {
    afterAll(async () => {
      await superuser.query('ALTER TABLE access_log_entry DROP CONSTRAINT IF EXISTS log_is_broken');
    });

    it('returns no data and changes nothing when the log cannot be written', async () => {
      await superuser.query('ALTER TABLE access_log_entry ADD CONSTRAINT log_is_broken CHECK (false) NOT VALID');

      const read = await search(operatorOfficer);
      expect(read.status).toBe(503);
      expect(read.headers['content-type']).toMatch(/problem\+json/);
      expect(read.body.type).toContain('access-log-unavailable');
      expect(read.body.items).toBeUndefined();

      const write = await registerPartner('never-created');
      expect(write.status).toBe(503);
      expect(await ctx.dataSource.getRepository(Partner).countBy({ id: 'never-created' })).toBe(0);

      const refused = await ctx.request({ url: '/v1/partners', token: cawOfficer, purpose: 'administration' });
      expect(refused.status).toBe(503);

      await superuser.query('ALTER TABLE access_log_entry DROP CONSTRAINT log_is_broken');
      expect((await registerPartner('created-later')).status).toBe(201);
    });
  });
});
