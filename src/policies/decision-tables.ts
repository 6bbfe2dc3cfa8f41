import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { PolicyError, type Condition, type FactValue, type PolicySet } from './policy-files.js';
import { holds, PolicyEngine, type AuthorizationResult, type RequestFacts } from './policy-engine.js';
import { policyVocabulary } from './vocabulary.js';

/** One row of a decision table in policies/tests/*.yaml. */
export interface DecisionRow {
  name: string;
  partnerType: string;
  roles: string[];
  profession?: string;
  purpose: string;
  action: string;
  resource: string;
  facts?: RequestFacts;
  consent?: string[];
  noObjection?: string[];
  objection?: boolean;
  objected?: string[];
  categories?: string[];
  expect: 'permit' | 'deny' | 'pending';
  permitted?: string[];
}

export interface RowOutcome {
  file: string;
  line: number;
  row: DecisionRow;
  actual: AuthorizationResult;
  passed: boolean;
}

/**
 * How a rule was exercised. A permit rule is exercised by a permit row when it grants a category
 * the row ends up with (or, for a resource without categories, the row is permitted), and by a
 * deny row when the row asks the same action on the same resource, the rule grants nothing and
 * the row is refused — for a rule with conditions, a row of its own caller for which the
 * conditions fail; for a rule without, a caller it does not address. A deny rule is exercised by a deny row when it withholds a category the row
 * asked for, and by a permit row when its caller (partner type, role, purpose) asks the same
 * action on the same resource and is permitted something.
 */
export interface RuleCoverage {
  permitRows: number;
  denyRows: number;
}

export interface TableReport {
  outcomes: RowOutcome[];
  coverage: Map<string, RuleCoverage>;
  /** Rules lacking a permit row or a deny row. */
  uncovered: string[];
}

function evaluate(engine: PolicyEngine, row: DecisionRow): AuthorizationResult {
  return engine.authorize({
    partnerType: row.partnerType,
    roles: row.roles,
    profession: row.profession,
    purpose: row.purpose,
    action: row.action,
    resourceType: row.resource,
    facts: row.facts,
    consentedCategories: row.consent,
    informedNoObjectionCategories: row.noObjection,
    objection: row.objection,
    objectedCategories: row.objected,
    categories: row.categories,
  });
}

type Rule = PolicySet['rules'][number];

/** The categories of the row for which this rule's conditions hold, if the rule addresses the row's caller at all. */
function grantsFor(
  policy: PolicySet,
  engine: PolicyEngine,
  rule: Rule,
  row: DecisionRow,
): { callerMatches: boolean; categories: (string | undefined)[] } {
  const active = engine.activeRules().some((r) => r.id === rule.id);
  const callerMatches =
    active &&
    rule.purposes.includes(row.purpose) &&
    rule.roles.some((r) => row.roles.includes(r)) &&
    (!rule.partnerTypes || rule.partnerTypes.includes(row.partnerType));
  if (!callerMatches) return { callerMatches, categories: [] };
  const asked = row.categories ?? policy.categories.map((c) => c.id);
  const categories = rule.categories ? asked.filter((c) => rule.categories!.includes(c)) : [undefined];
  const secrecy = row.profession !== undefined && policy.professionalSecrecy.includes(row.profession);
  return {
    callerMatches,
    categories: categories.filter((category) => {
      const objected = row.objection || (category !== undefined && row.objected?.includes(category));
      const consent = objected
        ? 'objected'
        : category && row.consent?.includes(category)
          ? 'given'
          : category && row.noObjection?.includes(category)
            ? 'informed-no-objection'
            : 'none';
      const facts: Record<string, FactValue | undefined> = { ...row.facts, professionalSecrecy: secrecy, consent };
      return Object.entries(rule.when ?? {}).every(([fact, condition]) => holds(condition as Condition, facts[fact]));
    }),
  };
}

function use(
  policy: PolicySet,
  engine: PolicyEngine,
  rule: Rule,
  row: DecisionRow,
  actual: AuthorizationResult,
): 'permit-row' | 'deny-row' | 'both' | null {
  if (rule.subject !== row.resource || !rule.actions.includes(row.action)) return null;
  const { callerMatches, categories } = grantsFor(policy, engine, rule, row);
  const permitted = actual.decision !== 'deny';
  if (rule.effect === 'deny') {
    const withholds = categories.some((c) => c === undefined || !actual.permittedCategories.includes(c));
    const denyRow = callerMatches && categories.length > 0 && withholds;
    const permitRow = callerMatches && permitted;
    return denyRow && permitRow ? 'both' : denyRow ? 'deny-row' : permitRow ? 'permit-row' : null;
  }
  const grants = categories.some((c) => (c === undefined ? permitted : actual.permittedCategories.includes(c)));
  if (grants && permitted) return 'permit-row';
  // A conditional rule must be seen refusing its own caller (its conditions fail); a rule without
  // conditions can only refuse someone it does not address.
  const conditional = Object.keys(rule.when ?? {}).length > 0;
  if (!permitted && categories.length === 0 && callerMatches === conditional) return 'deny-row';
  return null;
}

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);

