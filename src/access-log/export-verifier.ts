import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { JWK } from 'jose';
import { verifyChain, type ChainItem, type CheckpointItem, type VerifyReport } from './verifier.js';

async function* records(path: string): AsyncGenerator<{ type: string } & Record<string, unknown>> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim()) yield JSON.parse(line) as { type: string } & Record<string, unknown>;
}

/**
 * Verifies an NDJSON export (as GET /v1/access-log/export?format=ndjson streams it) offline, in
 * two streaming passes: the checkpoints (few, at the end of the file), then the chain.
 */
export async function verifyExportFile(path: string, publicKeys: JWK[]): Promise<VerifyReport> {
  const checkpoints: CheckpointItem[] = [];
  for await (const record of records(path))
    if (record.type === 'checkpoint') checkpoints.push(record as unknown as CheckpointItem);
  async function* chain(): AsyncGenerator<ChainItem> {
    for await (const record of records(path)) {
      if (record.type !== 'entry' || record.position === null) continue; // unlinked entries are not yet evidence
      const entry = record.entry as NonNullable<ChainItem['entry']>;
      yield {
        position: String(record.position),
        prevHash: String(record.prevHash),
        hash: String(record.hash),
        linkEntryHash: entry.entryHash,
        entry,
      };
    }
  }
  async function* signed(): AsyncGenerator<CheckpointItem> {
    yield* checkpoints;
  }
  return verifyChain(chain(), signed(), publicKeys);
}
