import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from '../database/transaction.js';
import type { AccessContext } from '../access/access-context.js';
import { AccessService, type AccessTransaction } from '../access/access.service.js';
import type { Decision } from '../access/decision.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { decodeCursor, toPage } from '../common/http/pagination.js';
import { ProblemException } from '../common/problem/problem.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ClientsService } from '../clients/clients.service.js';
import { before } from '../common/time/clock.js';
import { ConsentService } from '../consent/consent.service.js';
import { AgreementsService } from '../partners/agreements/agreements.service.js';
import { PartnersService } from '../partners/partners.service.js';
import { ReviewsService } from '../oversight/reviews.service.js';
import { PolicyService } from '../policies/policy.service.js';
import { CaseFacts, type CaseRecord } from './case.facts.js';
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

/**
 * Cases: the follow-up by the team that accepted the referral, and what its circle of care may
 * see. Every read and write is decided by the access kernel on the facts CaseFacts loads (one
 * statement), and lands in the access log in the same transaction.
 */
@Injectable()
export class CasesService {
  private readonly contactListeners: ((manager: Transaction, referralId: string) => Promise<void>)[] = [];
  private readonly closedListeners: ((manager: Transaction, referralId: string) => Promise<void>)[] = [];

  constructor(
    private readonly cases: CasesRepository,
    private readonly caseFacts: CaseFacts,
    private readonly partners: PartnersService,
    private readonly agreements: AgreementsService,
    private readonly policy: PolicyService,
    private readonly access: AccessService,
    private readonly consent: ConsentService,
    private readonly reviews: ReviewsService,
    private readonly clients: ClientsService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Called when a team accepts a referral: the case opens with that team in its circle. */
  async openFromReferral(
    manager: Transaction,
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
    manager: Transaction,
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
   * The part of a case this decision lets leave the gateway, opened (decrypted) only now: the
   * granted categories' fields, and notes of granted categories only. Withheld groups are named.
   */
  disclosable(record: CaseRecord, decision: Decision) {
    const { cipher } = this.crypto;
    const data = record.data;
    if (!data) throw new Error('the case was loaded without its data');
    const allowed = new Set(decision.granted);
    const full: Record<string, unknown> = {
      status: record.status,
      endReason: record.endReason,
      referredAt: new Date(record.openedAt).toISOString(),
    };
    if (allowed.has('identity') && data.identitySealed)
      Object.assign(full, cipher.open<Record<string, unknown>>(data.identitySealed));
    if (allowed.has('contact') && data.contactSealed)
      Object.assign(full, cipher.open<Record<string, unknown>>(data.contactSealed));
    // The housing picture comes from the referral that opened the case (signals, eviction stage).
    if (allowed.has('housing') && data.housingSealed)
      Object.assign(full, cipher.open<Record<string, unknown>>(data.housingSealed));
    if (allowed.has('health') && data.healthSignalsSealed) full.healthSignals = cipher.open(data.healthSignalsSealed);
    // What the referrer said (tenant informed and how, urgency, who referred and their contact person).
    if (allowed.has('referral-context') && data.referral)
      Object.assign(full, {
        tenantInformed: data.referral.tenantInformed,
        tenantInformedNote: data.referral.tenantInformedNoteSealed
          ? cipher.open(data.referral.tenantInformedNoteSealed)
          : null,
        urgency: data.referral.urgency,
        referrerKind: data.referral.referrerKind,
        referrerPartnerId: data.referral.referrerPartnerId,
        referrerContact: cipher.open(data.referral.referrerContactSealed),
      });
    if (allowed.has('care-plan') && record.carePlanSealed) full.carePlan = cipher.open(record.carePlanSealed);
    if (allowed.has('crisis-plan') && record.crisisPlanSealed) full.crisisPlan = cipher.open(record.crisisPlanSealed);
    if (allowed.has('safety')) full.safetyFlags = record.safetyFlagsSealed ? cipher.open(record.safetyFlagsSealed) : [];
    const { data: projected, withheld } = this.access.project(full, decision);
    // Built by assignment, not spreads: this runs on every case read.
    const disclosed: Record<string, unknown> = projected;
    if (allowed.has('case-status')) {
      disclosed.history = data.transitions.map((t) => ({ ...t, at: new Date(t.at).toISOString() }));
      disclosed.contactAttempts = data.contactAttempts.map((a) => ({ ...a, at: new Date(a.at).toISOString() }));
      disclosed.circle = data.circle;
    }
    // A note is disclosed only in its own category, and recorded as that category (a health note is health).
    const notes: { id: string; category: string; text: string; at: string; by: string }[] = [];
    for (const n of data.notes)
      if (allowed.has(n.category))
        notes.push({
          id: n.id,
          category: n.category,
          text: cipher.open<string>(n.textSealed),
          at: new Date(n.at).toISOString(),
          by: n.partnerId,
        });
    const view = { ...disclosed, ...(notes.length > 0 ? { notes } : {}), withheld };
    // The manifest groups notes by category, so the log names each note's category truly.
    const categories: string[] = [];
    for (const note of notes) {
      const key = `notes:${note.category}`;
      if (!disclosed[key]) {
        disclosed[key] = [];
        categories.push(note.category);
      }
      (disclosed[key] as unknown[]).push(note);
    }
    return { view, disclosed, categories };
  }

  /** Another capability learns, in the same transaction, that a case opened by a referral was closed. */
  onClosed(listener: (manager: Transaction, referralId: string) => Promise<void>): void {
    this.closedListeners.push(listener);
  }

  /** Another capability learns, in the same transaction, that contact with the client was made. */
  onContactEstablished(listener: (manager: Transaction, referralId: string) => Promise<void>): void {
    this.contactListeners.push(listener);
  }

  /** Who a case concerns and who holds it (for refusals logged before any decision). */
  subjectOf(manager: Transaction, caseId: string) {
    return this.cases.subjectOf(manager, caseId);
  }

  /** This caller's facts about a case (one statement), for a capability that decides on it (an information request). */
  facts(manager: Transaction, access: AccessContext, id: string, options: { purpose?: string } = {}) {
    return this.caseFacts.load(manager, access, id, options);
  }

  /** Loads a case with this caller's facts (one statement) and its data, for a route that discloses it. */
  loadForDisclosure(manager: Transaction, access: AccessContext, id: string, purpose?: string) {
    return this.caseFacts.load(manager, access, id, { purpose, data: true });
  }

  async get(access: AccessContext, id: string) {
    return this.access.run(access, async (tx) => {
      const { subject, record, facts } = await this.caseFacts.load(tx.manager, access, id, { data: true });
      if (!record) return tx.notFound(subject, 'read', 'no such case');
      const decision = await tx.require({ subject, action: 'read', facts });
      const { view, disclosed, categories } = this.disclosable(record, decision);
      // The holding team gets the client's opaque id (for the client's consents): the console's
      // consent form needs it, and no one outside the team sees it.
      const holder = record.custodianPartnerId === access.principal.partnerId;
      return tx.complete({ id, ...(holder ? { clientId: record.clientId } : {}), ...view }, decision, {
        disclosed,
        categories,
      });
    });
  }

  async list(access: AccessContext, limit: number, cursor: string | undefined) {
    const isPosition = (v: unknown): v is { openedAt: string; id: string } =>
      typeof v === 'object' &&
      v !== null &&
      !Number.isNaN(Date.parse(String((v as { openedAt?: unknown }).openedAt))) &&
      /^[0-9a-f-]{36}$/.test(String((v as { id?: unknown }).id));
    const after = decodeCursor(cursor, isPosition);
    return this.access.run(access, async (tx) => {
      // Which cases: the policy's scope for the case status, as SQL before the LIMIT.
      const scope = tx.scope({ type: 'Case', action: 'read', categories: ['case-status'] }, this.cases.factSql(access));
      const rows = await this.cases.listInScope(tx.manager, scope, after, limit + 1);
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
      const decision = tx.decideList({ type: 'Case', action: 'read', categories: ['case-status'] });
      return tx.complete(page, decision, {
        reason: 'case list (status only)',
        disclosed: { cases: page.items.map((i) => i.id) },
        categories: page.items.length > 0 ? ['case-status'] : [],
      });
    });
  }

  /** Loads the case for a change (row locked) and requires the policy's permit for these categories. */
  private async requireUpdate(tx: AccessTransaction, access: AccessContext, id: string, categories: string[]) {
    const { subject, record, facts } = await this.caseFacts.load(tx.manager, access, id, { lock: true });
    if (!record) return tx.notFound(subject, 'update', 'no such case');
    const decision = await tx.require({ subject, action: 'update', facts, categories }, { explain: true });
    const refused = categories.filter((c) => !decision.granted.includes(c));
    if (refused.length > 0) throw new ProblemException('forbidden', `Not permitted to write: ${refused.join(', ')}`);
    return { record, decision };
  }

  async transition(access: AccessContext, id: string, input: TransitionDto) {
    return this.access.run(access, async (tx) => {
      const { record, decision } = await this.requireUpdate(tx, access, id, ['case-status']);
      const from = record.status;
      const to = input.to as CaseStatus;
      if (!TRANSITIONS[from].includes(to)) {
        throw new ProblemException(
          'conflict',
          `A case cannot go from ${from} to ${to}${from === 'closed' ? ' (a closed case reopens through a new referral)' : ''}`,
          { from, allowed: TRANSITIONS[from] },
        );
      }
      const at = new Date();
      await this.cases.setStatus(tx.manager, id, to, to === 'closed' ? (input.endReason ?? null) : null);
      await this.cases.addTransition(tx.manager, {
        caseId: id,
        fromStatus: from,
        toStatus: to,
        endReason: input.endReason ?? null,
        reasonSealed: input.reason ? this.crypto.cipher.seal(input.reason) : null,
        at,
        partnerId: access.principal.partnerId,
        userSub: access.principal.subject,
      });
      if (to === 'closed' && record.referralId)
        for (const listener of this.closedListeners) await listener(tx.manager, record.referralId);
      return tx.complete({ id, status: to, from, at: at.toISOString() }, decision, {
        written: ['status', ...(input.endReason ? ['endReason'] : []), ...(input.reason ? ['reason'] : [])],
        categories: ['case-status'],
      });
    });
  }

  async addContactAttempt(access: AccessContext, id: string, input: ContactAttemptDto) {
    return this.access.run(access, async (tx) => {
      const { record, decision } = await this.requireUpdate(tx, access, id, ['case-status']);
      // Open question 3: asking the client's network for help without the client's knowledge is the network's call.
      if (
        input.channel === 'via-network' &&
        input.clientKnows === false &&
        !this.policy.policy.switches.contactViaNetworkWithoutKnowledge
      )
        throw new ProblemException(
          'unprocessable',
          "contact attempt via-network without the client's knowledge: the network does not allow it (contactViaNetworkWithoutKnowledge: false)",
          { missing: ["the client's knowledge of the contact through their network"] },
        );
      const attempt = await this.cases.addContactAttempt(tx.manager, {
        caseId: id,
        at: new Date(input.at),
        channel: input.channel,
        outcome: input.outcome,
        clientKnows: input.channel === 'via-network' ? (input.clientKnows ?? null) : null,
        partnerId: access.principal.partnerId,
        userSub: access.principal.subject,
      });
      // What may flow back to the referrer: that contact was made (the referrals capability records it).
      if (input.outcome === 'contact' && record.referralId)
        for (const listener of this.contactListeners) await listener(tx.manager, record.referralId);
      return tx.complete(
        { id: attempt.id, at: attempt.at.toISOString(), channel: attempt.channel, outcome: attempt.outcome },
        decision,
        {
          written: ['contactAttempt'],
          categories: ['case-status'],
          // The channel (and, through the network, whether the client knew) is part of the record.
          reason: `contact attempt, channel ${input.channel}${input.channel === 'via-network' ? (input.clientKnows ? ', client knows' : ", without the client's knowledge") : ''} (rule ${decision.rule?.id})`,
        },
      );
    });
  }

  async putCarePlan(access: AccessContext, id: string, input: CarePlanDto) {
    const categories = [
      'care-plan',
      ...(input.crisisPlan !== undefined ? ['crisis-plan'] : []),
      ...(input.safetyFlags !== undefined ? ['safety'] : []),
    ];
    return this.access.run(access, async (tx) => {
      const { decision } = await this.requireUpdate(tx, access, id, categories);
      const { cipher } = this.crypto;
      await this.cases.setPlans(tx.manager, id, {
        carePlanSealed: cipher.seal(input.domains),
        ...(input.crisisPlan !== undefined ? { crisisPlanSealed: cipher.seal(input.crisisPlan) } : {}),
        ...(input.safetyFlags !== undefined ? { safetyFlagsSealed: cipher.seal(input.safetyFlags) } : {}),
      });
      return tx.complete({ id, updated: categories }, decision, {
        written: [
          'carePlan',
          ...(input.crisisPlan !== undefined ? ['crisisPlan'] : []),
          ...(input.safetyFlags !== undefined ? ['safetyFlags'] : []),
        ],
        categories,
      });
    });
  }

  async addNote(access: AccessContext, id: string, input: CaseNoteDto) {
    return this.access.run(access, async (tx) => {
      const { decision } = await this.requireUpdate(tx, access, id, [input.category]);
      const note = await this.cases.addNote(tx.manager, {
        caseId: id,
        category: input.category,
        textSealed: this.crypto.cipher.seal(input.text),
        at: new Date(),
        partnerId: access.principal.partnerId,
        userSub: access.principal.subject,
      });
      return tx.complete({ id: note.id, category: note.category, at: note.at.toISOString() }, decision, {
        written: ['notes'],
        categories: [input.category],
        reason: `note tagged ${input.category}`,
      });
    });
  }

  /** Break-the-glass for the crisis purpose: a short grant for this user, and an item in the review queue. */
  async breakTheGlass(access: AccessContext, id: string, justification: string) {
    if (access.purpose !== 'crisis')
      throw new ProblemException('validation-failed', 'Emergency access is for the crisis purpose only', {
        errors: [{ pointer: '/headers/x-purpose', detail: 'must be crisis' }],
      });
    return this.access.run(access, async (tx) => {
      const loaded = await this.caseFacts.load(tx.manager, access, id);
      const subject = { ...loaded.subject, type: 'EmergencyAccess' as const };
      if (!loaded.record) return tx.notFound(subject, 'create', 'no such case');
      // Who may break the glass is the policy's: the holding team, or a partner in the circle for any purpose.
      const decision = await tx.require({
        subject,
        action: 'create',
        facts: {
          visible: loaded.facts.visible,
          ownOrganisation: loaded.facts.ownOrganisation,
          inCircle: loaded.facts.visible && !loaded.facts.ownOrganisation,
        },
      });
      const careCase = loaded.record;
      const me = access.principal.partnerId;
      const expiresAt = new Date(Date.now() + this.config.breakTheGlassHours * 3_600_000);
      const { cipher } = this.crypto;
      const grant = await this.cases.addGrant(tx.manager, {
        caseId: id,
        partnerId: me,
        userSub: access.principal.subject,
        justificationSealed: cipher.seal(justification),
        expiresAt,
      });
      // The grant and its review item, together: an override never escapes review.
      const review = await this.reviews.openEmergencyReview(tx.manager, {
        grantId: grant.id,
        caseId: id,
        clientId: careCase.clientId,
        actorPartnerId: me,
        custodianPartnerId: careCase.custodianPartnerId,
        summary: {
          user: access.principal.subject,
          roles: access.principal.roles,
          justification,
          expiresAt: expiresAt.toISOString(),
        },
      });
      return tx.complete(
        {
          grantId: grant.id,
          caseId: id,
          purpose: 'crisis',
          categories: ['identity', 'contact', 'health', 'crisis-plan', 'safety'],
          expiresAt: expiresAt.toISOString(),
          reviewItemId: review.id,
        },
        decision,
        {
          resourceId: grant.id,
          reason: 'break-the-glass grant opened; in the review queue',
          written: [],
          emergency: { grantId: grant.id, reviewItemId: review.id },
        },
      );
    });
  }

  /**
   * Warm handover: coordination moves to a follow-up partner in the circle, with the client's
   * consent for the handover; the previous team keeps reading for the aftercare period.
   */
  async handover(access: AccessContext, id: string, toPartnerId: string) {
    return this.access.run(access, async (tx) => {
      const { record, decision } = await this.requireUpdate(tx, access, id, ['case-status']);
      const from = record.custodianPartnerId;
      const target = await this.partners.find(toPartnerId);
      if (!target || target.id === from)
        throw new ProblemException('validation-failed', 'Not a partner to hand over to', {
          errors: [{ pointer: '/toPartnerId', detail: 'unknown partner, or the holding team itself' }],
        });
      if (!(await this.cases.inCircleForAnyPurpose(tx.manager, id, target.id))) {
        throw new ProblemException('unprocessable', `${target.id} is not in the circle of care`, {
          missing: ["membership of the client's circle of care"],
        });
      }
      // The two organisations must have agreed on handing over (a cooperation agreement covering it).
      const agreement = await this.agreements.inForceId(tx.manager, [from, target.id], 'warm-handover');
      if (!agreement) {
        throw new ProblemException('unprocessable', `No agreement with ${target.id} covers a warm handover`, {
          missing: [`a cooperation agreement between ${from} and ${target.id} for warm-handover, in force today`],
        });
      }
      const consents = await this.consent.inForceFor(
        tx.manager,
        record.clientId,
        { partnerId: target.id, partnerType: target.type },
        'warm-handover',
      );
      const permits = consents.filter((c) => c.effect === 'permit');
      if (permits.length === 0 || consents.some((c) => c.effect === 'deny')) {
        throw new ProblemException('unprocessable', `The client has not consented to a handover to ${target.id}`, {
          missing: ["the client's consent for the warm handover to this partner"],
        });
      }
      const until = new Date(Date.now() + this.config.aftercareDays * 86_400_000);
      await this.cases.startAftercare(tx.manager, id, from, until);
      await this.cases.setCustodian(tx.manager, id, target.id);
      await this.clients.moveCustody(tx.manager, record.clientId, from, target.id);
      return tx.complete({ id, from, to: target.id, aftercareUntil: until.toISOString() }, decision, {
        written: ['custodian'],
        categories: ['case-status'],
        consentIds: permits.map((c) => c.id),
        agreementId: agreement.id,
        custodianPartnerId: target.id,
        reason: `warm handover from ${from} to ${target.id}`,
      });
    });
  }

  async addCircleMember(access: AccessContext, id: string, input: CircleMemberDto) {
    const partner = await this.partners.find(input.partnerId);
    if (!partner || partner.status !== 'active')
      throw new ProblemException('validation-failed', 'Unknown partner', {
        errors: [{ pointer: '/partnerId', detail: 'no active partner with this id' }],
      });
    const unknown = input.purposes.map((p, i) => ({ p, i })).filter(({ p }) => !this.policy.isKnownPurpose(p));
    if (unknown.length)
      throw new ProblemException('validation-failed', 'Unknown purpose', {
        errors: unknown.map(({ i }) => ({ pointer: `/purposes/${i}`, detail: 'not a purpose of the network policy' })),
      });
    if (input.profession !== undefined && !this.policy.isKnownProfession(input.profession))
      throw new ProblemException('validation-failed', 'Unknown profession', {
        errors: [{ pointer: '/profession', detail: 'not a profession of the network policy' }],
      });
    return this.access.run(access, async (tx) => {
      const { record, decision } = await this.requireUpdate(tx, access, id, ['case-status']);
      // The circle shares professional secrecy: only partners with a care mission belong in it.
      if (!this.policy.hasCareMission(partner.type))
        throw new ProblemException(
          'unprocessable',
          `A ${partner.type} has no care mission and is not in a circle of care`,
          {
            missing: ['a partner whose staff are bound by professional secrecy (partner-trust.yaml)'],
          },
        );
      if (input.profession !== undefined) {
        const opened = [
          ...new Set(input.purposes.flatMap((p) => this.policy.specialCategoriesOpened(partner.type, p))),
        ];
        if (!this.policy.mayHoldProfession(partner.type, input.profession))
          throw new ProblemException('unprocessable', `A ${partner.type} does not employ a ${input.profession}`, {
            missing: [`a profession a ${partner.type} may assert (partner-trust.yaml)`],
          });
        if (opened.length > 0 && !this.policy.isProfessionalSecrecy(input.profession))
          throw new ProblemException(
            'unprocessable',
            `These purposes would open ${opened.join(', ')} to a ${input.profession}, who is not bound by professional secrecy`,
            {
              missing: [
                'a profession bound by professional secrecy (roles.yaml), or purposes that open no special-category data',
              ],
            },
          );
      }
      // Shared secrecy needs a cooperation agreement between the two partners for each purpose.
      for (const purpose of input.purposes) {
        // On the transaction's own connection: a second pool connection per request can exhaust the pool.
        if (!(await this.agreements.inForceId(tx.manager, [record.custodianPartnerId, partner.id], purpose))) {
          throw new ProblemException(
            'unprocessable',
            `No cooperation agreement in force with ${partner.id} for ${purpose}`,
            {
              missing: ['a cooperation agreement in force between both partners for this purpose'],
            },
          );
        }
      }
      const member = await this.cases.addCircleMember(tx.manager, {
        caseId: id,
        partnerId: partner.id,
        purposes: input.purposes,
        responsibleProfessional: null,
        profession: input.profession ?? null,
      });
      return tx.complete(
        {
          id: member.id,
          partnerId: member.partnerId,
          purposes: member.purposes,
          profession: member.profession,
          addedAt: member.addedAt.toISOString(),
        },
        decision,
        {
          written: ['circle', ...(input.profession ? ['profession'] : [])],
          categories: ['case-status'],
          reason: `${partner.id} added to the circle of care for ${input.purposes.join(', ')}`,
        },
      );
    });
  }

  async removeCircleMember(access: AccessContext, id: string, memberId: string) {
    return this.access.run(access, async (tx) => {
      const { record, decision } = await this.requireUpdate(tx, access, id, ['case-status']);
      const member = await this.cases.findCircleMember(tx.manager, id, memberId);
      if (!member) throw new ProblemException('not-found', 'No such member in this circle');
      if (member.partnerId === record.custodianPartnerId)
        throw new ProblemException('conflict', 'The holding team stays in the circle; hand the case over instead');
      await this.cases.removeCircleMember(tx.manager, memberId);
      return tx.complete({ id: memberId, removed: true }, decision, {
        written: ['circle'],
        categories: ['case-status'],
        reason: `${member.partnerId} removed from the circle of care`,
      });
    });
  }

  /** A client's cases, opened, for the client's own copy (art. 20). */
  async exportFor(manager: Transaction, clientId: string): Promise<unknown[]> {
    const { cipher } = this.crypto;
    const open = (sealed: unknown) => (typeof sealed === 'string' ? cipher.open(sealed) : null);
    return (await this.cases.exportRows(manager, clientId)).map((c) => ({
      id: c.id,
      heldBy: c.custodian_partner_id,
      status: c.status,
      endReason: c.end_reason,
      openedAt: new Date(c.opened_at as string).toISOString(),
      carePlan: open(c.care_plan_sealed),
      crisisPlan: open(c.crisis_plan_sealed),
      safetyFlags: open(c.safety_flags_sealed) ?? [],
      notes: (c.notes as { category: string; textSealed: string; at: string }[]).map((n) => ({
        category: n.category,
        text: cipher.open<string>(n.textSealed),
        at: new Date(n.at).toISOString(),
      })),
      history: c.transitions,
      contactAttempts: c.contact_attempts,
    }));
  }

  /** Art. 17: the cases' plans, flags, notes, transition reasons and break-the-glass justifications. */
  eraseFor(manager: Transaction, clientId: string): Promise<number> {
    return this.cases.eraseForClient(manager, clientId, this.crypto.cipher.seal(''));
  }

  /** The ids of a client's cases (closed ones too), for a capability that keeps records per case. */
  caseIdsOf(manager: Transaction, clientId: string): Promise<string[]> {
    return this.cases.caseIdsOf(manager, clientId);
  }

  /** A case that still runs is a care relation the team must close first: its data is not erased under it. */
  async blocksErasure(manager: Transaction, clientId: string): Promise<string | null> {
    const open = await this.cases.openCasesOf(manager, clientId);
    return open > 0 ? `${open} case(s) of this client are still open; close them first` : null;
  }

  /** Clients whose case data is past its retention (purposes.yaml, counted from the last closing). */
  expiredClients(manager: Transaction, now: Date): Promise<string[]> {
    return this.cases.clientsClosedBefore(manager, before(now, this.policy.retentionFor(['Case'])));
  }
}
