import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CompactSign } from 'jose';
import type { Logger } from 'pino';
import { AccessLogService } from '../access-log/access-log.service.js';
import type { AccessContext } from '../access/access-context.js';
import { AccessService } from '../access/access.service.js';
import { GATEWAY_KEYS, type GatewayKeys } from '../access-log/gateway-keys.js';
import { outboundFetch, outboundPolicyOf, OutboundRefused } from '../common/http/outbound.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Transaction } from '../database/transaction.js';
import { PartnersService } from '../partners/partners.service.js';
import type { NotificationKind, PartnerNotification } from './notification.entities.js';
import { NotificationsRepository } from './notifications.repository.js';

const MAX_ATTEMPTS = 10;

/**
 * Tells partners that the basis for data they received is gone, or that something waits for them. The notification and its
 * webhook are written in the transaction of the withdrawal (an outbox); a loop in every gateway
 * process delivers due webhooks with backoff, one process per row (SKIP LOCKED).
 */
@Injectable()
export class NotificationsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly partners: PartnersService,
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
    private readonly accessLog: AccessLogService,
    private readonly access: AccessService,
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

  /** The organisation's own notifications (pseudonyms only), newest first; the read is logged. */
  list(access: AccessContext) {
    return this.access.run(access, async (tx) => {
      const decision = await tx.require({
        subject: { type: 'Notification' },
        action: 'read',
        facts: { visible: true },
      });
      const items = (await this.repository.listFor(tx.manager, access.principal.partnerId)).map((n) => ({
        id: n.id,
        kind: n.kind,
        consentId: n.consentId,
        clientRef: n.clientRef,
        resourceType: n.resourceType,
        resourceId: n.resourceId,
        purposes: n.purposes,
        categories: n.categories,
        detail: n.detail,
        createdAt: n.createdAt.toISOString(),
      }));
      return tx.complete({ items, nextCursor: null }, decision, {
        reason: 'partner read its notifications',
        disclosed: { notifications: items.map((i) => i.id) },
      });
    });
  }

  async notifyConsentWithdrawn(
    manager: Transaction,
    input: { consentId: string; clientRef: string; purposes: string[]; categories: string[]; holderPartnerId: string },
  ): Promise<number> {
    const partners = await this.accessLog.recipientsUnder(manager, input.consentId, input.holderPartnerId);
    for (const partnerId of partners) {
      await this.notify(manager, {
        partnerId,
        kind: 'consent-withdrawn',
        consentId: input.consentId,
        clientRef: input.clientRef,
        purposes: input.purposes,
        categories: input.categories,
      });
    }
    return partners.length;
  }

  /**
   * Tells a partner, in the caller's transaction (the outbox), that something concerns it: the
   * notification its staff read, and a signed webhook when it registered a URL. Ids, codes and
   * pseudonyms only; the partner fetches the rest through the gateway, which decides and logs.
   */
  async notify(
    manager: Transaction,
    input: {
      partnerId: string;
      kind: NotificationKind;
      consentId?: string | null;
      clientRef?: string | null;
      resourceType?: string | null;
      resourceId?: string | null;
      purposes?: string[];
      categories?: string[];
      detail?: Record<string, unknown>;
    },
  ): Promise<void> {
    const notification = await this.repository.insertNotification(manager, {
      partnerId: input.partnerId,
      kind: input.kind,
      consentId: input.consentId ?? null,
      clientRef: input.clientRef ?? null,
      resourceType: input.resourceType ?? null,
      resourceId: input.resourceId ?? null,
      purposes: input.purposes ?? [],
      categories: input.categories ?? [],
      detail: input.detail ?? {},
    });
    const partner = await this.partners.find(input.partnerId);
    if (!partner?.webhookUrl) return;
    const jws = await this.sign(notification);
    await this.repository.insertDelivery(manager, {
      notificationId: notification.id,
      url: partner.webhookUrl,
      jws,
      attempts: 0,
      nextAttemptAt: new Date(),
    });
  }

  /** The signed webhook body of a notification: ids, codes and pseudonyms only. */
  private async sign(notification: PartnerNotification): Promise<string> {
    const payload = {
      type: notification.kind,
      notificationId: notification.id,
      partnerId: notification.partnerId,
      ...(notification.consentId ? { consentId: notification.consentId } : {}),
      ...(notification.clientRef ? { clientRef: notification.clientRef } : {}),
      ...(notification.resourceType
        ? { resourceType: notification.resourceType, resourceId: notification.resourceId }
        : {}),
      purposes: notification.purposes,
      categories: notification.categories,
      ...(Object.keys(notification.detail).length > 0 ? { detail: notification.detail } : {}),
      at: notification.createdAt.toISOString(),
    };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.kid, typ: 'schakel-notification+jws' })
      .sign(this.keys.signingKey);
  }

  /**
   * Art. 17, for the capability that erases the resources: the notifications about them lose the
   * detail fields named (e.g. a referrer's file number), in the caller's transaction. A webhook
   * still to be sent is signed again without them; one already sent or given up keeps no body.
   */
  async forgetDetail(manager: Transaction, resourceType: string, resourceIds: string[], fields: string[]) {
    let touched = 0;
    for (const notification of await this.repository.aboutResources(manager, resourceType, resourceIds)) {
      if (!fields.some((f) => f in notification.detail)) continue;
      const detail = Object.fromEntries(Object.entries(notification.detail).filter(([k]) => !fields.includes(k)));
      const stripped = { ...notification, detail };
      await this.repository.replaceDetail(manager, notification.id, detail, await this.sign(stripped));
      touched += 1;
    }
    return touched;
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
    return this.repository.withDueDeliveries(batch, async (due) => {
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
      }
      return delivered;
    });
  }
}
