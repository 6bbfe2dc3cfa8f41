import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CompactSign } from 'jose';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { GATEWAY_KEYS, type GatewayKeys } from '../access-log/gateway-keys.js';
import { outboundFetch, outboundPolicyOf, OutboundRefused } from '../common/http/outbound.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Partner } from '../partners/partner.entity.js';
import { PartnerNotification, WebhookDelivery } from './notification.entities.js';

const MAX_ATTEMPTS = 10;

/**
 * Tells partners that the basis for data they received is gone. The notification and its
 * webhook are written in the transaction of the withdrawal (an outbox); a loop in every gateway
 * process delivers due webhooks with backoff, one process per row (SKIP LOCKED).
 */
@Injectable()
export class NotificationsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.webhookIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Partners (other than the holder) whose logged reads relied on this consent. */
  async recipientsOf(manager: EntityManager, consentId: string, excludePartnerId: string): Promise<string[]> {
    const rows: { partner_id: string }[] = await manager.query(
      `SELECT DISTINCT partner_id FROM access_log_entry WHERE consent_id = $1 AND decision = 'permit' AND action = 'read' AND partner_id <> $2`,
      [consentId, excludePartnerId],
    );
    return rows.map((r) => r.partner_id);
  }

  async notifyConsentWithdrawn(
    manager: EntityManager,
    input: { consentId: string; clientRef: string; purposes: string[]; categories: string[]; holderPartnerId: string },
  ): Promise<number> {
    const partners = await this.recipientsOf(manager, input.consentId, input.holderPartnerId);
    for (const partnerId of partners) {
      const notification = await manager.save(
        manager.create(PartnerNotification, {
          partnerId,
          kind: 'consent-withdrawn',
          consentId: input.consentId,
          clientRef: input.clientRef,
          purposes: input.purposes,
          categories: input.categories,
        }),
      );
      const partner = await manager.findOneBy(Partner, { id: partnerId });
      if (!partner?.webhookUrl) continue;
      const payload = {
        type: 'consent-withdrawn',
        notificationId: notification.id,
        partnerId,
        consentId: input.consentId,
        clientRef: input.clientRef,
        purposes: input.purposes,
        categories: input.categories,
        at: notification.createdAt.toISOString(),
      };
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.kid, typ: 'schakel-notification+jws' })
        .sign(this.keys.signingKey);
      await manager.save(
        manager.create(WebhookDelivery, {
          notificationId: notification.id,
          url: partner.webhookUrl,
          jws,
          attempts: 0,
          nextAttemptAt: new Date(),
        }),
      );
    }
    return partners.length;
  }

  listFor(manager: EntityManager, partnerId: string): Promise<PartnerNotification[]> {
    return manager.find(PartnerNotification, { where: { partnerId }, order: { createdAt: 'DESC' }, take: 500 });
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.deliverDue()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn({ name: (error as Error).name }, 'webhook delivery postponed'))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  /** Delivers what is due; returns how many were delivered. */
  async deliverDue(batch = 20): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const due = await manager
        .createQueryBuilder(WebhookDelivery, 'd')
        .where('d.delivered_at IS NULL AND d.gave_up_at IS NULL AND d.next_attempt_at <= now()')
        .orderBy('d.next_attempt_at')
        .take(batch)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      let delivered = 0;
      for (const delivery of due) {
        let error: string | null = null;
        try {
          // Checked again now, on the connection itself: the URL passed at registration, but its
          // DNS may point somewhere else today. outboundFetch never follows redirects.
          const response = await outboundFetch(
            delivery.url,
            {
              method: 'POST',
              headers: { 'content-type': 'application/jose' },
              body: delivery.jws,
              signal: AbortSignal.timeout(5000),
            },
            outboundPolicyOf(this.config),
          );
          await response.body?.cancel();
          if (!response.ok) error = `HTTP ${response.status}`;
        } catch (e) {
          error = e instanceof OutboundRefused ? `${e.name}: ${e.reason}` : (e as Error).name;
        }
        delivery.attempts += 1;
        if (!error) {
          delivery.deliveredAt = new Date();
          delivered += 1;
        } else {
          delivery.lastError = error.slice(0, 200);
          if (delivery.attempts >= MAX_ATTEMPTS) delivery.gaveUpAt = new Date();
          // Exponential backoff, capped at one hour.
          delivery.nextAttemptAt = new Date(
            Date.now() + Math.min(3_600_000, this.config.webhookIntervalMs * 2 ** delivery.attempts),
          );
        }
        await manager.save(WebhookDelivery, delivery);
      }
      return delivered;
    });
  }
}
