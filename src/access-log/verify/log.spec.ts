import { describe, expect, it } from '@jest/globals';
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryHash, linkHash, GENESIS_HASH, type EntryContent } from '../hashing.js';
import { canonicalEntry, contentHash } from './entry.js';
import { verifyExport } from './export-file.js';
import { entryLeafHash, Frontier, inclusionProof, nodeHash, toHex, type NodeSource } from './merkle.js';
import { verifyReceipt, type Receipt } from './receipt.js';
import { TREE_HEAD_TYPE } from './signed.js';

function entry(i: number, format = 2): EntryContent & { entryHash: string } {
  const content: EntryContent = {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    occurredAt: new Date(Date.UTC(2026, 10, 1, 0, 0, i)),
    requestId: `r${i}`,
    partnerId: 'demo-caw',
    userSub: `user "${i}" \u00e9\\`,
    roles: ['caseworker', 'coordinator'],
    profession: i % 2 ? 'social-worker' : null,
    action: 'read',
    resourceType: 'Case',
    resourceId: `c${i}`,
    clientRef: 'a'.repeat(64),
    custodianPartnerId: 'demo-outreach',
    purpose: 'duo-follow-up',
    legalBasis: null,
    consentId: null,
    decision: 'permit',
    reason: 'Case read (rule x)',
    ruleId: 'x',
    fields: ['housing', 'identity'],
    disclosureSha256: 'b'.repeat(64),
    override: false,
    policyVersion: 'v1',
    ...(format === 2
      ? { format: 2, consentIds: [], agreementId: null, ground: '6(1)(e)', categories: ['housing'], grantId: null }
      : {}),
  };
  return { ...content, entryHash: entryHash(content) };
}

async function key(): Promise<{ signingKey: CryptoKey; jwks: JWK[] }> {
  const { privateKey, publicKey } = await generateKeyPair('Ed25519', { extractable: true });
  return { signingKey: privateKey, jwks: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] };
}

const sign = (payload: object, signingKey: CryptoKey, typ: string) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ })
    .sign(signingKey);

/** An export of n entries as the gateway writes it, ending with a checkpoint and a tree head. */
async function exportOf(n: number, signingKey: CryptoKey): Promise<{ lines: string[]; leaves: Buffer[] }> {
  const lines: string[] = [];
  const leaves: Buffer[] = [];
  const frontier = new Frontier();
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e = entry(i, i % 3 === 0 ? 1 : 2);
    const hash = linkHash(i, prev, e.entryHash);
    lines.push(JSON.stringify({ type: 'entry', position: String(i), prevHash: prev, hash, entry: e }));
    leaves.push(entryLeafHash(e.entryHash));
    frontier.append(leaves[leaves.length - 1]);
    prev = hash;
  }
  const signedAt = new Date().toISOString();
  const checkpoint = { position: String(n), hash: prev, signedAt, iss: 'schakel-gateway' };
  lines.push(
    JSON.stringify({
      type: 'checkpoint',
      position: String(n),
      headHash: prev,
      signedAt,
      jws: await sign(checkpoint, signingKey, 'schakel-log-checkpoint+jws'),
    }),
  );
  const head = { iss: 'schakel-gateway', treeSize: n, rootHash: toHex(frontier.root()), chainHash: prev, signedAt };
  lines.push(JSON.stringify({ type: 'tree-head', ...head, treeHead: await sign(head, signingKey, TREE_HEAD_TYPE) }));
  return { lines, leaves };
}

const dir = mkdtempSync(join(tmpdir(), 'schakel-verify-'));
const file = (name: string, lines: string[]) => {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
};

