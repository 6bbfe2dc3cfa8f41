import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Consent } from './consent.entity.js';

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

  insert(manager: EntityManager, consent: Partial<Consent>): Promise<Consent> {
    return manager.save(manager.create(Consent, consent));
  }

  find(manager: EntityManager, id: string): Promise<Consent | null> {
    return manager.findOneBy(Consent, { id });
  }

  listForClient(manager: EntityManager, clientId: string): Promise<Consent[]> {
    return manager.find(Consent, { where: { clientId }, order: { createdAt: 'DESC' } });
  }

  async withdraw(manager: EntityManager, id: string): Promise<void> {
    await manager.update(Consent, { id }, { withdrawnAt: new Date() });
  }
}
