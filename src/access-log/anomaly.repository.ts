import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AnomalyRule } from '../policies/policy-files.js';
import { GATEWAY_KEYS, type GatewayKeys } from './gateway-keys.js';

/** One occurrence of an anomaly: the entries behind it, whose user, and what to tell the officer. */
export interface AnomalyMatch {
  key: string;
  /** The log entries behind the item; the first is kept as its subject. */
  entryIds: string[];
  partnerId: string;
  summary: Record<string, unknown>;
}

/** Permitted reads of client data (what volume-spike counts and first-access looks at). */
const clientRead = (e = 'access_log') =>
  `${e}.decision = 'permit' AND ${e}.action = 'read' AND ${e}.client_ref IS NOT NULL`;

/** Reasons the gateway writes when a caller reaches for a case or referral outside its circles. */
const OUTSIDE_CIRCLE = ['not the holding team%', 'not found or not a party%', 'no such case%'];

/** The log's side of anomaly detection (policies/anomalies.yaml): which entries match each rule. */
@Injectable()
export class AnomalyRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
  ) {}

  /** Runs one scan in one transaction, in one process at a time (advisory lock); 0 when another holds it. */
  scan(
    work: (
      manager: EntityManager,
      matches: (rule: AnomalyRule, now: Date) => Promise<AnomalyMatch[]>,
    ) => Promise<number>,
  ): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query(
        "SELECT pg_try_advisory_xact_lock(hashtext('schakel.anomaly_scan')) AS locked",
      );
      if (!locked) return 0;
      return work(manager, (rule, now) => this.matches(manager, rule, now));
    });
  }

  private matches(manager: EntityManager, rule: AnomalyRule, now: Date): Promise<AnomalyMatch[]> {
    switch (rule.kind) {
      case 'out-of-hours':
        return this.outOfHours(manager, rule, now);
      case 'volume-spike':
        return this.volumeSpike(manager, rule, now);
      case 'first-access':
        return this.firstAccess(manager, rule, now);
      default:
        return this.refusals(manager, rule, now);
    }
  }

  private async outOfHours(manager: EntityManager, rule: AnomalyRule, now: Date): Promise<AnomalyMatch[]> {
    const rows: { id: string; partner_id: string; user_sub: string; at: string }[] = await manager.query(
      `SELECT id, partner_id, user_sub, to_char(occurred_at AT TIME ZONE 'Europe/Brussels', 'YYYY-MM-DD HH24:MI') AS at FROM access_log
        WHERE ${clientRead()} AND NOT override AND occurred_at > $1::timestamptz - interval '1 day'
          AND ((occurred_at AT TIME ZONE 'Europe/Brussels')::time < $2::time OR (occurred_at AT TIME ZONE 'Europe/Brussels')::time >= $3::time)`,
      [now, rule.from ?? '07:00', rule.to ?? '20:00'],
    );
    return rows.map((r) => ({
      key: `${rule.id}:${r.id}`,
      entryIds: [r.id],
      partnerId: r.partner_id,
      summary: { user: r.user_sub, at: r.at },
    }));
  }

  /** refusal-burst and outside-circle: every refusal of the user in the window is behind the item. */
  private async refusals(manager: EntityManager, rule: AnomalyRule, now: Date): Promise<AnomalyMatch[]> {
    const window = rule.windowMinutes ?? 10;
    const bucket = Math.floor(now.getTime() / (window * 60_000));
    const reasons =
      rule.kind === 'outside-circle'
        ? `AND (${OUTSIDE_CIRCLE.map((_, i) => `reason LIKE $${i + 4}`).join(' OR ')})`
        : '';
    const rows: { partner_id: string; user_sub: string; n: number; ids: string[] }[] = await manager.query(
      `SELECT partner_id, user_sub, count(*)::int AS n, array_agg(id ORDER BY seq DESC) AS ids FROM access_log
        WHERE decision = 'deny' AND occurred_at > $1::timestamptz - make_interval(mins => $2) AND occurred_at <= $1::timestamptz ${reasons}
        GROUP BY partner_id, user_sub HAVING count(*) >= $3`,
      [now, window, rule.threshold ?? 5, ...(rule.kind === 'outside-circle' ? OUTSIDE_CIRCLE : [])],
    );
    return rows.map((r) => ({
      key: `${rule.id}:${r.partner_id}:${r.user_sub}:${bucket}`,
      entryIds: r.ids,
      partnerId: r.partner_id,
      summary: { user: r.user_sub, refusals: r.n, windowMinutes: window },
    }));
  }

  /**
   * A user's permitted reads of client data in the window ending at `now`, against their own
   * usual: the average number of reads per window in which they read anything, over the
   * baseline period before this window (so nights and days off do not dilute it). Flagged when
   * the count reaches `minCount` and exceeds `factor` times that usual; a user with no reads in
   * the baseline has a usual of 0, so `minCount` alone decides.
   */
  private async volumeSpike(manager: EntityManager, rule: AnomalyRule, now: Date): Promise<AnomalyMatch[]> {
    const window = rule.windowMinutes ?? 60;
    const factor = rule.factor ?? 3;
    const bucket = Math.floor(now.getTime() / (window * 60_000));
    const rows: { partner_id: string; user_sub: string; n: number; ids: string[]; usual: string | null }[] =
      await manager.query(
        `WITH current AS (
         SELECT partner_id, user_sub, count(*)::int AS n, array_agg(id ORDER BY seq) AS ids FROM access_log
          WHERE ${clientRead()} AND occurred_at > $1::timestamptz - make_interval(mins => $2) AND occurred_at <= $1::timestamptz
          GROUP BY partner_id, user_sub HAVING count(*) >= $3
       ), baseline AS (
         SELECT e.partner_id, e.user_sub, count(*)::numeric / count(DISTINCT floor(extract(epoch FROM e.occurred_at) / ($2 * 60))) AS usual
           FROM access_log e JOIN current c ON c.partner_id = e.partner_id AND c.user_sub = e.user_sub
          WHERE ${clientRead('e')} AND e.occurred_at > $1::timestamptz - make_interval(days => $4) AND e.occurred_at <= $1::timestamptz - make_interval(mins => $2)
          GROUP BY e.partner_id, e.user_sub
       )
       SELECT c.partner_id, c.user_sub, c.n, c.ids, b.usual FROM current c LEFT JOIN baseline b ON b.partner_id = c.partner_id AND b.user_sub = c.user_sub
        WHERE c.n > $5 * coalesce(b.usual, 0)`,
        [now, window, rule.minCount ?? 20, rule.baselineDays ?? 28, factor],
      );
    return rows.map((r) => ({
      key: `${rule.id}:${r.partner_id}:${r.user_sub}:${bucket}`,
      entryIds: r.ids,
      partnerId: r.partner_id,
      summary: {
        user: r.user_sub,
        reads: r.n,
        usualPerWindow: r.usual === null ? 0 : Math.round(Number(r.usual) * 10) / 10,
        factor,
        windowMinutes: window,
      },
    }));
  }

  /**
   * A user's first permitted read of a client's data (no earlier permitted entry of that user
   * for that client) while their organisation had no relation with the client at that moment:
   * not in the circle of care of any of the client's cases (the team holding a case always is)
   * and not the referrer or receiving team of one of the client's referrals. Break-the-glass
   * reads are left out: they are reviewed anyway.
   */
  private async firstAccess(manager: EntityManager, rule: AnomalyRule, now: Date): Promise<AnomalyMatch[]> {
    const candidates: { id: string; partner_id: string; user_sub: string; client_ref: string; occurred_at: Date }[] =
      await manager.query(
        `SELECT e.id, e.partner_id, e.user_sub, e.client_ref, e.occurred_at FROM access_log e
        WHERE ${clientRead('e')} AND NOT e.override
          AND e.occurred_at > $1::timestamptz - make_interval(hours => $2) AND e.occurred_at <= $1::timestamptz
          AND NOT EXISTS (SELECT 1 FROM access_log p WHERE p.client_ref_bytes = e.client_ref_bytes AND p.partner_id = e.partner_id AND p.user_sub = e.user_sub AND p.decision = 'permit' AND p.seq < e.seq)`,
        [now, rule.lookbackHours ?? 24],
      );
    if (candidates.length === 0) return [];
    // The log holds only pseudonyms: find the client behind each by computing them.
    const wanted = new Set(candidates.map((c) => c.client_ref));
    const clients = new Map<string, string>();
    for (const { id } of (await manager.query('SELECT id FROM client')) as { id: string }[]) {
      const ref = this.keys.pseudonym(id);
      if (wanted.has(ref)) clients.set(ref, id);
    }
    const matches: AnomalyMatch[] = [];
    for (const c of candidates) {
      const clientId = clients.get(c.client_ref);
      if (!clientId) continue;
      const related: unknown[] = await manager.query(
        `SELECT 1 FROM circle_member m JOIN care_case k ON k.id = m.case_id
          WHERE k.client_id = $1 AND m.partner_id = $2 AND m.added_at <= $3::timestamptz + interval '1 minute' AND (m.removed_at IS NULL OR m.removed_at > $3::timestamptz)
         UNION ALL
         SELECT 1 FROM referral r WHERE r.client_id = $1 AND $2 IN (r.referrer_partner_id, r.target_partner_id) AND r.created_at <= $3::timestamptz + interval '1 minute'
         LIMIT 1`,
        [clientId, c.partner_id, c.occurred_at],
      );
      if (related.length > 0) continue;
      matches.push({
        key: `${rule.id}:${c.id}`,
        entryIds: [c.id],
        partnerId: c.partner_id,
        summary: { user: c.user_sub, at: new Date(c.occurred_at).toISOString() },
      });
    }
    return matches;
  }
}
