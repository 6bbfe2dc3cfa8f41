import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { PartnerNotification, WebhookDelivery } from './notification.entities.js';

/** The notifications and their webhook outbox; the only place that queries them. */
@Injectable()
export class NotificationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  insertNotification(manager: EntityManager, notification: Partial<PartnerNotification>): Promise<PartnerNotification> {
    return manager.save(manager.create(PartnerNotification, notification));
  }

  async insertDelivery(manager: EntityManager, delivery: Partial<WebhookDelivery>): Promise<void> {
    await manager.save(manager.create(WebhookDelivery, delivery));
  }

  listFor(manager: EntityManager, partnerId: string): Promise<PartnerNotification[]> {
    return manager.find(PartnerNotification, { where: { partnerId }, order: { createdAt: 'DESC' }, take: 500 });
  }

  /**
   * Runs `work` on the due deliveries, each row locked for this process only (SKIP LOCKED: two
   * replicas never send the same webhook), and saves what `work` changed on them.
   */
  withDueDeliveries<T>(batch: number, work: (due: WebhookDelivery[]) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const due = await manager
        .createQueryBuilder(WebhookDelivery, 'd')
        .where('d.delivered_at IS NULL AND d.gave_up_at IS NULL AND d.next_attempt_at <= now()')
        .orderBy('d.next_attempt_at')
        .take(batch)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const result = await work(due);
      if (due.length > 0) await manager.save(WebhookDelivery, due);
      return result;
    });
  }

  aboutResources(manager: EntityManager, resourceType: string, resourceIds: string[]): Promise<PartnerNotification[]> {
    if (resourceIds.length === 0) return Promise.resolve([]);
    return manager.findBy(PartnerNotification, { resourceType, resourceId: In(resourceIds) });
  }

  /** A notification's new detail; its pending webhooks get the new body, the sent or abandoned ones none. */
  async replaceDetail(manager: EntityManager, id: string, detail: Record<string, unknown>, jws: string) {
    await manager.query('UPDATE partner_notification SET detail = $2::jsonb WHERE id = $1', [
      id,
      JSON.stringify(detail),
    ]);
    await manager.query(
      `UPDATE webhook_delivery SET jws = CASE WHEN delivered_at IS NULL AND gave_up_at IS NULL THEN $2 ELSE '' END
        WHERE notification_id = $1`,
      [id, jws],
    );
  }
}
