import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  AccessLogService,
  AccessRefused,
  type AccessContext,
  type AccessRecord,
} from '../access-log/access-log.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { decodeCursor, toPage } from '../common/http/pagination.js';
import { ProblemException } from '../common/problem/problem.js';
import { AgreementsService } from '../partners/agreements/agreements.service.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PartnersRepository } from '../partners/partners.repository.js';
import { PolicyService, type AuthorizationResult } from '../policies/policy.service.js';
import { Client } from '../referrals/client.entity.js';
import { Referral } from '../referrals/referral.entity.js';
import { ConsentService } from '../consent/consent.service.js';
import type { CareCase, CaseStatus } from './case.entity.js';
import { CasesRepository } from './cases.repository.js';
import type { CarePlanDto, CaseNoteDto, CircleMemberDto, ContactAttemptDto, TransitionDto } from './dto/case.dto.js';

/** The life cycle: which status may follow which. A closed case reopens only through a new referral. */
export const TRANSITIONS: Record<CaseStatus, CaseStatus[]> = {
  referred: ['outreach', 'closed'],
  outreach: ['intake', 'closed'],
  intake: ['active', 'waiting-list', 'closed'],
  'waiting-list': ['active', 'closed'],
  active: ['waiting-list', 'closed'],
  closed: [],
};

/** The purposes the holding team is in the circle for from the start. */
const TEAM_PURPOSES = ['outreach-contact', 'care-coordination', 'case-consultation', 'crisis'];

const notFound = () => new ProblemException('not-found', 'Case not found or no access');

interface Loaded {
  careCase: CareCase;
  decision: AuthorizationResult;
  /** The consent relied on, recorded in the access log. */
  consentId: string | null;
  /** The access rests on a break-the-glass grant: always shown as an override. */
  override: boolean;
  /** The grant's review item, so the override access is listed behind it. */
  reviewItemId: string | null;
}

/**
 * Cases: the follow-up by the team that accepted the referral, and what its circle of care may
 * see. Every read and write goes through the policy, with facts loaded from the database
 * (custody, circle membership, agreements), and lands in the access log in the same transaction.
 */
