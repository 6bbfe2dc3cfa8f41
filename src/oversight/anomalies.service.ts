import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import type { AnomalyRule } from '../policies/policy-files.js';
import { PolicyService } from '../policies/policy.service.js';

interface Match {
  key: string;
  entryId: string;
  partnerId: string;
  summary: Record<string, unknown>;
}

/** Reasons the gateway writes when a caller reaches for a case or referral outside its circles. */
const OUTSIDE_CIRCLE = ["not the holding team%", 'not found or not a party%', 'no such case%'];

/**
 * Scans the access log for the patterns in policies/anomalies.yaml and opens review items for a
 * privacy officer. Runs in every process; an advisory lock lets one scan at a time, and a unique
 * key per rule, user and window keeps one item per occurrence.
 */
@Injectable()
export class AnomaliesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly policy: PolicyService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.scan().catch((e: unknown) => this.logger.warn({ name: (e as Error).name }, 'anomaly scan postponed')), 60_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Returns how many new review items were opened. */
  async scan(now = new Date()): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query("SELECT pg_try_advisory_xact_lock(hashtext('schakel.anomaly_scan')) AS locked");
      if (!locked) return 0;
      let opened = 0;
      for (const rule of this.policy.policy.anomalies) {
        for (const match of await this.matches(manager, rule, now)) {
          const inserted: unknown[] = await manager.query(
            `INSERT INTO review_item (kind, subject_id, actor_partner_id, summary_sealed, status, dedupe_key) VALUES ('anomaly', $1, $2, $3, 'open', $4)
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
            [match.entryId, match.partnerId, this.crypto.cipher.seal({ rule: rule.id, description: rule.description, ...match.summary }), match.key],
          );
          opened += inserted.length;
        }
      }
      return opened;
    });
  }

  private async matches(manager: EntityManager, rule: AnomalyRule, now: Date): Promise<Match[]> {
    if (rule.kind === 'out-of-hours') {
      const rows: { id: string; partner_id: string; user_sub: string; at: string }[] = await manager.query(
        `SELECT id, partner_id, user_sub, to_char(occurred_at AT TIME ZONE 'Europe/Brussels', 'YYYY-MM-DD HH24:MI') AS at FROM access_log_entry
          WHERE decision = 'permit' AND action = 'read' AND client_ref IS NOT NULL AND NOT override AND occurred_at > $1::timestamptz - interval '1 day'
            AND ((occurred_at AT TIME ZONE 'Europe/Brussels')::time < $2::time OR (occurred_at AT TIME ZONE 'Europe/Brussels')::time >= $3::time)`,
        [now, rule.from ?? '07:00', rule.to ?? '20:00'],
      );
      return rows.map((r) => ({ key: `${rule.id}:${r.id}`, entryId: r.id, partnerId: r.partner_id, summary: { user: r.user_sub, at: r.at } }));
    }
    const window = rule.windowMinutes ?? 10;
    const bucket = Math.floor(now.getTime() / (window * 60_000));
    const reasons = rule.kind === 'outside-circle' ? `AND (${OUTSIDE_CIRCLE.map((_, i) => `reason LIKE $${i + 4}`).join(' OR ')})` : '';
    const rows: { partner_id: string; user_sub: string; n: number; last_id: string }[] = await manager.query(
      `SELECT partner_id, user_sub, count(*)::int AS n, (array_agg(id ORDER BY seq DESC))[1] AS last_id FROM access_log_entry
        WHERE decision = 'deny' AND occurred_at > $1::timestamptz - make_interval(mins => $2) ${reasons}
        GROUP BY partner_id, user_sub HAVING count(*) >= $3`,
      [now, window, rule.threshold ?? 5, ...(rule.kind === 'outside-circle' ? OUTSIDE_CIRCLE : [])],
    );
    return rows.map((r) => ({ key: `${rule.id}:${r.partner_id}:${r.user_sub}:${bucket}`, entryId: r.last_id, partnerId: r.partner_id, summary: { user: r.user_sub, refusals: r.n, windowMinutes: window } }));
  }
}
