import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { TransactionRunner, type Transaction } from '../database/transaction.js';
import { AccessLogService, type AccessRecord } from '../access-log/access-log.service.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { ProblemException } from '../common/problem/problem.js';
import { scopeToSql, type FactSql } from '../policies/policy-scope.js';
import { PolicyEngineService } from '../policies/policy-engine.js';
import type { AccessContext } from './access-context.js';
import {
  SUBJECT_TYPES,
  type ConsentFact,
  type Decision,
  type RecordFacts,
  type SubjectRef,
  type SubjectType,
  type WithheldCategory,
} from './decision.js';

/** One access to decide: which record, which action, for which categories, on which facts. */
export interface DecideInput {
  subject: SubjectRef;
  action: string;
  /** Categories asked for; all by default. */
  categories?: string[];
  /** Defaults to the purpose stated in X-Purpose. */
  purpose?: string;
  facts: RecordFacts;
}

/** What an access did with what the decision granted: the log entry is derived from this and the decision. */
export interface AccessDetail {
  /** Values that left the gateway (the log keeps field names and a hash). */
  disclosed?: Record<string, unknown>;
  /** Categories disclosed or written beyond those the disclosed fields name (e.g. a note's category). */
  categories?: string[];
  /** Names of the fields written. */
  written?: string[];
  /** Overrides the default reason ("<type> <action> (rule …)"). */
  reason?: string;
  /** The action as the log names it when it differs from the policy's (an unmerge is permitted as a merge). */
  action?: string;
  /** Record the access under another resource type than the decision's (a Disclosure decided as a Case read). */
  recordAs?: SubjectType;
  /** The record's id when the decision was made before it existed (a create). */
  resourceId?: string;
  clientId?: string;
  /** Consents the action itself relied on beyond the policy's (the client's consent to a handover to the new holder). */
  consentIds?: string[];
  /** The cooperation agreement the action itself relied on (a warm handover's, between the two holders). */
  agreementId?: string;
  /** The holder after the access (a warm handover moves it). */
  custodianPartnerId?: string;
  /** An access that opens a break-the-glass grant: always an override, behind its review item. */
  emergency?: { grantId: string; reviewItemId: string };
}

/** Finds the client and holder of a record named by a route's parameters (for refusals at the gate). */
export type SubjectResolver = (manager: Transaction, params: Record<string, string>) => Promise<SubjectRef | null>;

/** A refusal inside an access: the kernel logs it (with the record it concerns) and answers the problem. */
class Refusal extends Error {
  constructor(
    readonly record: AccessRecord,
    readonly problem: ProblemException,
  ) {
    super(problem.message);
  }
}

const completion = Symbol('schakel.access.completed');

/** The only way to finish an access: made by the kernel from a decision, so no service composes a log record. */
export class Completed<T> {
  readonly [completion] = true;
  private constructor(
    readonly result: T,
    readonly record: AccessRecord,
  ) {}

  /** @internal the kernel's factory */
  static of<T>(result: T, record: AccessRecord): Completed<T> {
    return new Completed(result, record);
  }
}

/**
 * One audited transaction: the work decides through it, and its last decision names the record
 * a domain refusal (409, 422) concerns, so that refusal is logged against the right client.
 */
export class AccessTransaction {
  last: Decision | null = null;
  /** Entries written before the access completed (tx.record), named with the final one after the commit. */
  readonly recorded: string[] = [];

  constructor(
    readonly manager: Transaction,
    readonly context: AccessContext,
    private readonly kernel: AccessService,
  ) {}

  /** Decides without refusing (e.g. an information request records a refusal as its outcome). */
  decide(input: DecideInput): Decision {
    const decision = this.kernel.decide(this.context, input);
    this.last = decision;
    return decision;
  }

  /**
   * Decides and refuses unless something is granted. A caller who may not learn that the record
   * exists hears "not found"; one who may, and asked for categories, hears what is missing.
   */
  async require(input: DecideInput, options: { explain?: boolean } = {}): Promise<Decision> {
    const decision = this.decide(input);
    if (decision.effect !== 'permit') throw this.kernel.refusal(this.context, decision, options.explain ?? false);
    await this.kernel.testHooks.afterDecision?.(this.context, decision);
    return decision;
  }

