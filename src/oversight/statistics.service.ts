import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccessLogService, type AccessContext } from '../access-log/access-log.service.js';
import { suppress } from './suppression.js';

/**
 * Figures for network coordination and funders, computed from the data, never per person,
 * every breakdown small-cell suppressed.
 */
@Injectable()
export class StatisticsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accessLog: AccessLogService,
  ) {}

  async compute(access: AccessContext, filter: { from: string; to: string; partner?: string }) {
    return this.accessLog.audited(access, async (manager) => {
      const params = [filter.from, filter.to, filter.partner ?? null];
      const scope = `r.created_at >= $1::date AND r.created_at < ($2::date + 1) AND ($3::text IS NULL OR r.target_partner_id = $3)`;
      const count = async (sql: string): Promise<Record<string, number>> =>
        Object.fromEntries(((await manager.query(sql, params)) as { key: string; n: number }[]).map((row) => [row.key ?? 'unknown', Number(row.n)]));
      const byReferrerType = await count(`SELECT p.type AS key, count(*)::int AS n FROM referral r JOIN partner p ON p.id = r.referrer_partner_id WHERE ${scope} GROUP BY p.type`);
      const decisions = await count(`SELECT r.status AS key, count(*)::int AS n FROM referral r WHERE ${scope} GROUP BY r.status`);
      const reach = await count(`SELECT CASE WHEN r.contact_established THEN 'contact-established' ELSE 'not-reached' END AS key, count(*)::int AS n FROM referral r WHERE ${scope} AND r.status = 'accepted' GROUP BY 1`);
      const endReasons = await count(`SELECT c.end_reason AS key, count(*)::int AS n FROM care_case c JOIN referral r ON r.id = c.referral_id WHERE ${scope} AND c.status = 'closed' GROUP BY c.end_reason`);
      const duration = await count(
        `SELECT CASE WHEN d < 183 THEN 'under-6-months' WHEN d < 365 THEN '6-12-months' WHEN d < 730 THEN '12-24-months' ELSE 'over-24-months' END AS key, count(*)::int AS n
           FROM (SELECT extract(day FROM coalesce((SELECT max(t.at) FROM case_transition t WHERE t.case_id = c.id AND t.to_status = 'closed'), now()) - c.opened_at) AS d
                   FROM care_case c JOIN referral r ON r.id = c.referral_id WHERE ${scope}) durations GROUP BY 1`,
      );
      const [firstContact] = (await manager.query(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median, count(*)::int AS n FROM (
           SELECT extract(epoch FROM (min(a.at) - r.created_at)) / 86400 AS days
             FROM referral r JOIN care_case c ON c.referral_id = r.id JOIN contact_attempt a ON a.case_id = c.id AND a.outcome = 'contact'
            WHERE ${scope} GROUP BY r.id, r.created_at) t`,
        params,
      )) as { median: number | null; n: number }[];
      const result = {
        period: { from: filter.from, to: filter.to },
        partner: filter.partner ?? null,
        referralsByReferrerType: suppress(byReferrerType),
        decisions: suppress(decisions),
        reach: suppress(reach),
        followUpDuration: suppress(duration),
        endReasons: suppress(endReasons),
        // A median over fewer than five people is not published.
        daysFromReferralToFirstContact: firstContact && firstContact.n >= 5 ? { median: Math.round(Number(firstContact.median) * 10) / 10, n: firstContact.n } : { median: '<5', n: '<5' },
        note: 'Counts under 5 are shown as "<5"; where one cell alone would be recoverable from the total, a second is hidden too.',
      };
      return { result, record: { action: 'read', resourceType: 'Statistics', decision: 'permit', reason: 'aggregated statistics (no personal data)', fields: ['aggregates'] } };
    });
  }
}
