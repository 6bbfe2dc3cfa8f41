import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CompactSign } from 'jose';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { AccessLogRepository } from './access-log.repository.js';
import { GATEWAY_KEYS, type GatewayKeys } from './gateway-keys.js';
import { verifyChain, type VerifyReport } from './verifier.js';

const BATCH = 1000;

/**
 * Keeps the hash chain up to date and signed. Every gateway process runs this loop; a database
 * advisory lock lets one of them link at a time, so request transactions never wait for it.
 */
@Injectable()
export class ChainService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastCheckpointAt = 0;

  constructor(
    private readonly repository: AccessLogRepository,
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.accessLog.chainIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = (async () => {
      try {
        await this.chainAll();
        if (Date.now() - this.lastCheckpointAt >= this.config.accessLog.checkpointIntervalSeconds * 1000)
          await this.checkpoint();
      } catch (error) {
        // The entries are safe in their table; linking resumes on the next tick.
        this.logger.warn(
          { code: (error as { code?: string }).code, name: (error as Error).name },
          'access-log chaining postponed',
        );
      } finally {
        this.running = undefined;
      }
    })();
    await this.running;
  }

  /** Links everything committed so far (waits for another process that is linking). */
  async chainAll(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const linked = await this.repository.chainPending(BATCH);
      if (linked === 0) return;
      if (linked < 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Signs the current head when it moved since the last checkpoint. */
  async checkpoint(): Promise<void> {
    this.lastCheckpointAt = Date.now();
    const head = await this.repository.head();
    if (!head) return;
    const last = await this.repository.lastCheckpoint();
    if (last && last.position === head.position) return;
    await this.sign(head);
  }

  /**
   * Signs a chain position as an anchor (a checkpoint): what remains after retention verifies from
   * it. Retention (LogMaintenanceService) writes its anchor through here, as every checkpoint is
   * written: one function, so the anchor's content is extended in one place.
   */
  anchor(at: { position: string; hash: string }): Promise<void> {
    return this.sign(at);
  }

  private async sign(head: { position: string; hash: string }): Promise<void> {
    const signedAt = new Date();
    const payload = {
      position: head.position,
      hash: head.hash,
      signedAt: signedAt.toISOString(),
      iss: 'schakel-gateway',
    };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.kid, typ: 'schakel-log-checkpoint+jws' })
      .sign(this.keys.signingKey);
    await this.repository.insertCheckpoint({
      position: head.position,
      headHash: head.hash,
      signedAt,
      kid: this.keys.kid,
      jws,
    });
  }

  /** The whole log checked from the database, in constant memory. */
  async verify(): Promise<VerifyReport & { pending: number }> {
    await this.chainAll();
    const report = await verifyChain(
      this.repository.chainInOrder(),
      this.repository.checkpointsInOrder(),
      this.keys.verificationJwks,
    );
    const outside = await this.repository.entriesOutsideChain(1);
    if (report.ok && outside.length > 0) {
      Object.assign(report, {
        ok: false,
        brokenAt: null,
        problem: `entry #${outside[0]} is outside the chain (written around the gateway)`,
      });
    }
    return { ...report, pending: await this.repository.pendingCount() };
  }
}