describe('the standalone log verifier', () => {
  it('writes the canonical entry exactly as the chain hashes it (both formats)', () => {
    for (const format of [1, 2]) {
      const e = entry(7, format);
      expect(contentHash(e)).toBe(e.entryHash);
      expect(canonicalEntry(e).startsWith('{"action":"read"')).toBe(true);
    }
  });

  it('verifies a genuine export (chain and tree), and finds every kind of tampering', async () => {
    const { signingKey, jwks } = await key();
    const { lines } = await exportOf(300, signingKey);
    const good = await verifyExport(file('good.ndjson', lines), jwks);
    expect(good).toMatchObject({ ok: true, entries: 300, tree: { size: 300, lastTreeHead: { signatureValid: true } } });

    const changed = [...lines];
    changed[41] = changed[41].replace('"requestId":"r42"', '"requestId":"r43"');
    expect(await verifyExport(file('changed.ndjson', changed), jwks)).toMatchObject({ ok: false, brokenAt: '42' });

    const removed = lines.filter((_, i) => i !== 99);
    expect(await verifyExport(file('removed.ndjson', removed), jwks)).toMatchObject({ ok: false, brokenAt: '100' });

    const swapped = [...lines];
    [swapped[10], swapped[11]] = [swapped[11], swapped[10]];
    expect((await verifyExport(file('swapped.ndjson', swapped), jwks)).ok).toBe(false);

    // the last link and its entry cut off: the signed checkpoint and tree head lie beyond the end
    const truncated = [...lines.slice(0, 299), ...lines.slice(300)];
    expect(await verifyExport(file('cut.ndjson', truncated), jwks)).toMatchObject({ ok: false });

    const other = await key();
    expect(await verifyExport(file('good2.ndjson', lines), other.jwks)).toMatchObject({
      ok: false,
      problem: 'checkpoint signature is not valid for the published key',
    });
  });

  it('finds a signed tree head whose root the chain does not produce, and resumes after a purge from the anchor', async () => {
    const { signingKey, jwks } = await key();
    const { lines, leaves } = await exportOf(40, signingKey);
    // A validly signed head that names another root: the log was rewritten after it was signed.
    const head = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    const wrong = {
      iss: 'schakel-gateway',
      treeSize: 40,
      rootHash: 'e'.repeat(64),
      chainHash: head.chainHash,
      signedAt: head.signedAt,
    };
    const forged = [
      ...lines.slice(0, -1),
      JSON.stringify({ type: 'tree-head', ...wrong, treeHead: await sign(wrong, signingKey, TREE_HEAD_TYPE) }),
    ];
    expect(await verifyExport(file('wrong-root.ndjson', forged), jwks)).toMatchObject({
      ok: false,
      brokenAt: '40',
      problem: 'the Merkle tree differs from the signed tree head of this size',
    });

    // Purged: entries 1..13 gone; the anchor at 13 carries the subtrees of those 13 leaves.
    const prefix = new Frontier();
    leaves.slice(0, 13).forEach((leaf) => prefix.append(leaf));
    const at13 = JSON.parse(lines[12]) as { hash: string };
    const anchorPayload = {
      position: '13',
      hash: at13.hash,
      signedAt: new Date().toISOString(),
      iss: 'schakel-gateway',
      treeSize: 13,
      rootHash: toHex(prefix.root()),
      subtrees: prefix.pieces().map(toHex),
    };
    const anchorLine = JSON.stringify({
      type: 'checkpoint',
      position: '13',
      headHash: at13.hash,
      signedAt: anchorPayload.signedAt,
      jws: await sign(anchorPayload, signingKey, 'schakel-log-checkpoint+jws'),
    });
    const purged = [...lines.slice(13, 40), anchorLine, ...lines.slice(40)];
    expect(await verifyExport(file('purged.ndjson', purged), jwks)).toMatchObject({
      ok: true,
      entries: 27,
      tree: { size: 40, lastTreeHead: { treeSize: 40, signatureValid: true } },
    });
    // The same purge with the anchor's subtrees altered: the rebuilt tree no longer matches the signed head.
    const badPayload = { ...anchorPayload, subtrees: [toHex(leaves[0]), ...anchorPayload.subtrees.slice(1)] };
    const badAnchor = JSON.stringify({
      ...JSON.parse(anchorLine),
      jws: await sign(badPayload, signingKey, 'schakel-log-checkpoint+jws'),
    });
    expect(
      (await verifyExport(file('bad-anchor.ndjson', [...lines.slice(13, 40), badAnchor, ...lines.slice(40)]), jwks)).ok,
    ).toBe(false);
  });

  it('verifies a receipt, and refuses one whose entry, proof, tree head or signature was changed', async () => {
    const { signingKey, jwks } = await key();
    const n = 13;
    const { leaves } = await exportOf(n, signingKey);
    const frontier = new Frontier();
    const stored = new Map<string, Buffer>();
    leaves.forEach((leaf) => frontier.append(leaf, (l, i, h) => stored.set(`${l}:${i}`, h)));
    const node: NodeSource = (l, i) => stored.get(`${l}:${i}`)!;
    const head = {
      iss: 'schakel-gateway',
      treeSize: n,
      rootHash: toHex(frontier.root()),
      chainHash: 'c'.repeat(64),
      signedAt: new Date().toISOString(),
    };
    const treeHead = await sign(head, signingKey, TREE_HEAD_TYPE);
    const receipt: Receipt = {
      entry: entry(6, 1),
      proof: {
        leafIndex: 5,
        treeSize: n,
        leafHash: toHex(leaves[5]),
        auditPath: inclusionProof(5, n, node).map(toHex),
        rootHash: head.rootHash,
        treeHead,
      },
    };
    expect(await verifyReceipt(receipt, jwks)).toMatchObject({ ok: true });
    const copy = () => JSON.parse(JSON.stringify(receipt)) as Receipt;

    const entryChanged = copy();
    entryChanged.entry.purpose = 'crisis';
    expect((await verifyReceipt(entryChanged, jwks)).ok).toBe(false);
    const rehashed = copy();
    rehashed.entry.purpose = 'crisis';
    delete rehashed.entry.entryHash;
    expect((await verifyReceipt(rehashed, jwks)).problem).toBe('the entry does not hash to the proven leaf');

    const proofChanged = copy();
    proofChanged.proof.auditPath[1] = toHex(nodeHash(leaves[0], leaves[1]));
    expect((await verifyReceipt(proofChanged, jwks)).ok).toBe(false);
    const indexChanged = copy();
    indexChanged.proof.leafIndex = 4;
    expect((await verifyReceipt(indexChanged, jwks)).ok).toBe(false);

    const headChanged = copy();
    const [h, , s] = headChanged.proof.treeHead.split('.');
    const forged = Buffer.from(JSON.stringify({ ...head, treeSize: 12 })).toString('base64url');
    headChanged.proof.treeHead = `${h}.${forged}.${s}`;
    expect((await verifyReceipt(headChanged, jwks)).problem).toBe('the tree head is not signed by a published key');

    const signatureChanged = copy();
    const sig = Buffer.from(s, 'base64url');
    sig[0] ^= 1;
    signatureChanged.proof.treeHead = `${h}.${treeHead.split('.')[1]}.${sig.toString('base64url')}`;
    expect((await verifyReceipt(signatureChanged, jwks)).ok).toBe(false);

    expect((await verifyReceipt(receipt, (await key()).jwks)).ok).toBe(false);
  });
});
