import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import { awaitPartnerChangePropagation } from '../src/partners/partner-change-barrier.js';
import { PartnerRegistry } from '../src/partners/partner-registry.service.js';
import { countAuthenticationStatements } from './support/statement-counter.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * The partner of a token is resolved from memory (no database round trip per authentication),
 * and "a suspended partner is refused at once" still holds with two gateways on one database:
 * each LISTENs for the partner table's change notifications, and without that connection falls
 * back to asking the database on every request.
 */
describe('resolving the partner of a token, across replicas', () => {
  let a: TestContext;
  let b: TestContext;
  let adminToken: string;
  let housing: TestPartner;
  let token: string;
  let countAtB: string[][];

  beforeAll(async () => {
    a = await createTestContext();
    // B retries a lost notification connection only when told to (see the last test), so the
    // test sees it degraded for as long as it needs, without racing a timer.
    b = await createTestContext({ PARTNER_LISTENER_RETRY_MS: '600000' }, { databaseUrl: a.databaseUrl });
    adminToken = await (await a.operator()).token({ roles: ['gateway-admin'] });
    housing = await a.newPartner({ type: 'social-housing-company' });
    token = await housing.token({ roles: ['referrer'] });
    countAtB = countAuthenticationStatements(b);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const atB = async () => {
    const response = await b.request({ url: '/v1/session', token });
    return { status: response.status, check: response.body?.check, statements: countAtB.at(-1)?.length };
  };
  /** A change made around the API, then the barrier the operator's command line waits on. */
  const sql = async (status: 'active' | 'suspended') => {
    await a.dataSource.query('UPDATE partner SET status = $2 WHERE id = $1', [housing.id, status]);
    return awaitPartnerChangePropagation({ connectionString: a.databaseUrl });
  };
  const patchAtA = (body: unknown) =>
    a.request({
      method: 'PATCH',
      url: `/v1/partners/${housing.id}`,
      token: adminToken,
      purpose: 'administration',
      body,
    });

  it('issues no SQL statement to authenticate once warm', async () => {
    // Warm: both replicas have seen the partners written above (barrier) and reloaded since.
    await awaitPartnerChangePropagation({ connectionString: a.databaseUrl });
    await a.app.get(PartnerRegistry).reached('live');
    await b.app.get(PartnerRegistry).reached('live');
    const countAtA = countAuthenticationStatements(a);
    for (let i = 0; i < 5; i++) expect((await a.request({ url: '/v1/session', token })).status).toBe(200);
    expect(countAtA.map((statements) => statements.length)).toEqual([0, 0, 0, 0, 0]);
    expect(await atB()).toEqual({ status: 200, check: undefined, statements: 0 });
  });

  it('refuses a partner suspended through gateway A on the very next request at gateway B, and lets it back', async () => {
    for (let round = 0; round < 3; round++) {
      expect((await patchAtA({ status: 'suspended' })).status).toBe(200);
      expect(await atB()).toMatchObject({ status: 401, check: 'partner-status' });
      expect((await patchAtA({ status: 'active' })).status).toBe(200);
      expect(await atB()).toMatchObject({ status: 200 });
    }
    // Once B has reloaded, it answers from memory again.
    await b.app.get(PartnerRegistry).reached('live');
    expect(await atB()).toEqual({ status: 200, check: undefined, statements: 0 });
  });

  it("follows a key rotation made through A at B at once (the old key's tokens fail)", async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const rotated = await patchAtA({ jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k2', alg: 'ES256' }] } });
    expect(rotated.status).toBe(200);
    expect(await atB()).toMatchObject({ status: 401, check: 'kid' });
    const fresh = await housing.token({ roles: ['referrer'] }, { kid: 'k2', key: privateKey });
    expect((await b.request({ url: '/v1/session', token: fresh })).status).toBe(200);
    token = fresh;
  });

  it('sees a change made around the API (SQL, the operator CLI) once both replicas confirmed it', async () => {
    expect(await sql('suspended')).toEqual({ confirmed: 2, unconfirmed: [] });
    expect(await atB()).toMatchObject({ status: 401, check: 'partner-status' });
    expect(await sql('active')).toEqual({ confirmed: 2, unconfirmed: [] });
    expect(await atB()).toMatchObject({ status: 200 });
  });

  it('asks the database on every request while its notification connection is lost, never serving a stale "active"', async () => {
    const registry = b.app.get(PartnerRegistry);
    await registry.reached('live');
    const pid = registry.listenerProcessId;
    expect(pid).toEqual(expect.any(Number));
    await a.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    await registry.reached('degraded');

    // The suspension's notification cannot reach B (only A confirms): B must still refuse, by
    // asking the database.
    expect(await sql('suspended')).toEqual({ confirmed: 1, unconfirmed: [] });
    expect(await atB()).toEqual({ status: 401, check: 'partner-status', statements: 1 });
    await sql('active');
    expect(await atB()).toEqual({ status: 200, check: undefined, statements: 1 });

    // Re-subscribed (what the retry timer does), it answers from memory again, and correctly.
    await registry.resubscribe();
    await registry.reached('live');
    expect(registry.listenerProcessId).not.toBe(pid);
    expect(await atB()).toEqual({ status: 200, check: undefined, statements: 0 });
    expect(await sql('suspended')).toEqual({ confirmed: 2, unconfirmed: [] });
    expect(await atB()).toMatchObject({ status: 401, check: 'partner-status' });
  });
});
