import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Transaction } from '../database/transaction.js';
import type { Logger } from 'pino';
import { APP_LOGGER } from '../common/logging/logger.js';
import { ProblemException } from '../common/problem/problem.js';
import { PolicyService } from '../policies/policy.service.js';
import type { AccessDecision, AccessLogEntry } from './access-log.entities.js';
import { AccessLogRepository, type LogFilter } from './access-log.repository.js';
import { AnomalyRepository, type AnomalyMatch } from './anomaly.repository.js';
import type { AnomalyRule } from '../policies/policy-files.js';

export type { AccessLogEntry, LogFilter };
export { ACCESS_DECISIONS } from './access-log.entities.js';
import { GATEWAY_KEYS, type GatewayKeys } from './gateway-keys.js';
import { disclosureManifest, entryHash } from './hashing.js';

/**
 * Who accessed, why, in which request: what the log needs of an access context (the kernel's
 * AccessContext has this shape; the log does not depend on the kernel above it).
 */
export interface AccessContext {
  principal: { partnerId: string; subject: string; roles: string[]; profession?: string };
  purpose: string;
  requestId: string;
}

/**
 * What one access did, as the access log records it (entry format 2). Only the access kernel
 * (src/access) builds these, from a decision: no service composes a log record.
 */
export interface AccessRecord {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  /** The internal client id; the log stores only its keyed pseudonym. */
  clientId?: string | null;
  /** The partner that holds the case, whose privacy officer must see this access. */
  custodianPartnerId?: string | null;
  decision: AccessDecision;
  reason: string;
  ruleId?: string | null;
  /** The one ground the decision relied on (never the purpose's list). */
  ground?: string | null;
  /** Every consent relied on (none when the deciding rules did not require consent). */
  consentIds?: string[];
  agreementId?: string | null;
  /** The break-the-glass grant the access was made under. */
  grantId?: string | null;
  /** The data categories disclosed or written. */
  categories?: string[];
  /** Values that leave the gateway: the log keeps their field names and a hash, not the values. */
  disclosed?: Record<string, unknown>;
  /** Names of fields written (for writes) when nothing is disclosed. */
  fields?: string[];
  /** Break-the-glass. */
  override?: boolean;
  /** A review item this entry belongs behind (e.g. the break-the-glass grant it was made under). */
  reviewItemId?: string | null;
}

const LOG_UNAVAILABLE = () =>
  new ProblemException(
    'access-log-unavailable',
    'The access could not be recorded in the access log, so nothing was returned or changed. Try again shortly.',
    {},
    { 'retry-after': '5' },
  );

/**
 * The one component that records accesses to client data. `audited()` runs the access and its
 * log entry in one transaction: if the entry cannot be written, the access rolls back and no
 * data is returned (fail closed).
 */
