import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { canonicalJson } from '../common/canonical-json.js';

/** The policy as written in `policies/`: data reviewed like code. */
export interface PurposeDefinition {
  id: string;
  description: Record<'nl' | 'fr' | 'en', string>;
  legalBasis: { article6: string; article9?: string };
  retention: string;
  dataSubjects?: string[];
}
/** Words a client reads (the access report), in the network's three languages. */
export type Label = Record<'nl' | 'fr' | 'en', string>;
export interface RoleDefinition {
  id: string;
  description: string;
  label: Label;
  /** A network-wide power, accepted only in tokens of the network operator. */
  networkWide?: boolean;
}
export interface CategoryDefinition {
  id: string;
  description: string;
  label: Label;
  special: boolean;
  fields: string[];
}
export type Operator = 'eq' | 'ne' | 'in' | 'nin';
export type FactName =
  | 'agreementInForce'
  | 'inCircle'
  | 'consent'
  | 'professionalSecrecy'
  | 'tenantInformed'
  | 'ownOrganisation'
  | 'breakTheGlass'
  | 'aftercare'
  | 'operator'
  | 'responsibleOffice';
/** Facts about the caller alone (not the record): resolved when the caller's CASL ability is built. */
export const CALLER_FACTS: readonly FactName[] = ['operator'];
export type FactValue = boolean | string;
export type Condition = Partial<Record<Operator, FactValue | FactValue[]>>;
export interface RuleDefinition {
  id: string;
  description?: string;
  effect?: 'permit' | 'deny';
  activeWhen?: { switch: string; equals: unknown };
  partnerTypes?: string[];
  roles: string[];
  actions: string[];
  subject: string;
  purposes: string[];
  categories?: string[];
  /** The legal ground the rule relies on, as the log and the client's report state it. */
  ground?: { article6: string; article9?: string; national?: string };
  review?: 'coordinator';
  when?: Partial<Record<FactName, Condition>>;
}
export interface NetworkSwitches {
  /** Q1: a tenant who was not informed of the referral. */
  referralOfUninformedTenant: 'refuse' | 'minimal-data';
  /** Q2: a tenant who was informed and refused. */
  referralAfterTenantRefused: 'refuse' | 'minimal-data';
  /** Q3: a contact attempt through the client's network without the client's knowledge. */
  contactViaNetworkWithoutKnowledge: boolean;
  informedNoObjectionSuffices: boolean;
  /** The client's access report names the individual user (token sub); false = a stable pseudonym per user. */
  accessReportNamesUsers: boolean;
  /** Refusals in the client's access report: counted in one sentence, or left out. */
  accessReportRefusals: 'summarise' | 'omit';
}
/**
 * Not a switch: family and relatives are not partners of the network, so nothing reaches them
 * through the gateway, and what the team tells them rests on the client's consent alone. Kept as a
 * constant of the consent rules (it cannot be turned off) and shown in `GET /v1/policies`.
 */
export const FAMILY_REQUIRES_CONSENT = true as const;

