import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CareCase } from '../cases/case.entity.js';
import { Client, ClientMerge } from '../referrals/client.entity.js';
import { Referral } from '../referrals/referral.entity.js';

/** Client records and their merges; always on the caller's transaction. */
@Injectable()
export class ClientsRepository {
  findClient(manager: EntityManager, id: string): Promise<Client | null> {
    return manager.findOneBy(Client, { id });
  }

  findMerge(manager: EntityManager, id: string): Promise<ClientMerge | null> {
    return manager.findOneBy(ClientMerge, { id });
  }

  /** Moves the duplicate's referrals and cases to the survivor and records exactly which moved. */
  async merge(
    manager: EntityManager,
    survivorId: string,
    duplicateId: string,
    by: { partnerId: string; userSub: string },
  ): Promise<ClientMerge> {
    const referrals = (await manager.find(Referral, { where: { clientId: duplicateId }, select: { id: true } })).map(
      (r) => r.id,
    );
    const cases = (await manager.find(CareCase, { where: { clientId: duplicateId }, select: { id: true } })).map(
      (c) => c.id,
    );
    if (referrals.length)
      await manager.createQueryBuilder().update(Referral).set({ clientId: survivorId }).whereInIds(referrals).execute();
    if (cases.length)
      await manager.createQueryBuilder().update(CareCase).set({ clientId: survivorId }).whereInIds(cases).execute();
    await manager.update(Client, { id: duplicateId }, { mergedInto: survivorId });
    return manager.save(
      manager.create(ClientMerge, {
        survivorId,
        duplicateId,
        movedReferrals: referrals,
        movedCases: cases,
        ...by,
        undoneAt: null,
      }),
    );
  }

  /** Puts back exactly what the merge moved. */
  async undo(manager: EntityManager, merge: ClientMerge): Promise<void> {
    if (merge.movedReferrals.length)
      await manager
        .createQueryBuilder()
        .update(Referral)
        .set({ clientId: merge.duplicateId })
        .whereInIds(merge.movedReferrals)
        .execute();
    if (merge.movedCases.length)
      await manager
        .createQueryBuilder()
        .update(CareCase)
        .set({ clientId: merge.duplicateId })
        .whereInIds(merge.movedCases)
        .execute();
    await manager.update(Client, { id: merge.duplicateId }, { mergedInto: null });
    await manager.update(ClientMerge, { id: merge.id }, { undoneAt: new Date() });
  }
}
