import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { ConsentFact } from '../access/decision.js';
import { Consent } from './consent.entity.js';
import { consentsInForceSql } from './consent.sql.js';

/** Consents in force for one recipient and purpose, read fresh on every request (a withdrawal counts at once). */
@Injectable()
export class ConsentRepository {
  findActiveFor(
    manager: EntityManager,
    clientId: string,
    recipient: { partnerId: string; partnerType: string },
    purpose: string,
    onDate: string,
  ): Promise<Consent[]> {
    return manager
      .createQueryBuilder(Consent, 'c')
      .where('c.client_id = :clientId', { clientId })
      .andWhere(':purpose = ANY (c.purposes)', { purpose })
      .andWhere(
        '(:partnerId = ANY (c.recipient_partner_ids) OR :partnerType = ANY (c.recipient_partner_types))',
        recipient,
      )
      .andWhere(
        'c.withdrawn_at IS NULL AND c.valid_from <= :onDate::date AND (c.valid_until IS NULL OR c.valid_until >= :onDate::date)',
        { onDate },
      )
      .getMany();
  }

  /** Consent records in force for a recipient and purpose, locked FOR SHARE (a withdrawal waits for the access relying on them). */
  async inForceFor(
    manager: EntityManager,
    clientId: string,
    recipient: { partnerId: string; partnerType: string },
    purpose: string,
    onDate: string,
  ): Promise<ConsentFact[]> {
    const params: unknown[] = [clientId];
    const bind = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    return manager.query(consentsInForceSql(bind, '$1', recipient, purpose, onDate), params);
  }

  insert(manager: EntityManager, consent: Partial<Consent>): Promise<Consent> {
    return manager.save(manager.create(Consent, consent));
  }

  find(manager: EntityManager, id: string): Promise<Consent | null> {
    return manager.findOneBy(Consent, { id });
  }

  /** The consent, its row locked until the transaction ends (a withdrawal waits for the reads relying on it). */
  findForUpdate(manager: EntityManager, id: string): Promise<Consent | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return Promise.resolve(null);
    return manager.createQueryBuilder(Consent, 'c').setLock('pessimistic_write').where('c.id = :id', { id }).getOne();
  }

  listForClients(manager: EntityManager, clientIds: string[]): Promise<Consent[]> {
    return manager.find(Consent, { where: { clientId: In(clientIds) } });
  }

  listForClient(manager: EntityManager, clientId: string): Promise<Consent[]> {
    return manager.find(Consent, { where: { clientId }, order: { createdAt: 'DESC' } });
  }

  async withdraw(manager: EntityManager, id: string): Promise<void> {
    await manager.update(Consent, { id }, { withdrawnAt: new Date() });
  }

  /** Empties who represented the client and the evidence description (art. 17); the consent facts stay. */
  async eraseForClient(manager: EntityManager, clientId: string): Promise<number> {
    const result = await manager.update(
      Consent,
      { clientId },
      { representativeSealed: null, evidenceDescriptionSealed: null },
    );
    return result.affected ?? 0;
  }
}