/** Where a rule stands in rules.yaml, so explain and the access log can point at it. */
export interface RuleSource {
  file: string;
  line: number;
}
export interface AnomalyRule {
  id: string;
  description: string;
  kind: 'refusal-burst' | 'outside-circle' | 'out-of-hours' | 'volume-spike' | 'first-access';
  threshold?: number;
  windowMinutes?: number;
  from?: string;
  to?: string;
  /** volume-spike: how many times the user's usual reads per window. */
  factor?: number;
  /** volume-spike: fewest reads in the window before it can be a spike. */
  minCount?: number;
  /** volume-spike: the period before the window that the usual is averaged over. */
  baselineDays?: number;
  /** first-access: how far back each scan looks for first reads. */
  lookbackHours?: number;
}
/** The roles and professions a partner's identity provider may put in its tokens (partner-trust.yaml). */
export interface Assertable {
  roles: string[];
  professions: string[];
}
export interface PartnerTrust {
  /** The network operator, whatever its type: the only entry that may name a network-wide role. */
  operator: Assertable;
  /** One row per partner type; the registry can narrow a partner below its row, never widen it. */
  types: Record<string, Assertable>;
}
/** Why a team redirects or declines a referral (referral-reasons.yaml): a closed list with labels, never free text. */
export interface ReferralReason {
  id: string;
  decisions: ('redirect' | 'decline')[];
  label: Label;
}
/** In which capacity a legal representative acts, and what they may consent for (representatives.yaml). */
export interface RepresentativeCapacity {
  id: string;
  label: Label;
  /** false: assists the client, never consents in their place. */
  consents: boolean;
  /** The categories they may consent for; ['all'] = every category. */
  categories?: string[];
  /** The court order's reference must be recorded with the consent. */
  courtOrder?: boolean;
}
export interface PolicySet {
  purposes: PurposeDefinition[];
  roles: RoleDefinition[];
  professions: string[];
  professionalSecrecy: string[];
  categories: CategoryDefinition[];
  switches: NetworkSwitches;
  rules: (RuleDefinition & { source: RuleSource })[];
  anomalies: AnomalyRule[];
  /** Care programmes a team may be registered under (network.yaml), for statistics. */
  programmes: string[];
  /** What each partner type's identity provider may assert (partner-trust.yaml). */
  partnerTrust: PartnerTrust;
  /** Reason codes a receiving team may give the referrer (referral-reasons.yaml). */
  referralReasons: ReferralReason[];
  /** Legal representatives' capacities (representatives.yaml). */
  representatives: RepresentativeCapacity[];
  /** What the art. 30 record says beyond purposes and rules (register.yaml). */
  register: { securityMeasures: Label[]; transfers: Label };
  /** SHA-256 of the canonical content of all policy files. */
  version: string;
}

/** The fields of these categories, in the policy's order of categories (what a grant of them lets leave). */
export function fieldsOfCategories(policy: PolicySet, categories: readonly string[]): string[] {
  const fields: string[] = [];
  for (const category of policy.categories) if (categories.includes(category.id)) fields.push(...category.fields);
  return fields;
}

export const FACT_NAMES: readonly FactName[] = [
  'agreementInForce',
  'inCircle',
  'consent',
  'professionalSecrecy',
  'tenantInformed',
  'ownOrganisation',
  'breakTheGlass',
  'aftercare',
  'operator',
  'responsibleOffice',
];
export const OPERATORS: readonly Operator[] = ['eq', 'ne', 'in', 'nin'];

export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
    readonly ruleId?: string,
  ) {
    super(`policies/${file}${line ? `:${line}` : ''}${ruleId ? ` (rule ${ruleId})` : ''}: ${detail}`);
    this.name = 'PolicyError';
  }
}

interface Parsed<T> {
  file: string;
  value: T;
  doc: Document;
  lines: LineCounter;
}

