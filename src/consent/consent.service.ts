import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from '../database/transaction.js';
import { AccessLogService } from '../access-log/access-log.service.js';
import { AccessService, type AccessTransaction } from '../access/access.service.js';
import { ClientsService } from '../clients/clients.service.js';
import type { AccessContext } from '../access/access-context.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { ProblemException, type FieldError } from '../common/problem/problem.js';
import { today } from '../partners/agreements/agreements.service.js';
import { PartnersService } from '../partners/partners.service.js';
import type { RepresentativeCapacity } from '../policies/policy-files.js';
import { PolicyService } from '../policies/policy.service.js';
import type { Consent } from './consent.entity.js';
import { ConsentRepository } from './consent.repository.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import type { CreateConsentDto } from './dto/consent.dto.js';
import { consentToFhir } from './fhir-consent.js';
import type { FhirResource } from '../common/fhir/bundle.js';

/**
 * The client's consents and objections, recorded by the team that holds the client. Read fresh
 * on every request, so a withdrawal takes effect on the very next one.
 */
@Injectable()
export class ConsentService {
  constructor(
    private readonly consents: ConsentRepository,
    private readonly partners: PartnersService,
    private readonly policy: PolicyService,
    private readonly accessLog: AccessLogService,
    private readonly access: AccessService,
    private readonly clients: ClientsService,
    private readonly notifications: NotificationsService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  /** What each of these clients' consent records was (for the client's report): effect, who gave it, from when. */
  async summariesOf(manager: Transaction, clientIds: string[]) {
    const rows = await this.consents.listForClients(manager, clientIds);
    return new Map(rows.map((c) => [c.id, { effect: c.effect, givenBy: c.givenBy, validFrom: c.validFrom }]));
  }

  /** The consent records in force for one recipient and purpose, locked until this transaction ends. */
  inForceFor(
    manager: Transaction,
    clientId: string,
    recipient: { partnerId: string; partnerType: string },
    purpose: string,
  ) {
    return this.consents.inForceFor(manager, clientId, recipient, purpose, today());
  }

  /** The consent facts the policy needs for one recipient and purpose. */
  async factsFor(
    manager: Transaction,
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

  /** The team that holds the client (rule team-records-consent); anyone else hears "not found". */
  private async requireHolder(tx: AccessTransaction, clientId: string, action: string, consentId?: string) {
    const loaded = await this.clients.facts(tx.manager, tx.context, clientId, 'Consent');
    const subject = { ...loaded.subject, id: consentId ?? null };
    if (!loaded.record) return tx.notFound(subject, action, 'no such client');
    return tx.require({ subject, action, facts: loaded.facts });
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
    const representative = input.givenBy.kind === 'legal-representative' ? input.givenBy : undefined;
    const capacity = representative ? this.policy.representativeCapacity(representative.capacity ?? '') : undefined;
    if (representative && !capacity)
      throw new ProblemException('validation-failed', 'Unknown capacity', {
        errors: [
          {
            pointer: '/givenBy/capacity',
            detail: `one of ${this.policy.policy.representatives.map((c) => c.id).join(', ')}`,
          },
        ],
      });
    const { cipher } = this.crypto;
    return this.access.run(access, async (tx) => {
      const decision = await this.requireHolder(tx, clientId, 'create');
      // A representative acts within their capacity (representatives.yaml); outside it: refused, logged.
      if (capacity && input.effect !== 'deny') this.requireWithinCapacity(capacity, input);
      const consent = await this.consents.insert(tx.manager, {
        clientId,
        purposes: input.purposes,
        recipientPartnerIds: partnerIds,
        recipientPartnerTypes: input.recipients.map((r) => r.partnerType).filter((t): t is string => Boolean(t)),
        categories: input.categories,
        effect: input.effect,
        givenBy: input.givenBy.kind,
        representativeSealed:
          input.givenBy.kind === 'legal-representative'
            ? cipher.seal({
                name: input.givenBy.name,
                capacity: input.givenBy.capacity,
                ...(input.givenBy.courtOrder ? { courtOrder: input.givenBy.courtOrder } : {}),
              })
            : null,
        method: input.method,
        evidenceSha256: input.evidence?.sha256 ?? null,
        evidenceDescriptionSealed: input.evidence?.description ? cipher.seal(input.evidence.description) : null,
        validFrom: input.validFrom,
        validUntil: input.validUntil ?? null,
        recordedByPartner: access.principal.partnerId,
        recordedByUser: access.principal.subject,
      });
      // Recording a consent relies on no consent: the entry names the record, not a ground of consent.
      return tx.complete(this.view(consent), decision, {
        resourceId: consent.id,
        reason: `${input.effect === 'deny' ? 'objection' : input.effect === 'informed-no-objection' ? 'informed, no objection' : 'consent'} recorded${input.givenBy.kind === 'legal-representative' ? ' (given by a legal representative)' : ''}`,
        written: ['purposes', 'recipients', 'categories', 'effect', 'givenBy', 'method'],
      });
    });
  }

  /**
   * A confidant assists but does not consent; an administrator of property consents for property
   * matters only; a capacity resting on a court order needs its reference. (An objection may
   * always be recorded: refusing is never outside anyone's capacity.)
   */
  private requireWithinCapacity(capacity: RepresentativeCapacity, input: CreateConsentDto): void {
    if (!capacity.consents)
      throw new ProblemException('unprocessable', `A ${capacity.label.en} assists the client but does not consent`, {
        missing: ["the client's own consent, or a representative whose capacity includes consenting"],
      });
    const allowed = capacity.categories ?? [];
    const outside = allowed.includes('all') ? [] : input.categories.filter((c) => !allowed.includes(c));
    if (outside.length > 0)
      throw new ProblemException('unprocessable', `A ${capacity.label.en} may not consent for ${outside.join(', ')}`, {
        missing: [`a representative whose capacity covers ${outside.join(', ')}, or the client's own consent`],
      });
    if (capacity.courtOrder && !input.givenBy.courtOrder)
      throw new ProblemException('unprocessable', `A ${capacity.label.en} consents on the strength of a court order`, {
        missing: ["the court order's reference (givenBy.courtOrder)"],
      });
  }

  async list(access: AccessContext, clientId: string, as: 'json' | 'fhir' = 'json') {
    return this.access.run(access, async (tx) => {
      const decision = await this.requireHolder(tx, clientId, 'read');
      const items = (await this.consents.listForClient(tx.manager, clientId)).map((c) => this.view(c));
      return tx.complete({ items, nextCursor: null }, decision, {
        reason: as === 'fhir' ? 'consents listed as FHIR Consent resources' : 'consents listed',
        disclosed: { consents: items.map((i) => i.id) },
      });
    });
  }

  /** The same list, with the same authorization and log entry, as FHIR R4 Consent resources. */
  async listAsFhir(access: AccessContext, clientId: string): Promise<FhirResource[]> {
    const { items } = await this.list(access, clientId, 'fhir');
    // Only the holding team gets here (requireHolder), so it is the custodian.
    return items.map((item) => consentToFhir(item, access.principal.partnerId, today()));
  }

  async withdraw(access: AccessContext, id: string) {
    return this.access.run(access, async (tx) => {
      // Locks the consent row: accesses that rely on it (FOR SHARE) finish first and are notified below.
      const consent = await this.consents.findForUpdate(tx.manager, id);
      if (!consent) return tx.notFound({ type: 'Consent', id }, 'update', 'no such consent');
      const decision = await this.requireHolder(tx, consent.clientId, 'update', id);
      if (consent.withdrawnAt) throw new ProblemException('conflict', 'This consent was already withdrawn');
      await this.consents.withdraw(tx.manager, id);
      // Every partner that received data under this consent learns, in this same transaction, that the basis is gone.
      const notified = await this.notifications.notifyConsentWithdrawn(tx.manager, {
        consentId: id,
        clientRef: this.accessLog.pseudonym(consent.clientId),
        purposes: consent.purposes,
        categories: consent.categories,
        holderPartnerId: access.principal.partnerId,
      });
      return tx.complete({ id, withdrawn: true, partnersNotified: notified }, decision, {
        resourceId: id,
        reason: 'consent withdrawn',
        written: ['withdrawnAt'],
      });
    });
  }

  /** A client's consents and objections, as the team reads them (art. 20 export). */
  async exportFor(manager: Transaction, clientId: string): Promise<unknown[]> {
    return (await this.consents.listForClient(manager, clientId)).map((c) => this.view(c));
  }

  eraseFor(manager: Transaction, clientId: string): Promise<number> {
    return this.consents.eraseForClient(manager, clientId);
  }
}
