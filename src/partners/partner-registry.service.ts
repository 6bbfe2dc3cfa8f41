import { EventEmitter, once } from 'node:events';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import {
  awaitPartnerChangePropagation,
  PARTNER_BARRIER_ACK_CHANNEL,
  PARTNER_BARRIER_CHANNEL,
  PARTNER_CHANGED_CHANNEL,
  PARTNER_LISTENER_APPLICATION,
} from './partner-change-barrier.js';
import type { Partner } from './partner.entity.js';
import { PartnersRepository } from './partners.repository.js';

/** A half-open connection (a peer that vanished without a FIN) is found within about this long. */
const HEARTBEAT_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;
const MAX_RETRY_MS = 30_000;

interface Snapshot {
  byIssuer: Map<string, Partner>;
  byId: Map<string, Partner>;
}

export type RegistryState = 'live' | 'degraded';

/**
 * The partner registry in memory, so that authenticating a token costs no database round trip,
 * and kept correct across gateway replicas without asking the database per request: every
 * replica LISTENs on a dedicated connection to the notifications a trigger on `partner` sends
 * after each committed change, drops its snapshot as soon as one arrives and reloads it.
 *
 * Fail closed. While there is no trustworthy snapshot (starting, reloading after a change, or the
 * listening connection lost and not yet re-established) every lookup asks the database: a
 * replica that might have missed a suspension never answers "active" from memory. An issuer the
 * snapshot does not know is also asked for (a partner registered a moment ago whose notification
 * is still on its way), so only unregistered issuers cost a query once warm.
 *
 * "At once" across replicas: a notification takes a moment to arrive (milliseconds, more on a
 * loaded machine), so a replica that writes a partner change waits, before it answers, until
 * every listening replica has confirmed it dropped its snapshot (see partner-change-barrier.ts).
 */
@Injectable()
export class PartnerRegistry implements OnModuleInit, OnApplicationShutdown {
  private snapshot: Snapshot | null = null;
  private listener: pg.Client | null = null;
  /** The listener has LISTENed: only from then on may a loaded snapshot be trusted. */
  private subscribed = false;
  /** Bumped by every change and every loss, so a reload that started before one is discarded. */
  private generation = 0;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly events = new EventEmitter();

