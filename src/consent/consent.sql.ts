/**
 * The client's consent records in force today for this recipient and purpose (permits,
 * objections, "informed, no objection"), as a query other capabilities' facts queries embed as a
 * CTE. The rows are locked FOR SHARE: a withdrawal (an UPDATE) waits for the access that relies
 * on them to commit, and an access that starts after a withdrawal no longer finds the consent —
 * so no read commits after a withdrawal still using it. `clientId` is an SQL expression.
 */
export function consentsInForceSql(
  bind: (value: unknown) => string,
  clientId: string,
  recipient: { partnerId: string; partnerType: string },
  purpose: string,
  day: string,
): string {
  const d = bind(day);
  return `SELECT k.id, k.effect, k.categories FROM consent k
           WHERE k.client_id = ${clientId} AND ${bind(purpose)} = ANY (k.purposes)
             AND (${bind(recipient.partnerId)} = ANY (k.recipient_partner_ids) OR ${bind(recipient.partnerType)} = ANY (k.recipient_partner_types))
             AND k.withdrawn_at IS NULL AND k.valid_from <= ${d}::date AND (k.valid_until IS NULL OR k.valid_until >= ${d}::date)
           FOR SHARE OF k`;
}

/**
 * The consent state of one category for this recipient and purpose, as the policy's `consent`
 * fact: objected (an objection wins) | given | informed-no-objection | none. For list scopes.
 */
export function consentStateSql(
  bind: (value: unknown) => string,
  clientId: string,
  recipient: { partnerId: string; partnerType: string },
  purpose: string,
  day: string,
  category: string,
): string {
  const d = bind(day);
  const covering = (effect: string) =>
    `EXISTS (SELECT 1 FROM consent k WHERE k.client_id = ${clientId} AND k.effect = ${bind(effect)} AND ${bind(category)} = ANY (k.categories)
       AND ${bind(purpose)} = ANY (k.purposes)
       AND (${bind(recipient.partnerId)} = ANY (k.recipient_partner_ids) OR ${bind(recipient.partnerType)} = ANY (k.recipient_partner_types))
       AND k.withdrawn_at IS NULL AND k.valid_from <= ${d}::date AND (k.valid_until IS NULL OR k.valid_until >= ${d}::date))`;
  return `CASE WHEN ${covering('deny')} THEN 'objected' WHEN ${covering('permit')} THEN 'given'
               WHEN ${covering('informed-no-objection')} THEN 'informed-no-objection' ELSE 'none' END`;
}