function lineOf(parsed: Parsed<unknown>, path: (string | number)[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = parsed.doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return parsed.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

function parse<T>(dir: string, file: string): Parsed<T> {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch {
    throw new PolicyError(file, undefined, 'file is missing or unreadable');
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw new PolicyError(file, lines.linePos(error.pos[0]).line, `not valid YAML: ${error.message.split('\n')[0]}`);
  }
  return { file, value: doc.toJS() as T, doc, lines };
}

const ajv = new Ajv({ allErrors: false, strict: false });

function validate<T>(parsed: Parsed<T>, schemaFile: string, dir: string): void {
  const schema = JSON.parse(readFileSync(join(dir, 'schemas', schemaFile), 'utf8')) as object;
  const check = ajv.compile(schema);
  if (check(parsed.value)) return;
  const error = check.errors?.[0] as ErrorObject;
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const ruleIndex =
    parsed.file === 'rules.yaml' && path[0] === 'rules' && typeof path[1] === 'number' ? path[1] : undefined;
  const ruleId =
    ruleIndex !== undefined ? (parsed.value as { rules: { id?: string }[] }).rules[ruleIndex]?.id : undefined;
  let detail = `${error.instancePath || '(top level)'} ${error.message ?? 'is not valid'}`;
  if (error.keyword === 'additionalProperties') {
    const field = (error.params as { additionalProperty: string }).additionalProperty;
    detail = `${error.instancePath || '(top level)'}: unknown field "${field}"`;
    path.push(field);
  }
  if (error.keyword === 'enum')
    detail += `: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  throw new PolicyError(parsed.file, lineOf(parsed, path), detail, ruleId);
}

/**
 * Reads, validates (JSON Schema, then cross-references) and fingerprints the policy files. Any
 * error names the file, the line and the rule at fault, and stops the gateway from starting.
 */
export function loadPolicySet(dir: string): PolicySet {
  const purposes = parse<{ purposes: PurposeDefinition[] }>(dir, 'purposes.yaml');
  const roles = parse<{ roles: RoleDefinition[]; professions: string[]; professionalSecrecy: string[] }>(
    dir,
    'roles.yaml',
  );
  const categories = parse<{ categories: CategoryDefinition[] }>(dir, 'categories.yaml');
  const network = parse<{ switches: NetworkSwitches; programmes?: string[] }>(dir, 'network.yaml');
  const rules = parse<{ rules: RuleDefinition[] }>(dir, 'rules.yaml');
  const anomalies = parse<{ anomalies: AnomalyRule[] }>(dir, 'anomalies.yaml');
  const trust = parse<PartnerTrust>(dir, 'partner-trust.yaml');
  const reasons = parse<{ reasons: ReferralReason[] }>(dir, 'referral-reasons.yaml');
  const representatives = parse<{ capacities: RepresentativeCapacity[] }>(dir, 'representatives.yaml');
  const register = parse<{ securityMeasures: Label[]; transfers: Label }>(dir, 'register.yaml');
  validate(purposes, 'purposes.schema.json', dir);
  validate(roles, 'roles.schema.json', dir);
  validate(categories, 'categories.schema.json', dir);
  validate(network, 'network.schema.json', dir);
  validate(rules, 'rules.schema.json', dir);
  validate(anomalies, 'anomalies.schema.json', dir);
  validate(trust, 'partner-trust.schema.json', dir);
  validate(reasons, 'referral-reasons.schema.json', dir);
  validate(representatives, 'representatives.schema.json', dir);
  validate(register, 'register.schema.json', dir);

  const unique = (parsed: Parsed<unknown>, key: string, ids: string[]) => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) throw new PolicyError(parsed.file, lineOf(parsed, [key, i]), `duplicate id "${id}"`);
      seen.add(id);
    });
    return seen;
  };
  const purposeIds = unique(
    purposes,
    'purposes',
    purposes.value.purposes.map((p) => p.id),
  );
  const roleIds = unique(
    roles,
    'roles',
    roles.value.roles.map((r) => r.id),
  );
  const categoryIds = unique(
    categories,
    'categories',
    categories.value.categories.map((c) => c.id),
  );
  unique(
    representatives,
    'capacities',
    representatives.value.capacities.map((c) => c.id),
  );
  representatives.value.capacities.forEach((capacity, i) =>
    capacity.categories?.forEach((category, j) => {
      if (category === 'all' ? capacity.categories!.length > 1 : !categoryIds.has(category))
        throw new PolicyError(
          representatives.file,
          lineOf(representatives, ['capacities', i, 'categories', j]),
          category === 'all' ? '"all" stands alone' : `unknown category "${category}"`,
        );
    }),
  );
  unique(
    reasons,
    'reasons',
    reasons.value.reasons.map((r) => r.id),
  );
  unique(
    rules,
    'rules',
    rules.value.rules.map((r) => r.id),
  );
  roles.value.professionalSecrecy.forEach((p, i) => {
    if (!roles.value.professions.includes(p))
      throw new PolicyError(
        'roles.yaml',
        lineOf(roles, ['professionalSecrecy', i]),
        `professionalSecrecy names unknown profession "${p}"`,
      );
  });

  const switches = network.value.switches;
  const compiled = rules.value.rules.map((rule, index) => {
    const at = (...path: (string | number)[]) => lineOf(rules, ['rules', index, ...path]);
    const refs: [string, string, string[] | undefined, Set<string>][] = [
      ['roles', 'role', rule.roles, roleIds],
      ['purposes', 'purpose', rule.purposes, purposeIds],
      ['categories', 'category', rule.categories, categoryIds],
    ];
    for (const [field, noun, values, known] of refs) {
      values?.forEach((value, i) => {
        if (!known.has(value)) throw new PolicyError('rules.yaml', at(field, i), `unknown ${noun} "${value}"`, rule.id);
      });
    }
    // A rule relying on consent must require it: only then does the log record the consents used.
    const consentGround = rule.ground?.article6 === '6(1)(a)' || rule.ground?.article9 === '9(2)(a)';
    if (consentGround && rule.effect !== 'deny' && !rule.when?.consent) {
      throw new PolicyError(
        'rules.yaml',
        at('ground'),
        'a rule whose ground is consent must require consent in `when`',
        rule.id,
      );
    }
    if (rule.activeWhen && !(rule.activeWhen.switch in switches)) {
      throw new PolicyError(
        'rules.yaml',
        at('activeWhen'),
        `unknown network switch "${rule.activeWhen.switch}"`,
        rule.id,
      );
    }
    return { ...rule, source: { file: 'policies/rules.yaml', line: lineOf(rules, ['rules', index]) ?? 0 } };
  });

  // Every role and profession a partner may assert must exist, and a network-wide power may be
  // granted to the operator alone: a type row naming one would hand it to every partner of that type.
  const networkWide = new Set(roles.value.roles.filter((r) => r.networkWide).map((r) => r.id));
  const allowances: [(string | number)[], Assertable][] = [
    [['operator'], trust.value.operator],
    ...Object.entries(trust.value.types).map(([type, row]): [(string | number)[], Assertable] => [
      ['types', type],
      row,
    ]),
  ];
  for (const [path, row] of allowances) {
    row.roles.forEach((role, i) => {
      const at = lineOf(trust, [...path, 'roles', i]);
      if (!roleIds.has(role)) throw new PolicyError(trust.file, at, `unknown role "${role}"`);
      if (networkWide.has(role) && path[0] !== 'operator')
        throw new PolicyError(trust.file, at, `"${role}" is network-wide: only the operator entry may name it`);
    });
    row.professions.forEach((profession, i) => {
      if (!roles.value.professions.includes(profession))
        throw new PolicyError(
          trust.file,
          lineOf(trust, [...path, 'professions', i]),
          `unknown profession "${profession}"`,
        );
    });
  }

  const content = {
    purposes: purposes.value.purposes,
    roles: roles.value,
    categories: categories.value.categories,
    switches,
    programmes: network.value.programmes ?? [],
    rules: rules.value.rules,
    anomalies: anomalies.value.anomalies,
    partnerTrust: trust.value,
    referralReasons: reasons.value.reasons,
    representatives: representatives.value.capacities,
    register: register.value,
  };
  return {
    purposes: purposes.value.purposes,
    roles: roles.value.roles,
    professions: roles.value.professions,
    professionalSecrecy: roles.value.professionalSecrecy,
    categories: categories.value.categories,
    switches,
    rules: compiled,
    anomalies: anomalies.value.anomalies,
    programmes: network.value.programmes ?? [],
    partnerTrust: trust.value,
    referralReasons: reasons.value.reasons,
    representatives: representatives.value.capacities,
    register: register.value,
    version: `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`,
  };
}
