/**
 * The id of a cooperation agreement in force today for this purpose that binds both partners, or
 * NULL: a scalar subquery other capabilities' facts queries embed (this capability owns the SQL).
 * `partnerA`/`partnerB` are SQL expressions (a bound parameter or a column).
 */
export function agreementInForceSql(
  bind: (value: unknown) => string,
  partnerA: string,
  partnerB: string,
  purpose: string,
  day: string,
): string {
  const p = bind(purpose);
  const d = bind(day);
  return `(SELECT a.id FROM agreement a
            WHERE a.status = 'active' AND ${p} = ANY (a.purposes) AND a.valid_from <= ${d}::date AND (a.valid_until IS NULL OR a.valid_until >= ${d}::date)
              AND EXISTS (SELECT 1 FROM agreement_party ap WHERE ap.agreement_id = a.id AND ap.partner_id = ${partnerA})
              AND EXISTS (SELECT 1 FROM agreement_party ap WHERE ap.agreement_id = a.id AND ap.partner_id = ${partnerB})
            ORDER BY a.valid_from DESC, a.id LIMIT 1)`;
}
