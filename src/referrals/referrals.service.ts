import { Inject, Injectable } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import { ClientsService } from '../clients/clients.service.js';
import { ReferralFacts, type ReferralRecord } from './referral.facts.js';
import type { AccessContext } from '../access/access-context.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { normaliseNationalNumber } from '../common/crypto/national-number.js';
import { decodeCursor, toPage, type Page } from '../common/http/pagination.js';
import { ProblemException } from '../common/problem/problem.js';
import { before } from '../common/time/clock.js';
import { AgreementsService } from '../partners/agreements/agreements.service.js';
import { CasesService } from '../cases/cases.service.js';
import { PartnersService } from '../partners/partners.service.js';
import { PolicyService } from '../policies/policy.service.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import type { Transaction } from '../database/transaction.js';
import {
  CLINICAL_SIGNALS,
  type CreateReferralDto,
  type ReferralDecisionDto,
  type ReferralListQuery,
} from './dto/referral.dto.js';
import type { Referral } from './referral.entity.js';
import { ReferralsRepository } from './referrals.repository.js';

/** Fields a referral stores, as the log names them. */
const STORED_FIELDS = [
  'givenName',
  'familyName',
  'birthDate',
  'nationalNumber',
  'language',
  'phone',
  'address',
  'signals',
  'healthSignals',
  'evictionStage',
  'notes',
  'status',
  'tenantInformed',
  'tenantInformedNote',
  'urgency',
  'referrerKind',
  'referrerPartnerId',
  'referrerContact',
  'externalReference',
];

/** Partner types that receive referrals: the outreach teams and the CAW as joint referral point. */
const RECEIVERS = ['outreach-team', 'mobile-team', 'housing-first-team', 'caw'];

type Position = { createdAt: string; id: string };
const isPosition = (v: unknown): v is Position =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Position).createdAt === 'string' &&
  !Number.isNaN(Date.parse((v as Position).createdAt)) &&
  /^[0-9a-f-]{36}$/.test(String((v as Position).id));

/**
 * Referrals: housing partners refer, the receiving team decides. Every read and write goes
 * through the policy and lands in the access log in the same transaction; personal fields are
 * sealed at rest and opened only after the policy permitted them.
 */