  constructor(
    private readonly repository: PartnersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {
    this.retryMs = config.partnerRegistry.retryMs;
  }

  /** `live`: lookups are answered from memory; `degraded`: every lookup asks the database. */
  get state(): RegistryState {
    return this.snapshot ? 'live' : 'degraded';
  }

  /** The server process of the listening connection (operations: find it in pg_stat_activity). */
  get listenerProcessId(): number | undefined {
    return (this.listener as (pg.Client & { processID?: number }) | null)?.processID;
  }

  /** Resolves when the registry is (or next becomes) in this state. */
  async reached(state: RegistryState): Promise<void> {
    while (this.state !== state) await once(this.events, 'state');
  }

  async onModuleInit(): Promise<void> {
    // A database that is down at start must not stop the gateway: it runs degraded and retries.
    await this.resubscribe();
  }

  onApplicationShutdown(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.drop();
  }

  async byIssuer(issuer: string): Promise<Partner | null> {
    const known = this.snapshot?.byIssuer.get(issuer);
    return known ?? this.repository.findByIssuer(issuer);
  }

  async byId(id: string): Promise<Partner | null> {
    const known = this.snapshot?.byId.get(id);
    return known ?? this.repository.findById(id);
  }

  /**
   * A partner changed: forget the snapshot at once (the next lookup asks the database) and load a
   * fresh one. Called for every notification, and by this replica's own writes right after they
   * commit, so the replica that suspends a partner does not even wait for its own notification.
   */
  changed(): void {
    this.generation += 1;
    this.setSnapshot(null);
    if (this.subscribed) void this.reload();
  }

  /**
   * After a partner change this replica committed: waits until every listening replica has seen
   * it, so that once the writer answers, no replica serves the old registration from memory.
   */
  async propagate(): Promise<void> {
    this.changed();
    try {
      const { confirmed, unconfirmed } = await awaitPartnerChangePropagation(this.repository.connectionConfig());
      if (unconfirmed.length > 0)
        this.logger.warn(
          { confirmed, unconfirmed },
          'a partner change was not confirmed by every gateway replica in time; they fall back to the database when their notification connection is declared lost',
        );
    } catch (error) {
      // The change is committed and notified; only the confirmation could not be awaited.
      this.logger.warn({ code: (error as { code?: string }).code }, 'could not await the partner change propagation');
    }
  }

  /** (Re)connects the listening connection, LISTENs, then loads the snapshot. Never throws. */
  async resubscribe(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.drop();
    const client = new pg.Client({
      ...this.repository.connectionConfig(),
      // Renamed to PARTNER_LISTENER_APPLICATION once it LISTENs: writers wait only for listeners.
      application_name: `${PARTNER_LISTENER_APPLICATION}-starting`,
      keepAlive: true,
      connectionTimeoutMillis: this.config.database.connectionTimeoutMs,
      query_timeout: HEARTBEAT_TIMEOUT_MS,
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', ({ channel, payload }) => {
      if (client !== this.listener) return;
      if (channel === PARTNER_CHANGED_CHANNEL) this.changed();
      // Notifications arrive in commit order: every change before this barrier is handled above.
      if (channel === PARTNER_BARRIER_CHANNEL && this.subscribed) void this.confirm(client, payload ?? '');
    });
    this.listener = client;
    try {
      await client.connect();
      // Subscribe before loading: a change committed after LISTEN is notified, one before is read.
      await client.query(`LISTEN ${PARTNER_CHANGED_CHANNEL}`);
      await client.query(`LISTEN ${PARTNER_BARRIER_CHANNEL}`);
      await client.query(`SET application_name = '${PARTNER_LISTENER_APPLICATION}'`);
      if (client !== this.listener) return;
      this.subscribed = true;
      this.heartbeat = setInterval(() => void this.beat(client), HEARTBEAT_MS);
      this.heartbeat.unref();
      await this.reload();
    } catch (error) {
      this.lost(client, error);
    }
  }

  private async confirm(client: pg.Client, barrier: string): Promise<void> {
    try {
      const pid = (client as pg.Client & { processID?: number }).processID;
      await client.query('SELECT pg_notify($1, $2)', [PARTNER_BARRIER_ACK_CHANNEL, `${barrier}:${pid}`]);
    } catch (error) {
      this.lost(client, error);
    }
  }

  private async reload(): Promise<void> {
    const generation = (this.generation += 1);
    const client = this.listener;
    try {
      const partners = await this.repository.all();
      // Only while nothing changed or was lost since the load began, and still subscribed.
      if (generation !== this.generation || !this.subscribed || client === null || client !== this.listener) return;
      const byIssuer = new Map<string, Partner>();
      const byId = new Map<string, Partner>();
      for (const partner of partners) {
        Object.freeze(partner);
        byIssuer.set(partner.issuer, partner);
        byId.set(partner.id, partner);
      }
      this.retryMs = this.config.partnerRegistry.retryMs;
      this.setSnapshot({ byIssuer, byId });
    } catch (error) {
      if (generation === this.generation && client) this.lost(client, error);
    }
  }

  private async beat(client: pg.Client): Promise<void> {
    try {
      await client.query('SELECT 1');
    } catch (error) {
      this.lost(client, error);
    }
  }

  /** The listening connection is gone (or never came): degrade, and try again with backoff. */
  private lost(client: pg.Client, error?: unknown): void {
    if (client !== this.listener) return;
    this.generation += 1;
    this.drop();
    this.setSnapshot(null);
    if (this.closed || this.retryTimer) return;
    this.logger.warn(
      { code: (error as { code?: string } | undefined)?.code, retryMs: this.retryMs },
      'partner registry lost its notification connection; authentication queries the database until it is back',
    );
    this.retryTimer = setTimeout(() => void this.resubscribe(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  private drop(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    const client = this.listener;
    this.listener = null;
    this.subscribed = false;
    this.setSnapshot(null);
    // Its late 'error'/'end' events are ignored: it is no longer the listener.
    if (client) client.end().catch(() => undefined);
  }

  private setSnapshot(snapshot: Snapshot | null): void {
    const before = this.state;
    this.snapshot = snapshot;
    if (this.state !== before) this.events.emit('state', this.state);
  }
}
