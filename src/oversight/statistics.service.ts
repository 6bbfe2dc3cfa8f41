import { Inject, Injectable } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import type { AccessContext } from '../access/access-context.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { EVICTION_STAGES } from '../common/vocabulary/eviction-stages.js';
import { StatisticsRepository } from './statistics.repository.js';
import { suppress, type Cell } from './suppression.js';

/** A median is published only over at least five people. */
const median = (row: { median: number | null; n: number } | undefined) =>
  row && row.n >= 5
    ? { median: Math.round(Number(row.median) * 10) / 10, n: row.n }
    : { median: '<5' as const, n: '<5' as const };

/**
 * Figures for network coordination and funders, computed from the data, never per person,
 * every breakdown small-cell suppressed.
 */
@Injectable()
export class StatisticsService {
  constructor(
    private readonly statistics: StatisticsRepository,
    private readonly access: AccessService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  /**
   * Everything is counted over the referrals made in the period (and the cases they opened),
   * optionally only those to one team (`partner`) or to teams registered under a programme.
   */
  async compute(access: AccessContext, filter: { from: string; to: string; partner?: string; programme?: string }) {
    return this.access.run(access, async (tx) => {
      const decision = await tx.require({ subject: { type: 'Statistics' }, action: 'read', facts: { visible: true } });
      const {
        byReferrerType,
        decisions,
        reach,
        endReasons,
        duration,
        firstContact,
        waiting,
        stillWaiting,
        sealedHousing,
      } = await this.statistics.figures(tx.manager, filter);
      // The eviction stage is sealed housing data: opened here only to be counted.
      const stages: Record<string, number> = Object.fromEntries([...EVICTION_STAGES, 'unknown'].map((k) => [k, 0]));
      for (const sealed of sealedHousing) {
        const stage = this.crypto.cipher.open<{ evictionStage?: string }>(sealed).evictionStage;
        stages[stage && stage in stages ? stage : 'unknown'] += 1;
      }
      if (stages.unknown === 0) delete stages.unknown;
      const suppressedEndReasons = suppress(endReasons);
      const closed = Object.values(endReasons).reduce((sum, n) => sum + n, 0);
      const linked = endReasons['linked-to-care'] ?? 0;
      const linkage = suppress({ 'linked-to-care': linked, 'other-end': closed - linked });
      const share =
        typeof linkage.cells['linked-to-care'] === 'number' &&
        typeof linkage.cells['other-end'] === 'number' &&
        closed > 0
          ? Math.round((linked / closed) * 1000) / 10
          : null;
      const cellOf = (key: string): Cell => suppressedEndReasons.cells[key] ?? 0;
      const result = {
        period: { from: filter.from, to: filter.to },
        partner: filter.partner ?? null,
        programme: filter.programme ?? null,
        referralsByReferrerType: suppress(byReferrerType),
        decisions: suppress(decisions),
        reach: suppress(reach),
        followUpDuration: suppress(duration),
        endReasons: suppressedEndReasons,
        // A median over fewer than five people is not published.
        daysFromReferralToFirstContact: median(firstContact),
        waitingList: {
          daysOnWaitingList: median(waiting),
          stillWaiting: stillWaiting > 0 && stillWaiting < 5 ? '<5' : stillWaiting,
        },
        linkageToCare: { ...linkage, sharePercent: closed === 0 ? null : (share ?? 'suppressed') },
        evictions: { referralsByEvictionStage: suppress(stages), casesClosedByEviction: cellOf('eviction') },
        forcedAdmissions: { casesClosedByForcedAdmission: cellOf('forced-admission') },
        note: 'Counts under 5 are shown as "<5"; where one cell alone would be recoverable from the total, a second is hidden too.',
      };
      return tx.complete(result, decision, {
        reason: 'aggregated statistics (no personal data)',
        written: ['aggregates'],
      });
    });
  }
}
