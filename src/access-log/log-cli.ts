import 'reflect-metadata';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { createLogger } from '../common/logging/logger.js';
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../database/open-database.js';
import { AccessLogRepository } from './access-log.repository.js';
import { ChainService } from './chain.service.js';
import { loadGatewayKeys } from './gateway-keys.js';
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

/** `npm run log:purge-expired`: retention, run by the schema owner (it lifts the triggers for one transaction). */
async function purgeExpired(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('warn');
  const database = await openDatabase(config, logger, 'schakel-log-retention');
  try {
    const chain = new ChainService(
      new AccessLogRepository(database.dataSource),
      await loadGatewayKeys(config),
      config,
      logger,
    );
    const result = await chain.purgeExpired();
    process.stdout.write(`${JSON.stringify({ retentionYears: config.accessLog.retentionYears, ...result })}\n`);
  } finally {
    await database.close();
  }
}

/** `npm run log:verify` (the database) or `npm run log:verify -- --file export.ndjson [--jwks jwks.json]` (offline). */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { file: { type: 'string' }, jwks: { type: 'string' } },
    allowPositionals: false,
  });
  const config = loadConfig();
  let report: VerifyReport;
  if (values.file) {
    const keys = values.jwks
      ? (JSON.parse(readFileSync(values.jwks, 'utf8')) as { keys: JWK[] }).keys
      : (await loadGatewayKeys(config)).verificationJwks;
    report = await verifyExportFile(values.file, keys);
  } else {
    const logger = createLogger('warn');
    const database = await openDatabase(config, logger, 'schakel-log-verify');
    try {
      // The same check as GET /v1/access-log/verify (it links pending entries first).
      report = await new ChainService(
        new AccessLogRepository(database.dataSource),
        await loadGatewayKeys(config),
        config,
        logger,
      ).verify();
    } finally {
      await database.close();
    }
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exit(report.ok ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  (process.argv[2] === 'purge-expired' ? purgeExpired() : main()).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}
