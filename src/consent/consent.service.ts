import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessLogService, AccessRefused, type AccessContext } from '../access-log/access-log.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { ProblemException, type FieldError } from '../common/problem/problem.js';
import { today } from '../partners/agreements/agreements.service.js';
import { PartnersRepository } from '../partners/partners.repository.js';
import { PolicyService } from '../policies/policy.service.js';
import { Client } from '../referrals/client.entity.js';
import type { Consent } from './consent.entity.js';
import { ConsentRepository } from './consent.repository.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import type { CreateConsentDto } from './dto/consent.dto.js';
import { consentToFhir } from './fhir-consent.js';
import type { FhirResource } from '../common/fhir/bundle.js';

const notFound = () => new ProblemException('not-found', 'Client or consent not found or no access');

/**
 * The client's consents and objections, recorded by the team that holds the client. Read fresh
 * on every request, so a withdrawal takes effect on the very next one.
 */
@Injectable()
export class ConsentService {
  constructor(
    private readonly consents: ConsentRepository,
    private readonly partners: PartnersRepository,
    private readonly policy: PolicyService,
    private readonly accessLog: AccessLogService,
    private readonly notifications: NotificationsService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  /** The consent facts the policy needs for one recipient and purpose. */
  async factsFor(
    manager: EntityManager,
    clientId: string,
    recipient: { partnerId: string; partnerType: string },
    purpose: string,
  ) {
    const active = await this.consents.findActiveFor(manager, clientId, recipient, purpose, today());
    const objected = active.filter((c) => c.effect === 'deny');
    const permitted = active.filter((c) => c.effect === 'permit');
    const informed = active.filter((c) => c.effect === 'informed-no-objection');
    return {
      consentedCategories: [...new Set(permitted.flatMap((c) => c.categories))],
      // Counts only where the network switch informedNoObjectionSuffices lets a rule accept it.
      informedNoObjectionCategories: [...new Set(informed.flatMap((c) => c.categories))],
      objectedCategories: [...new Set(objected.flatMap((c) => c.categories))],
      consentIds: permitted.map((c) => c.id),
    };
  }

  private async requireHolder(manager: EntityManager, access: AccessContext, clientId: string, action: string) {
    const client = await manager.findOneBy(Client, { id: clientId });
    const own = client?.custodianPartnerId === access.principal.partnerId;
    const decision = this.policy.authorize({
      partnerType: access.principal.partnerType,
      roles: access.principal.roles,
      purpose: access.purpose,
      action,
      resourceType: 'Consent',
      facts: { ownOrganisation: own },
    });
    if (!client || !own || decision.decision === 'deny') {
      throw new AccessRefused(
        {
          action,
          resourceType: 'Consent',
          clientId: client ? clientId : null,
          reason: 'not the team that holds this client, or not permitted',
        },
        notFound(),
      );
    }
    return decision;
  }

  private view(consent: Consent) {
    const { cipher } = this.crypto;
    return {
      id: consent.id,
      clientId: consent.clientId,
      purposes: consent.purposes,
      recipients: [
        ...consent.recipientPartnerIds.map((partnerId) => ({ partnerId })),
        ...consent.recipientPartnerTypes.map((partnerType) => ({ partnerType })),
      ],
      categories: consent.categories,
      effect: consent.effect,
      givenBy: {
        kind: consent.givenBy,
        ...(consent.representativeSealed ? cipher.open<Record<string, string>>(consent.representativeSealed) : {}),
      },
      method: consent.method,
      evidence: {
        sha256: consent.evidenceSha256,
        description: consent.evidenceDescriptionSealed ? cipher.open<string>(consent.evidenceDescriptionSealed) : null,
      },
      validFrom: consent.validFrom,
      validUntil: consent.validUntil,
      withdrawnAt: consent.withdrawnAt?.toISOString() ?? null,
      recordedAt: consent.createdAt.toISOString(),
    };
  }

  async record(access: AccessContext, clientId: string, input: CreateConsentDto) {
    const errors: FieldError[] = [];
    input.purposes.forEach(
      (p, i) =>
        !this.policy.isKnownPurpose(p) &&
        errors.push({ pointer: `/purposes/${i}`, detail: 'not a purpose of the network policy' }),
    );
    const categories = new Set(this.policy.policy.categories.map((c) => c.id));
    input.categories.forEach(
      (c, i) =>
        !categories.has(c) &&
        errors.push({ pointer: `/categories/${i}`, detail: 'not a data category of the network policy' }),
    );
    const partnerIds = input.recipients.map((r) => r.partnerId).filter((id): id is string => Boolean(id));
    const known = await this.partners.existingIds(partnerIds);
    input.recipients.forEach(
      (r, i) =>
        r.partnerId &&
        !known.has(r.partnerId) &&
        errors.push({ pointer: `/recipients/${i}/partnerId`, detail: 'no registered partner with this id' }),
    );
    if (input.validUntil && input.validUntil < input.validFrom)
      errors.push({ pointer: '/validUntil', detail: 'validUntil is before validFrom' });
    if (errors.length)
      throw new ProblemException('validation-failed', 'The consent is not valid; see errors[]', { errors });
    const { cipher } = this.crypto;
    return this.accessLog.audited(access, async (manager) => {
      const decision = await this.requireHolder(manager, access, clientId, 'create');
      const consent = await this.consents.insert(manager, {
        clientId,
        purposes: input.purposes,
        recipientPartnerIds: partnerIds,
        recipientPartnerTypes: input.recipients.map((r) => r.partnerType).filter((t): t is string => Boolean(t)),
        categories: input.categories,
        effect: input.effect,
        givenBy: input.givenBy.kind,
        representativeSealed:
          input.givenBy.kind === 'legal-representative'
            ? cipher.seal({ name: input.givenBy.name, capacity: input.givenBy.capacity })
            : null,
        method: input.method,
        evidenceSha256: input.evidence?.sha256 ?? null,
        evidenceDescriptionSealed: input.evidence?.description ? cipher.seal(input.evidence.description) : null,
        validFrom: input.validFrom,
        validUntil: input.validUntil ?? null,
        recordedByPartner: access.principal.partnerId,
        recordedByUser: access.principal.subject,
      });
      return {
        result: this.view(consent),
        record: {
          action: 'create',
          resourceType: 'Consent',
          resourceId: consent.id,
          clientId,
          custodianPartnerId: access.principal.partnerId,
          consentId: consent.id,
          decision: 'permit',
          reason: `${input.effect === 'deny' ? 'objection' : input.effect === 'informed-no-objection' ? 'informed, no objection' : 'consent'} recorded`,
          ruleId: decision.rule?.id ?? null,
          fields: ['purposes', 'recipients', 'categories', 'effect', 'givenBy', 'method'],
        },
      };
    });
  }

  async list(access: AccessContext, clientId: string, as: 'json' | 'fhir' = 'json') {
    return this.accessLog.audited(access, async (manager) => {
      const decision = await this.requireHolder(manager, access, clientId, 'read');
      const items = (await this.consents.listForClient(manager, clientId)).map((c) => this.view(c));
      return {
        result: { items, nextCursor: null },
        record: {
          action: 'read',
          resourceType: 'Consent',
          clientId,
          custodianPartnerId: access.principal.partnerId,
          decision: 'permit',
          reason: as === 'fhir' ? 'consents listed as FHIR Consent resources' : 'consents listed',
          ruleId: decision.rule?.id ?? null,
          disclosed: { consents: items.map((i) => i.id) },
        },
      };
    });
  }

  /** The same list, with the same authorization and log entry, as FHIR R4 Consent resources. */
  async listAsFhir(access: AccessContext, clientId: string): Promise<FhirResource[]> {
    const { items } = await this.list(access, clientId, 'fhir');
    // Only the holding team gets here (requireHolder), so it is the custodian.
    return items.map((item) => consentToFhir(item, access.principal.partnerId, today()));
  }

  async withdraw(access: AccessContext, id: string) {
    return this.accessLog.audited(access, async (manager) => {
      const consent = await this.consents.find(manager, id);
      if (!consent)
        throw new AccessRefused(
          { action: 'update', resourceType: 'Consent', resourceId: id, reason: 'no such consent' },
          notFound(),
        );
      const decision = await this.requireHolder(manager, access, consent.clientId, 'update');
      if (consent.withdrawnAt) throw new ProblemException('conflict', 'This consent was already withdrawn');
      await this.consents.withdraw(manager, id);
      // Every partner that received data under this consent learns, in this same transaction, that the basis is gone.
      const notified = await this.notifications.notifyConsentWithdrawn(manager, {
        consentId: id,
        clientRef: this.accessLog.pseudonym(consent.clientId),
        purposes: consent.purposes,
        categories: consent.categories,
        holderPartnerId: access.principal.partnerId,
      });
      return {
        result: { id, withdrawn: true, partnersNotified: notified },
        record: {
          action: 'update',
          resourceType: 'Consent',
          resourceId: id,
          clientId: consent.clientId,
          custodianPartnerId: access.principal.partnerId,
          consentId: id,
          decision: 'permit',
          reason: 'consent withdrawn',
          ruleId: decision.rule?.id ?? null,
          fields: ['withdrawnAt'],
        },
      };
    });
  }
}
