import { Inject, Injectable } from '@nestjs/common';
import { createMongoAbility, subject as casl, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { ProblemException } from '../common/problem/problem.js';
import {
  CALLER_FACTS,
  fieldsOfCategories,
  type Condition,
  type FactName,
  type FactValue,
  type PolicySet,
  type RuleDefinition,
  type RuleSource,
} from './policy-files.js';
import { ALL, and, NONE, not, or, type PolicyScope } from './policy-scope.js';

/** Facts about one request that rules may require; the caller (a service) loads them from the database. */
export interface RequestFacts {
  agreementInForce?: boolean;
  inCircle?: boolean;
  tenantInformed?: 'yes' | 'no' | 'refused';
  ownOrganisation?: boolean;
  breakTheGlass?: boolean;
  /** The caller's team handed this case over and is still within its aftercare period. */
  aftercare?: boolean;
  /**
   * The caller's organisation is the network operator (the partner registry's `operator` flag).
   * A fact about the caller, not the record: it decides which rules the caller's ability holds,
   * so the guard's type-level check already refuses a network power to anyone else.
   */
  operator?: boolean;
  /**
   * The caller's organisation is the office that judges this review item: the organisation
   * holding the client, or — when its own staff made the access, or no one holds a client — the
   * network operator. Never the organisation whose user made the access.
   */
  responsibleOffice?: boolean;
}

export interface AuthorizationRequest {
  partnerType: string;
  roles: string[];
  profession?: string;
  purpose: string;
  action: string;
  resourceType: string;
  facts?: RequestFacts;
  /** Categories the client consented to, for this recipient and purpose. */
  consentedCategories?: string[];
  /** Categories covered by "informed, no objection" (used only where the network switch allows it). */
  informedNoObjectionCategories?: string[];
  /** An explicit objection of the client is on file (for every category). */
  objection?: boolean;
  /** Categories the client objected to for this recipient and purpose. */
  objectedCategories?: string[];
  /** Categories asked for; all categories by default. */
  categories?: string[];
}

export interface RuleReference extends RuleSource {
  id: string;
  description?: string;
}

export interface Withheld {
  category: string;
  reason: string;
  /** What would be needed for it to be permitted. */
  missing: string[];
}

/** One category granted, and by which rule: what the access kernel derives grounds and consents from. */
export interface Grant {
  /** null for a resource without categories. */
  category: string | null;
  ruleId: string;
  /** The rule leaves the grant to the case coordinator's judgement (`review: coordinator`). */
  review: boolean;
  /** The rule requires the client's consent (a `consent` condition): the consents covering the category were relied on. */
  reliesOnConsent: boolean;
}

export interface AuthorizationResult {
  decision: 'permit' | 'deny' | 'pending';
  /** Per granted category, the rule that granted it (empty on a refusal). */
  grants: Grant[];
  /** The rule that decided (the first permitting rule, or the refusing one). */
  rule: RuleReference | null;
  legalBasis: string | null;
  permittedCategories: string[];
  permittedFields: string[];
  withheld: Withheld[];
  /** Everything that would be needed for the withheld categories (deduplicated); empty when nothing is withheld. */
  missing: string[];
  policyVersion: string;
}

/** Who asks which list question: the same as an authorization request, minus the record's facts. */
export interface ScopeRequest {
  partnerType: string;
  roles: string[];
  profession?: string;
  /** The caller's organisation is the network operator. */
  operator?: boolean;
  purpose: string;
  action: string;
  resourceType: string;
  /** Records where at least one of these categories would be permitted; all categories by default. */
  categories?: string[];
}

/** The GDPR grounds by name, so the log reads without the regulation at hand. */
const GROUND_NAMES: Record<string, string> = {
  '6(1)(a)': 'consent',
  '6(1)(b)': 'contract',
  '6(1)(c)': 'legal obligation',
  '6(1)(d)': 'vital interests',
  '6(1)(e)': 'task in the public interest',
  '6(1)(f)': 'legitimate interests',
  '9(2)(a)': 'explicit consent',
  '9(2)(b)': 'employment and social security law',
  '9(2)(c)': 'vital interests',
  '9(2)(f)': 'legal claims',
  '9(2)(g)': 'substantial public interest',
  '9(2)(h)': 'health or social care',
  '9(2)(i)': 'public health',
};

/** What each required fact means, in words a professional understands. */
const REQUIREMENTS: Record<FactName, string> = {
  agreementInForce: 'a cooperation agreement in force between both partners for this purpose',
  inCircle: "membership of the client's circle of care for this purpose",
  consent: "the client's consent for this category, recipient and purpose",
  professionalSecrecy: 'a profession bound by professional secrecy',
  tenantInformed: 'the tenant informed of the referral',
  ownOrganisation: 'the case or referral belonging to your organisation',
  breakTheGlass: 'an active emergency (break-the-glass) grant',
  aftercare: 'an aftercare period after your team handed the case over',
  operator: 'your organisation being the network operator',
  responsibleOffice:
    'your organisation being the office that judges this item (not the one whose staff made the access)',
};

const MAX_REMEMBERED_DECISIONS = 5000;

/** A fact that is present but undefined stays apart from an absent one in a decision's key. */
const keepUndefined = (_key: string, value: unknown) => (value === undefined ? '\u0000undefined' : value);

/** Freezes a decision all the way down: a caller that tried to change a shared one would throw. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

const MONGO: Record<string, string> = { eq: '$eq', ne: '$ne', in: '$in', nin: '$nin' };

function toMongo(when: RuleDefinition['when']): Record<string, unknown> | undefined {
  if (!when) return undefined;
  return Object.fromEntries(
    Object.entries(when).map(([fact, condition]) => [
      fact,
      Object.fromEntries(Object.entries(condition as Condition).map(([op, v]) => [MONGO[op], v])),
    ]),
  );
}

/** The rule's conditions on the caller (see CALLER_FACTS) hold for this caller. */
function callerFactsHold(rule: RuleDefinition, operator: boolean): boolean {
  const callerFacts: Partial<Record<FactName, FactValue>> = { operator };
  return CALLER_FACTS.every((fact) => !rule.when?.[fact] || holds(rule.when[fact], callerFacts[fact]));
}

/** The rule's conditions on the record (caller facts removed), or undefined when none are left. */
function recordConditions(when: RuleDefinition['when']): RuleDefinition['when'] {
  if (!when) return undefined;
  const rest = Object.fromEntries(Object.entries(when).filter(([fact]) => !(CALLER_FACTS as string[]).includes(fact)));
  return Object.keys(rest).length > 0 ? rest : undefined;
}

export function holds(condition: Condition, value: FactValue | undefined): boolean {
  const [op, expected] = Object.entries(condition)[0] as [string, FactValue | FactValue[]];
  if (op === 'eq') return value === expected;
  if (op === 'ne') return value !== expected;
  if (op === 'in') return (expected as FactValue[]).includes(value as FactValue);
  return !(expected as FactValue[]).includes(value as FactValue);
}

/**
 * The network policy, compiled to CASL. The guard asks the coarse question (may these roles ever
 * do this action on this kind of resource for this purpose?); services ask `authorize()` with the
 * facts of the record and get the permitted categories, the withheld ones and why.
 */
export class PolicyEngine {
  readonly version: string;
  private readonly byId = new Map<string, PolicySet['rules'][number]>();
  private readonly abilities = new Map<string, MongoAbility>();
  /** Decisions by their whole request (see authorize). */
  private readonly decisions = new Map<string, AuthorizationResult>();
  /** The special categories (GDPR art. 9), and each rule's ground as groundOf states it, with and without them. */
  private readonly special: Set<string>;
  private readonly groundPhrases = new Map<string, { plain: string; special: string }>();
  /** The categories (by their place in the policy) each field belongs to. */
  private readonly categoriesByField = new Map<string, number[]>();

  constructor(readonly policy: PolicySet) {
    this.version = policy.version;
    for (const rule of policy.rules) this.byId.set(rule.id, rule);
    this.special = new Set(policy.categories.filter((c) => c.special).map((c) => c.id));
    // Fixed by the policy, used on every access: made once.
    for (const rule of policy.rules) {
      const ground = rule.ground;
      if (!ground) continue;
      const say = (articles: string[]) => `GDPR ${articles.join(', ')}${ground.national ? `; ${ground.national}` : ''}`;
      const article6 = `art. ${ground.article6} (${GROUND_NAMES[ground.article6] ?? 'ground'})`;
      this.groundPhrases.set(rule.id, {
        plain: say([article6]),
        special: ground.article9
          ? say([article6, `art. ${ground.article9} (${GROUND_NAMES[ground.article9] ?? 'ground'})`])
          : say([article6]),
      });
    }
    policy.categories.forEach((category, index) => {
      for (const field of category.fields)
        this.categoriesByField.set(field, [...(this.categoriesByField.get(field) ?? []), index]);
    });
  }

  /** The fields of these categories, in the policy's order. */
  fieldsOf(categories: readonly string[]): string[] {
    return fieldsOfCategories(this.policy, categories);
  }

  /** The categories (in the policy's order) any of these fields belongs to. */
  categoriesOfFields(fields: readonly string[]): string[] {
    const named = new Set<number>();
    for (const field of fields) for (const index of this.categoriesByField.get(field) ?? []) named.add(index);
    return this.policy.categories.filter((_, index) => named.has(index)).map((c) => c.id);
  }

  isKnownRole(role: string): boolean {
    return this.policy.roles.some((r) => r.id === role);
  }

  /** A rule as written (its conditions, ground, review), or undefined for an unknown id. */
  ruleDefinition(id: string): RuleDefinition | undefined {
    return this.byId.get(id);
  }

  /** Roles that carry network-wide powers (roles.yaml `networkWide`): only the operator's tokens may name them. */
  isNetworkWideRole(role: string): boolean {
    return this.policy.roles.some((r) => r.id === role && r.networkWide === true);
  }

  isKnownPurpose(purpose: string): boolean {
    return this.policy.purposes.some((p) => p.id === purpose);
  }

  /** A programme named in a request must be one of the network's (network.yaml); 400 otherwise. */
  requireKnownProgramme(programme: string | undefined): void {
    if (programme !== undefined && !this.policy.programmes.includes(programme)) {
      throw new ProblemException('validation-failed', 'Unknown programme', {
        errors: [
          {
            pointer: '/programme',
            detail: `not one of the network's programmes: ${this.policy.programmes.join(', ')}`,
          },
        ],
      });
    }
  }

  isKnownProfession(profession: string): boolean {
    return this.policy.professions.includes(profession);
  }

  /** Whether any active rule lets one of these roles act for this purpose at all. */
  mayUsePurpose(roles: string[], purpose: string, partnerType?: string, operator = false): boolean {
    return this.activeRules().some(
      (r) =>
        r.effect !== 'deny' &&
        r.purposes.includes(purpose) &&
        r.roles.some((role) => roles.includes(role)) &&
        (!partnerType || !r.partnerTypes || r.partnerTypes.includes(partnerType)) &&
        callerFactsHold(r, operator),
    );
  }

  /** The guard's coarse check: is there any rule that could permit this, whatever the record? */
  decide(
    roles: string[],
    purpose: string,
    action: string,
    subjectType: string,
    partnerType?: string,
    operator = false,
  ): { permitted: boolean; reason: string } {
    const ability = this.abilityFor(partnerType, roles, purpose, operator);
    const permitted = ability.can(action, subjectType);
    const rule = permitted ? ability.rulesFor(action, subjectType).find((r) => !r.inverted) : undefined;
    return permitted
      ? { permitted, reason: String(rule?.reason ?? '') }
      : {
          permitted,
          reason: `no rule permits ${action} on ${subjectType} for purpose ${purpose} with roles ${roles.join(', ')}`,
        };
  }

  /**
   * A decision is a pure function of the request (caller's type, roles, profession, purpose,
   * action, the record's facts, the consent state per category) and of this engine's policy,
   * which never changes: the same request gets the same, frozen, result without evaluating every
   * category's rules again — the same caller reading the same case is the common case. The key
   * holds no personal data (facts are booleans and names of categories), and the memory is
   * bounded. A request that differs in anything is evaluated afresh.
   */
  authorize(request: AuthorizationRequest): AuthorizationResult {
    const key = JSON.stringify(request, keepUndefined);
    const known = this.decisions.get(key);
    if (known) return known;
    const result = deepFreeze(this.evaluate(request));
    if (this.decisions.size >= MAX_REMEMBERED_DECISIONS) this.decisions.clear();
    this.decisions.set(key, result);
    return result;
  }

  private evaluate(request: AuthorizationRequest): AuthorizationResult {
    const ability = this.abilityFor(
      request.partnerType,
      request.roles,
      request.purpose,
      request.facts?.operator ?? false,
    );
    const professionalSecrecy =
      request.profession !== undefined && this.policy.professionalSecrecy.includes(request.profession);
    const categorised = this.activeRules().some((r) => r.subject === request.resourceType && r.categories);
    const categories: (string | undefined)[] = categorised
      ? (request.categories ?? this.policy.categories.map((c) => c.id))
      : [undefined];

    const permitted: string[] = [];
    const withheld: Withheld[] = [];
    const deciding: RuleReference[] = [];
    const grants: Grant[] = [];
    let refusing: RuleReference | null = null;
    for (const category of categories) {
      const facts: Record<string, FactValue | undefined> = {
        ...request.facts,
        professionalSecrecy,
        consent:
          request.objection || (category && request.objectedCategories?.includes(category))
            ? 'objected'
            : category && request.consentedCategories?.includes(category)
              ? 'given'
              : category && request.informedNoObjectionCategories?.includes(category)
                ? 'informed-no-objection'
                : 'none',
      };
      const resource = casl(request.resourceType, { ...facts });
      const rule = ability.relevantRuleFor(request.action, resource, category);
      if (rule && !rule.inverted) {
        if (category) permitted.push(category);
        const reference = this.reference(String(rule.reason));
        deciding.push(reference);
        const definition = this.byId.get(reference.id);
        grants.push({
          category: category ?? null,
          ruleId: reference.id,
          review: definition?.review === 'coordinator',
          reliesOnConsent: definition?.when?.consent !== undefined,
        });
        continue;
      }
      if (rule?.inverted) {
        const reference = this.reference(String(rule.reason));
        refusing = refusing ?? reference;
        // A refusal with conditions can be lifted by undoing them (an objection withdrawn); one
        // without conditions cannot, so nothing is "missing".
        const missing = Object.keys(this.byId.get(reference.id)?.when ?? {}).map((fact) =>
          fact === 'consent' ? 'no objection of the client on file' : `not: ${REQUIREMENTS[fact as FactName]}`,
        );
        withheld.push({
          category: category ?? '*',
          reason: `refused by rule ${reference.id}: ${reference.description ?? ''}`.trim(),
          missing,
        });
        continue;
      }
      withheld.push({ category: category ?? '*', ...this.whatIsMissing(request, category, facts) });
    }

    const first = deciding[0] ?? null;
    const anyPermit = categorised ? permitted.length > 0 : deciding.length > 0;
    const pending = anyPermit && deciding.some((r) => this.byId.get(r.id)?.review === 'coordinator');
    return {
      decision: anyPermit ? (pending ? 'pending' : 'permit') : 'deny',
      grants: anyPermit ? grants : [],
      rule: anyPermit ? first : (refusing ?? null),
      legalBasis: anyPermit ? this.groundOf(grants) : null,
      permittedCategories: permitted,
      permittedFields: this.fieldsOf(permitted),
      withheld,
      missing: [...new Set(withheld.flatMap((w) => w.missing))],
      policyVersion: this.version,
    };
  }

  /**
   * The records a list may return, as a condition over record facts (see policy-scope.ts): the
   * same rules, in the same order, as `authorize`, so a row is in the scope exactly when
   * `authorize` with that row's facts would permit (or leave pending) at least one of the asked
   * categories. The caller's own facts (professional secrecy) are resolved here; the rest is for
   * the repository to turn into SQL with `scopeToSql`.
   */
  scopeFor(request: ScopeRequest): PolicyScope {
    const ability = this.abilityFor(request.partnerType, request.roles, request.purpose, request.operator ?? false);
    const professionalSecrecy =
      request.profession !== undefined && this.policy.professionalSecrecy.includes(request.profession);
    const categorised = this.activeRules().some((r) => r.subject === request.resourceType && r.categories);
    const categories: (string | undefined)[] = categorised
      ? (request.categories ?? this.policy.categories.map((c) => c.id))
      : [undefined];
    const ruleScope = (category: string | undefined) => (id: string) =>
      and(
        Object.entries(this.byId.get(id)?.when ?? {}).map(([fact, condition]): PolicyScope => {
          // Caller facts were settled when the ability was built: a rule still here holds them.
          if ((CALLER_FACTS as string[]).includes(fact)) return ALL;
          if (fact === 'professionalSecrecy') return holds(condition as Condition, professionalSecrecy) ? ALL : NONE;
          return {
            kind: 'fact',
            fact: fact as FactName,
            condition: condition as Condition,
            ...(fact === 'consent' && category ? { category } : {}),
          };
        }),
      );
    return or(
      categories.map((category) => {
        const scopeOf = ruleScope(category);
        // rulesFor gives the rules for this category, highest priority (latest in the file) first.
        // As in authorize, the first rule whose conditions hold decides: a row is in scope when that
        // rule is a plain permit. A permit that waits for the coordinator (`review`) grants nothing
        // yet, so it holds a row back like a refusal does.
        let scope: PolicyScope = NONE;
        let noEarlierRuleHolds: PolicyScope = ALL;
        for (const rule of ability.rulesFor(request.action, request.resourceType, category)) {
          const holdsHere = scopeOf(String(rule.reason));
          const grants = !rule.inverted && this.byId.get(String(rule.reason))?.review !== 'coordinator';
          if (grants) scope = or([scope, and([noEarlierRuleHolds, holdsHere])]);
          noEarlierRuleHolds = and([noEarlierRuleHolds, not(holdsHere)]);
        }
        return scope;
      }),
    );
  }

  /** Strips a record to the permitted categories' fields and names what was withheld (data minimisation). */
  project<T extends Record<string, unknown>>(
    record: T,
    result: AuthorizationResult,
  ): { data: Partial<T>; withheld: { category: string; reason: string }[] } {
    const allowed = new Set(result.permittedFields);
    const data = Object.fromEntries(Object.entries(record).filter(([field]) => allowed.has(field))) as Partial<T>;
    const present = new Set(Object.keys(record));
    const withheld = result.withheld
      .filter((w) => this.policy.categories.find((c) => c.id === w.category)?.fields.some((f) => present.has(f)))
      .map(({ category, reason }) => ({ category, reason }));
    return { data, withheld };
  }

  private whatIsMissing(
    request: AuthorizationRequest,
    category: string | undefined,
    facts: Record<string, FactValue | undefined>,
  ): { reason: string; missing: string[] } {
    const candidates = this.activeRules().filter(
      (r) =>
        r.effect !== 'deny' &&
        r.subject === request.resourceType &&
        r.actions.includes(request.action) &&
        r.purposes.includes(request.purpose) &&
        r.roles.some((role) => request.roles.includes(role)) &&
        (!r.partnerTypes || r.partnerTypes.includes(request.partnerType)) &&
        (!category || !r.categories || r.categories.includes(category)),
    );
    if (candidates.length === 0) {
      return {
        reason: 'no rule lets your organisation and role use this purpose for this data',
        missing: ['a rule in the network policy (none applies)'],
      };
    }
    const failures = candidates.map((rule) => ({
      rule,
      failed: Object.entries(rule.when ?? {})
        .filter(([fact, condition]) => !holds(condition as Condition, facts[fact]))
        .map(([fact]) =>
          fact === 'consent' && facts.consent === 'objected'
            ? 'no objection of the client on file'
            : REQUIREMENTS[fact as FactName],
        ),
    }));
    failures.sort((a, b) => a.failed.length - b.failed.length);
    const best = failures[0];
    return { reason: `rule ${best.rule.id} would permit this with: ${best.failed.join('; ')}`, missing: best.failed };
  }

  /**
   * The legal ground the given grants rely on, as the rules state it (rules.yaml `ground`):
   * article 6, article 9 only where a special category was granted, and the national basis. Never
   * the purpose's whole list of grounds. Distinct grounds of several rules are joined with " | ";
   * null when no rule that granted something states a ground.
   */
  groundOf(grants: Pick<Grant, 'category' | 'ruleId'>[]): string | null {
    const byRule = new Map<string, boolean>();
    for (const grant of grants) {
      const specialGranted = grant.category !== null && this.special.has(grant.category);
      byRule.set(grant.ruleId, (byRule.get(grant.ruleId) ?? false) || specialGranted);
    }
    const said = new Set<string>();
    for (const [ruleId, specialGranted] of byRule) {
      const phrases = this.groundPhrases.get(ruleId);
      if (phrases) said.add(specialGranted ? phrases.special : phrases.plain);
    }
    return said.size > 0 ? [...said].join(' | ') : null;
  }

  private reference(id: string): RuleReference {
    const rule = this.byId.get(id);
    return {
      id,
      description: rule?.description,
      file: rule?.source.file ?? 'policies/rules.yaml',
      line: rule?.source.line ?? 0,
    };
  }

  activeRules(): PolicySet['rules'] {
    return this.policy.rules.filter(
      (r) =>
        !r.activeWhen ||
        (this.policy.switches as unknown as Record<string, unknown>)[r.activeWhen.switch] === r.activeWhen.equals,
    );
  }

  /**
   * CASL ability for one partner type, set of roles and purpose; rule order is kept (later rules
   * win). Cached per engine, and an engine holds one policy version, so the cache key is in effect
   * (policy version, partner type, roles, purpose). The profession is not part of the key: it only
   * feeds the `professionalSecrecy` fact, evaluated per request like every other fact.
   */
  private abilityFor(
    partnerType: string | undefined,
    roles: string[],
    purpose: string,
    operator: boolean,
  ): MongoAbility {
    const key = `${partnerType ?? '*'}|${[...roles].sort().join(',')}|${purpose}|${operator ? 'operator' : ''}`;
    let ability = this.abilities.get(key);
    if (!ability) {
      const rules: RawRuleOf<MongoAbility>[] = this.activeRules()
        .filter(
          (r) =>
            r.purposes.includes(purpose) &&
            r.roles.some((role) => roles.includes(role)) &&
            (!partnerType || !r.partnerTypes || r.partnerTypes.includes(partnerType)),
        )
        // A rule whose caller facts fail does not address this caller at all (not even as a deny).
        .filter((r) => callerFactsHold(r, operator))
        .map((r) => ({
          action: r.actions,
          subject: r.subject,
          ...(r.categories ? { fields: r.categories } : {}),
          ...(recordConditions(r.when) ? { conditions: toMongo(recordConditions(r.when)) } : {}),
          inverted: r.effect === 'deny',
          reason: r.id,
        }));
      ability = createMongoAbility(rules);
      this.abilities.set(key, ability);
    }
    return ability;
  }
}

/** The policy as loaded at start (a bad policy stops the start); one per process. */
export const POLICY_SET = Symbol('schakel.policy-set');

/**
 * The engine's decisions, for the access kernel (src/access), the guard's route check (src/auth)
 * and the explain endpoint only: dependency-cruiser refuses any other importer of this file.
 */
@Injectable()
export class PolicyEngineService extends PolicyEngine {
  constructor(@Inject(POLICY_SET) policy: PolicySet) {
    super(policy);
  }
}
