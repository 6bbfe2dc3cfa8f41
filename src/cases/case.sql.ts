/**
 * SQL fragments about cases that other capabilities embed in their own facts and list scopes (as
 * consent.sql.ts does for consents): the cases capability owns the table, so only it names it.
 */

/** True when the case `caseIdExpr` is held by the (bound) partner `partnerExpr` today. */
export function caseHeldBySql(caseIdExpr: string, partnerExpr: string): string {
  return `EXISTS (SELECT 1 FROM care_case hc WHERE hc.id = ${caseIdExpr} AND hc.custodian_partner_id = ${partnerExpr})`;
}

/** True when the client `clientIdExpr` has any case (open or closed). */
export function clientHasCaseSql(clientIdExpr: string): string {
  return `EXISTS (SELECT 1 FROM care_case hc WHERE hc.client_id = ${clientIdExpr})`;
}
