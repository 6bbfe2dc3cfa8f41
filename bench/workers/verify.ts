import 'reflect-metadata';
import { AccessLogRepository } from '../../src/access-log/access-log.repository.js';
import { ChainService } from '../../src/access-log/chain.service.js';
import { loadGatewayKeys } from '../../src/access-log/gateway-keys.js';
import { createLogger } from '../../src/common/logging/logger.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataSource } from '../../src/data-source.js';
import { reply, runMain } from '../support/processes.js';

export interface VerifyResult {
  ok: boolean;
  entries: number;
  seconds: number;
  entriesPerSecond: number;
  /** Peak resident set of this process (whole Node process, baseline included). */
  peakRssMb: number;
  /** Peak V8 heap in use, sampled every 20 ms. */
  peakHeapMb: number;
  /** Resident set before the verification started, to tell the baseline from what verifying costs. */
  baselineRssMb: number;
}

/**
 * Log verification as `npm run log:verify` does it (ChainService.verify: the whole chain from the
 * database, entries re-hashed, checkpoints' signatures checked), in its own process so its memory
 * is its own. Pending entries are linked first, outside the measurement.
 */
runMain(async () => {
  const config = loadConfig();
  const logger = createLogger('warn');
  const dataSource = createDataSource(config.databaseUrl!, config, 'bench-log-verify');
  await dataSource.initialize();
  const chain = new ChainService(new AccessLogRepository(dataSource), await loadGatewayKeys(config), config, logger);
  await chain.chainAll();
  global.gc?.();
  const baselineRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const started = performance.now();
  const report = await chain.verify();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  await dataSource.destroy();
  if (!report.ok) throw new Error(`the access log does not verify: ${JSON.stringify(report)}`);
  const mb = (bytes: number) => bytes / 1024 / 1024;
  reply({
    ok: report.ok,
    entries: report.entries,
    seconds,
    entriesPerSecond: report.entries / seconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb: mb(peakHeap),
    baselineRssMb: mb(baselineRss),
  } satisfies VerifyResult);
});
