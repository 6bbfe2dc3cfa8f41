import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AccessContext } from '../access/access-context.js';
import { AccessService } from '../access/access.service.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { Clock } from '../common/time/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PartnersService } from '../partners/partners.service.js';
import { ClientsRepository } from './clients.repository.js';
import { ClientsService } from './clients.service.js';

/**
 * Retention of client and case data (issue 13 item 15): past the retention of policies/purposes.yaml
 * — counted from the case's closing, or from the decision on a referral that opened none — a
 * client's data is erased as on an art. 17 request (the record stays a shell, the access log keeps
 * its pseudonymised entries). Every replica tries it on a timer; one runs it (a PostgreSQL advisory
 * lock in the job's transaction). Judged by an injected clock, so tests move time, not wait for it.
 * The access log's own retention is the log's (npm run log:purge-expired).
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly clients: ClientsService,
    private readonly repository: ClientsRepository,
    private readonly access: AccessService,
    private readonly partners: PartnersService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.retentionIntervalMinutes === 0) return;
    this.timer = setInterval(() => void this.tick(), this.config.retentionIntervalMinutes * 60_000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** The timer's run: on behalf of the network operator (the job's entries name it, user `retention-job`). */
  private async tick(): Promise<void> {
    if (this.running) return;
    const operator = await this.partners.operatorRef().catch(() => null);
    if (!operator) {
      this.logger.warn('retention job skipped: no network operator registered to run it for');
      return;
    }
    const context: AccessContext = {
      principal: {
        partnerId: operator.id,
        partnerType: operator.type,
        operator: true,
        subject: 'retention-job',
        roles: ['gateway-admin'],
      },
      purpose: 'administration',
      requestId: `retention-${Date.now().toString(36)}`,
    };
    this.running = this.run(context)
      .catch((error: unknown) => this.logger.warn({ name: (error as Error).name }, 'retention job postponed'))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  /**
   * One run, in one transaction with its log entries: one per client erased (that client, its
   * pseudonym and holder, under the retention rule's own decision), then the run's own entry,
   * which names no client and no category. `ran: false` when another replica holds the lock.
   */
  run(access: AccessContext) {
    const now = this.clock.now();
    return this.access.run(access, async (tx) => {
      const decision = await tx.require({
        subject: { type: 'ClientData' },
        action: 'delete',
        facts: { visible: true },
      });
      if (!(await this.repository.tryRetentionLock(tx.manager)))
        return tx.complete({ ran: false, at: now.toISOString(), erased: 0 }, decision, {
          reason: 'retention run skipped: another replica is running it',
        });
      const erased: string[] = [];
      for (const clientId of await this.clients.erasableExpired(tx.manager, now)) {
        const loaded = await this.clients.facts(tx.manager, tx.context, clientId, 'ClientData');
        const forClient = await tx.require({
          subject: loaded.subject,
          action: 'delete',
          facts: { visible: true },
        });
        const counts = await this.clients.eraseAll(tx.manager, clientId, 'retention');
        await tx.record(forClient, {
          written: ['erased'],
          categories: forClient.granted,
          reason: `client data erased: retention (past policies/purposes.yaml at ${now.toISOString()}; ${Object.entries(
            counts,
          )
            .map(([kind, n]) => `${kind} ${n}`)
            .join(', ')})`,
        });
        erased.push(clientId);
      }
      return tx.complete({ ran: true, at: now.toISOString(), erased: erased.length }, decision, {
        reason: `retention run at ${now.toISOString()}: ${erased.length} client record(s) past retention erased, each logged on its own`,
      });
    });
  }
}