@Injectable()
export class ReferralsService {
  constructor(
    private readonly referrals: ReferralsRepository,
    private readonly facts: ReferralFacts,
    private readonly partners: PartnersService,
    private readonly agreements: AgreementsService,
    private readonly clients: ClientsService,
    private readonly access: AccessService,
    private readonly cases: CasesService,
    private readonly policy: PolicyService,
    private readonly notifications: NotificationsService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  /** The reason codes a team may give (policies/referral-reasons.yaml), with their labels: vocabulary, no client data. */
  reasons() {
    return {
      items: this.policy.policy.referralReasons.map((r) => ({ id: r.id, decisions: r.decisions, label: r.label })),
    };
  }

  /** Where a redirect points and why a referral was redirected or declined, as the referrer may read it. */
  private async outcomeOf(referral: {
    redirectedTo: string | null;
    redirectedToPartnerId: string | null;
    reasonCode: string | null;
  }) {
    const partner = referral.redirectedToPartnerId ? await this.partners.find(referral.redirectedToPartnerId) : null;
    const reason = referral.reasonCode ? this.policy.referralReason(referral.reasonCode) : undefined;
    return {
      redirectedTo:
        referral.redirectedTo || referral.redirectedToPartnerId
          ? {
              partnerId: referral.redirectedToPartnerId,
              name: partner?.name ?? referral.redirectedTo ?? referral.redirectedToPartnerId,
              service: referral.redirectedTo,
            }
          : null,
      reasonCode: referral.reasonCode,
      reasonLabel: reason?.label ?? null,
    };
  }

  async create(access: AccessContext, input: CreateReferralDto) {
    const target = await this.partners.find(input.targetPartnerId);
    if (!target || !RECEIVERS.includes(target.type) || target.status !== 'active') {
      throw new ProblemException('validation-failed', 'The target does not receive referrals', {
        errors: [{ pointer: '/targetPartnerId', detail: 'not an active outreach team or joint referral point' }],
      });
    }
    const me = access.principal.partnerId;
    const kind = input.referrerKind ?? 'organisation';
    const onBehalf = kind !== 'organisation';
    // A person without an organisation never signs in: the receiving team registers for them, at itself.
    if (onBehalf && target.id !== me)
      throw new ProblemException(
        'validation-failed',
        'Only the receiving team registers a referral on behalf of a person',
        {
          errors: [{ pointer: '/referrerKind', detail: `${kind}: targetPartnerId must be your own team` }],
        },
      );
    if (!onBehalf && target.id === me)
      throw new ProblemException('validation-failed', 'A team does not refer to itself', {
        errors: [
          {
            pointer: '/targetPartnerId',
            detail: "to register a person's own referral, set referrerKind (self, family, other-person)",
          },
        ],
      });
    if (kind === 'self' && input.tenantInformed !== 'yes')
      throw new ProblemException('validation-failed', 'A person who refers themselves knows of it', {
        errors: [{ pointer: '/tenantInformed', detail: 'must be yes for a self-referral' }],
      });
    // Clinical signals are health data: kept apart, in the health category (write-only for a referrer).
    const housingSignals = input.signals.filter((s) => !CLINICAL_SIGNALS.includes(s));
    const healthSignals = input.signals.filter((s) => CLINICAL_SIGNALS.includes(s));
    // Only the categories this referral really carries are asked for, written and logged.
    const written = [
      'identity',
      ...(input.tenant.phone || input.tenant.address ? ['contact'] : []),
      'housing',
      ...(input.description ? ['narrative'] : []),
      'case-status',
      'referral-context',
      ...(healthSignals.length > 0 ? ['health'] : []),
    ];
    const { cipher } = this.crypto;
    return this.access.run(access, async (tx) => {
      const agreement = onBehalf
        ? null
        : await this.agreements.inForceId(tx.manager, [access.principal.partnerId, target.id], 'referral');
      const subject = { type: 'Referral' as const, custodianPartnerId: target.id };
      const decision = await tx.require(
        {
          subject,
          action: 'create',
          categories: written,
          facts: { visible: true, agreement, tenantInformed: input.tenantInformed, ownOrganisation: onBehalf },
        },
        { explain: true },
      );
      const allowed = new Set(decision.granted);
      const nationalNumber =
        allowed.has('identity') && input.tenant.nationalNumber
          ? normaliseNationalNumber(input.tenant.nationalNumber)
          : undefined;
      const index = nationalNumber ? this.crypto.blindIndex('national-number', nationalNumber) : null;
      const identity = allowed.has('identity')
        ? {
            givenName: input.tenant.givenName ?? null,
            familyName: input.tenant.familyName ?? null,
            birthDate: input.tenant.birthDate ?? null,
            language: input.tenant.language ?? null,
          }
        : {};
      const contact =
        allowed.has('contact') && (input.tenant.phone || input.tenant.address)
          ? { phone: input.tenant.phone ?? null, address: input.tenant.address ?? null }
          : null;
      const knownClient = index ? await this.clients.teamKnowsNationalNumber(tx.manager, target.id, index) : false;
      const client = await this.clients.register(tx.manager, {
        custodianPartnerId: target.id,
        identitySealed: cipher.seal(identity),
        contactSealed: contact ? cipher.seal(contact) : null,
        nationalNumberSealed: nationalNumber ? cipher.seal(nationalNumber) : null,
        nationalNumberIndex: index,
      });
      const referral = await this.referrals.insertReferral(tx.manager, {
        clientId: client.id,
        referrerPartnerId: access.principal.partnerId,
        referrerUser: access.principal.subject,
        targetPartnerId: target.id,
        status: 'submitted',
        housingSealed: cipher.seal(
          allowed.has('housing') ? { signals: housingSignals, evictionStage: input.evictionStage } : {},
        ),
        healthSignalsSealed: allowed.has('health') && healthSignals.length > 0 ? cipher.seal(healthSignals) : null,
        descriptionSealed: allowed.has('narrative') && input.description ? cipher.seal(input.description) : null,
        referrerKind: kind,
        externalReference: input.externalReference ?? null,
        tenantInformed: input.tenantInformed,
        tenantInformedNoteSealed:
          allowed.has('referral-context') && input.tenantInformedNote ? cipher.seal(input.tenantInformedNote) : null,
        urgency: input.urgency ?? 'normal',
        referrerContactSealed: cipher.seal(allowed.has('referral-context') ? (input.contact ?? null) : null),
        knownClient,
      });
      const withheld = decision.withheld.map(({ category, reason }) => ({ category, reason }));
      const stored = decision.grantedFields.filter(
        (f) =>
          STORED_FIELDS.includes(f) &&
          (f !== 'tenantInformedNote' || input.tenantInformedNote !== undefined) &&
          (f !== 'referrerContact' || input.contact !== undefined) &&
          (f !== 'externalReference' || input.externalReference !== undefined) &&
          (f !== 'healthSignals' || healthSignals.length > 0),
      );
      return tx.complete(
        {
          id: referral.id,
          status: referral.status,
          externalReference: referral.externalReference,
          createdAt: referral.createdAt.toISOString(),
          withheld,
        },
        decision,
        {
          resourceId: referral.id,
          clientId: client.id,
          written: stored,
          categories: written.filter((c) => allowed.has(c)),
          reason: `referral submitted (rule ${decision.rule?.id})`,
        },
      );
    });
  }

  async get(access: AccessContext, id: string) {
    return this.access.run(access, async (tx) => {
      const { subject, record, facts } = await this.facts.load(tx.manager, access, id);
      if (!record) return tx.notFound(subject, 'read', 'no such referral');
      const decision = await tx.require({ subject, action: 'read', facts });
      const { referral } = record;
      const me = access.principal.partnerId;
      const forTeam = me === referral.targetPartnerId;
      const full = await this.fullRecord(record, new Set(decision.granted), forTeam);
      const { data, withheld } = this.access.project(full, decision);
      // Every withheld group is named with its reason, so a referrer knows clinical content exists but is not theirs.
      const view = {
        id: referral.id,
        ...data,
        ...(forTeam ? { knownClient: referral.knownClient, clientId: referral.clientId } : {}),
        withheld,
      };
      return tx.complete(view, decision, { disclosed: data, reason: `referral read (rule ${decision.rule?.id})` });
    });
  }

  /** Status fields always; personal fields opened only for categories the policy granted. */
  private async fullRecord(
    record: ReferralRecord,
    allowed: Set<string>,
    forTeam: boolean,
  ): Promise<Record<string, unknown>> {
    const { cipher } = this.crypto;
    const { referral, client } = record;
    const full: Record<string, unknown> = {
      status: referral.status,
      decision: referral.status === 'submitted' ? null : referral.status,
      contactEstablished: referral.contactEstablished,
      referredAt: new Date(referral.createdAt).toISOString(),
      decidedAt: referral.decidedAt ? new Date(referral.decidedAt).toISOString() : null,
      closedAt: referral.caseClosedAt ? new Date(referral.caseClosedAt).toISOString() : null,
      externalReference: referral.externalReference,
      ...(await this.outcomeOf(referral)),
    };
    if (!forTeam) return full;
    if (client?.identitySealed && allowed.has('identity'))
      Object.assign(full, cipher.open<Record<string, unknown>>(client.identitySealed), {
        nationalNumber: client.nationalNumberSealed ? cipher.open(client.nationalNumberSealed) : null,
      });
    if (client?.contactSealed && allowed.has('contact'))
      Object.assign(full, cipher.open<Record<string, unknown>>(client.contactSealed));
    if (allowed.has('housing')) Object.assign(full, cipher.open<Record<string, unknown>>(referral.housingSealed));
    if (allowed.has('health'))
      full.healthSignals = referral.healthSignalsSealed ? cipher.open(referral.healthSignalsSealed) : [];
    if (allowed.has('narrative'))
      full.notes = referral.descriptionSealed ? cipher.open(referral.descriptionSealed) : null;
    // What the referrer said about the referral itself, for the team that receives it.
    if (allowed.has('referral-context'))
      Object.assign(full, {
        tenantInformed: referral.tenantInformed,
        tenantInformedNote: referral.tenantInformedNoteSealed ? cipher.open(referral.tenantInformedNoteSealed) : null,
        urgency: referral.urgency,
        referrerKind: referral.referrerKind,
        referrerPartnerId: referral.referrerPartnerId,
        referrerContact: cipher.open(referral.referrerContactSealed),
      });
    return full;
  }

  async list(access: AccessContext, query: ReferralListQuery): Promise<Page<Record<string, unknown>>> {
    const after = decodeCursor(query.cursor, isPosition);
    const limit = query.limit ?? 50;
    const filter = {
      status: query.status,
      from: instantOf(query.from, '/from'),
      to: instantOf(query.to, '/to'),
      reference: query.reference,
    };
    const me = access.principal.partnerId;
    return this.access.run(access, async (tx) => {
      const scope = tx.scope(
        { type: 'Referral', action: 'read', categories: ['case-status'] },
        this.facts.factSql(access),
      );
      // What the referrer said (urgency, whether the team knows the client) only where the policy
      // grants `referral-context` for that row — and then the log says it was disclosed.
      const context = tx.scope(
        { type: 'Referral', action: 'read', categories: ['referral-context'] },
        this.facts.factSql(access),
        'context',
      );
      const rows = await this.referrals.listInScope(tx.manager, scope, filter, after, limit + 1, context);
      // Lists carry status only (no personal fields): open one referral to see more.
      const page = toPage(
        rows,
        limit,
        (r) => ({
          id: r.id,
          status: r.status,
          referredAt: r.createdAt.toISOString(),
          decidedAt: r.decidedAt?.toISOString() ?? null,
          contactEstablished: r.contactEstablished,
          closedAt: r.caseClosedAt?.toISOString() ?? null,
          externalReference: r.externalReference,
          reasonCode: r.reasonCode,
          role: r.targetPartnerId === me ? 'receiver' : 'referrer',
          // The referrer chose the team itself; the team sees urgency and whether it knows the client.
          ...(r.targetPartnerId === me ? {} : { targetPartnerId: r.targetPartnerId }),
          ...(r.targetPartnerId === me && r.contextVisible ? { urgency: r.urgency, knownClient: r.knownClient } : {}),
        }),
        (r) => ({ createdAt: r.createdAt.toISOString(), id: r.id }),
      );
      const withContext = page.items.some((i) => 'urgency' in i);
      const categories = withContext ? ['case-status', 'referral-context'] : ['case-status'];
      const decision = tx.decideList({ type: 'Referral', action: 'read', categories });
      return tx.complete(page, decision, {
        reason: withContext ? "referral list (status; urgency of the team's own)" : 'referral list (status only)',
        disclosed: { referrals: page.items.map((i) => i.id) },
        categories: page.items.length > 0 ? categories : [],
      });
    });
  }

  async decide(access: AccessContext, id: string, input: ReferralDecisionDto) {
    return this.access.run(access, async (tx) => {
      const { subject, record, facts } = await this.facts.load(tx.manager, access, id, { lock: true });
      if (!record) return tx.notFound(subject, 'decide', 'no such referral');
      // Only the receiving team decides (rule team-receives-referral): the referrer is a party but not the receiver.
      const receiver = record.referral.targetPartnerId === access.principal.partnerId;
      const decision = await tx.require({
        subject,
        action: 'decide',
        categories: ['case-status'],
        facts: { ...facts, ownOrganisation: receiver, visible: facts.visible },
      });
      const referral = record.referral;
      if (referral.status !== 'submitted') {
        throw new ProblemException('conflict', `This referral was already ${referral.status}`);
      }
      const advised = await this.checkOutcome(input, referral.targetPartnerId);
      let caseId: string | null = null;
      let reopened = false;
      if (input.decision === 'accept') {
        // A client the team already knows keeps one record and one case history.
        const earlier =
          referral.knownClient && record.client?.nationalNumberIndex
            ? await this.clients.findEarlierClient(
                tx.manager,
                referral.targetPartnerId,
                record.client.nationalNumberIndex,
                referral.clientId,
              )
            : null;
        if (earlier) referral.clientId = earlier.id;
        const opened = await this.cases.openOrReopen(tx.manager, {
          clientId: referral.clientId,
          custodianPartnerId: referral.targetPartnerId,
          referralId: referral.id,
          responsible: access.principal.subject,
          by: access,
        });
        caseId = opened.careCase.id;
        reopened = opened.reopened;
      }
      referral.status =
        input.decision === 'accept' ? 'accepted' : input.decision === 'redirect' ? 'redirected' : 'declined';
      referral.redirectedTo = input.decision === 'redirect' ? (input.redirectTo ?? null) : null;
      referral.redirectedToPartnerId = input.decision === 'redirect' ? (advised?.id ?? null) : null;
      referral.reasonCode = input.decision === 'accept' ? null : (input.reasonCode ?? null);
      referral.decisionReasonSealed = input.reason ? this.crypto.cipher.seal(input.reason) : null;
      referral.decidedAt = new Date();
      referral.caseId = caseId;
      await this.referrals.saveReferral(tx.manager, referral);
      await this.tellReferrer(tx.manager, referral, referral.status);
      return tx.complete(
        {
          id,
          status: referral.status,
          decidedAt: referral.decidedAt.toISOString(),
          caseId,
          reopened,
          ...(await this.outcomeOf(referral)),
        },
        decision,
        {
          clientId: referral.clientId,
          reason: `referral ${referral.status}`,
          categories: ['case-status'],
          written: [
            'status',
            ...(caseId ? ['caseId'] : []),
            ...(referral.redirectedTo || referral.redirectedToPartnerId ? ['redirectedTo'] : []),
            ...(referral.reasonCode ? ['reasonCode'] : []),
            ...(input.reason ? ['decisionReason'] : []),
          ],
        },
      );
    });
  }

  /**
   * A reason code must be one the network lists for this decision; a partner advised instead must
   * be registered, active and another than the team itself. Checked before anything changes (400).
   */
  private async checkOutcome(input: ReferralDecisionDto, team: string) {
    if (input.decision === 'accept') {
      if (input.reasonCode !== undefined || input.redirectTo !== undefined || input.redirectToPartnerId !== undefined)
        throw new ProblemException('validation-failed', 'An accepted referral has no redirect and no reason code', {
          errors: [{ pointer: '/decision', detail: 'accept takes no redirectTo, redirectToPartnerId or reasonCode' }],
        });
      return null;
    }
    if (input.decision === 'decline' && (input.redirectTo !== undefined || input.redirectToPartnerId !== undefined))
      throw new ProblemException('validation-failed', 'A declined referral is not redirected', {
        errors: [{ pointer: '/redirectTo', detail: 'use decision redirect to advise another service' }],
      });
    if (input.reasonCode !== undefined && !this.policy.referralReason(input.reasonCode, input.decision)) {
      const allowed = this.policy.policy.referralReasons
        .filter((r) => r.decisions.includes(input.decision as 'redirect' | 'decline'))
        .map((r) => r.id);
      throw new ProblemException('validation-failed', 'Unknown reason code', {
        errors: [
          { pointer: '/reasonCode', detail: `not a reason for ${input.decision}: one of ${allowed.join(', ')}` },
        ],
      });
    }
    if (input.redirectToPartnerId === undefined) return null;
    const partner = await this.partners.find(input.redirectToPartnerId);
    if (!partner || partner.status !== 'active' || partner.id === team || partner.operator)
      throw new ProblemException('validation-failed', 'The advised partner is not an active partner of the network', {
        errors: [{ pointer: '/redirectToPartnerId', detail: 'not an active partner other than your own team' }],
      });
    return partner;
  }

  /**
   * Tells the referring organisation (its notifications, and a signed webhook when it registered
   * one) that its referral's status changed: ids, the status, its own reference and a reason code,
   * never client data. Nobody is told for a referral the team registered on a person's behalf.
   */
  async tellReferrer(
    manager: Transaction,
    referral: Pick<
      Referral,
      'id' | 'referrerKind' | 'referrerPartnerId' | 'targetPartnerId' | 'externalReference' | 'reasonCode'
    >,
    status: 'accepted' | 'redirected' | 'declined' | 'contact-established' | 'closed' | 'submitted',
  ): Promise<void> {
    if (referral.referrerKind !== 'organisation' || referral.referrerPartnerId === referral.targetPartnerId) return;
    await this.notifications.notify(manager, {
      partnerId: referral.referrerPartnerId,
      kind: 'referral-status-changed',
      resourceType: 'Referral',
      resourceId: referral.id,
      purposes: ['referral'],
      categories: ['case-status'],
      detail: {
        status,
        externalReference: referral.externalReference,
        ...(referral.reasonCode ? { reasonCode: referral.reasonCode } : {}),
      },
    });
  }

  /** Contact made, or the case closed: what flows back to the referrer (recorded on the referral, then told). */
  async caseProgressed(manager: Transaction, referralId: string, what: 'contact-established' | 'closed') {
    const referral = await this.referrals.recordProgress(manager, referralId, what);
    if (referral) await this.tellReferrer(manager, referral, what);
  }

  /** What the referrals say about a client, opened, for the client's own copy (art. 20). */
  async exportFor(manager: Transaction, clientId: string): Promise<unknown[]> {
    const { cipher } = this.crypto;
    return (await this.referrals.findByClient(manager, clientId)).map((r) => ({
      id: r.id,
      referrerPartnerId: r.referrerPartnerId,
      referrerKind: r.referrerKind,
      targetPartnerId: r.targetPartnerId,
      status: r.status,
      referredAt: r.createdAt.toISOString(),
      decidedAt: r.decidedAt?.toISOString() ?? null,
      ...cipher.open<Record<string, unknown>>(r.housingSealed),
      healthSignals: r.healthSignalsSealed ? cipher.open(r.healthSignalsSealed) : [],
      description: r.descriptionSealed ? cipher.open(r.descriptionSealed) : null,
      tenantInformed: r.tenantInformed,
      tenantInformedNote: r.tenantInformedNoteSealed ? cipher.open(r.tenantInformedNoteSealed) : null,
    }));
  }

  /**
   * Art. 17: the referrals' personal content, and the referrer's own file number wherever the
   * referrer was told it back (its notifications and their webhook bodies).
   */
  async eraseFor(manager: Transaction, clientId: string): Promise<number> {
    const ids = (await this.referrals.findByClient(manager, clientId)).map((r) => r.id);
    await this.notifications.forgetDetail(manager, 'Referral', ids, ['externalReference']);
    return this.referrals.eraseForClient(manager, clientId, this.crypto.cipher.seal({}));
  }

  /** Clients only referred (no case) whose referrals are past the retention of the referral rules. */
  expiredClients(manager: Transaction, now: Date): Promise<string[]> {
    return this.referrals.clientsDecidedBefore(manager, before(now, this.policy.retentionFor(['Referral'])));
  }
}

/** A filter instant: a valid ISO 8601 date within years 1900–9999 (PostgreSQL's range and then some), else 400. */
function instantOf(value: string | undefined, pointer: string): string | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  const year = Number.isNaN(time) ? NaN : new Date(time).getUTCFullYear();
  if (!(year >= 1900 && year <= 9999))
    throw new ProblemException('validation-failed', 'Not a usable date', {
      errors: [{ pointer, detail: 'a date or date-time between 1900 and 9999' }],
    });
  return new Date(time).toISOString();
}
