import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AccessContext } from '../access/access-context.js';
import { caseHeldBySql } from '../cases/case.sql.js';
import type { FactSql } from '../policies/policy-scope.js';
import { InformationRequest } from './information-request.entity.js';

@Injectable()
export class InformationRequestsRepository {
  insert(manager: EntityManager, request: Partial<InformationRequest>): Promise<InformationRequest> {
    return manager.save(manager.create(InformationRequest, request));
  }

  /** Locked for the rest of the transaction, so a disclosure happens once even under concurrent calls. */
  async caseOf(manager: EntityManager, id: string): Promise<string | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const request = await manager.findOne(InformationRequest, { where: { id }, select: { id: true, caseId: true } });
    return request?.caseId ?? null;
  }

  findForUpdate(manager: EntityManager, id: string): Promise<InformationRequest | null> {
    return manager
      .createQueryBuilder(InformationRequest, 'r')
      .setLock('pessimistic_write')
      .where('r.id = :id', { id })
      .getOne();
  }

  save(manager: EntityManager, request: InformationRequest): Promise<InformationRequest> {
    return manager.save(InformationRequest, request);
  }

  /**
   * The policy's facts of a request row (alias `r`) for this caller, for the list scope: its
   * organisation made the request, or holds the case it is about.
   */
  factSql(context: AccessContext): FactSql {
    const me = context.principal.partnerId;
    return {
      ownOrganisation: (_c, bind) =>
        `(r.requester_partner_id = ${bind(me)} OR ${caseHeldBySql('r.case_id', bind(me))})`,
    };
  }

  /** One page of the requests in the policy's scope, newest first, filtered; the scope is in SQL, before the LIMIT. */
  listInScope(
    manager: EntityManager,
    scope: { sql: string; params: Record<string, unknown> },
    filter: { decision?: string; caseId?: string },
    after: { createdAt: string; id: string } | undefined,
    limit: number,
  ): Promise<InformationRequest[]> {
    const query = manager
      .createQueryBuilder(InformationRequest, 'r')
      .where(scope.sql, scope.params)
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(limit);
    if (filter.decision) query.andWhere('r.decision = :decision', { decision: filter.decision });
    if (filter.caseId) query.andWhere('r.case_id = :caseId::uuid', { caseId: filter.caseId });
    if (after) query.andWhere('(r.created_at, r.id) < (:createdAt::timestamptz, :id::uuid)', after);
    return query.getMany();
  }

  /** Art. 17: the requester's justification and the coordinator's note on these cases' requests; who asked what, when and the decision stay. */
  async eraseForCases(manager: EntityManager, caseIds: string[], sealedEmpty: string): Promise<number> {
    if (caseIds.length === 0) return 0;
    const [, affected] = (await manager.query(
      'UPDATE information_request SET justification_sealed = $2, review_note_sealed = NULL WHERE case_id = ANY ($1::uuid[])',
      [caseIds, sealedEmpty],
    )) as [unknown, number];
    return affected;
  }
}
