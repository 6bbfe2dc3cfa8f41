import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { AccessLogRepository } from '../src/access-log/access-log.repository.js';
import { ChainService } from '../src/access-log/chain.service.js';
import { LogMaintenanceService } from '../src/access-log/log-maintenance.service.js';
import { LogPartitionsRepository } from '../src/access-log/log-partitions.repository.js';
import { createLogger } from '../src/common/logging/logger.js';
import { entryHash } from '../src/access-log/hashing.js';
import { canonicalEntry } from '../src/access-log/verify/entry.js';
import {
  consistencyProof,
  Frontier,
  fromHex,
  verifyConsistency,
  verifyExport,
  verifyExtension,
  verifyReceipt,
  verifyTreeHead,
  type ConsistencyDocument,
  type NodeSource,
  type Receipt,
} from '../src/access-log/verify/index.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

const run = promisify(execFile);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function ed25519(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const { d: _d, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}

/** `npm run log:verify` as a partner runs it: the built CLI, offline, against a saved key set. */
async function cli(args: string[]): Promise<{ code: number; report: { ok: boolean; problem?: string | null } }> {
  try {
    const { stdout } = await run(process.execPath, ['dist/src/cli/log-cli.js', ...args], { cwd: process.cwd() });
    return { code: 0, report: JSON.parse(stdout) };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, report: JSON.parse(failed.stdout || '{"ok":false}') };
  }
}

/**
 * Receipts (issue 14): the partner that received client data can prove, offline, that the access
 * was recorded in the log and can never quietly leave it; consistency proofs show that a later
 * tree extends an earlier one; retention and key rotation keep old proofs valid.
 */
