import { Inject, Injectable } from '@nestjs/common';
import { AccessLogService, AccessRefused, type AccessContext } from '../access-log/access-log.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { normaliseNationalNumber } from '../common/crypto/national-number.js';
import { decodeCursor, toPage, type Page } from '../common/http/pagination.js';
import { ProblemException } from '../common/problem/problem.js';
import { AgreementsService } from '../partners/agreements/agreements.service.js';
import { CasesService } from '../cases/cases.service.js';
import { PartnersRepository } from '../partners/partners.repository.js';
import { PolicyService, type AuthorizationResult } from '../policies/policy.service.js';
import type { CreateReferralDto, ReferralDecisionDto } from './dto/referral.dto.js';
import type { Referral } from './referral.entity.js';
import { ReferralsRepository } from './referrals.repository.js';

/** Partner types that receive referrals: the outreach teams and the CAW as joint referral point. */
const RECEIVERS = ['outreach-team', 'mobile-team', 'housing-first-team', 'caw'];

type Position = { createdAt: string; id: string };
const isPosition = (v: unknown): v is Position =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Position).createdAt === 'string' &&
  !Number.isNaN(Date.parse((v as Position).createdAt)) &&
  /^[0-9a-f-]{36}$/.test(String((v as Position).id));

const notFound = () => new ProblemException('not-found', 'Referral not found or no access');

/**
 * Referrals: housing partners refer, the receiving team decides. Every read and write goes
 * through the policy and lands in the access log in the same transaction; personal fields are
 * sealed at rest and opened only after the policy permitted them.
 */
