import type { Transaction } from '../database/transaction.js';
import { Inject, Injectable } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import type { Decision } from '../access/decision.js';
import type { AccessContext } from '../access/access-context.js';
import { CasesService } from '../cases/cases.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { decodeCursor, toPage, type Page } from '../common/http/pagination.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { ProblemException } from '../common/problem/problem.js';
import { PolicyService } from '../policies/policy.service.js';
import type {
  CreateInformationRequestDto,
  InformationRequestListQuery,
  ReviewDto,
} from './dto/information-request.dto.js';
import type { InformationRequest } from './information-request.entity.js';
import { InformationRequestsRepository } from './information-requests.repository.js';

type Position = { createdAt: string; id: string };
const isPosition = (v: unknown): v is Position =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Position).createdAt === 'string' &&
  !Number.isNaN(Date.parse((v as Position).createdAt)) &&
  /^[0-9a-f-]{36}$/.test(String((v as Position).id));

function explain(decision: Decision, permitted: string[], custodian: string): string {
  const withheld = decision.withheld
    .filter((w) => !permitted.includes(w.category))
    .map((w) => `${w.category}: ${w.missing.length ? `needs ${w.missing.join('; ')}` : w.reason}`)
    .join(' | ');
  if (decision.effect === 'deny') return `Refused. ${withheld}`;
  const head =
    decision.effect === 'pending'
      ? `Waiting for the coordinator of ${custodian} to judge whether this is necessary`
      : `Permitted by rule ${decision.rule?.id}`;
  return `${head} for ${permitted.join(', ')}${withheld ? `. Withheld: ${withheld}` : ''}`;
}

/**
 * A partner asks for case information for a stated purpose; the policy decides with the facts of
 * the moment (circle, agreement, consent per category, objection), or leaves it to the case
 * coordinator. The permitted data leaves the gateway once, re-checked at that moment, and the
 * access log holds its disclosure manifest.
 */
