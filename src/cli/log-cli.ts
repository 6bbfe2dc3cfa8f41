import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AccessLogRepository } from '../access-log/access-log.repository.js';
import { ChainService } from '../access-log/chain.service.js';
import { verifyExportFile } from '../access-log/export-verifier.js';
import { loadGatewayKeys } from '../access-log/gateway-keys.js';
import {
  keysOf,
  verifyExtension,
  verifyReceipt,
  type ConsistencyDocument,
  type Receipt,
  type TreeHeadDocument,
} from '../access-log/verify/index.js';
import { LogMaintenanceService } from '../access-log/log-maintenance.service.js';
import { LogPartitionsRepository } from '../access-log/log-partitions.repository.js';
import { loadConfig } from '../config/config.js';
import { runCli } from './run-cli.js';
import { withDatabase } from './cli-database.js';

/**
 * `npm run log:maintain` (and its old name `log:purge-expired`): partitions ahead, retention by
 * whole partitions with a signed anchor. Run by the schema owner (DDL), on a schedule.
 */
async function maintain(): Promise<void> {
  const config = loadConfig();
  const result = await withDatabase(config, 'schakel-log-maintain', async ({ dataSource }, logger) => {
    const chain = new ChainService(new AccessLogRepository(dataSource), await loadGatewayKeys(config), config, logger);
    return new LogMaintenanceService(chain, new LogPartitionsRepository(dataSource), config, logger).maintain();
  });
  process.stdout.write(
    `${JSON.stringify({ retentionYears: config.accessLog.retentionYears, partitionSize: config.accessLog.partitionSize, ...result })}\n`,
  );
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/**
 * `npm run log:verify` (the database), or offline against the key set saved from
 * /.well-known/jwks.json (`--jwks`; default: this gateway's own keys):
 *   --file export.ndjson          a whole export: chain, entries, checkpoints, Merkle tree, tree heads
 *   --receipt receipt.json        one receipt: the entry is in the signed tree
 *   --consistency old.json new.json
 *                                 the later tree (a GET /v1/access-log/consistency answer) extends
 *                                 the earlier one (a saved tree head, receipt or consistency answer)
 */
async function verify(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      file: { type: 'string' },
      jwks: { type: 'string' },
      receipt: { type: 'string' },
      consistency: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0 && !values.consistency) throw new Error(`unexpected argument ${positionals[0]}`);
  const keys = async () =>
    values.jwks ? keysOf(readJson(values.jwks)) : (await loadGatewayKeys(loadConfig())).verificationJwks;
  let report: { ok: boolean };
  if (values.receipt) {
    report = await verifyReceipt(readJson(values.receipt) as Receipt, await keys());
  } else if (values.consistency) {
    if (positionals.length !== 2) throw new Error('--consistency needs two files: the earlier and the later');
    report = await verifyExtension(
      readJson(positionals[0]) as TreeHeadDocument,
      readJson(positionals[1]) as ConsistencyDocument,
      await keys(),
    );
  } else if (values.file) {
    report = await verifyExportFile(values.file, await keys());
  } else {
    // The same check as GET /v1/access-log/verify (it links pending entries first).
    const config = loadConfig();
    report = await withDatabase(config, 'schakel-log-verify', async ({ dataSource }, logger) =>
      new ChainService(new AccessLogRepository(dataSource), await loadGatewayKeys(config), config, logger).verify(),
    );
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

// Exit status: 0 verified (or purged), 1 the log failed verification, 2 the tool could not run.
runCli(['maintain', 'purge-expired'].includes(process.argv[2] ?? '') ? maintain : verify, 2);