  /**
   * The decision behind a list page: every row came from the policy's scope (tx.scope) for these
   * categories. No single rule, ground or consent covers a page of several records, so none is
   * stated (the log says less rather than something untrue).
   */
  decideList(input: { type: SubjectType; action: string; categories?: string[] }): Decision {
    const decision = this.kernel.listDecision(this.context, input);
    this.last = null;
    return decision;
  }

  /** Refuses an access to a record that does not exist (or that the caller may not know of), logged. */
  notFound(subject: SubjectRef, action: string, reason: string): never {
    throw this.kernel.refusal(
      this.context,
      this.kernel.refusedBeforeDecision(this.context, subject, action, reason),
      false,
    );
  }

  /** The list scope of the policy as SQL over the facts the repository supplies (before the LIMIT). */
  scope(input: { type: SubjectType; action: string; categories?: string[] }, facts: FactSql, prefix?: string) {
    return this.kernel.scope(this.context, input, facts, prefix);
  }

  complete<T>(result: T, decision: Decision, detail: AccessDetail = {}): Completed<T> {
    return Completed.of(result, this.kernel.recordOf(decision, detail));
  }

  /**
   * One access among several this transaction makes on records of different clients (the
   * retention job erases many): its own entry now, derived from its own decision like the one
   * tx.complete writes, committed or rolled back with the work and the final entry.
   */
  async record(decision: Decision, detail: AccessDetail = {}): Promise<void> {
    this.recorded.push(
      await this.kernel.writeRecord(this.manager, this.context, this.kernel.recordOf(decision, detail)),
    );
  }

  /**
   * Ends an access whose outcome is a refusal that still writes something (an information request
   * the policy refused is kept, so the partner can see why): logged as a refusal, in this transaction.
   */
  completeRefused<T>(
    result: T,
    decision: Decision,
    detail: Pick<AccessDetail, 'resourceId' | 'recordAs' | 'reason'> & { action?: string },
  ): Completed<T> {
    return Completed.of(result, {
      ...this.kernel.refusalOf(decision, detail.reason ?? decision.withheld[0]?.reason ?? 'refused by the policy'),
      action: detail.action ?? decision.action,
      resourceType: detail.recordAs ?? decision.subject.type,
      resourceId: detail.resourceId ?? decision.subject.id ?? null,
    });
  }
}

/**
 * The access kernel: every access to client data is decided here once, from facts the owning
 * capability loaded, and recorded by the access log from that decision, in the same transaction.
 * It knows no capability; capabilities register how to name the record behind a route (for
 * refusals at the gate).
 */
@Injectable()
export class AccessService {
  /** Test seam: runs after a granted decision, inside its transaction, before the commit. */
  readonly testHooks: { afterDecision?: (context: AccessContext, decision: Decision) => Promise<void> } = {};
  private readonly resolvers = new Map<SubjectType, SubjectResolver>();

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly policy: PolicyEngineService,
    private readonly log: AccessLogService,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  registerResolver(type: SubjectType, resolver: SubjectResolver): void {
    this.resolvers.set(type, resolver);
  }

  /** Runs one access in one transaction with its log entry; refusals are logged in their own. */
  async run<T>(context: AccessContext, work: (tx: AccessTransaction) => Promise<Completed<T>>): Promise<T> {
    let tx: AccessTransaction | undefined;
    try {
      let entryId: string | undefined;
      const result = await this.transactions.run(async (manager) => {
        tx = new AccessTransaction(manager, context, this);
        const completed = await work(tx);
        if (!(completed instanceof Completed)) throw new Error('an access must end with tx.complete()');
        // The entry ends the transaction: sent with its COMMIT, one round trip (TransactionRunner).
        entryId = await this.log.write(manager, context, completed.record, { last: true });
        return completed.result;
      });
      // Committed: the response names the entry, so its receiver can fetch the receipt.
      context.entries?.push(...(tx?.recorded ?? []));
      if (entryId) context.entries?.push(entryId);
      return result;
    } catch (error) {
      if (error instanceof Refusal) {
        await this.log.recordRefusal(context, error.record);
        throw error.problem;
      }
      // A domain refusal (409, 422, …) on a record already decided on: logged against that record.
      if (error instanceof ProblemException && error.getStatus() < 500 && tx?.last) {
        await this.log.recordRefusal(context, {
          ...this.refusalRecord(tx.last, `${error.kind}: ${error.detail ?? error.message}`),
          ruleId: null,
        });
      }
      throw error;
    }
  }

