import type { Condition, FactName, FactValue, Operator } from './policy-files.js';

/**
 * Which records a caller may see, as a condition over the facts of a record (in the circle, own
 * organisation, consent for a category, …). A list endpoint turns it into a SQL WHERE clause with
 * `scopeToSql`, so the policy filters rows in the database BEFORE the LIMIT — never in memory
 * after it. Built from the compiled CASL rules in their order (the first rule whose conditions hold decides, as in authorize):
 * a later deny rule bounds every earlier permit.
 */
export type PolicyScope =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'and'; of: PolicyScope[] }
  | { kind: 'or'; of: PolicyScope[] }
  | { kind: 'not'; of: PolicyScope }
  /** `category` is set for facts that differ per category (consent). */
  | { kind: 'fact'; fact: FactName; condition: Condition; category?: string };

export const ALL: PolicyScope = { kind: 'all' };
export const NONE: PolicyScope = { kind: 'none' };

export function and(of: PolicyScope[]): PolicyScope {
  const parts = of.flatMap((s) => (s.kind === 'and' ? s.of : [s])).filter((s) => s.kind !== 'all');
  if (parts.some((s) => s.kind === 'none')) return NONE;
  if (parts.length === 0) return ALL;
  return parts.length === 1 ? parts[0] : { kind: 'and', of: parts };
}

export function or(of: PolicyScope[]): PolicyScope {
  const parts = of.flatMap((s) => (s.kind === 'or' ? s.of : [s])).filter((s) => s.kind !== 'none');
  if (parts.some((s) => s.kind === 'all')) return ALL;
  if (parts.length === 0) return NONE;
  return parts.length === 1 ? parts[0] : { kind: 'or', of: parts };
}

export function not(of: PolicyScope): PolicyScope {
  if (of.kind === 'all') return NONE;
  if (of.kind === 'none') return ALL;
  if (of.kind === 'not') return of.of;
  return { kind: 'not', of };
}

/** The operator and operand of a one-operator condition (the schema allows exactly one). */
export function operatorOf(condition: Condition): [Operator, FactValue | FactValue[]] {
  return Object.entries(condition)[0] as [Operator, FactValue | FactValue[]];
}

/**
 * SQL expressions for the facts of a record, supplied by the repository that owns the query.
 * Each returns an expression whose value is the fact's value: a boolean (inCircle, ownOrganisation,
 * …) or a text (`consent`: given | none | objected | informed-no-objection; `tenantInformed`).
 * `category` is passed for per-category facts; `bind` turns a value into a bound parameter.
 * NULL counts as "unknown", as an absent fact does.
 */
export type FactSql = Partial<
  Record<FactName, (category: string | undefined, bind: (value: unknown) => string) => string>
>;

/**
 * Compiles a scope to a boolean SQL expression with TypeORM-style named parameters
 * (`query.andWhere(sql, params)`). The operands come from the policy, never from the request,
 * and are still bound as parameters. A fact without an SQL expression throws: a list must not
 * silently ignore a condition of the policy.
 */
export function scopeToSql(
  scope: PolicyScope,
  facts: FactSql,
  prefix = 'policy',
): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  const bind = (value: unknown) => {
    const name = `${prefix}_${Object.keys(params).length}`;
    params[name] = value;
    return `:${name}`;
  };
  const compile = (s: PolicyScope): string => {
    switch (s.kind) {
      case 'all':
        return 'TRUE';
      case 'none':
        return 'FALSE';
      case 'and':
        return `(${s.of.map(compile).join(' AND ')})`;
      case 'or':
        return `(${s.of.map(compile).join(' OR ')})`;
      case 'not':
        return `(NOT ${compile(s.of)})`;
      case 'fact': {
        const expression = facts[s.fact];
        if (!expression) throw new Error(`the list query has no SQL for the policy fact "${s.fact}"`);
        const [op, value] = operatorOf(s.condition);
        const column = `(${expression(s.category, bind)})`;
        // COALESCE: an unknown (NULL) fact never satisfies eq/in, and always satisfies ne/nin,
        // exactly as an absent fact does in PolicyEngine.authorize.
        if (op === 'eq') return `COALESCE(${column} = ${bind(value)}, FALSE)`;
        if (op === 'ne') return `(NOT COALESCE(${column} = ${bind(value)}, FALSE))`;
        if (op === 'in') return `COALESCE(${column} = ANY(${bind(value)}), FALSE)`;
        return `(NOT COALESCE(${column} = ANY(${bind(value)}), FALSE))`;
      }
    }
  };
  return { sql: compile(scope), params };
}

/** Evaluates a scope against the facts of one record (used to test the SQL against the engine). */
export function scopeHolds(
  scope: PolicyScope,
  factOf: (fact: FactName, category: string | undefined) => FactValue | undefined,
  holds: (c: Condition, v: FactValue | undefined) => boolean,
): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'and':
      return scope.of.every((s) => scopeHolds(s, factOf, holds));
    case 'or':
      return scope.of.some((s) => scopeHolds(s, factOf, holds));
    case 'not':
      return !scopeHolds(scope.of, factOf, holds);
    case 'fact':
      return holds(scope.condition, factOf(scope.fact, scope.category));
  }
}
