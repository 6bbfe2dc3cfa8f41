import { hash as oneShot } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { JWK } from 'jose';
import { CHECKPOINT_TYPE, type SignedCheckpoint, type SignedTreeHead } from './drive.js';
import { LogVerifier, type LinkRecord, type LogReport } from './log.js';
import { TREE_HEAD_TYPE, verifySigned } from './signed.js';

const ENTRY_PREFIX = '{"type":"entry"';
/** An entry line as the gateway writes it: the entry in canonical form, its hash last. */
const LINK_HEAD =
  /^\{"type":"entry","position":"(\d{1,16})","prevHash":"([0-9a-f]{64})","hash":"([0-9a-f]{64})","entry":/;
const ENTRY_TAIL = /^,"entryHash":"([0-9a-f]{64})"\}\}$/;
const TAIL_LENGTH = 81;

/**
 * The signed lines at the end of an export (checkpoints, the retention anchor, tree heads), read
 * backwards from the end of the file up to the last entry line: a few kilobytes, whatever the size.
 */
async function signedTail(path: string): Promise<{ checkpoints: SignedCheckpoint[]; treeHeads: SignedTreeHead[] }> {
  const checkpoints: SignedCheckpoint[] = [];
  const treeHeads: SignedTreeHead[] = [];
  const file = await open(path, 'r');
  try {
    let end = (await file.stat()).size;
    let carry = Buffer.alloc(0);
    for (;;) {
      const start = Math.max(0, end - 65536);
      const block = Buffer.alloc(end - start);
      await file.read(block, 0, block.length, start);
      const text = Buffer.concat([block, carry]);
      const lines = text.toString('utf8').split('\n');
      // The first piece may be a partial line, unless the block began at the start of the file.
      const complete = start === 0 ? lines : lines.slice(1);
      for (let i = complete.length - 1; i >= 0; i--) {
        const line = complete[i].trim();
        if (!line) continue;
        if (line.startsWith(ENTRY_PREFIX)) return { checkpoints, treeHeads };
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.type === 'checkpoint') checkpoints.unshift(record as unknown as SignedCheckpoint);
        else if (record.type === 'tree-head')
          treeHeads.unshift({ ...(record as unknown as SignedTreeHead), jws: String(record.treeHead) });
      }
      if (start === 0) return { checkpoints, treeHeads };
      carry = Buffer.from(start === 0 ? '' : lines[0], 'utf8');
      end = start;
    }
  } finally {
    await file.close();
  }
}

/** One entry line as a link: the gateway's own layout is hashed as written; anything else is parsed. */
function linkOf(line: string): LinkRecord | null {
  const head = LINK_HEAD.exec(line);
  const tail = head ? ENTRY_TAIL.exec(line.slice(-TAIL_LENGTH)) : null;
  const entryText = head && tail ? `${line.slice(head[0].length, line.length - TAIL_LENGTH)}}` : '';
  // The gateway's layout, hashed as written; a line in another layout (or edited) is parsed and re-serialised.
  const hashOfText = head && tail ? oneShot('sha256', entryText, 'hex') : '';
  if (head && tail && hashOfText === tail[1]) {
    return {
      position: head[1],
      prevHash: head[2],
      hash: head[3],
      linkEntryHash: tail[1],
      entry: null,
      contentHash: hashOfText,
    };
  }
  const record = JSON.parse(line) as {
    position: string | null;
    prevHash: string;
    hash: string;
    entry: LinkRecord['entry'] & { entryHash: string };
  };
  if (record.position === null) return null; // not yet linked: not yet evidence
  return {
    position: record.position,
    prevHash: record.prevHash,
    hash: record.hash,
    linkEntryHash: record.entry?.entryHash,
    entry: record.entry,
  };
}

/**
 * Verifies an NDJSON export (GET /v1/access-log/export?format=ndjson) offline — hash chain,
 * entries, signed checkpoints, Merkle tree and signed tree heads — in one streaming pass over the
 * entries after reading the signed lines from the end, in constant memory.
 */
export async function verifyExport(path: string, keys: JWK[]): Promise<LogReport> {
  const { checkpoints, treeHeads } = await signedTail(path);
  const verifier = new LogVerifier();
  checkpoints.sort((a, b) => Number(a.position) - Number(b.position));
  treeHeads.sort((a, b) => Number(a.treeSize) - Number(b.treeSize));
  for (const c of checkpoints)
    verifier.addCheckpoint({
      position: String(c.position),
      headHash: c.headHash,
      signedAt: new Date(c.signedAt).toISOString(),
      payload: await verifySigned(c.jws, keys, CHECKPOINT_TYPE),
    });
  for (const h of treeHeads)
    verifier.addTreeHead({
      treeSize: Number(h.treeSize),
      rootHash: h.rootHash,
      signedAt: new Date(h.signedAt).toISOString(),
      payload: (await verifySigned(h.jws, keys, TREE_HEAD_TYPE)) as never,
    });
  let rest = '';
  const take = (line: string) => {
    if (!line.startsWith(ENTRY_PREFIX)) return;
    const link = linkOf(line);
    if (link) verifier.link(link);
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      take(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
  }
  take(rest.trim());
  return verifier.finish();
}

/** An entry line in the layout the verifier reads fastest: the entry's canonical JSON, then its hash. */
export function entryLine(
  link: { position: string; prevHash: string; hash: string } | null,
  canonical: string,
  entryHash: string,
): string {
  return `{"type":"entry","position":${link ? `"${link.position}"` : 'null'},"prevHash":${link ? `"${link.prevHash}"` : 'null'},"hash":${link ? `"${link.hash}"` : 'null'},"entry":${canonical.slice(0, -1)},"entryHash":"${entryHash}"}}\n`;
}