  /**
   * Logs a refusal made before any record was loaded (the guard: role, purpose), naming the
   * record the route addresses, with its client and holder when they can be found.
   */
  async refuseAtGate(
    context: AccessContext,
    permission: { action: string; subject: string },
    params: Record<string, string>,
    reason: string,
  ): Promise<void> {
    const type = (SUBJECT_TYPES as readonly string[]).includes(permission.subject)
      ? (permission.subject as SubjectType)
      : null;
    let subject: SubjectRef | null = null;
    const resolver = type ? this.resolvers.get(type) : undefined;
    if (resolver && Object.keys(params).length > 0) {
      try {
        subject = await resolver(this.transactions.outside, params);
      } catch (error) {
        // Malformed ids never reach the database as such; anything else still gets its refusal logged.
        this.logger.warn(
          { requestId: context.requestId, code: (error as { code?: string }).code },
          'refusal: record not resolved',
        );
      }
    }
    const id = params.id ?? params.clientId ?? null;
    await this.log.recordRefusal(context, {
      action: permission.action,
      resourceType: permission.subject,
      resourceId: subject?.id ?? id,
      clientId: subject?.clientId ?? null,
      custodianPartnerId: subject?.custodianPartnerId ?? null,
      reason,
    });
  }

  decide(context: AccessContext, input: DecideInput): Decision {
    if (!(SUBJECT_TYPES as readonly string[]).includes(input.subject.type)) {
      // Fail closed: a subject the policy cannot know is a programming error, never a permit.
      throw new Error(`the access kernel knows no subject "${String(input.subject.type)}"`);
    }
    const { principal } = context;
    const purpose = input.purpose ?? context.purpose;
    const facts = input.facts;
    const consents = facts.consents ?? [];
    const categoriesWith = (effect: ConsentFact['effect']) => {
      const categories = new Set<string>();
      for (const consent of consents)
        if (consent.effect === effect) for (const c of consent.categories) categories.add(c);
      return [...categories];
    };
    const result = this.policy.authorize({
      partnerType: principal.partnerType,
      roles: principal.roles,
      profession: principal.profession,
      purpose,
      action: input.action,
      resourceType: input.subject.type,
      facts: {
        ownOrganisation: facts.ownOrganisation,
        inCircle: facts.inCircle,
        agreementInForce: facts.agreement ? true : facts.agreementInForce,
        tenantInformed: facts.tenantInformed,
        breakTheGlass: facts.grant ? true : facts.grant === null ? false : undefined,
        aftercare: facts.aftercare,
        responsibleOffice: facts.responsibleOffice,
        operator: principal.operator,
      },
      consentedCategories: categoriesWith('permit'),
      informedNoObjectionCategories: categoriesWith('informed-no-objection'),
      objectedCategories: categoriesWith('deny'),
      categories: input.categories,
    });

    const grants: Decision['grants'] = [];
    const withheld: WithheldCategory[] = result.withheld.map(({ category, reason, missing }) => ({
      category,
      reason,
      missing,
    }));
    let reviewOutstanding = false;
    const pendingCategories: string[] = [];
    for (const grant of result.grants) {
      if (grant.review && !facts.reviewApproved) {
        reviewOutstanding = true;
        if (grant.category) pendingCategories.push(grant.category);
        withheld.push({
          category: grant.category ?? '*',
          reason: `waiting for the case coordinator to judge whether this is necessary (rule ${grant.ruleId})`,
          missing: ["the case coordinator's approval of an information request for it"],
        });
        continue;
      }
      grants.push({
        category: grant.category,
        ruleId: grant.ruleId,
        consentIds: grant.reliesOnConsent && grant.category ? this.consentsFor(grant.category, consents) : [],
      });
    }
    // Loops, not flatMap: V8's flatMap was 1.4 % of a case read's CPU here, for a few dozen elements.
    const granted: string[] = [];
    const consentIds = new Set<string>();
    for (const g of grants) {
      if (g.category) granted.push(g.category);
      for (const id of g.consentIds) consentIds.add(id);
    }
    const effect = result.decision === 'deny' ? 'deny' : grants.length > 0 ? 'permit' : 'pending';
    const uses = (fact: string) =>
      grants.some((g) => this.policy.ruleDefinition(g.ruleId)?.when?.[fact as 'inCircle'] !== undefined);
    const breakTheGlass = uses('breakTheGlass') && Boolean(facts.grant);
    return {
      effect,
      action: input.action,
      purpose,
      subject: input.subject,
      rule: effect === 'permit' ? { ...this.reference(grants[0].ruleId) } : result.rule,
      grants,
      granted,
      grantedFields: this.policy.fieldsOf(granted),
      pendingCategories,
      withheld,
      ground: this.policy.groundOf(grants),
      consentIds: [...consentIds],
      agreementId: uses('agreementInForce') ? (facts.agreement?.id ?? null) : null,
      grantId: breakTheGlass ? (facts.grant?.id ?? null) : null,
      reviewItemId: breakTheGlass ? (facts.grant?.reviewItemId ?? null) : null,
      override: breakTheGlass,
      reviewOutstanding,
      visible: facts.visible,
      policyVersion: result.policyVersion,
    };
  }

