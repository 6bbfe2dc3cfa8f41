import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { ChainService } from '../src/access-log/chain.service.js';
import { verifyExportFile } from '../src/access-log/export-verifier.js';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { createTestContext, type TestContext } from './support/test-context.js';

async function ed25519(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const { d: _d, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}

/**
 * The gateway's checkpoint key can be rotated without losing the proof: checkpoints signed with
 * the old key stay verifiable, online and offline, as long as its public half is kept as retired.
 */
describe('rotating the checkpoint signing key', () => {
  const pseudonymKey = 'p'.repeat(40);
  let before: TestContext;
  let after: TestContext;
  let oldKey: { privateJwk: JWK; publicJwk: JWK };
  let newKey: { privateJwk: JWK; publicJwk: JWK };
  let officer: () => Promise<string>;

  beforeAll(async () => {
    oldKey = await ed25519();
    newKey = await ed25519();
    before = await createTestContext({
      GATEWAY_SIGNING_KEY: JSON.stringify(oldKey.privateJwk),
      PSEUDONYM_KEY: pseudonymKey,
    });
    const operator = await before.operator({ id: 'gateway-operator' });
    officer = () => operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    for (let i = 0; i < 3; i++)
      await before.request({ url: '/v1/access-log', token: await officer(), purpose: 'privacy-audit' });
    await before.app.get(ChainService).chainAll();
    await before.app.get(ChainService).checkpoint();
  });
  afterAll(async () => {
    await after?.close();
    await before?.close();
  });

  const rotated = (retired: JWK[] | undefined) =>
    createTestContext(
      {
        GATEWAY_SIGNING_KEY: JSON.stringify(newKey.privateJwk),
        PSEUDONYM_KEY: pseudonymKey,
        ...(retired ? { GATEWAY_RETIRED_SIGNING_KEYS: JSON.stringify(retired) } : {}),
      },
      { databaseUrl: before.databaseUrl },
    );

  it('keeps old checkpoints verifiable and publishes both keys, the current one first', async () => {
    after = await rotated([oldKey.publicJwk]);
    for (let i = 0; i < 2; i++)
      await after.request({ url: '/v1/access-log', token: await officer(), purpose: 'privacy-audit' });
    await after.app.get(ChainService).chainAll();
    await after.app.get(ChainService).checkpoint();

    const jwks = (await after.request({ url: '/.well-known/jwks.json' })).body as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.x)).toEqual([newKey.publicJwk.x, oldKey.publicJwk.x]);
    expect(jwks.keys.every((k) => k.d === undefined && k.kid && k.use === 'sig')).toBe(true);
    const checkpoints = await after.dataSource.query('SELECT kid FROM access_log_checkpoint ORDER BY position');
    expect(new Set(checkpoints.map((c: { kid: string }) => c.kid))).toEqual(new Set(jwks.keys.map((k) => k.kid)));

    const verify = await after.request({
      url: '/v1/access-log/verify',
      token: await officer(),
      purpose: 'privacy-audit',
    });
    expect(verify.body).toMatchObject({
      ok: true,
      brokenAt: null,
      lastCheckpoint: expect.objectContaining({ signatureValid: true }),
    });

    // Offline too: an export checked against the published key set.
    const dir = mkdtempSync(join(tmpdir(), 'schakel-rotation-'));
    writeFileSync(
      join(dir, 'export.ndjson'),
      (
        await after.request({
          url: '/v1/access-log/export?format=ndjson',
          token: await officer(),
          purpose: 'privacy-audit',
        })
      ).text,
    );
    expect(await verifyExportFile(join(dir, 'export.ndjson'), jwks.keys)).toMatchObject({ ok: true });
  });

  it('reports the old checkpoints when the retired key is dropped too early', async () => {
    const forgetful = await rotated(undefined);
    try {
      const report = await forgetful.app.get(ChainService).verify();
      expect(report).toMatchObject({ ok: false, problem: 'checkpoint signature is not valid for the published key' });
    } finally {
      await forgetful.close();
    }
  });

  it('refuses a retired key with its private part, without echoing it', () => {
    const attempt = () =>
      loadConfig({ NODE_ENV: 'test', GATEWAY_RETIRED_SIGNING_KEYS: JSON.stringify([oldKey.privateJwk]) });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const text = (error as ConfigError).problems.join('\n');
      expect(text).toContain('GATEWAY_RETIRED_SIGNING_KEYS must hold public keys only');
      expect(text).not.toContain(String(oldKey.privateJwk.d));
    }
    expect(() => loadConfig({ NODE_ENV: 'test', GATEWAY_RETIRED_SIGNING_KEYS: '{"not":"a list"}' })).toThrow(
      ConfigError,
    );
  });
});
