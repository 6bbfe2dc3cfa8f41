import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { AccessLogRepository } from '../access-log/access-log.repository.js';
import { ChainService } from '../access-log/chain.service.js';
import { verifyExportFile } from '../access-log/export-verifier.js';
import { loadGatewayKeys } from '../access-log/gateway-keys.js';
import { LogMaintenanceService } from '../access-log/log-maintenance.service.js';
import { LogPartitionsRepository } from '../access-log/log-partitions.repository.js';
import type { VerifyReport } from '../access-log/verifier.js';
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

/** `npm run log:verify` (the database) or `npm run log:verify -- --file export.ndjson [--jwks jwks.json]` (offline). */
async function verify(): Promise<void> {
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
    // The same check as GET /v1/access-log/verify (it links pending entries first).
    report = await withDatabase(config, 'schakel-log-verify', async ({ dataSource }, logger) =>
      new ChainService(new AccessLogRepository(dataSource), await loadGatewayKeys(config), config, logger).verify(),
    );
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

// Exit status: 0 verified (or purged), 1 the log failed verification, 2 the tool could not run.
runCli(['maintain', 'purge-expired'].includes(process.argv[2] ?? '') ? maintain : verify, 2);
