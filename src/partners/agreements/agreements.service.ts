import type { Transaction } from '../../database/transaction.js';
import { Injectable } from '@nestjs/common';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination.js';
import { ProblemException, type FieldError } from '../../common/problem/problem.js';
import { PolicyService } from '../../policies/policy.service.js';
import { AccessService } from '../../access/access.service.js';
import type { AccessContext } from '../../access/access-context.js';
import { PartnersRepository } from '../partners.repository.js';
import { AgreementView, type CreateAgreementDto, type UpdateAgreementDto } from './agreement.dto.js';
import { AgreementsRepository } from './agreements.repository.js';

type Position = { createdAt: string; id: string };
const isPosition = (v: unknown): v is Position =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Position).createdAt === 'string' &&
  typeof (v as Position).id === 'string' &&
  !Number.isNaN(Date.parse((v as Position).createdAt)) &&
  /^[0-9a-f-]{36}$/.test((v as Position).id);

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Cooperation agreements: without one in force for a purpose, no data moves between partners. */
@Injectable()
export class AgreementsService {
  constructor(
    private readonly agreements: AgreementsRepository,
    private readonly partners: PartnersRepository,
    private readonly policy: PolicyService,
    private readonly access: AccessService,
  ) {}

  async create(access: AccessContext, input: CreateAgreementDto): Promise<AgreementView> {
    const errors: FieldError[] = [];
    input.purposes.forEach((purpose, i) => {
      if (!this.policy.isKnownPurpose(purpose))
        errors.push({ pointer: `/purposes/${i}`, detail: 'not a purpose of the network policy' });
    });
    const known = await this.partners.existingIds(input.partnerIds);
    input.partnerIds.forEach((id, i) => {
      if (!known.has(id)) errors.push({ pointer: `/partnerIds/${i}`, detail: 'no registered partner with this id' });
    });
    if (input.validUntil && input.validUntil < input.validFrom)
      errors.push({ pointer: '/validUntil', detail: 'validUntil is before validFrom' });
    if (errors.length > 0)
      throw new ProblemException('validation-failed', 'The agreement is not valid; see errors[]', { errors });
    return this.access.run(access, async (tx) => {
      const decision = await tx.require({ subject: { type: 'Agreement' }, action: 'create', facts: { visible: true } });
      const saved = await this.agreements.insertWithParties(
        tx.manager,
        {
          title: input.title,
          purposes: input.purposes,
          validFrom: input.validFrom,
          validUntil: input.validUntil ?? null,
          documentReference: input.documentReference ?? null,
          status: 'active',
          statusChangedAt: null,
        },
        [...input.partnerIds].sort(),
      );
      return tx.complete(AgreementView.of(saved, today()), decision, {
        resourceId: saved.agreement.id,
        reason: 'cooperation agreement recorded',
        written: Object.keys(input).sort(),
      });
    });
  }

  /**
   * An operator suspends, reactivates or ends an agreement; logged. Only an active agreement is in
   * force, so every exchange under it (referrals, circle, case reads, requests) stops with it.
   * Ended is final: a new agreement is recorded instead.
   */
  async update(access: AccessContext, id: string, input: UpdateAgreementDto): Promise<AgreementView> {
    const day = today();
    return this.access.run(access, async (tx) => {
      const agreement = await this.agreements.findForUpdate(tx.manager, id);
      const subject = { type: 'Agreement' as const, id };
      if (!agreement) return tx.notFound(subject, 'update', 'no such agreement');
      const decision = await tx.require({ subject, action: 'update', facts: { visible: true } });
      if (agreement.status === 'ended') throw new ProblemException('conflict', 'This agreement has ended');
      if (input.status !== 'ended' && input.validUntil !== undefined)
        throw new ProblemException('validation-failed', 'validUntil is set by ending an agreement', {
          errors: [{ pointer: '/validUntil', detail: 'only with status ended' }],
        });
      const yesterday = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      const until = input.status === 'ended' ? (input.validUntil ?? yesterday) : agreement.validUntil;
      if (input.status === 'ended' && until !== null && (until < yesterday || until < agreement.validFrom))
        throw new ProblemException('validation-failed', 'An agreement cannot end in the past', {
          errors: [{ pointer: '/validUntil', detail: `at the earliest ${yesterday} (nothing moves from today)` }],
        });
      const written = ['status', ...(until !== agreement.validUntil ? ['validUntil'] : [])];
      agreement.validUntil = until;
      // Ending on a later day keeps it active until then; its dates stop it.
      agreement.status = input.status === 'ended' && until !== null && until >= day ? 'active' : input.status;
      agreement.statusChangedAt = new Date();
      const saved = await this.agreements.saveAgreement(tx.manager, agreement);
      return tx.complete(AgreementView.of(saved, day), decision, {
        resourceId: id,
        written,
        reason: `cooperation agreement ${input.status === 'ended' ? `ended (last day ${until})` : input.status}: ${input.reason}`,
      });
    });
  }

  async get(id: string): Promise<AgreementView> {
    const found = await this.agreements.findById(id);
    if (!found) throw new ProblemException('not-found', 'No agreement with this id');
    return AgreementView.of(found, today());
  }

  async list(filter: { partnerId?: string }, limit: number, cursor?: string): Promise<Page<AgreementView>> {
    const after = decodeCursor(cursor, isPosition);
    const rows = await this.agreements.listPage(filter, after, limit + 1);
    const day = today();
    return toPage(
      rows,
      limit,
      (row) => AgreementView.of(row, day),
      (row) => ({ createdAt: row.agreement.createdAt.toISOString(), id: row.agreement.id }),
    );
  }

  /** For the referral and sharing checks of later capabilities. */
  /** The agreement in force today binding these partners for this purpose (its id), or null. */
  async inForceId(manager: Transaction, partnerIds: string[], purpose: string): Promise<{ id: string } | null> {
    return this.agreements.idInForce(manager, partnerIds, purpose, today());
  }

  inForce(partnerIds: string[], purpose: string, onDate: string = today()): Promise<boolean> {
    return this.agreements.existsInForce(partnerIds, purpose, onDate);
  }

  /** Whom a partner may address for a purpose today, e.g. the teams a housing company can refer to. */
  /** The partners this one cooperates with today (any agreement in force), with the purposes agreed. */
  cooperationPartners(
    partnerId: string,
    onDate: string = today(),
  ): Promise<{ id: string; name: string; type: string; purposes: string[] }[]> {
    return this.agreements.cooperationPartnersOf(partnerId, onDate);
  }
}