/** Parses one table, validating it against its schema and against the policy's vocabulary; errors name file and line. */
function readTable(
  policy: PolicySet,
  dir: string,
  file: string,
): { switches: Record<string, unknown>; rows: { row: DecisionRow; line: number }[] } {
  const where = `tests/${file}`;
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(join(dir, 'tests', file), 'utf8'), {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (doc.errors.length > 0)
    throw new PolicyError(
      where,
      lines.linePos(doc.errors[0].pos[0]).line,
      `not valid YAML: ${doc.errors[0].message.split('\n')[0]}`,
    );
  const lineAt = (path: (string | number)[]) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const table = doc.toJS() as { switches?: Record<string, unknown>; rows: DecisionRow[] };
  const validate = new Ajv({ strict: false }).compile(
    JSON.parse(readFileSync(join(dir, 'schemas', 'decision-table.schema.json'), 'utf8')) as object,
  );
  if (!validate(table)) {
    const error = validate.errors![0];
    const path = error.instancePath
      .split('/')
      .slice(1)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const extra =
      error.keyword === 'additionalProperties'
        ? `: unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`
        : '';
    throw new PolicyError(
      where,
      lineAt(path),
      `${error.instancePath || '(top level)'} ${error.message ?? 'is not valid'}${extra}`,
    );
  }

  // A row that names something the policy does not know would pass as a "deny" for the wrong
  // reason; refuse it instead.
  const vocabulary = policyVocabulary(dir);
  const known = {
    partnerType: new Set(vocabulary.partnerTypes),
    roles: new Set(policy.roles.map((r) => r.id)),
    profession: new Set(policy.professions),
    purpose: new Set(policy.purposes.map((p) => p.id)),
    action: new Set(vocabulary.actions),
    resource: new Set(vocabulary.subjects),
    category: new Set(policy.categories.map((c) => c.id)),
  };
  for (const name of Object.keys(table.switches ?? {})) {
    if (!(name in policy.switches))
      throw new PolicyError(where, lineAt(['switches', name]), `unknown network switch "${name}"`);
  }
  table.rows.forEach((row, i) => {
    const fail = (path: (string | number)[], detail: string) => {
      throw new PolicyError(where, lineAt(['rows', i, ...path]), `row "${row.name}": ${detail}`);
    };
    if (!known.partnerType.has(row.partnerType)) fail(['partnerType'], `unknown partner type "${row.partnerType}"`);
    row.roles.forEach((role, j) => !known.roles.has(role) && fail(['roles', j], `unknown role "${role}"`));
    if (row.profession !== undefined && !known.profession.has(row.profession))
      fail(['profession'], `unknown profession "${row.profession}"`);
    if (!known.purpose.has(row.purpose)) fail(['purpose'], `unknown purpose "${row.purpose}"`);
    if (!known.action.has(row.action)) fail(['action'], `unknown action "${row.action}"`);
    if (!known.resource.has(row.resource)) fail(['resource'], `unknown resource "${row.resource}"`);
    for (const field of ['consent', 'noObjection', 'objected', 'categories', 'permitted'] as const) {
      row[field]?.forEach((c, j) => !known.category.has(c) && fail([field, j], `unknown category "${c}"`));
    }
  });
  return {
    switches: table.switches ?? {},
    rows: table.rows.map((row, i) => ({ row, line: lineAt(['rows', i]) ?? 0 })),
  };
}

/**
 * Runs every table in `dir/tests` against the policy (with the table's switch overrides) and
 * reports failing rows and the rules no row exercises both ways.
 */
export function runDecisionTables(policy: PolicySet, dir: string): TableReport {
  const outcomes: RowOutcome[] = [];
  const coverage = new Map<string, RuleCoverage>(policy.rules.map((r) => [r.id, { permitRows: 0, denyRows: 0 }]));
  for (const file of readdirSync(join(dir, 'tests'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const table = readTable(policy, dir, file);
    const variant: PolicySet = {
      ...policy,
      switches: { ...policy.switches, ...table.switches } as PolicySet['switches'],
    };
    const engine = new PolicyEngine(variant);
    for (const { row, line } of table.rows) {
      const actual = evaluate(engine, row);
      const passed =
        actual.decision === row.expect &&
        (row.permitted === undefined || sameSet(actual.permittedCategories, row.permitted));
      outcomes.push({ file, line, row, actual, passed });
      for (const rule of variant.rules) {
        const counts = coverage.get(rule.id)!;
        const how = use(variant, engine, rule, row, actual);
        if (how === 'permit-row' || how === 'both') counts.permitRows += 1;
        if (how === 'deny-row' || how === 'both') counts.denyRows += 1;
      }
    }
  }
  const uncovered = [...coverage.entries()].filter(([, c]) => c.permitRows === 0 || c.denyRows === 0).map(([id]) => id);
  return { outcomes, coverage, uncovered };
}