describe('verifiable receipts', () => {
  const pseudonymKey = 'p'.repeat(40);
  const dir = mkdtempSync(join(tmpdir(), 'schakel-receipts-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  let oldKey: { privateJwk: JWK; publicJwk: JWK };
  let ctx: TestContext;
  let outreach: TestPartner;
  let caw: TestPartner;
  let team: string;
  let referrer: string;
  let officer: string;
  let clientId: string;
  let caseId: string;
  let jwks: { keys: JWK[] };
  let readEntry: string;
  let receipt: Receipt;
  let maintenance: LogMaintenanceService;

  beforeAll(async () => {
    oldKey = await ed25519();
    ctx = await createTestContext({
      GATEWAY_SIGNING_KEY: JSON.stringify(oldKey.privateJwk),
      PSEUDONYM_KEY: pseudonymKey,
      ACCESS_LOG_RETENTION_YEARS: '10',
      // Small partitions, made before any entry is written, so retention can drop a prefix of them.
      ACCESS_LOG_PARTITION_SIZE: '8',
      ACCESS_LOG_PARTITIONS_AHEAD: '100',
    });
    // As `npm run log:maintain` builds it (src/cli/log-cli.ts), on the test's connection (the schema owner here).
    maintenance = new LogMaintenanceService(
      ctx.app.get(ChainService),
      new LogPartitionsRepository(ctx.dataSource),
      ctx.config,
      createLogger('warn'),
    );
    await maintenance.maintain();
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    caw = await ctx.newPartner({ type: 'caw' });
    const operator = await ctx.operator({ id: 'gateway-operator' });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: await operator.token({ roles: ['gateway-admin'] }),
      purpose: 'administration',
      body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
    });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'coord' });
    referrer = await housing.token({ roles: ['referrer'] });
    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: referrer,
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: { givenName: 'Yasmina' },
        signals: ['rent-arrears'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    expect(referral.status).toBe(201);
    caseId = (
      await ctx.request({
        method: 'POST',
        url: `/v1/referrals/${referral.body.id}/decision`,
        token: team,
        purpose: 'referral',
        body: { decision: 'accept' },
      })
    ).body.caseId;
    clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: team, purpose: 'referral' })).body
      .clientId;
    jwks = (await ctx.request({ url: '/.well-known/jwks.json' })).body;
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await ctx?.close();
  });

  it('names the log entry of a disclosure in Schakel-Access-Entry; its receipt verifies offline and fails after tampering', async () => {
    const read = await ctx.request({ url: `/v1/cases/${caseId}`, token: team, purpose: 'care-coordination' });
    expect(read.status).toBe(200);
    readEntry = String(read.headers['schakel-access-entry']);
    expect(readEntry).toMatch(UUID);
    // A refusal discloses nothing and names no entry.
    const refused = await ctx.request({
      url: `/v1/cases/${caseId}`,
      token: await caw.token({ roles: ['caseworker'] }),
      purpose: 'duo-follow-up',
    });
    expect(refused.status).toBe(404);
    expect(refused.headers['schakel-access-entry']).toBeUndefined();

    const response = await ctx.request({
      url: `/v1/access-log/entries/${readEntry}/receipt`,
      token: team,
      purpose: 'care-coordination',
    });
    expect(response.status).toBe(200);
    receipt = response.body;
    expect(receipt.entry).toMatchObject({
      id: readEntry,
      action: 'read',
      resourceType: 'Case',
      partnerId: outreach.id,
    });
    expect(receipt.proof).toMatchObject({ leafIndex: expect.any(Number), treeSize: expect.any(Number) });
    expect(await verifyReceipt(receipt, jwks.keys)).toMatchObject({ ok: true });

    const receiptFile = file('receipt.json', receipt);
    const jwksFile = file('jwks.json', jwks);
    expect(await cli(['--receipt', receiptFile, '--jwks', jwksFile])).toMatchObject({ code: 0, report: { ok: true } });

    const copy = () => JSON.parse(JSON.stringify(receipt)) as Receipt;
    const entry = copy();
    entry.entry.purpose = 'crisis';
    const proof = copy();
    proof.proof.leafIndex = proof.proof.leafIndex === 0 ? 1 : 0;
    const path = copy();
    path.proof.auditPath = [...path.proof.auditPath, path.proof.rootHash];
    const head = copy();
    const [h, payload, s] = head.proof.treeHead.split('.');
    const claimed = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), rootHash: 'f'.repeat(64) };
    head.proof.treeHead = `${h}.${Buffer.from(JSON.stringify(claimed)).toString('base64url')}.${s}`;
    head.proof.rootHash = 'f'.repeat(64);
    const signature = copy();
    const bytes = Buffer.from(s, 'base64url');
    bytes[5] ^= 0xff;
    signature.proof.treeHead = `${h}.${payload}.${bytes.toString('base64url')}`;
    for (const [name, tampered] of Object.entries({ entry, proof, path, head, signature })) {
      expect({ name, ...(await verifyReceipt(tampered, jwks.keys)) }).toMatchObject({ name, ok: false });
      expect(await cli(['--receipt', file(`${name}.json`, tampered), '--jwks', jwksFile])).toMatchObject({
        code: 1,
        report: { ok: false },
      });
    }
  });

  it('gives receipts only to whom the policy allows, and links each line of the access report to its receipt', async () => {
    const fetch = (token: string, purpose: string, query = '') =>
      ctx.request({ url: `/v1/access-log/entries/${readEntry}/receipt${query}`, token, purpose });
    // another partner, a partner's own officer for another organisation's entry: not found
    expect((await fetch(await caw.token({ roles: ['caseworker'] }), 'duo-follow-up')).status).toBe(404);
    expect((await fetch(await caw.token({ roles: ['privacy-officer'] }), 'privacy-audit')).status).toBe(404);
    expect((await fetch(referrer, 'referral')).status).toBe(404);
    expect((await fetch(officer, 'privacy-audit')).status).toBe(200);
    expect((await fetch(await outreach.token({ roles: ['privacy-officer'] }), 'privacy-audit')).status).toBe(200);
    expect((await fetch(team, 'care-coordination', '?treeSize=abc')).status).toBe(400);
    const missing = await ctx.request({
      url: '/v1/access-log/entries/00000000-0000-4000-8000-000000000000/receipt',
      token: team,
      purpose: 'care-coordination',
    });
    expect(missing.status).toBe(404);

    const report = await ctx.request({
      url: `/v1/clients/${clientId}/access-report?lang=en`,
      token: team,
      purpose: 'subject-access',
    });
    expect(report.status).toBe(200);
    // The referrer's access (another organisation's entry) is in the client's report: the holding team gets its receipt.
    const line = (report.body.accesses as { partnerId: string; receipt: string }[]).find(
      (a) => a.partnerId !== outreach.id,
    )!;
    expect(line.receipt).toMatch(new RegExp(`^/v1/access-log/entries/[0-9a-f-]{36}/receipt\\?client=${clientId}$`));
    const linked = await ctx.request({ url: line.receipt, token: team, purpose: 'subject-access' });
    expect(linked.status).toBe(200);
    expect(await verifyReceipt(linked.body, jwks.keys)).toMatchObject({ ok: true });
    // without naming the client it holds, the team does not get another organisation's entry
    expect(
      (await ctx.request({ url: line.receipt.split('?')[0], token: team, purpose: 'subject-access' })).status,
    ).toBe(404);
  });

  const treeHead = async () => {
    const response = await ctx.request({ url: '/v1/access-log/tree-head', token: officer, purpose: 'privacy-audit' });
    expect(response.status).toBe(200);
    return response.body as { treeSize: number; rootHash: string; treeHead: string };
  };

  it('proves that a later tree extends an earlier one, and fails when an entry between them is removed or reordered', async () => {
    // Whoever may fetch receipts may check the tree heads, under their own purposes.
    expect(
      (await ctx.request({ url: '/v1/access-log/tree-head', token: team, purpose: 'care-coordination' })).status,
    ).toBe(200);
    expect((await ctx.request({ url: '/v1/access-log/tree-head', token: referrer, purpose: 'referral' })).status).toBe(
      200,
    );
    expect(
      (await ctx.request({ url: '/v1/access-log/tree-head', token: referrer, purpose: 'privacy-audit' })).status,
    ).toBe(403);
    const first = await treeHead();
    for (let i = 0; i < 5; i++)
      await ctx.request({ url: `/v1/cases/${caseId}`, token: team, purpose: 'care-coordination' });
    const second = await treeHead();
    expect(second.treeSize).toBeGreaterThan(first.treeSize);
    const answer = await ctx.request({
      url: `/v1/access-log/consistency?first=${first.treeSize}&second=${second.treeSize}`,
      token: officer,
      purpose: 'privacy-audit',
    });
    expect(answer.status).toBe(200);
    const later = answer.body as ConsistencyDocument;
    expect(await verifyExtension(first, later, jwks.keys)).toMatchObject({ ok: true });
    expect(await verifyExtension(receipt, later, jwks.keys)).toMatchObject({
      ok: receipt.proof.treeSize === first.treeSize,
    });
    const jwksFile = file('jwks.json', jwks);
    expect(
      await cli(['--consistency', file('old.json', first), file('new.json', later), '--jwks', jwksFile]),
    ).toMatchObject({ code: 0, report: { ok: true } });
    const badRequest = await ctx.request({
      url: `/v1/access-log/consistency?first=${second.treeSize}&second=${first.treeSize}`,
      token: officer,
      purpose: 'privacy-audit',
    });
    expect(badRequest.status).toBe(400);
    expect(
      (
        await ctx.request({
          url: `/v1/access-log/consistency?first=1&second=${second.treeSize + 1000}`,
          token: officer,
          purpose: 'privacy-audit',
        })
      ).status,
    ).toBe(404);

    // A log rewritten behind the gateway's back: an entry removed, or two swapped, between the heads.
    const leaves = (
      (await ctx.dataSource.query('SELECT hash FROM access_log_tree_node WHERE level = 0 ORDER BY idx')) as {
        hash: Buffer;
      }[]
    ).map((r) => r.hash);
    const rewritten = (list: Buffer[]) => {
      const store = new Map<string, Buffer>();
      const frontier = new Frontier();
      list.forEach((leaf) => frontier.append(leaf, (l, i, hash) => store.set(`${l}:${i}`, hash)));
      const node: NodeSource = (l, i) => store.get(`${l}:${i}`)!;
      return { node, root: frontier.root() };
    };
    const m = first.treeSize;
    const n = second.treeSize;
    const removed = [...leaves.slice(0, m - 1), ...leaves.slice(m, n)]; // an entry of the first tree gone
    const swapped = [...leaves.slice(0, n)];
    [swapped[m - 2], swapped[m]] = [swapped[m], swapped[m - 2]]; // reordered across the first head
    for (const list of [removed, swapped]) {
      const forged = rewritten(list);
      const proof = consistencyProof(m, list.length, forged.node);
      expect(verifyConsistency(m, list.length, proof, fromHex(first.rootHash)!, forged.root)).toBe(false);
      expect(verifyConsistency(m, n, proof, fromHex(first.rootHash)!, fromHex(second.rootHash)!)).toBe(false);
    }
    // and the answer itself, tampered with
    const tampered = { ...later, proof: [...later.proof].reverse() };
    if (later.proof.length > 1) expect((await verifyExtension(first, tampered, jwks.keys)).ok).toBe(false);
    expect((await verifyExtension(first, { ...later, proof: later.proof.slice(1) }, jwks.keys)).ok).toBe(false);
  });

  it('exports the log in chain order; the genuine export verifies offline, chain and tree', async () => {
    // Two requests in flight at once: insert order and commit order may differ; the export follows the chain.
    await Promise.all(
      [0, 1, 2].map(() => ctx.request({ url: `/v1/cases/${caseId}`, token: team, purpose: 'care-coordination' })),
    );
    const exported = await ctx.request({
      url: '/v1/access-log/export?format=ndjson',
      token: officer,
      purpose: 'privacy-audit',
    });
    expect(exported.status).toBe(200);
    const path = file('export.ndjson', exported.text);
    const report = await verifyExport(path, jwks.keys);
    expect(report).toMatchObject({ ok: true, tree: { lastTreeHead: { signatureValid: true } } });
    expect(await cli(['--file', path, '--jwks', file('jwks.json', jwks)])).toMatchObject({
      code: 0,
      report: { ok: true },
    });
    const online = await ctx.request({ url: '/v1/access-log/verify', token: officer, purpose: 'privacy-audit' });
    expect(online.body).toMatchObject({ ok: true, tree: { size: expect.any(Number) } });
  });

  it('keeps a receipt issued before a retention purge verifiable after it, with fresh proofs from the signed anchor', async () => {
    const chain = ctx.app.get(ChainService);
    await chain.chainAll();
    const read = await ctx.request({ url: `/v1/cases/${caseId}`, token: team, purpose: 'care-coordination' });
    const entryId = String(read.headers['schakel-access-entry']);
    const before = (
      await ctx.request({
        url: `/v1/access-log/entries/${entryId}/receipt`,
        token: team,
        purpose: 'care-coordination',
      })
    ).body as Receipt;
    expect(await verifyReceipt(before, jwks.keys)).toMatchObject({ ok: true });

    // Ten years after this access, everything before it is past retention.
    const [{ occurred_at: boundary }] = await ctx.dataSource.query('SELECT occurred_at FROM access_log WHERE id = $1', [
      entryId,
    ]);
    const tenYearsOn = new Date(boundary);
    tenYearsOn.setFullYear(tenYearsOn.getFullYear() + 10);
    const purge = await maintenance.maintain(tenYearsOn);
    expect(Number(purge.anchor)).toBeGreaterThan(0);
    expect(Number(purge.anchor)).toBeLessThan(before.proof.leafIndex + 1);
    // The anchor signs the Merkle subtrees of the purged prefix.
    const [anchor] = await ctx.dataSource.query('SELECT jws FROM access_log_checkpoint ORDER BY position LIMIT 1');
    const anchorPayload = JSON.parse(Buffer.from(anchor.jws.split('.')[1], 'base64url').toString());
    expect(anchorPayload).toMatchObject({ treeSize: Number(purge.anchor), subtrees: expect.any(Array) });

    expect(await verifyReceipt(before, jwks.keys)).toMatchObject({ ok: true });
    await ctx.request({ url: `/v1/cases/${caseId}`, token: team, purpose: 'care-coordination' });
    const now = await treeHead();
    const fresh = await ctx.request({
      url: `/v1/access-log/entries/${entryId}/proof?treeSize=${now.treeSize}`,
      token: team,
      purpose: 'care-coordination',
    });
    expect(fresh.status).toBe(200);
    expect(await verifyReceipt({ entry: before.entry, proof: fresh.body }, jwks.keys)).toMatchObject({ ok: true });
    const extension = await ctx.request({
      url: `/v1/access-log/consistency?first=${before.proof.treeSize}&second=${now.treeSize}`,
      token: officer,
      purpose: 'privacy-audit',
    });
    expect(extension.status).toBe(200);
    expect(await verifyExtension(before, extension.body, jwks.keys)).toMatchObject({ ok: true });
    // A tree that lies before the anchor can no longer be proven against.
    const gone = await ctx.request({
      url: `/v1/access-log/consistency?first=1&second=${now.treeSize}`,
      token: officer,
      purpose: 'privacy-audit',
    });
    expect([404, 422]).toContain(gone.status);

    expect(await chain.verify()).toMatchObject({ ok: true, tree: { size: expect.any(Number) } });
    const exported = await ctx.request({
      url: '/v1/access-log/export?format=ndjson',
      token: officer,
      purpose: 'privacy-audit',
    });
    expect(await verifyExport(file('after-purge.ndjson', exported.text), jwks.keys)).toMatchObject({
      ok: true,
      tree: { lastTreeHead: { signatureValid: true } },
    });
  });

  it('verifies from the database with the canonical entries PostgreSQL writes: byte for byte those of the verifier', async () => {
    // An entry with what JSON escapes: quotes, backslashes, control characters, non-ASCII.
    const odd = {
      id: '0f0e0d0c-0b0a-4909-8807-060504030201',
      occurredAt: new Date('2026-11-30T23:59:59.123Z'),
      requestId: 'r-odd',
      partnerId: outreach.id,
      userSub: 'sub "quoted" \\ back\u0001\u001f tab\t nl\n é € 𝄞 \u2028',
      roles: ['caseworker', 'coördinator'],
      profession: null,
      action: 'read',
      resourceType: 'Case',
      resourceId: null,
      clientRef: null,
      custodianPartnerId: null,
      purpose: 'care-coordination',
      legalBasis: null,
      consentId: null,
      decision: 'deny' as const,
      reason: 'a </script> & reason',
      ruleId: null,
      fields: [],
      disclosureSha256: null,
      override: false,
      policyVersion: 'v"1',
      format: 2,
      consentIds: [],
      agreementId: null,
      ground: null,
      categories: [],
      grantId: null,
    };
    const repository = ctx.app.get(AccessLogRepository);
    await ctx.dataSource.transaction((manager) =>
      repository.insert(manager, { ...odd, entryHash: entryHash(odd) }, null),
    );
    const chain = ctx.app.get(ChainService);
    await chain.chainAll();
    let compared = 0;
    for await (const rows of repository.chainForVerification(50)) {
      for (const row of rows) {
        const entry = await repository.entryAt(row.position);
        if (!entry) continue;
        expect({ position: row.position, canonical: row.canonical }).toEqual({
          position: row.position,
          canonical: canonicalEntry(entry),
        });
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(5);
    expect(await chain.verify()).toMatchObject({ ok: true });
  });

  it('keeps old tree heads verifiable after the signing key is rotated', async () => {
    const earlier = await treeHead();
    const newKey = await ed25519();
    const rotated = await createTestContext(
      {
        GATEWAY_SIGNING_KEY: JSON.stringify(newKey.privateJwk),
        GATEWAY_RETIRED_SIGNING_KEYS: JSON.stringify([oldKey.publicJwk]),
        PSEUDONYM_KEY: pseudonymKey,
      },
      { databaseUrl: ctx.databaseUrl },
    );
    try {
      const newJwks = (await rotated.request({ url: '/.well-known/jwks.json' })).body as { keys: JWK[] };
      expect(newJwks.keys.map((k) => k.x)).toEqual([newKey.publicJwk.x, oldKey.publicJwk.x]);
      await rotated.request({ url: `/v1/cases/${caseId}`, token: team, purpose: 'care-coordination' });
      const later = await rotated.request({
        url: '/v1/access-log/tree-head',
        token: officer,
        purpose: 'privacy-audit',
      });
      expect(JSON.parse(Buffer.from(later.body.treeHead.split('.')[0], 'base64url').toString()).kid).toBe(
        newJwks.keys[0].kid,
      );
      expect(await verifyReceipt(receipt, newJwks.keys)).toMatchObject({ ok: true });
      expect(await verifyTreeHead(earlier.treeHead, newJwks.keys)).not.toBeNull();
      const answer = await rotated.request({
        url: `/v1/access-log/consistency?first=${earlier.treeSize}&second=${later.body.treeSize}`,
        token: officer,
        purpose: 'privacy-audit',
      });
      expect(await verifyExtension(earlier, answer.body, newJwks.keys)).toMatchObject({ ok: true });
      expect((await rotated.app.get(ChainService).verify()).ok).toBe(true);
      // Without the retired key published, the old heads no longer verify.
      expect(await verifyTreeHead(earlier.treeHead, [newJwks.keys[0]])).toBeNull();
    } finally {
      await rotated.close();
    }
  });
});
