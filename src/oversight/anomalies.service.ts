import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { AccessLogService } from '../access-log/access-log.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { PolicyService } from '../policies/policy.service.js';
import { ReviewsRepository } from './reviews.repository.js';

/**
 * Scans the access log for the patterns in policies/anomalies.yaml and opens review items for a
 * privacy officer. Runs in every process; an advisory lock lets one scan at a time, and a unique
 * key per rule, user and window keeps one item per occurrence.
 */
@Injectable()
export class AnomaliesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly policy: PolicyService,
    private readonly accessLog: AccessLogService,
    private readonly reviews: ReviewsRepository,
    @Inject(CRYPTO) private readonly crypto: Crypto,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () =>
        void this.scan().catch((e: unknown) => this.logger.warn({ name: (e as Error).name }, 'anomaly scan postponed')),
      60_000,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Returns how many new review items were opened. */
  scan(now = new Date()): Promise<number> {
    return this.accessLog.scanForAnomalies(async (manager, matches) => {
      let opened = 0;
      for (const rule of this.policy.policy.anomalies) {
        for (const match of await matches(rule, now)) {
          const itemId = await this.reviews.insertAnomaly(manager, {
            subjectId: match.entryIds[0],
            actorPartnerId: match.partnerId,
            summarySealed: this.crypto.cipher.seal({ rule: rule.id, description: rule.description, ...match.summary }),
            dedupeKey: match.key,
          });
          if (!itemId) continue;
          await this.accessLog.putBehind(manager, itemId, match.entryIds);
          opened += 1;
        }
      }
      return opened;
    });
  }
}
