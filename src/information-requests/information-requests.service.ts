import { Inject, Injectable } from '@nestjs/common';
import { AccessLogService, AccessRefused, type AccessContext } from '../access-log/access-log.service.js';
import { CasesService } from '../cases/cases.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { ProblemException } from '../common/problem/problem.js';
import { PolicyService, type AuthorizationResult } from '../policies/policy.service.js';
import type { CreateInformationRequestDto, ReviewDto } from './dto/information-request.dto.js';
import type { InformationRequest } from './information-request.entity.js';
import { InformationRequestsRepository } from './information-requests.repository.js';

const notFound = () => new ProblemException('not-found', 'Not found or no access');

function explain(decision: AuthorizationResult, custodian: string): string {
  const withheld = decision.withheld
    .map((w) => `${w.category}: ${w.missing.length ? `needs ${w.missing.join('; ')}` : w.reason}`)
    .join(' | ');
  if (decision.decision === 'deny') return `Refused. ${withheld}`;
  const head =
    decision.decision === 'pending'
      ? `Waiting for the coordinator of ${custodian} to judge whether this is necessary`
      : `Permitted by rule ${decision.rule?.id}`;
  return `${head} for ${decision.permittedCategories.join(', ')}${withheld ? `. Withheld: ${withheld}` : ''}`;
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
    private readonly accessLog: AccessLogService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  private view(request: InformationRequest, decision?: AuthorizationResult) {
    return {
      id: request.id,
      caseId: request.caseId,
      purpose: request.purpose,
      decision: request.decision,
      basis: request.basis,
      rule: request.ruleId,
      categories: request.permittedCategories,
      fields: this.policy.policy.categories
        .filter((c) => request.permittedCategories.includes(c.id))
        .flatMap((c) => c.fields),
      withheld: decision?.withheld.map(({ category, reason, missing }) => ({ category, reason, missing })) ?? [],
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

    return this.accessLog.audited(access, async (manager) => {
      const evaluated = await this.cases.evaluate(manager, access, input.caseId, 'read', input.categories);
      // Only partners working with the holding team under an agreement learn that the case exists.
      if (!evaluated || (!evaluated.ownOrganisation && !evaluated.inCircle && !evaluated.agreementInForce)) {
        throw new AccessRefused(
          {
            action: 'create',
            resourceType: 'InformationRequest',
            resourceId: input.caseId,
            clientId: evaluated?.careCase.clientId ?? null,
            reason: 'no such case, or no relation with the team that holds it',
          },
          notFound(),
        );
      }
      const { decision, careCase } = evaluated;
      const request = await this.requests.insert(manager, {
        caseId: careCase.id,
        requesterPartnerId: access.principal.partnerId,
        requesterUser: access.principal.subject,
        purpose: input.purpose,
        categories: input.categories,
        justificationSealed: this.crypto.cipher.seal(input.justification),
        decision: decision.decision,
        permittedCategories: decision.permittedCategories,
        basis: decision.legalBasis,
        ruleId: decision.rule?.id ?? null,
        reason: explain(decision, careCase.custodianPartnerId).slice(0, 1000),
        consentId: evaluated.consentId,
      });
      return {
        result: this.view(request, decision),
        record: {
          action: 'create',
          resourceType: 'InformationRequest',
          resourceId: request.id,
          clientId: careCase.clientId,
          custodianPartnerId: careCase.custodianPartnerId,
          decision: decision.decision === 'deny' ? 'deny' : 'permit',
          reason: request.reason.slice(0, 500),
          ruleId: request.ruleId,
          legalBasis: request.basis,
          consentId: request.consentId,
          fields: [],
        },
      };
    });
  }

  async review(access: AccessContext, id: string, verdict: 'approve' | 'deny', input: ReviewDto) {
    return this.accessLog.audited(access, async (manager) => {
      const request = await this.requests.findForUpdate(manager, id);
      const evaluated = request
        ? await this.cases.evaluate(manager, access, request.caseId, 'update', ['case-status'], 'care-coordination')
        : null;
      if (!request || !evaluated?.ownOrganisation) {
        throw new AccessRefused(
          {
            action: 'decide',
            resourceType: 'InformationRequest',
            resourceId: id,
            reason: 'not the coordinator of the team that holds the case',
          },
          notFound(),
        );
      }
      if (request.decision !== 'pending')
        throw new ProblemException('conflict', `This request is not pending (it is ${request.decision})`);
      request.decision = verdict === 'approve' ? 'permit' : 'deny';
      if (verdict === 'deny') request.permittedCategories = [];
      request.reviewedBy = access.principal.subject;
      request.reviewedAt = new Date();
      request.reviewNoteSealed = input.note ? this.crypto.cipher.seal(input.note) : null;
      request.reason = `${verdict === 'approve' ? 'Approved' : 'Refused'} by the case coordinator as ${verdict === 'approve' ? 'necessary' : 'not necessary'}`;
      await this.requests.save(manager, request);
      return {
        result: this.view(request),
        record: {
          action: 'decide',
          resourceType: 'InformationRequest',
          resourceId: id,
          clientId: evaluated.careCase.clientId,
          custodianPartnerId: evaluated.careCase.custodianPartnerId,
          decision: 'permit',
          reason: request.reason,
          fields: ['decision'],
        },
      };
    });
  }

  async disclose(access: AccessContext, id: string) {
    return this.accessLog.audited(access, async (manager) => {
      const request = await this.requests.findForUpdate(manager, id);
      const refuse = (reason: string, problem: ProblemException) =>
        new AccessRefused({ action: 'read', resourceType: 'Disclosure', resourceId: id, reason }, problem);
      if (!request || request.requesterPartnerId !== access.principal.partnerId || request.purpose !== access.purpose)
        throw refuse('not the requester, or another purpose', notFound());
      if (request.decision !== 'permit')
        throw refuse(
          `request is ${request.decision}`,
          new ProblemException(
            'forbidden',
            request.decision === 'pending'
              ? 'The case coordinator has not judged this request yet'
              : 'This request was refused',
          ),
        );
      if (request.disclosedAt)
        throw refuse(
          'second disclosure refused',
          new ProblemException('conflict', 'This request was already disclosed; make a new request'),
        );
      // Re-checked now: a consent withdrawn since the request counts.
      const evaluated = await this.cases.evaluate(
        manager,
        access,
        request.caseId,
        'read',
        request.permittedCategories,
        request.purpose,
      );
      if (!evaluated) throw refuse('case gone', notFound());
      const allowed = new Set(
        evaluated.decision.permittedCategories.filter((c) => request.permittedCategories.includes(c)),
      );
      const data = await this.cases.permittedData(manager, evaluated.careCase, allowed);
      const fields = new Set(this.policy.policy.categories.filter((c) => allowed.has(c.id)).flatMap((c) => c.fields));
      const disclosed = Object.fromEntries(Object.entries(data).filter(([field]) => fields.has(field)));
      request.disclosedAt = new Date();
      await this.requests.save(manager, request);
      const withheld = request.permittedCategories
        .filter((c) => !allowed.has(c))
        .map((category) => ({ category, reason: 'no longer permitted (consent or circle changed since the request)' }));
      return {
        result: {
          id,
          caseId: request.caseId,
          purpose: request.purpose,
          categories: [...allowed],
          data: disclosed,
          withheld,
          disclosedAt: request.disclosedAt.toISOString(),
        },
        record: {
          action: 'read',
          resourceType: 'Disclosure',
          resourceId: id,
          clientId: evaluated.careCase.clientId,
          custodianPartnerId: evaluated.careCase.custodianPartnerId,
          decision: 'permit',
          reason: `disclosure for information request (rule ${request.ruleId})`,
          ruleId: request.ruleId,
          legalBasis: request.basis,
          consentId: evaluated.consentId ?? request.consentId,
          disclosed,
        },
      };
    });
  }
}