  /** The consents relied on for one category: the explicit ones, else the "informed, no objection" records. */
  private consentsFor(category: string, consents: ConsentFact[]): string[] {
    const covering = (effect: ConsentFact['effect']) =>
      consents.filter((c) => c.effect === effect && c.categories.includes(category)).map((c) => c.id);
    const explicit = covering('permit');
    return explicit.length > 0 ? explicit : covering('informed-no-objection');
  }

  private reference(ruleId: string) {
    const rule = this.policy.ruleDefinition(ruleId) as
      { description?: string; source?: { file: string; line: number } } | undefined;
    return {
      id: ruleId,
      description: rule?.description,
      file: rule?.source?.file ?? 'policies/rules.yaml',
      line: rule?.source?.line ?? 0,
    };
  }

  /** Writes an entry that is not the transaction's last (see AccessTransaction.record). */
  writeRecord(manager: Transaction, context: AccessContext, record: AccessRecord): Promise<string> {
    return this.log.write(manager, context, record);
  }

  /**
   * The log record of a granted access: the categories actually disclosed or written, and only
   * the grounds, consents, agreement and grant relied on for those. If it cannot be said truly,
   * less is said (no category recorded: no ground, no consent).
   */
  recordOf(decision: Decision, detail: AccessDetail): AccessRecord {
    if (decision.effect !== 'permit') throw new Error('only a granted decision completes an access');
    const fieldCategories = detail.disclosed ? this.categoriesOfFields(Object.keys(detail.disclosed)) : [];
    const recorded = [...new Set([...fieldCategories, ...(detail.categories ?? [])])].filter((c) =>
      decision.granted.includes(c),
    );
    const relied = decision.grants.filter((g) => g.category === null || recorded.includes(g.category));
    const usesFact = (fact: string) =>
      relied.some((g) => this.policy.ruleDefinition(g.ruleId)?.when?.[fact as 'inCircle'] !== undefined);
    const underGrant = usesFact('breakTheGlass') && decision.grantId !== null;
    const subject = decision.subject;
    return {
      action: detail.action ?? decision.action,
      resourceType: detail.recordAs ?? subject.type,
      resourceId: detail.resourceId ?? subject.id ?? null,
      clientId: detail.clientId ?? subject.clientId ?? null,
      custodianPartnerId: detail.custodianPartnerId ?? subject.custodianPartnerId ?? null,
      decision: 'permit',
      reason: (
        detail.reason ?? `${subject.type} ${decision.action} (rule ${relied[0]?.ruleId ?? decision.rule?.id})`
      ).slice(0, 500),
      ruleId:
        (relied[0]?.ruleId ?? decision.rule?.id ?? null) === '(list scope)'
          ? null
          : (relied[0]?.ruleId ?? decision.rule?.id ?? null),
      ground: this.policy.groundOf(relied),
      consentIds: [...new Set([...relied.flatMap((g) => g.consentIds), ...(detail.consentIds ?? [])])],
      agreementId: detail.agreementId ?? (usesFact('agreementInForce') ? decision.agreementId : null),
      grantId: detail.emergency?.grantId ?? (underGrant ? decision.grantId : null),
      categories: recorded,
      disclosed: detail.disclosed,
      fields: detail.written,
      override: detail.emergency !== undefined || underGrant,
      reviewItemId: detail.emergency?.reviewItemId ?? (underGrant ? decision.reviewItemId : null),
    };
  }

