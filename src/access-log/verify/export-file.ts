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

const ENTRY_PREFIX_BYTES = Buffer.from(ENTRY_PREFIX);
const HEAD = Buffer.from('{"type":"entry","position":"');
const PREV = Buffer.from('","prevHash":"');
const HASH = Buffer.from('","hash":"');
const ENTRY = Buffer.from('","entry":');
const TAIL = Buffer.from(',"entryHash":"');
const CLOSE = Buffer.from('"}}');

const at = (buffer: Buffer, part: Buffer, offset: number) =>
  buffer.compare(part, 0, part.length, offset, offset + part.length) === 0;

/**
 * An entry line in the gateway's own layout, read from bytes: position, hashes at their places,
 * the entry's canonical JSON hashed as it lies in the file. Null for any other line (which is
 * then parsed), and for a line whose entry does not hash to its stated hash (parsed too, so a
 * line that is merely laid out differently still verifies; a changed one fails there).
 */
function fastLink(buffer: Buffer, start: number, end: number): LinkRecord | null {
  if (end - start < HEAD.length + 1 + PREV.length + 64 + HASH.length + 64 + ENTRY.length + 2 + TAIL_LENGTH) return null;
  if (!at(buffer, HEAD, start)) return null;
  let p = start + HEAD.length;
  const digits = p;
  while (p - digits < 16 && buffer[p] >= 48 && buffer[p] <= 57) p++;
  if (p === digits || !at(buffer, PREV, p)) return null;
  const position = buffer.toString('latin1', digits, p);
  p += PREV.length;
  const prevHash = buffer.toString('latin1', p, p + 64);
  p += 64;
  if (!at(buffer, HASH, p)) return null;
  const hash = buffer.toString('latin1', p + HASH.length, p + HASH.length + 64);
  p += HASH.length + 64;
  if (!at(buffer, ENTRY, p) || buffer[p + ENTRY.length] !== 123) return null;
  const entryStart = p + ENTRY.length;
  const tail = end - TAIL_LENGTH;
  if (tail <= entryStart || !at(buffer, TAIL, tail) || !at(buffer, CLOSE, end - CLOSE.length)) return null;
  const entryHash = buffer.toString('latin1', tail + TAIL.length, tail + TAIL.length + 64);
  // The canonical entry is the bytes up to the tail, closed by '}' (written over the tail's comma, then restored).
  const comma = buffer[tail];
  buffer[tail] = 125;
  const hashOfText = oneShot('sha256', buffer.subarray(entryStart, tail + 1), 'hex');
  buffer[tail] = comma;
  if (hashOfText !== entryHash) return null;
  return { position, prevHash, hash, linkEntryHash: entryHash, entry: null, contentHash: hashOfText };
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
    prevHash: string | null;
    hash: string;
    entry: LinkRecord['entry'] & { entryHash: string };
  };
  if (record.position === null) return null; // not yet linked: not yet evidence
  return {
    position: record.position,
    prevHash: record.prevHash,
    hash: record.hash,
    linkEntryHash: record.entry?.entryHash ?? null,
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
  // Bytes, not text: the gateway's lines are checked and hashed as read, without decoding them.
  let rest: Buffer = Buffer.alloc(0);
  const take = (buffer: Buffer, start: number, end: number) => {
    if (
      end - start < ENTRY_PREFIX_BYTES.length ||
      buffer.compare(ENTRY_PREFIX_BYTES, 0, ENTRY_PREFIX_BYTES.length, start, start + ENTRY_PREFIX_BYTES.length) !== 0
    )
      return;
    const link = fastLink(buffer, start, end) ?? linkOf(buffer.toString('utf8', start, end).trim());
    if (link) verifier.link(link);
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buffer = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let end = buffer.indexOf(10, start); end !== -1; end = buffer.indexOf(10, start)) {
      take(buffer, start, end > start && buffer[end - 1] === 13 ? end - 1 : end);
      start = end + 1;
    }
    rest = buffer.subarray(start);
  }
  if (rest.length > 0) take(rest, 0, rest.length);
  return verifier.finish();
}

/** An entry line in the layout the verifier reads fastest: the entry's canonical JSON, then its hash. */
export function entryLine(
  link: { position: string; prevHash: string | null; hash: string } | null,
  canonical: string,
  entryHash: string,
): string {
  return `{"type":"entry","position":${link ? `"${link.position}"` : 'null'},"prevHash":${link?.prevHash ? `"${link.prevHash}"` : 'null'},"hash":${link ? `"${link.hash}"` : 'null'},"entry":${canonical.slice(0, -1)},"entryHash":"${entryHash}"}}\n`;
}