@Injectable()
export class ReferralsService {
  constructor(
    private readonly referrals: ReferralsRepository,
    private readonly partners: PartnersRepository,
    private readonly agreements: AgreementsService,
    private readonly policy: PolicyService,
    private readonly accessLog: AccessLogService,
    private readonly cases: CasesService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  private authorize(
    access: AccessContext,
    action: string,
    facts: Parameters<PolicyService['authorize']>[0]['facts'],
    categories?: string[],
  ): AuthorizationResult {
    return this.policy.authorize({
      partnerType: access.principal.partnerType,
      roles: access.principal.roles,
      profession: access.principal.profession,
      purpose: access.purpose,
      action,
      resourceType: 'Referral',
      facts,
      categories,
    });
  }

  async create(access: AccessContext, input: CreateReferralDto) {
    const target = await this.partners.findById(input.targetPartnerId);
    if (!target || !RECEIVERS.includes(target.type) || target.status !== 'active') {
      throw new ProblemException('validation-failed', 'The target does not receive referrals', {
        errors: [{ pointer: '/targetPartnerId', detail: 'not an active outreach team or joint referral point' }],
      });
    }
    const agreementInForce = await this.agreements.inForce([access.principal.partnerId, target.id], 'referral');
    const written = ['identity', 'contact', 'housing', 'narrative', 'case-status'];
    const decision = this.authorize(
      access,
      'create',
      { agreementInForce, tenantInformed: input.tenantInformed },
      written,
    );
    const base = { action: 'create', resourceType: 'Referral', custodianPartnerId: target.id, reason: '' };
    if (decision.decision === 'deny') {
      const missing = [...new Set(decision.withheld.flatMap((w) => w.missing))];
      await this.accessLog.recordRefusal(access, {
        ...base,
        reason: `referral refused: missing ${missing.join('; ')}`.slice(0, 500),
        ruleId: decision.rule?.id ?? null,
      });
      throw new ProblemException('forbidden', `This referral cannot be accepted: it needs ${missing.join('; ')}`, {
        missing,
      });
    }
    const allowed = new Set(decision.permittedCategories);
    const { cipher } = this.crypto;
    const nationalNumber =
      allowed.has('identity') && input.tenant.nationalNumber
        ? normaliseNationalNumber(input.tenant.nationalNumber)
        : undefined;
    const index = nationalNumber ? this.crypto.blindIndex('national-number', nationalNumber) : null;

    return this.accessLog.audited(access, async (manager) => {
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
      const knownClient = index ? await this.referrals.teamKnowsNationalNumber(manager, target.id, index) : false;
      const client = await this.referrals.insertClient(manager, {
        custodianPartnerId: target.id,
        identitySealed: cipher.seal(identity),
        contactSealed: contact ? cipher.seal(contact) : null,
        nationalNumberSealed: nationalNumber ? cipher.seal(nationalNumber) : null,
        nationalNumberIndex: index,
      });
      const referral = await this.referrals.insertReferral(manager, {
        clientId: client.id,
        referrerPartnerId: access.principal.partnerId,
        referrerUser: access.principal.subject,
        targetPartnerId: target.id,
        status: 'submitted',
        housingSealed: cipher.seal(
          allowed.has('housing') ? { signals: input.signals, evictionStage: input.evictionStage } : {},
        ),
        descriptionSealed: allowed.has('narrative') && input.description ? cipher.seal(input.description) : null,
        tenantInformed: input.tenantInformed,
        tenantInformedNoteSealed: input.tenantInformedNote ? cipher.seal(input.tenantInformedNote) : null,
        urgency: input.urgency ?? 'normal',
        referrerContactSealed: cipher.seal(input.contact),
        knownClient,
      });
      const withheld = decision.withheld.map(({ category, reason }) => ({ category, reason }));
      return {
        result: { id: referral.id, status: referral.status, createdAt: referral.createdAt.toISOString(), withheld },
        record: {
          ...base,
          resourceId: referral.id,
          clientId: client.id,
          decision: 'permit',
          reason: `referral submitted (rule ${decision.rule?.id})`,
          ruleId: decision.rule?.id ?? null,
          legalBasis: decision.legalBasis,
          fields: decision.permittedFields.filter((f) =>
            [
              'givenName',
              'familyName',
              'birthDate',
              'nationalNumber',
              'language',
              'phone',
              'address',
              'signals',
              'evictionStage',
              'notes',
              'status',
            ].includes(f),
          ),
        },
      };
    });
  }

  async get(access: AccessContext, id: string) {
    return this.accessLog.audited(access, async (manager) => {
      const referral = await this.referrals.findReferral(manager, id);
      const me = access.principal.partnerId;
      if (!referral || (referral.referrerPartnerId !== me && referral.targetPartnerId !== me)) {
        throw new AccessRefused(
          {
            action: 'read',
            resourceType: 'Referral',
            resourceId: id,
            reason: 'not found or not a party to this referral',
          },
          notFound(),
        );
      }
      const decision = this.authorize(access, 'read', { ownOrganisation: true });
      if (decision.decision === 'deny') {
        throw new AccessRefused(
          {
            action: 'read',
            resourceType: 'Referral',
            resourceId: id,
            clientId: referral.clientId,
            custodianPartnerId: referral.targetPartnerId,
            reason: 'policy refused every category',
          },
          notFound(),
        );
      }
      const record = await this.fullRecord(
        manager,
        referral,
        new Set(decision.permittedCategories),
        me === referral.targetPartnerId,
      );
      const { data } = this.policy.project(record, decision);
      // Every withheld group is named with its reason, so a referrer knows clinical content exists but is not theirs.
      const withheld = decision.withheld.map(({ category, reason }) => ({ category, reason }));
      const view = {
        id: referral.id,
        ...data,
        ...(me === referral.targetPartnerId ? { knownClient: referral.knownClient, clientId: referral.clientId } : {}),
        withheld,
      };
      return {
        result: view,
        record: {
          action: 'read',
          resourceType: 'Referral',
          resourceId: id,
          clientId: referral.clientId,
          custodianPartnerId: referral.targetPartnerId,
          decision: 'permit',
          reason: `referral read (rule ${decision.rule?.id})`,
          ruleId: decision.rule?.id ?? null,
          legalBasis: decision.legalBasis,
          disclosed: data,
        },
      };
    });
  }

  /** Status fields always; personal fields opened only for categories the policy permitted. */
  private async fullRecord(
    manager: Parameters<ReferralsRepository['findClient']>[0],
    referral: Referral,
    allowed: Set<string>,
    forTeam: boolean,
  ): Promise<Record<string, unknown>> {
    const { cipher } = this.crypto;
    const record: Record<string, unknown> = {
      status: referral.status,
      decision: referral.status === 'submitted' ? null : referral.status,
      contactEstablished: referral.contactEstablished,
      referredAt: referral.createdAt.toISOString(),
      decidedAt: referral.decidedAt?.toISOString() ?? null,
    };
    if (!forTeam) return record;
    const client = await this.referrals.findClient(manager, referral.clientId);
    if (client && allowed.has('identity'))
      Object.assign(record, cipher.open<Record<string, unknown>>(client.identitySealed), {
        nationalNumber: client.nationalNumberSealed ? cipher.open(client.nationalNumberSealed) : null,
      });
    if (client && allowed.has('contact') && client.contactSealed)
      Object.assign(record, cipher.open<Record<string, unknown>>(client.contactSealed));
    if (allowed.has('housing')) Object.assign(record, cipher.open<Record<string, unknown>>(referral.housingSealed));
    if (allowed.has('narrative'))
      record.notes = referral.descriptionSealed ? cipher.open(referral.descriptionSealed) : null;
    return record;
  }

  async list(access: AccessContext, limit: number, cursor: string | undefined): Promise<Page<Record<string, unknown>>> {
    const after = decodeCursor(cursor, isPosition);
    const me = access.principal.partnerId;
    return this.accessLog.audited(access, async (manager) => {
      const rows = await this.referrals.listFor(manager, me, after, limit + 1);
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
          role: r.targetPartnerId === me ? 'receiver' : 'referrer',
          // The referrer chose the team itself; the team sees urgency and whether it knows the client.
          ...(r.targetPartnerId === me
            ? { urgency: r.urgency, knownClient: r.knownClient }
            : { targetPartnerId: r.targetPartnerId }),
        }),
        (r) => ({ createdAt: r.createdAt.toISOString(), id: r.id }),
      );
      return {
        result: page,
        record: {
          action: 'read',
          resourceType: 'Referral',
          decision: 'permit',
          reason: 'referral list (status only)',
          disclosed: { referrals: page.items.map((i) => i.id) },
        },
      };
    });
  }

  async decide(access: AccessContext, id: string, input: ReferralDecisionDto) {
    return this.accessLog.audited(access, async (manager) => {
      const referral = await this.referrals.findReferral(manager, id);
      if (!referral || referral.targetPartnerId !== access.principal.partnerId) {
        throw new AccessRefused(
          { action: 'decide', resourceType: 'Referral', resourceId: id, reason: 'not found or not the receiving team' },
          notFound(),
        );
      }
      const decision = this.authorize(access, 'decide', { ownOrganisation: true }, ['case-status']);
      if (decision.decision === 'deny') {
        throw new AccessRefused(
          {
            action: 'decide',
            resourceType: 'Referral',
            resourceId: id,
            clientId: referral.clientId,
            reason: 'policy refused the decision',
          },
          notFound(),
        );
      }
      if (referral.status !== 'submitted') {
        throw new ProblemException('conflict', `This referral was already ${referral.status}`);
      }
      let caseId: string | null = null;
      let reopened = false;
      if (input.decision === 'accept') {
        // A client the team already knows keeps one record and one case history.
        const client = await this.referrals.findClient(manager, referral.clientId);
        const earlier =
          referral.knownClient && client?.nationalNumberIndex
            ? await this.referrals.findEarlierClient(
                manager,
                referral.targetPartnerId,
                client.nationalNumberIndex,
                client.id,
              )
            : null;
        if (earlier) referral.clientId = earlier.id;
        const opened = await this.cases.openOrReopen(manager, {
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
      referral.redirectedTo = input.redirectTo ?? null;
      referral.decisionReasonSealed = input.reason ? this.crypto.cipher.seal(input.reason) : null;
      referral.decidedAt = new Date();
      referral.caseId = caseId;
      await this.referrals.saveReferral(manager, referral);
      return {
        result: {
          id,
          status: referral.status,
          decidedAt: referral.decidedAt.toISOString(),
          caseId,
          reopened,
          redirectedTo: referral.redirectedTo,
        },
        record: {
          action: 'decide',
          resourceType: 'Referral',
          resourceId: id,
          clientId: referral.clientId,
          custodianPartnerId: referral.targetPartnerId,
          decision: 'permit',
          reason: `referral ${referral.status}`,
          ruleId: decision.rule?.id ?? null,
          legalBasis: decision.legalBasis,
          fields: [
            'status',
            ...(caseId ? ['caseId'] : []),
            ...(input.redirectTo ? ['redirectedTo'] : []),
            ...(input.reason ? ['decisionReason'] : []),
          ],
        },
      };
    });
  }
}