@Injectable()
export class CasesService {
  constructor(
    private readonly cases: CasesRepository,
    private readonly partners: PartnersRepository,
    private readonly agreements: AgreementsService,
    private readonly policy: PolicyService,
    private readonly accessLog: AccessLogService,
    private readonly consent: ConsentService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Called when a team accepts a referral: the case opens with that team in its circle. */
  async openFromReferral(
    manager: EntityManager,
    input: { clientId: string; custodianPartnerId: string; referralId: string; responsible: string; by: AccessContext },
  ): Promise<CareCase> {
    const careCase = await this.cases.insertCase(manager, {
      clientId: input.clientId,
      custodianPartnerId: input.custodianPartnerId,
      referralId: input.referralId,
      status: 'referred',
    });
    await this.cases.addCircleMember(manager, {
      caseId: careCase.id,
      partnerId: input.custodianPartnerId,
      purposes: TEAM_PURPOSES,
      responsibleProfessional: input.responsible,
    });
    await this.cases.addTransition(manager, {
      caseId: careCase.id,
      fromStatus: 'none',
      toStatus: 'referred',
      at: new Date(),
      partnerId: input.by.principal.partnerId,
      userSub: input.by.principal.subject,
    });
    return careCase;
  }

  /**
   * A re-referral of a client the team already follows continues its open case, or reopens its
   * closed one (closed -> referred, dated and attributed); otherwise a new case opens.
   */
  async openOrReopen(
    manager: EntityManager,
    input: { clientId: string; custodianPartnerId: string; referralId: string; responsible: string; by: AccessContext },
  ): Promise<{ careCase: CareCase; reopened: boolean }> {
    const earlier = await this.cases.latestCaseOf(manager, input.clientId, input.custodianPartnerId);
    if (!earlier) return { careCase: await this.openFromReferral(manager, input), reopened: false };
    if (earlier.status !== 'closed') return { careCase: earlier, reopened: false };
    earlier.status = 'referred';
    earlier.endReason = null;
    earlier.referralId = input.referralId;
    await this.cases.saveCase(manager, earlier);
    await this.cases.addTransition(manager, {
      caseId: earlier.id,
      fromStatus: 'closed',
      toStatus: 'referred',
      endReason: null,
      reasonSealed: null,
      at: new Date(),
      partnerId: input.by.principal.partnerId,
      userSub: input.by.principal.subject,
    });
    return { careCase: earlier, reopened: true };
  }

  /**
   * Decides, with the facts of this caller loaded from the database (custody, circle membership
   * for the stated purpose, agreement, consent), what it may do with this case. Null when the
   * case does not exist.
   */
  async evaluate(
    manager: EntityManager,
    access: AccessContext,
    id: string,
    action: string,
    categories?: string[],
    purpose = access.purpose,
  ) {
    const careCase = await this.cases.findCase(manager, id);
    if (!careCase) return null;
    const me = access.principal.partnerId;
    const ownOrganisation = careCase.custodianPartnerId === me;
    const inCircle = await this.cases.inCircle(manager, id, me, purpose);
    const agreementInForce =
      ownOrganisation || (await this.agreements.inForce([me, careCase.custodianPartnerId], purpose));
    const consent = await this.consent.factsFor(
      manager,
      careCase.clientId,
      { partnerId: me, partnerType: access.principal.partnerType },
      purpose,
    );
    const grant = purpose === 'crisis' ? await this.cases.activeGrant(manager, id, me, access.principal.subject) : null;
    const breakTheGlass = grant !== null;
    const aftercare = !ownOrganisation && (await this.cases.inAftercare(manager, id, me));
    const decision = this.policy.authorize({
      partnerType: access.principal.partnerType,
      roles: access.principal.roles,
      profession: access.principal.profession,
      purpose,
      action,
      resourceType: 'Case',
      facts: { ownOrganisation, inCircle, agreementInForce, breakTheGlass, aftercare },
      consentedCategories: consent.consentedCategories,
      informedNoObjectionCategories: consent.informedNoObjectionCategories,
      objectedCategories: consent.objectedCategories,
      categories,
    });
    return {
      careCase,
      decision,
      consentId: consent.consentIds[0] ?? null,
      ownOrganisation,
      inCircle,
      agreementInForce,
      breakTheGlass,
      grantReviewItemId: grant?.reviewItemId ?? null,
    };
  }

  /** Loads the case and decides with the facts of this caller; no existence leaks to outsiders. */
  private async load(
    manager: EntityManager,
    access: AccessContext,
    id: string,
    action: string,
    categories?: string[],
  ): Promise<Loaded> {
    const evaluated = await this.evaluate(manager, access, id, action, categories);
    const refusal = (reason: string) =>
      new AccessRefused(
        {
          action,
          resourceType: 'Case',
          resourceId: id,
          clientId: evaluated?.careCase.clientId ?? null,
          custodianPartnerId: evaluated?.careCase.custodianPartnerId ?? null,
          reason,
        },
        notFound(),
      );
    if (!evaluated) throw refusal('no such case');
    if (!evaluated.ownOrganisation && !evaluated.inCircle && !evaluated.breakTheGlass)
      throw refusal('not the holding team and not in the circle for this purpose');
    const { careCase, decision, consentId, breakTheGlass, grantReviewItemId } = evaluated;
    if (decision.decision === 'deny') {
      throw new AccessRefused(
        {
          action,
          resourceType: 'Case',
          resourceId: id,
          clientId: careCase.clientId,
          custodianPartnerId: careCase.custodianPartnerId,
          reason: decision.withheld[0]?.reason ?? 'refused by the policy',
          ruleId: decision.rule?.id ?? null,
        },
        categories
          ? new ProblemException(
              'forbidden',
              `Not permitted: ${[...new Set(decision.withheld.flatMap((w) => w.missing))].join('; ') || 'refused by the policy'}`,
            )
          : notFound(),
      );
    }
    return { careCase, decision, consentId, override: breakTheGlass, reviewItemId: grantReviewItemId };
  }

  /** The case's data in the permitted categories, opened only now (after the policy said yes). */
  async permittedData(
    manager: EntityManager,
    careCase: CareCase,
    allowed: Set<string>,
  ): Promise<Record<string, unknown>> {
    const { cipher } = this.crypto;
    const c = careCase;
    const full: Record<string, unknown> = {
      status: c.status,
      endReason: c.endReason,
      referredAt: c.openedAt.toISOString(),
    };
    if (allowed.has('identity') || allowed.has('contact')) {
      const client = await manager.findOneByOrFail(Client, { id: c.clientId });
      if (allowed.has('identity')) Object.assign(full, cipher.open<Record<string, unknown>>(client.identitySealed));
      if (allowed.has('contact') && client.contactSealed)
        Object.assign(full, cipher.open<Record<string, unknown>>(client.contactSealed));
    }
    if (allowed.has('housing') && c.referralId) {
      // The housing picture comes from the referral that opened the case (signals, eviction stage).
      const referral = await manager.findOneBy(Referral, { id: c.referralId });
      if (referral) Object.assign(full, cipher.open<Record<string, unknown>>(referral.housingSealed));
    }
    if (allowed.has('care-plan') && c.carePlanSealed) full.carePlan = cipher.open(c.carePlanSealed);
    if (allowed.has('crisis-plan') && c.crisisPlanSealed) full.crisisPlan = cipher.open(c.crisisPlanSealed);
    if (allowed.has('safety')) full.safetyFlags = c.safetyFlagsSealed ? cipher.open(c.safetyFlagsSealed) : [];
    return full;
  }

  private record(access: AccessContext, loaded: Loaded, action: string, extra: Partial<AccessRecord>): AccessRecord {
    return {
      action,
      resourceType: 'Case',
      resourceId: loaded.careCase.id,
      clientId: loaded.careCase.clientId,
      custodianPartnerId: loaded.careCase.custodianPartnerId,
      decision: 'permit',
      reason: `case ${action} (rule ${loaded.decision.rule?.id})`,
      ruleId: loaded.decision.rule?.id ?? null,
      legalBasis: loaded.decision.legalBasis,
      consentId: loaded.consentId,
      override: loaded.override,
      reviewItemId: loaded.reviewItemId,
      ...extra,
    };
  }

  async get(access: AccessContext, id: string) {
    return this.accessLog.audited(access, async (manager) => {
      const loaded = await this.load(manager, access, id, 'read');
      const allowed = new Set(loaded.decision.permittedCategories);
      const { cipher } = this.crypto;
      const full = await this.permittedData(manager, loaded.careCase, allowed);
      const { data, withheld } = this.policy.project(full, loaded.decision);
      const extras: Record<string, unknown> = {};
      if (allowed.has('case-status')) {
        extras.history = (await this.cases.transitionsOf(manager, id)).map((t) => ({
          from: t.fromStatus,
          to: t.toStatus,
          endReason: t.endReason,
          at: t.at.toISOString(),
          by: t.partnerId,
        }));
        extras.contactAttempts = (await this.cases.contactAttemptsOf(manager, id)).map((a) => ({
          at: a.at.toISOString(),
          channel: a.channel,
          outcome: a.outcome,
        }));
        extras.circle = (await this.cases.activeCircle(manager, id)).map((m) => ({
          id: m.id,
          partnerId: m.partnerId,
          purposes: m.purposes,
          responsibleProfessional: m.responsibleProfessional,
        }));
      }
      const notes = await this.cases.notesOf(manager, id, [...allowed]);
      if (notes.length > 0)
        extras.notes = notes.map((n) => ({
          id: n.id,
          category: n.category,
          text: cipher.open<string>(n.textSealed),
          at: n.at.toISOString(),
          by: n.partnerId,
        }));
      // Withheld groups are named even when the record has nothing in them yet.
      const named = loaded.decision.withheld.map(({ category, reason }) => ({ category, reason }));
      return {
        result: { id, ...data, ...extras, withheld: withheld.length >= named.length ? withheld : named },
        record: this.record(access, loaded, 'read', { disclosed: { ...data, ...extras } }),
      };
    });
  }

  async list(access: AccessContext, limit: number, cursor: string | undefined) {
    const isPosition = (v: unknown): v is { openedAt: string; id: string } =>
      typeof v === 'object' &&
      v !== null &&
      !Number.isNaN(Date.parse(String((v as { openedAt?: unknown }).openedAt))) &&
      /^[0-9a-f-]{36}$/.test(String((v as { id?: unknown }).id));
    const after = decodeCursor(cursor, isPosition);
    return this.accessLog.audited(access, async (manager) => {
      const rows = await this.cases.listVisibleTo(manager, access.principal.partnerId, after, limit + 1);
      const page = toPage(
        rows,
        limit,
        (c) => ({
          id: c.id,
          status: c.status,
          openedAt: c.openedAt.toISOString(),
          holder: c.custodianPartnerId === access.principal.partnerId ? 'own' : 'circle',
        }),
        (c) => ({ openedAt: c.openedAt.toISOString(), id: c.id }),
      );
      return {
        result: page,
        record: {
          action: 'read',
          resourceType: 'Case',
          decision: 'permit',
          reason: 'case list (status only)',
          disclosed: { cases: page.items.map((i) => i.id) },
        },
      };
    });
  }

  async transition(access: AccessContext, id: string, input: TransitionDto) {
    return this.accessLog.audited(access, async (manager) => {
      const loaded = await this.load(manager, access, id, 'update', ['case-status']);
      const from = loaded.careCase.status;
      const to = input.to as CaseStatus;
      if (!TRANSITIONS[from].includes(to)) {
        throw new ProblemException(
          'conflict',
          `A case cannot go from ${from} to ${to}${from === 'closed' ? ' (a closed case reopens through a new referral)' : ''}`,
          { from, allowed: TRANSITIONS[from] },
        );
      }
      loaded.careCase.status = to;
      loaded.careCase.endReason = to === 'closed' ? (input.endReason ?? null) : null;
      await this.cases.saveCase(manager, loaded.careCase);
      const at = new Date();
      await this.cases.addTransition(manager, {
        caseId: id,
        fromStatus: from,
        toStatus: to,
        endReason: input.endReason ?? null,
        reasonSealed: input.reason ? this.crypto.cipher.seal(input.reason) : null,
        at,
        partnerId: access.principal.partnerId,
        userSub: access.principal.subject,
      });
      return {
        result: { id, status: to, from, at: at.toISOString() },
        record: this.record(access, loaded, 'update', {
          fields: ['status', ...(input.endReason ? ['endReason'] : []), ...(input.reason ? ['reason'] : [])],
        }),
      };
    });
  }

  async addContactAttempt(access: AccessContext, id: string, input: ContactAttemptDto) {
    return this.accessLog.audited(access, async (manager) => {
      const loaded = await this.load(manager, access, id, 'update', ['case-status']);
      const attempt = await this.cases.addContactAttempt(manager, {
        caseId: id,
        at: new Date(input.at),
        channel: input.channel,
        outcome: input.outcome,
        partnerId: access.principal.partnerId,
        userSub: access.principal.subject,
      });
      if (input.outcome === 'contact' && loaded.careCase.referralId)
        await this.cases.markContactEstablished(manager, loaded.careCase.referralId);
      return {
        result: { id: attempt.id, at: attempt.at.toISOString(), channel: attempt.channel, outcome: attempt.outcome },
        record: this.record(access, loaded, 'update', { fields: ['contactAttempt'] }),
      };
    });
  }

  async putCarePlan(access: AccessContext, id: string, input: CarePlanDto) {
    const categories = [
      'care-plan',
      ...(input.crisisPlan !== undefined ? ['crisis-plan'] : []),
      ...(input.safetyFlags !== undefined ? ['safety'] : []),
    ];
    return this.accessLog.audited(access, async (manager) => {
      const loaded = await this.load(manager, access, id, 'update', categories);
      const refused = categories.filter((c) => !loaded.decision.permittedCategories.includes(c));
      if (refused.length > 0) throw new ProblemException('forbidden', `Not permitted to write: ${refused.join(', ')}`);
      const { cipher } = this.crypto;
      loaded.careCase.carePlanSealed = cipher.seal(input.domains);
      if (input.crisisPlan !== undefined) loaded.careCase.crisisPlanSealed = cipher.seal(input.crisisPlan);
      if (input.safetyFlags !== undefined) loaded.careCase.safetyFlagsSealed = cipher.seal(input.safetyFlags);
      await this.cases.saveCase(manager, loaded.careCase);
      return {
        result: { id, updated: categories },
        record: this.record(access, loaded, 'update', {
          fields: [
            'carePlan',
            ...(input.crisisPlan !== undefined ? ['crisisPlan'] : []),
            ...(input.safetyFlags !== undefined ? ['safetyFlags'] : []),
          ],
        }),
      };
    });
  }

  async addNote(access: AccessContext, id: string, input: CaseNoteDto) {
    return this.accessLog.audited(access, async (manager) => {
      const loaded = await this.load(manager, access, id, 'update', [input.category]);
      if (!loaded.decision.permittedCategories.includes(input.category))
        throw new ProblemException('forbidden', `Not permitted to write ${input.category} notes`);
      const note = await this.cases.addNote(manager, {
        caseId: id,
        category: input.category,
        textSealed: this.crypto.cipher.seal(input.text),
        at: new Date(),
        partnerId: access.principal.partnerId,
        userSub: access.principal.subject,
      });
      return {
        result: { id: note.id, category: note.category, at: note.at.toISOString() },
        record: this.record(access, loaded, 'update', { fields: ['notes'], reason: `note tagged ${input.category}` }),
      };
    });
  }

  /** Break-the-glass for the crisis purpose: a short grant for this user, and an item in the review queue. */
  async breakTheGlass(access: AccessContext, id: string, justification: string) {
    if (access.purpose !== 'crisis')
      throw new ProblemException('validation-failed', 'Emergency access is for the crisis purpose only', {
        errors: [{ pointer: '/headers/x-purpose', detail: 'must be crisis' }],
      });
    return this.accessLog.audited(access, async (manager) => {
      const careCase = await this.cases.findCase(manager, id);
      const me = access.principal.partnerId;
      const onCallOrCircle =
        careCase && (careCase.custodianPartnerId === me || (await this.cases.inCircleForAnyPurpose(manager, id, me)));
      if (!careCase || !onCallOrCircle) {
        throw new AccessRefused(
          {
            action: 'create',
            resourceType: 'EmergencyAccess',
            resourceId: id,
            clientId: careCase?.clientId ?? null,
            reason: 'not the holding team and not in the circle of care',
            override: true,
          },
          notFound(),
        );
      }
      const expiresAt = new Date(Date.now() + this.config.breakTheGlassHours * 3_600_000);
      const { cipher } = this.crypto;
      const { grant, review } = await this.cases.addGrantWithReview(
        manager,
        {
          caseId: id,
          partnerId: me,
          userSub: access.principal.subject,
          justificationSealed: cipher.seal(justification),
          expiresAt,
        },
        {
          kind: 'break-the-glass',
          caseId: id,
          actorPartnerId: me,
          custodianPartnerId: careCase.custodianPartnerId,
          summarySealed: cipher.seal({
            user: access.principal.subject,
            roles: access.principal.roles,
            justification,
            expiresAt: expiresAt.toISOString(),
          }),
          status: 'open',
        },
      );
      return {
        result: {
          grantId: grant.id,
          caseId: id,
          purpose: 'crisis',
          categories: ['identity', 'contact', 'health', 'crisis-plan', 'safety'],
          expiresAt: expiresAt.toISOString(),
          reviewItemId: review.id,
        },
        record: {
          action: 'create',
          resourceType: 'EmergencyAccess',
          resourceId: grant.id,
          clientId: careCase.clientId,
          custodianPartnerId: careCase.custodianPartnerId,
          decision: 'permit',
          reason: 'break-the-glass grant opened; in the review queue',
          override: true,
          fields: [],
          reviewItemId: review.id,
        },
      };
    });
  }

  /**
   * Warm handover: coordination moves to a follow-up partner in the circle, with the client's
   * consent for the handover; the previous team keeps reading for the aftercare period.
   */
  async handover(access: AccessContext, id: string, toPartnerId: string) {
    return this.accessLog.audited(access, async (manager) => {
      const loaded = await this.load(manager, access, id, 'update', ['case-status']);
      const from = loaded.careCase.custodianPartnerId;
      if (from !== access.principal.partnerId)
        throw new ProblemException('forbidden', 'Only the team that holds the case hands it over');
      const target = await this.partners.findById(toPartnerId);
      if (!target || target.id === from)
        throw new ProblemException('validation-failed', 'Not a partner to hand over to', {
          errors: [{ pointer: '/toPartnerId', detail: 'unknown partner, or the holding team itself' }],
        });
      if (!(await this.cases.inCircleForAnyPurpose(manager, id, target.id))) {
        throw new ProblemException('unprocessable', `${target.id} is not in the circle of care`, {
          missing: ["membership of the client's circle of care"],
        });
      }
      const consent = await this.consent.factsFor(
        manager,
        loaded.careCase.clientId,
        { partnerId: target.id, partnerType: target.type },
        'warm-handover',
      );
      if (consent.consentedCategories.length === 0 || consent.objectedCategories.length > 0) {
        throw new ProblemException('unprocessable', `The client has not consented to a handover to ${target.id}`, {
          missing: ["the client's consent for the warm handover to this partner"],
        });
      }
      const until = new Date(Date.now() + this.config.aftercareDays * 86_400_000);
      await this.cases.startAftercare(manager, id, from, until);
      loaded.careCase.custodianPartnerId = target.id;
      await this.cases.saveCase(manager, loaded.careCase);
      return {
        result: { id, from, to: target.id, aftercareUntil: until.toISOString() },
        record: this.record(access, loaded, 'update', {
          fields: ['custodian'],
          consentId: consent.consentIds[0] ?? null,
          custodianPartnerId: target.id,
          reason: `warm handover from ${from} to ${target.id}`,
        }),
      };
    });
  }

  async addCircleMember(access: AccessContext, id: string, input: CircleMemberDto) {
    const partner = await this.partners.findById(input.partnerId);
    if (!partner || partner.status !== 'active')
      throw new ProblemException('validation-failed', 'Unknown partner', {
        errors: [{ pointer: '/partnerId', detail: 'no active partner with this id' }],
      });
    const unknown = input.purposes.map((p, i) => ({ p, i })).filter(({ p }) => !this.policy.isKnownPurpose(p));
    if (unknown.length)
      throw new ProblemException('validation-failed', 'Unknown purpose', {
        errors: unknown.map(({ i }) => ({ pointer: `/purposes/${i}`, detail: 'not a purpose of the network policy' })),
      });
    return this.accessLog.audited(access, async (manager) => {
      const loaded = await this.load(manager, access, id, 'update', ['case-status']);
      if (loaded.careCase.custodianPartnerId !== access.principal.partnerId)
        throw new ProblemException('forbidden', 'Only the team that holds the case manages its circle of care');
      // Shared secrecy needs a cooperation agreement between the two partners for each purpose.
      for (const purpose of input.purposes) {
        if (!(await this.agreements.inForce([loaded.careCase.custodianPartnerId, partner.id], purpose))) {
          throw new ProblemException(
            'unprocessable',
            `No cooperation agreement in force with ${partner.id} for ${purpose}`,
            { missing: ['a cooperation agreement in force between both partners for this purpose'] },
          );
        }
      }
      const member = await this.cases.addCircleMember(manager, {
        caseId: id,
        partnerId: partner.id,
        purposes: input.purposes,
        responsibleProfessional: null,
      });
      return {
        result: {
          id: member.id,
          partnerId: member.partnerId,
          purposes: member.purposes,
          addedAt: member.addedAt.toISOString(),
        },
        record: this.record(access, loaded, 'update', {
          fields: ['circle'],
          reason: `${partner.id} added to the circle of care for ${input.purposes.join(', ')}`,
        }),
      };
    });
  }

  async removeCircleMember(access: AccessContext, id: string, memberId: string) {
    return this.accessLog.audited(access, async (manager) => {
      const loaded = await this.load(manager, access, id, 'update', ['case-status']);
      if (loaded.careCase.custodianPartnerId !== access.principal.partnerId)
        throw new ProblemException('forbidden', 'Only the team that holds the case manages its circle of care');
      const member = await this.cases.findCircleMember(manager, id, memberId);
      if (!member) throw new ProblemException('not-found', 'No such member in this circle');
      if (member.partnerId === loaded.careCase.custodianPartnerId)
        throw new ProblemException('conflict', 'The holding team stays in the circle; hand the case over instead');
      await this.cases.removeCircleMember(manager, memberId);
      return {
        result: { id: memberId, removed: true },
        record: this.record(access, loaded, 'update', {
          fields: ['circle'],
          reason: `${member.partnerId} removed from the circle of care`,
        }),
      };
    });
  }
}
