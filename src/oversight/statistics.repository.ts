import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface StatisticsFilter {
  from: string;
  to: string;
  partner?: string;
  programme?: string;
}

/** The counting queries behind the network's figures (aggregates only; the service suppresses small cells). */
@Injectable()
export class StatisticsRepository {
  async figures(manager: EntityManager, filter: StatisticsFilter) {
    const params = [filter.from, filter.to, filter.partner ?? null, filter.programme ?? null];
    const scope = `r.created_at >= $1::date AND r.created_at < ($2::date + 1) AND ($3::text IS NULL OR r.target_partner_id = $3)
      AND ($4::text IS NULL OR r.target_partner_id IN (SELECT pp.id FROM partner pp WHERE pp.programme = $4))`;
    const count = async (sql: string): Promise<Record<string, number>> =>
      Object.fromEntries(
        ((await manager.query(sql, params)) as { key: string; n: number }[]).map((row) => [
          row.key ?? 'unknown',
          Number(row.n),
        ]),
      );
    const byReferrerType = await count(
      `SELECT p.type AS key, count(*)::int AS n FROM referral r JOIN partner p ON p.id = r.referrer_partner_id WHERE ${scope} GROUP BY p.type`,
    );
    const decisions = await count(
      `SELECT r.status AS key, count(*)::int AS n FROM referral r WHERE ${scope} GROUP BY r.status`,
    );
    const reach = await count(
      `SELECT CASE WHEN r.contact_established THEN 'contact-established' ELSE 'not-reached' END AS key, count(*)::int AS n FROM referral r WHERE ${scope} AND r.status = 'accepted' GROUP BY 1`,
    );
    const endReasons = await count(
      `SELECT c.end_reason AS key, count(*)::int AS n FROM care_case c JOIN referral r ON r.id = c.referral_id WHERE ${scope} AND c.status = 'closed' GROUP BY c.end_reason`,
    );
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
    // Time on the waiting list: from entering it to leaving it (to active or closed), per stay.
    const [waiting] = (await manager.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median, count(*)::int AS n FROM (
         SELECT extract(epoch FROM (l.at - w.at)) / 86400 AS days
           FROM case_transition w JOIN care_case c ON c.id = w.case_id JOIN referral r ON r.id = c.referral_id
           JOIN LATERAL (SELECT t.at FROM case_transition t WHERE t.case_id = w.case_id AND t.from_status = 'waiting-list' AND t.at >= w.at ORDER BY t.at LIMIT 1) l ON true
          WHERE w.to_status = 'waiting-list' AND ${scope}) stays`,
      params,
    )) as { median: number | null; n: number }[];
    const [{ n: stillWaiting }] = (await manager.query(
      `SELECT count(*)::int AS n FROM care_case c JOIN referral r ON r.id = c.referral_id WHERE ${scope} AND c.status = 'waiting-list'`,
      params,
    )) as { n: number }[];
    const sealedHousing = (
      (await manager.query(`SELECT r.housing_sealed FROM referral r WHERE ${scope}`, params)) as {
        housing_sealed: string;
      }[]
    ).map((row) => row.housing_sealed);
    return {
      byReferrerType,
      decisions,
      reach,
      endReasons,
      duration,
      firstContact,
      waiting,
      stillWaiting,
      sealedHousing,
    };
  }
}
