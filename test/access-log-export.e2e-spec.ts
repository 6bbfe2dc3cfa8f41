import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainService } from '../src/access-log/chain.service.js';
import { verifyExportFile } from '../src/access-log/export-verifier.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/** An exported log can be checked by anyone holding the published key, without the database. */
describe('access-log export and offline verification', () => {
  let ctx: TestContext;
  let operator: TestPartner;
  let officer: string;
  const dir = mkdtempSync(join(tmpdir(), 'schakel-export-'));

  beforeAll(async () => {
    ctx = await createTestContext();
    operator = await ctx.operator({ id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    for (let i = 0; i < 5; i++) await ctx.request({ url: '/v1/access-log', token: officer, purpose: 'privacy-audit' });
    await ctx.app.get(ChainService).chainAll();
    await ctx.app.get(ChainService).checkpoint();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await ctx?.close();
  });

  const exportAs = (format: string) =>
    ctx.request({ url: `/v1/access-log/export?format=${format}`, token: officer, purpose: 'privacy-audit' });

  it('streams NDJSON, oldest first, ending with the signed checkpoint; it verifies offline and fails after an edit', async () => {
    const response = await exportAs('ndjson');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('application/x-ndjson');
    const lines = response.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-1).type).toBe('checkpoint');
    const positions = lines.filter((l) => l.type === 'entry' && l.position).map((l) => Number(l.position));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));

    const jwks = (await ctx.request({ url: '/.well-known/jwks.json' })).body;
    const file = join(dir, 'export.ndjson');
    writeFileSync(file, response.text);
    const report = await verifyExportFile(file, jwks.keys);
    expect(report).toMatchObject({ ok: true, brokenAt: null, lastCheckpoint: { signatureValid: true } });

    const edited = response.text.replace('"decision":"permit"', '"decision":"deny"');
    expect(edited).not.toBe(response.text);
    writeFileSync(file, edited);
    const broken = await verifyExportFile(file, jwks.keys);
    expect(broken.ok).toBe(false);
    expect(broken.brokenAt).toBe('1');

    const dropped = response.text
      .split('\n')
      .filter((_, i) => i !== 2)
      .join('\n');
    writeFileSync(file, dropped);
    expect((await verifyExportFile(file, jwks.keys)).brokenAt).toBe('3');
  });

  it('refuses a checkpoint signed by another key', async () => {
    const response = await exportAs('ndjson');
    const file = join(dir, 'other-key.ndjson');
    writeFileSync(file, response.text);
    const stranger = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', alg: 'EdDSA' };
    const report = await verifyExportFile(file, [stranger]);
    expect(report.ok).toBe(false);
    expect(report.problem).toContain('signature');
  });

  it('streams CSV with a header, quoted cells, and logs the export itself', async () => {
    const response = await exportAs('csv');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const [header, first] = response.text.split('\n');
    expect(header.split(',')).toEqual(
      expect.arrayContaining([
        'position',
        'occurredAt',
        'partnerId',
        'purpose',
        'decision',
        'reason',
        'fields',
        'hash',
      ]),
    );
    expect(first.startsWith('"')).toBe(true);
    const log = await ctx.request({ url: '/v1/access-log?limit=5', token: officer, purpose: 'privacy-audit' });
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['export']));
  });

  it('refuses an unknown format with 400', async () => {
    expect((await exportAs('xlsx')).status).toBe(400);
    expect((await ctx.request({ url: '/v1/access-log/export', token: officer, purpose: 'privacy-audit' })).status).toBe(
      400,
    );
  });

  it('lists the signed checkpoints', async () => {
    const response = await ctx.request({ url: '/v1/access-log/checkpoints', token: officer, purpose: 'privacy-audit' });
    expect(response.status).toBe(200);
    expect(response.body.items[0]).toMatchObject({
      position: expect.any(String),
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      jws: expect.any(String),
    });
  });
});
