import 'reflect-metadata';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessLogRepository } from '../../src/access-log/access-log.repository.js';
import { ChainService } from '../../src/access-log/chain.service.js';
import { loadGatewayKeys } from '../../src/access-log/gateway-keys.js';
import { entryHash, GENESIS_HASH, linkHash, type EntryContent } from '../../src/access-log/hashing.js';
import { canonicalEntry } from '../../src/access-log/verify/entry.js';
import { entryLine, verifyExport } from '../../src/access-log/verify/export-file.js';
import type { LogReport } from '../../src/access-log/verify/log.js';
import { createLogger } from '../../src/common/logging/logger.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataSource } from '../../src/data-source.js';
import { reply, runMain } from '../support/processes.js';

export interface VerifyRun {
  ok: boolean;
  entries: number;
  seconds: number;
  entriesPerSecond: number;
  /** CPU seconds this process spent (user + system): the machine is shared, wall time is not all ours. */
  cpuSeconds: number;
  /** Peak V8 heap in use during the run, sampled every 20 ms. */
  peakHeapMb: number;
}

export interface VerifyResult extends VerifyRun {
  /** Peak resident set of this process (whole Node process, baseline included). */
  peakRssMb: number;
  /** Resident set before the verification started, to tell the baseline from what verifying costs. */
  baselineRssMb: number;
  /** The same log exported as NDJSON (the export's own layout) and verified offline. */
  export?: VerifyRun;
  /** A synthetic export of SYNTHETIC entries (the same layout, realistic entries): verification at scale. */
  synthetic?: VerifyRun;
}

const SYNTHETIC = 500_000;
const mb = (bytes: number) => bytes / 1024 / 1024;

async function measured(work: () => Promise<LogReport>): Promise<VerifyRun> {
  global.gc?.();
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  if (!report.ok) throw new Error(`the access log does not verify: ${JSON.stringify(report)}`);
  return {
    ok: report.ok,
    entries: report.entries,
    seconds,
    entriesPerSecond: report.entries / seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakHeapMb: mb(peakHeap),
  };
}

async function write(out: ReturnType<typeof createWriteStream>, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function close(out: ReturnType<typeof createWriteStream>): Promise<void> {
  out.end();
  await once(out, 'finish');
}

/** The log as GET /v1/access-log/export?format=ndjson writes it (chain order, canonical entries, signed lines last). */
async function exportLog(chain: ChainService, repository: AccessLogRepository, path: string): Promise<void> {
  const head = await chain.signTreeHead();
  const out = createWriteStream(path);
  for await (const link of repository.chainInOrder(2000))
    if (link.entry) await write(out, entryLine(link, canonicalEntry(link.entry), link.entry.entryHash));
  for await (const c of repository.checkpointsInOrder())
    await write(
      out,
      `${JSON.stringify({ type: 'checkpoint', position: c.position, headHash: c.headHash, signedAt: c.signedAt, jws: c.jws })}\n`,
    );
  if (head)
    await write(
      out,
      `${JSON.stringify({ type: 'tree-head', treeSize: head.treeSize, rootHash: head.rootHash, chainHash: head.chainHash, signedAt: head.signedAt, treeHead: head.jws })}\n`,
    );
  await close(out);
}

/** A synthetic chain of realistic format-2 entries, streamed to a file. */
async function syntheticLog(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const content: EntryContent = {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000),
      requestId: `req-${i.toString(36)}-7f3a9c`,
      partnerId: 'bench-outreach',
      userSub: 'bench-caseworker',
      roles: ['caseworker'],
      profession: 'psychiatric-nurse',
      action: 'read',
      resourceType: 'Case',
      resourceId: '3f0a2b9c-6d1e-4c8f-9a7b-2e5d4c3b1a09',
      clientRef: 'c'.repeat(64),
      custodianPartnerId: 'bench-outreach',
      purpose: 'care-coordination',
      legalBasis: null,
      consentId: null,
      decision: 'permit',
      reason: 'Case read (rule team-reads-own-case)',
      ruleId: 'team-reads-own-case',
      fields: ['contact', 'housing', 'identity'],
      disclosureSha256: 'd'.repeat(64),
      override: false,
      policyVersion: 'sha256:9c1f0e7a2b3d',
      format: 2,
      consentIds: [],
      agreementId: null,
      ground: 'GDPR art. 6(1)(e)',
      categories: ['contact', 'housing', 'identity'],
      grantId: null,
    };
    const hashOfEntry = entryHash(content);
    const hash = linkHash(i, prev, hashOfEntry);
    await write(out, entryLine({ position: String(i), prevHash: prev, hash }, canonicalEntry(content), hashOfEntry));
    prev = hash;
  }
  await close(out);
}

/**
 * Log verification, in its own process so its memory is its own: as `npm run log:verify` does it
 * (ChainService.verify: the whole chain from the database, entries re-hashed, checkpoints' and
 * tree heads' signatures checked, the Merkle tree rebuilt), then offline as a partner runs it on
 * an NDJSON export (`npm run log:verify -- --file`): this log exported, and a synthetic export of
 * SYNTHETIC entries. Pending entries are linked first, outside the measurement.
 */
runMain(async () => {
  const config = loadConfig();
  const logger = createLogger('warn');
  const dataSource = createDataSource(config.databaseUrl!, config, 'bench-log-verify');
  await dataSource.initialize();
  const keys = await loadGatewayKeys(config);
  const repository = new AccessLogRepository(dataSource);
  const chain = new ChainService(repository, keys, config, logger);
  await chain.chainAll();
  global.gc?.();
  const baselineRss = process.memoryUsage().rss;
  const database = await measured(() => chain.verify());
  const dir = mkdtempSync(join(tmpdir(), 'schakel-bench-verify-'));
  try {
    await exportLog(chain, repository, join(dir, 'export.ndjson'));
    await dataSource.destroy();
    const exported = await measured(() => verifyExport(join(dir, 'export.ndjson'), keys.verificationJwks));
    rmSync(join(dir, 'export.ndjson'));
    await syntheticLog(join(dir, 'synthetic.ndjson'), SYNTHETIC);
    const synthetic = await measured(() => verifyExport(join(dir, 'synthetic.ndjson'), []));
    reply({
      ...database,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      baselineRssMb: mb(baselineRss),
      export: exported,
      synthetic,
    } satisfies VerifyResult);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
