import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InformationRequest } from './information-request.entity.js';

@Injectable()
export class InformationRequestsRepository {
  insert(manager: EntityManager, request: Partial<InformationRequest>): Promise<InformationRequest> {
    return manager.save(manager.create(InformationRequest, request));
  }

  /** Locked for the rest of the transaction, so a disclosure happens once even under concurrent calls. */
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