  refusal(context: AccessContext, decision: Decision, explain: boolean): Refusal {
    const reason =
      decision.effect === 'pending'
        ? 'waiting for the case coordinator to judge whether this is necessary'
        : (decision.withheld[0]?.reason ?? 'refused by the policy');
    const missing = [...new Set(decision.withheld.flatMap((w) => w.missing))];
    const problem =
      decision.visible && (explain || decision.effect === 'pending')
        ? new ProblemException(
            'forbidden',
            decision.effect === 'pending'
              ? 'The case coordinator must first judge whether this is necessary: make an information request'
              : `Not permitted: ${missing.join('; ') || 'refused by the policy'}`,
            { missing },
          )
        : new ProblemException('not-found', `${decision.subject.type} not found or no access`);
    return new Refusal(this.refusalRecord(decision, reason), problem);
  }

  listDecision(context: AccessContext, input: { type: SubjectType; action: string; categories?: string[] }): Decision {
    const categories = input.categories ?? [];
    return {
      ...this.refusedBeforeDecision(context, { type: input.type }, input.action, ''),
      effect: 'permit',
      withheld: [],
      granted: categories,
      grantedFields: this.policy.fieldsOf(categories),
      grants:
        categories.length > 0
          ? categories.map((category) => ({ category, ruleId: '(list scope)', consentIds: [] }))
          : [{ category: null, ruleId: '(list scope)', consentIds: [] }],
      visible: true,
    };
  }

  refusedBeforeDecision(context: AccessContext, subject: SubjectRef, action: string, reason: string): Decision {
    return {
      effect: 'deny',
      action,
      purpose: context.purpose,
      subject,
      rule: null,
      grants: [],
      granted: [],
      grantedFields: [],
      pendingCategories: [],
      withheld: [{ category: '*', reason, missing: [] }],
      ground: null,
      consentIds: [],
      agreementId: null,
      grantId: null,
      reviewItemId: null,
      override: false,
      reviewOutstanding: false,
      visible: false,
      policyVersion: this.policy.version,
    };
  }

  refusalOf(decision: Decision, reason: string): AccessRecord {
    return this.refusalRecord(decision, reason);
  }

  private refusalRecord(decision: Decision, reason: string): AccessRecord {
    return {
      action: decision.action,
      resourceType: decision.subject.type,
      resourceId: decision.subject.id ?? null,
      clientId: decision.subject.clientId ?? null,
      custodianPartnerId: decision.subject.custodianPartnerId ?? null,
      decision: 'deny',
      reason: reason.slice(0, 500),
      ruleId: decision.rule?.id ?? null,
      override: decision.action === 'create' && decision.subject.type === 'EmergencyAccess',
    };
  }

  scope(
    context: AccessContext,
    input: { type: SubjectType; action: string; categories?: string[] },
    facts: FactSql,
    prefix = 'policy',
  ): { sql: string; params: Record<string, unknown> } {
    const { principal } = context;
    const scope = this.policy.scopeFor({
      partnerType: principal.partnerType,
      roles: principal.roles,
      profession: principal.profession,
      operator: principal.operator,
      purpose: context.purpose,
      action: input.action,
      resourceType: input.type,
      categories: input.categories,
    });
    return scopeToSql(scope, facts, prefix);
  }

  /** Strips a record to the granted categories' fields and names every withheld category with its reason. */
  project<T extends Record<string, unknown>>(
    record: T,
    decision: Decision,
  ): { data: Partial<T>; withheld: { category: string; reason: string }[] } {
    const allowed = new Set(decision.grantedFields);
    const data: Partial<T> = {};
    for (const field of Object.keys(record) as (keyof T & string)[])
      if (allowed.has(field)) data[field] = record[field];
    return { data, withheld: decision.withheld.map(({ category, reason }) => ({ category, reason })) };
  }

  /** The categories (in the policy's order) any of these fields belongs to. */
  categoriesOfFields(fields: string[]): string[] {
    return this.policy.categoriesOfFields(fields);
  }
}
