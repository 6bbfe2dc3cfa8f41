import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
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
}
