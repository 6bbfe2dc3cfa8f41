import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Client, ClientMerge } from './client.entity.js';

/** Client records and their merges; always on the caller's transaction. */
@Injectable()
export class ClientsRepository {
  findClient(manager: EntityManager, id: string): Promise<Client | null> {
    return manager.findOneBy(Client, { id });
  }

  insert(
    manager: EntityManager,
    client: Omit<Client, 'id' | 'createdAt' | 'mergedInto' | 'erasedAt' | 'erasureReason'>,
  ): Promise<Client> {
    return manager.save(manager.create(Client, client));
  }

  /** A client this team already holds with the same national number (blind-index match). */
  async teamKnowsNationalNumber(manager: EntityManager, teamPartnerId: string, index: string): Promise<boolean> {
    return (await manager.countBy(Client, { custodianPartnerId: teamPartnerId, nationalNumberIndex: index })) > 0;
  }

  /** The team's earlier record of the same person (same national number), if any. */
  findEarlierClient(
    manager: EntityManager,
    teamPartnerId: string,
    index: string,
    excludeId: string,
  ): Promise<Client | null> {
    return manager
      .createQueryBuilder(Client, 'c')
      .where(
        'c.custodian_partner_id = :teamPartnerId AND c.national_number_index = :index AND c.id <> :excludeId AND c.merged_into IS NULL',
        { teamPartnerId, index, excludeId },
      )
      .orderBy('c.created_at', 'ASC')
      .getOne();
  }

  /** The client and every record merged into it (transitively, merges not undone). */
  async mergedInto(manager: EntityManager, clientId: string): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `WITH RECURSIVE family(id) AS (
         SELECT $1::uuid
         UNION SELECT m.duplicate_id FROM client_merge m JOIN family f ON m.survivor_id = f.id WHERE m.undone_at IS NULL)
       SELECT id FROM family`,
      [clientId],
    );
    return rows.map((r) => r.id);
  }

  findMerge(manager: EntityManager, id: string): Promise<ClientMerge | null> {
    return manager.findOneBy(ClientMerge, { id });
  }

  /** Records a merge (what the capabilities moved) and marks the duplicate as merged. */
  async merge(
    manager: EntityManager,
    survivorId: string,
    duplicateId: string,
    moved: { referrals: string[]; cases: string[] },
    by: { partnerId: string; userSub: string },
  ): Promise<ClientMerge> {
    await manager.update(Client, { id: duplicateId }, { mergedInto: survivorId });
    return manager.save(
      manager.create(ClientMerge, {
        survivorId,
        duplicateId,
        movedReferrals: moved.referrals,
        movedCases: moved.cases,
        ...by,
        undoneAt: null,
      }),
    );
  }

  /** Marks the merge undone (the capabilities put their records back first). */
  async undo(manager: EntityManager, merge: ClientMerge): Promise<void> {
    await manager.update(Client, { id: merge.duplicateId }, { mergedInto: null });
    await manager.update(ClientMerge, { id: merge.id }, { undoneAt: new Date() });
  }

  async moveCustody(manager: EntityManager, clientId: string, from: string, to: string): Promise<boolean> {
    const result = await manager.update(Client, { id: clientId, custodianPartnerId: from }, { custodianPartnerId: to });
    return (result.affected ?? 0) > 0;
  }

  /** A rectification: the sealed identity and contact, and the national number's seal and blind index. */
  async updateIdentity(
    manager: EntityManager,
    clientId: string,
    values: Pick<Client, 'identitySealed' | 'contactSealed' | 'nationalNumberSealed' | 'nationalNumberIndex'>,
  ): Promise<void> {
    await manager.update(Client, { id: clientId }, values);
  }

  /** Empties a client record's personal fields and marks it erased (the shell stays for the log's references). */
  async eraseClient(manager: EntityManager, clientId: string, sealedEmpty: string, reason: string): Promise<void> {
    await manager.update(
      Client,
      { id: clientId },
      {
        identitySealed: sealedEmpty,
        contactSealed: null,
        nationalNumberSealed: null,
        nationalNumberIndex: null,
        erasedAt: new Date(),
        erasureReason: reason,
      },
    );
  }

  /** Of these clients, those not erased yet (and not merged away). */
  async notErased(manager: EntityManager, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await manager.query(
      'SELECT id FROM client WHERE id = ANY ($1::uuid[]) AND erased_at IS NULL AND merged_into IS NULL ORDER BY id',
      [ids],
    );
    return rows.map((r) => r.id);
  }

  /** One replica at a time runs the retention job: a transaction-scoped advisory lock, false when another holds it. */
  async tryRetentionLock(manager: EntityManager): Promise<boolean> {
    const rows: { locked: boolean }[] = await manager.query(
      "SELECT pg_try_advisory_xact_lock(hashtext('schakel:client-retention')) AS locked",
    );
    return Boolean(rows[0]?.locked);
  }
}