@Injectable()
export class AccessLogService {
  constructor(
    private readonly repository: AccessLogRepository,
    private readonly anomalies: AnomalyRepository,
    private readonly policy: PolicyService,
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Partners (other than the holder) whose logged reads relied on this consent — any of the
   * consents of a format-2 entry, or the one of a format-1 entry: who must hear of its withdrawal.
   */
  recipientsUnder(manager: Transaction, consentId: string, excludePartnerId: string): Promise<string[]> {
    return this.repository.partnersWhoReadUnder(manager, consentId, excludePartnerId);
  }

  /** One page of entries, newest first (or oldest first after `afterSeq`), with their chain links. */
  search(manager: Transaction | undefined, filter: LogFilter, beforeSeq: string | undefined, limit: number) {
    return this.repository.page(filter, beforeSeq, limit, manager);
  }

  lastCheckpoint() {
    return this.repository.lastCheckpoint();
  }

  checkpoints(beforeId: string | undefined, limit: number) {
    return this.repository.checkpointsPage(beforeId, limit);
  }

  /**
   * One anomaly scan over the log (policies/anomalies.yaml), one process at a time: `work` gets
   * the scan's transaction and the matcher of each rule, and opens review items for the matches.
   */
  scanForAnomalies(
    work: (manager: Transaction, matches: (rule: AnomalyRule, now: Date) => Promise<AnomalyMatch[]>) => Promise<number>,
  ): Promise<number> {
    return this.anomalies.scan(work);
  }

  /** The log about a client (all the record ids its history is logged under), oldest first. */
  entriesAbout(manager: Transaction, clientIds: string[]): Promise<AccessLogEntry[]> {
    return this.repository.entriesAbout(
      manager,
      clientIds.map((id) => this.keys.pseudonym(id)),
    );
  }

  findEntry(manager: Transaction, entryId: string): Promise<AccessLogEntry | null> {
    return this.repository.findEntry(manager, entryId);
  }

  findEntryAbout(manager: Transaction, entryId: string, clientIds: string[]): Promise<AccessLogEntry | null> {
    return this.repository.findEntryAbout(
      manager,
      entryId,
      clientIds.map((id) => this.keys.pseudonym(id)),
    );
  }

  entryIdsBehind(manager: Transaction, itemIds: string[]): Promise<Map<string, string[]>> {
    return this.repository.entryIdsBehind(manager, itemIds);
  }

  entriesBehind(manager: Transaction, itemId: string): Promise<Record<string, unknown>[]> {
    return this.repository.entriesBehind(manager, itemId);
  }

  /** Puts entries behind a review item (an anomaly, a contest): the officer sees what the item is about. */
  putBehind(manager: Transaction, itemId: string, entryIds: string[]): Promise<void> {
    return this.repository.putBehind(manager, itemId, entryIds);
  }

  pseudonym(clientId: string): string {
    return this.keys.pseudonym(clientId);
  }

  /** A refusal gets its own transaction: the refused access itself was rolled back. */
  async recordRefusal(context: AccessContext, record: Omit<AccessRecord, 'decision'>): Promise<void> {
    await this.repository.dataSource.transaction((manager) =>
      this.write(manager, context, { ...record, decision: 'deny' }),
    );
  }

  /**
   * Writes one entry on the caller's transaction (the access and its entry commit together). With
   * `last`, the entry ends the transaction: it is sent with the COMMIT, and this resolves only when
   * both succeeded (the caller may not write anything after it). Returns the entry's id.
   */
  async write(
    manager: Transaction,
    context: AccessContext,
    record: AccessRecord,
    options: { last?: boolean } = {},
  ): Promise<string> {
    const manifest = record.disclosed ? disclosureManifest(record.disclosed) : null;
    const content: Omit<AccessLogEntry, 'seq' | 'entryHash'> = {
      id: randomUUID(),
      // Millisecond precision: what PostgreSQL stores is exactly what was hashed.
      occurredAt: new Date(Math.floor(Date.now())),
      requestId: context.requestId,
      partnerId: context.principal.partnerId,
      userSub: context.principal.subject,
      roles: [...context.principal.roles].sort(),
      profession: context.principal.profession ?? null,
      action: record.action,
      resourceType: record.resourceType,
      resourceId: record.resourceId ?? null,
      clientRef: record.clientId ? this.keys.pseudonym(record.clientId) : null,
      custodianPartnerId: record.custodianPartnerId ?? null,
      purpose: context.purpose,
      // Format 2 states the ground and every consent in their own (hashed) columns.
      legalBasis: null,
      consentId: null,
      decision: record.decision,
      reason: record.reason.slice(0, 500),
      ruleId: record.ruleId ?? null,
      fields: manifest?.fields ?? record.fields ?? [],
      disclosureSha256: manifest?.sha256 ?? null,
      override: record.override ?? false,
      policyVersion: this.policy.version,
      format: 2,
      consentIds: [...new Set(record.consentIds ?? [])].sort(),
      agreementId: record.agreementId ?? null,
      ground: record.ground ?? null,
      categories: [...new Set(record.categories ?? [])].sort(),
      grantId: record.grantId ?? null,
    };
    try {
      await this.repository.insert(
        manager,
        { ...content, entryHash: entryHash(content) },
        record.reviewItemId ?? null,
        options.last ?? false,
      );
      return content.id;
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.logger.error({ requestId: context.requestId, code }, 'access log write failed; refusing the access');
      throw LOG_UNAVAILABLE();
    }
  }
}