@Injectable()
export class InformationRequestsService {
  constructor(
    private readonly requests: InformationRequestsRepository,
    private readonly cases: CasesService,
    private readonly policy: PolicyService,
    private readonly access: AccessService,
    private readonly notifications: NotificationsService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  /**
   * The requests in the caller's scope (on cases its team holds, or made by its organisation),
   * newest first, filtered by decision and case: the coordinator's queue is `?status=pending`.
   * The scope is the policy's, in SQL before the LIMIT; the read is logged with the ids listed.
   */
  async list(access: AccessContext, query: InformationRequestListQuery): Promise<Page<Record<string, unknown>>> {
    const after = decodeCursor(query.cursor, isPosition);
    const limit = query.limit ?? 50;
    const me = access.principal.partnerId;
    return this.access.run(access, async (tx) => {
      const scope = tx.scope({ type: 'InformationRequest', action: 'read' }, this.requests.factSql(access), 'r_scope');
      const rows = await this.requests.listInScope(
        tx.manager,
        scope,
        { decision: query.status, caseId: query.caseId },
        after,
        limit + 1,
      );
      const page = toPage(
        rows,
        limit,
        (r) => ({
          id: r.id,
          caseId: r.caseId,
          requesterPartnerId: r.requesterPartnerId,
          requesterUser: r.requesterUser,
          purpose: r.purpose,
          categories: r.categories,
          // What the coordinator judges: the requester's own words on why it is needed.
          justification: this.crypto.cipher.open<string>(r.justificationSealed),
          decision: r.decision,
          pendingCategories: r.decision === 'pending' ? r.permittedCategories : [],
          permittedCategories: r.decision === 'permit' ? r.permittedCategories : [],
          basis: r.basis,
          rule: r.ruleId,
          reason: r.reason,
          createdAt: r.createdAt.toISOString(),
          reviewedAt: r.reviewedAt?.toISOString() ?? null,
          disclosedAt: r.disclosedAt?.toISOString() ?? null,
          role: r.requesterPartnerId === me ? 'requester' : 'holder',
        }),
        (r) => ({ createdAt: r.createdAt.toISOString(), id: r.id }),
      );
      const decision = tx.decideList({ type: 'InformationRequest', action: 'read' });
      return tx.complete(page, decision, {
        reason: `information request list${query.status ? ` (${query.status})` : ''} with justifications`,
        disclosed: { informationRequests: page.items.map((i) => i.id) },
      });
    });
  }

  private view(request: InformationRequest, decision?: Decision) {
    return {
      id: request.id,
      caseId: request.caseId,
      purpose: request.purpose,
      decision: request.decision,
      basis: request.basis,
      rule: request.ruleId,
      categories: request.permittedCategories,
      fields: this.policy.fieldsOf(request.permittedCategories),
      withheld:
        decision?.withheld
          .filter((w) => !request.permittedCategories.includes(w.category))
          .map(({ category, reason, missing }) => ({ category, reason, missing })) ?? [],
      reason: request.reason,
      consentId: request.consentId,
      createdAt: request.createdAt.toISOString(),
    };
  }

  async create(access: AccessContext, input: CreateInformationRequestDto) {
    if (input.purpose !== access.purpose) {
      throw new ProblemException('validation-failed', 'The purpose in the body must be the one stated in X-Purpose', {
        errors: [{ pointer: '/purpose', detail: 'differs from X-Purpose' }],
      });
    }
    const known = new Set(this.policy.policy.categories.map((c) => c.id));
    const unknown = input.categories.map((c, i) => ({ c, i })).filter(({ c }) => !known.has(c));
    if (unknown.length)
      throw new ProblemException('validation-failed', 'Unknown categories', {
        errors: unknown.map(({ i }) => ({
          pointer: `/categories/${i}`,
          detail: 'not a data category of the network policy',
        })),
      });

    return this.access.run(access, async (tx) => {
      const loaded = await this.cases.facts(tx.manager, access, input.caseId);
      const asRequest = { ...loaded.subject, type: 'InformationRequest' as const, id: null };
      const facts = loaded.facts;
      // Only partners working with the holding team under an agreement learn that the case exists.
      if (!loaded.record || (!facts.ownOrganisation && !facts.inCircle && !facts.agreement)) {
        return tx.notFound(
          { ...asRequest, id: input.caseId },
          'create',
          'no such case, or no relation with the team that holds it',
        );
      }
      // What the request would receive: the case rules, with the facts of this moment.
      const outcome = tx.decide({ subject: loaded.subject, action: 'read', categories: input.categories, facts });
      const permitted = outcome.effect === 'pending' ? outcome.pendingCategories : outcome.granted;
      const custodian = loaded.record.custodianPartnerId;
      const request = await this.requests.insert(tx.manager, {
        caseId: loaded.record.id,
        requesterPartnerId: access.principal.partnerId,
        requesterUser: access.principal.subject,
        purpose: input.purpose,
        categories: input.categories,
        justificationSealed: this.crypto.cipher.seal(input.justification),
        decision: outcome.effect,
        permittedCategories: permitted,
        basis: outcome.effect === 'deny' ? null : outcome.ground,
        ruleId: outcome.rule?.id ?? null,
        reason: explain(outcome, permitted, custodian).slice(0, 1000),
        consentId: outcome.consentIds[0] ?? null,
      });
      const view = this.view(request, outcome);
      if (outcome.effect === 'deny') {
        // The request is kept (the partner sees why), and the log holds it as a refusal.
        return tx.completeRefused(view, outcome, {
          action: 'create',
          resourceId: request.id,
          recordAs: 'InformationRequest',
          reason: request.reason,
        });
      }
      // The holding team's coordinator is told a request waits for their judgement (ids only).
      if (outcome.effect === 'pending')
        await this.notifications.notify(tx.manager, {
          partnerId: custodian,
          kind: 'information-request-pending',
          resourceType: 'InformationRequest',
          resourceId: request.id,
          purposes: [request.purpose],
          categories: permitted,
          detail: { caseId: request.caseId, requesterPartnerId: request.requesterPartnerId },
        });
      // Asking discloses nothing: the entry records the request under its own rule.
      const asked = await tx.require({
        subject: { ...asRequest, id: request.id },
        action: 'create',
        facts: { visible: true },
      });
      return tx.complete(view, asked, { written: ['informationRequest'], reason: request.reason });
    });
  }

  async review(access: AccessContext, id: string, verdict: 'approve' | 'deny', input: ReviewDto) {
    return this.access.run(access, async (tx) => {
      const request = await this.requests.findForUpdate(tx.manager, id);
      const loaded = request
        ? await this.cases.facts(tx.manager, access, request.caseId, { purpose: 'care-coordination' })
        : null;
      const subject = { ...(loaded?.subject ?? {}), type: 'InformationRequest' as const, id };
      if (!request || !loaded?.record) return tx.notFound(subject, 'decide', 'no such request');
      // Only the coordinator of the team that holds the case judges (rule coordinator-judges-necessity).
      const decision = await tx.require({
        subject,
        action: 'decide',
        purpose: 'care-coordination',
        facts: { visible: Boolean(loaded.facts.ownOrganisation), ownOrganisation: loaded.facts.ownOrganisation },
      });
      if (request.decision !== 'pending')
        throw new ProblemException('conflict', `This request is not pending (it is ${request.decision})`);
      request.decision = verdict === 'approve' ? 'permit' : 'deny';
      if (verdict === 'deny') request.permittedCategories = [];
      request.reviewedBy = access.principal.subject;
      request.reviewedAt = new Date();
      request.reviewNoteSealed = input.note ? this.crypto.cipher.seal(input.note) : null;
      request.reason = `${verdict === 'approve' ? 'Approved' : 'Refused'} by the case coordinator as ${verdict === 'approve' ? 'necessary' : 'not necessary'}`;
      await this.requests.save(tx.manager, request);
      return tx.complete(this.view(request), decision, { written: ['decision'], reason: request.reason });
    });
  }

  async disclose(access: AccessContext, id: string) {
    return this.access.run(access, async (tx) => {
      const request = await this.requests.findForUpdate(tx.manager, id);
      const subject = { type: 'Disclosure' as const, id };
      if (!request) return tx.notFound(subject, 'read', 'no such request');
      const loaded = await this.cases.loadForDisclosure(tx.manager, access, request.caseId, request.purpose);
      const about = { ...loaded.subject, type: 'Disclosure' as const, id };
      // The disclosure is the requester's own, for the purpose it asked for (rule requester-receives-disclosure).
      const own = request.requesterPartnerId === access.principal.partnerId && request.purpose === access.purpose;
      await tx.require({ subject: about, action: 'read', facts: { visible: own, ownOrganisation: own } });
      if (request.decision !== 'permit')
        throw new ProblemException(
          'forbidden',
          request.decision === 'pending'
            ? 'The case coordinator has not judged this request yet'
            : 'This request was refused',
        );
      if (request.disclosedAt)
        throw new ProblemException('conflict', 'This request was already disclosed; make a new request');
      if (!loaded.record) return tx.notFound(about, 'read', 'case gone');
      // Re-decided now, on the facts of this moment: a consent withdrawn since the request counts.
      // The coordinator's approval (if the policy asked for one) covers the categories requested.
      const decision = await tx.require(
        {
          subject: loaded.subject,
          action: 'read',
          purpose: request.purpose,
          categories: request.permittedCategories,
          facts: { ...loaded.facts, reviewApproved: request.reviewedAt !== null },
        },
        { explain: true },
      );
      const { disclosed, categories, view } = this.cases.disclosable(loaded.record, decision);
      const fields = new Set(decision.grantedFields);
      // The granted categories' fields, and the notes filed under them (a health note is health data).
      const data = {
        ...Object.fromEntries(Object.entries(view).filter(([field]) => fields.has(field))),
        ...('notes' in view ? { notes: view.notes } : {}),
      };
      const manifest = Object.fromEntries(
        Object.entries(disclosed).filter(([field]) => fields.has(field) || field.startsWith('notes:')),
      );
      request.disclosedAt = new Date();
      await this.requests.save(tx.manager, request);
      const withheld = request.permittedCategories
        .filter((c) => !decision.granted.includes(c))
        .map((category) => ({ category, reason: 'no longer permitted (consent or circle changed since the request)' }));
      return tx.complete(
        {
          id,
          caseId: request.caseId,
          purpose: request.purpose,
          categories: decision.granted,
          data,
          withheld,
          disclosedAt: request.disclosedAt.toISOString(),
        },
        decision,
        {
          disclosed: manifest,
          categories,
          recordAs: 'Disclosure',
          resourceId: id,
          reason: `disclosure for information request ${id}`,
        },
      );
    });
  }

  /** Art. 17 (request or retention): empties the free text of the requests about the client's cases. */
  async eraseFor(manager: Transaction, clientId: string): Promise<number> {
    const caseIds = await this.cases.caseIdsOf(manager, clientId);
    return this.requests.eraseForCases(manager, caseIds, this.crypto.cipher.seal(''));
  }
}
