import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { ProblemException } from '../common/problem/problem.js';
import { PolicyService } from '../policies/policy.service.js';
import type { AccessDecision, AccessLogEntry } from './access-log.entities.js';
import { AccessLogRepository } from './access-log.repository.js';
import { GATEWAY_KEYS, type GatewayKeys } from './gateway-keys.js';
import { disclosureManifest, entryHash } from './hashing.js';

/** Who is accessing, why, and in which request: taken from the authenticated request. */
export interface AccessContext {
  principal: Principal;
  purpose: string;
  requestId: string;
}

/** What one access did, as the access log records it. */
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
  legalBasis?: string | null;
  consentId?: string | null;
  /** Values that leave the gateway: the log keeps their field names and a hash, not the values. */
  disclosed?: Record<string, unknown>;
  /** Names of fields written (for writes) when nothing is disclosed. */
  fields?: string[];
  /** Break-the-glass. */
  override?: boolean;
  /** A review item this entry belongs behind (e.g. the break-the-glass grant it was made under). */
  reviewItemId?: string | null;
}

/** Thrown from inside an audited access to refuse it: the refusal is logged, then the problem is answered. */
export class AccessRefused extends Error {
  constructor(
    readonly record: Omit<AccessRecord, 'decision'>,
    readonly problem: ProblemException,
  ) {
    super(problem.message);
  }
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
    private readonly policy: PolicyService,
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  pseudonym(clientId: string): string {
    return this.keys.pseudonym(clientId);
  }

  /**
   * `work` must do all its database reads and writes through `manager` (the transaction's own
   * connection): taking a second pool connection while holding this one can exhaust the pool.
   */
  async audited<T>(
    context: AccessContext,
    work: (manager: EntityManager) => Promise<{ result: T; record: AccessRecord }>,
  ): Promise<T> {
    try {
      return await this.repository.dataSource.transaction(async (manager) => {
        const { result, record } = await work(manager);
        await this.write(manager, context, record);
        return result;
      });
    } catch (error) {
      if (error instanceof AccessRefused) {
        await this.recordRefusal(context, error.record);
        throw error.problem;
      }
      throw error;
    }
  }

  /** A refusal gets its own transaction: the refused access itself was rolled back. */
  async recordRefusal(context: AccessContext, record: Omit<AccessRecord, 'decision'>): Promise<void> {
    await this.repository.dataSource.transaction((manager) =>
      this.write(manager, context, { ...record, decision: 'deny' }),
    );
  }

  private async write(manager: EntityManager, context: AccessContext, record: AccessRecord): Promise<void> {
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
      legalBasis: record.legalBasis ?? null,
      consentId: record.consentId ?? null,
      decision: record.decision,
      reason: record.reason.slice(0, 500),
      ruleId: record.ruleId ?? null,
      fields: manifest?.fields ?? record.fields ?? [],
      disclosureSha256: manifest?.sha256 ?? null,
      override: record.override ?? false,
      policyVersion: this.policy.version,
    };
    try {
      await this.repository.insert(manager, { ...content, entryHash: entryHash(content) });
      if (record.reviewItemId) await this.repository.linkToReview(manager, record.reviewItemId, content.id);
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.logger.error({ requestId: context.requestId, code }, 'access log write failed; refusing the access');
      throw LOG_UNAVAILABLE();
    }
  }
}
