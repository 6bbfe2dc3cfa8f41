import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { CRYPTO, type Crypto } from '../../common/crypto/crypto.module.js';
import { ProblemException } from '../../common/problem/problem.js';
import type { Principal } from '../../access/principal.js';
import { PartnerRegistry } from '../../partners/partner-registry.service.js';
import { assertableBy } from '../../partners/partner-trust.js';
import { PolicyService } from '../../policies/policy.service.js';
import { ConsoleSessionRepository } from './console-session.repository.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie in a Cookie header (no library: one name, no attributes to parse). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface ConsoleSessionContext {
  idHash: string;
  csrfToken: string;
}

/**
 * The console's server-side sessions: a random id in an httpOnly, SameSite=Lax cookie (Secure and
 * `__Host-` in production), a synchronizer CSRF token per session, idle and absolute time-outs.
 */
@Injectable()
export class ConsoleSessionsService {
  readonly cookieName: string;
  private readonly limits: { idleMinutes: number; maxHours: number };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CRYPTO) private readonly crypto: Crypto,
    private readonly sessions: ConsoleSessionRepository,
    private readonly partners: PartnerRegistry,
    private readonly policy: PolicyService,
  ) {
    this.cookieName = config.nodeEnv === 'production' ? '__Host-schakel_session' : 'schakel_session';
    this.limits = { idleMinutes: config.console.sessionIdleMinutes, maxHours: config.console.sessionMaxHours };
  }

  get production(): boolean {
    return this.config.nodeEnv === 'production';
  }

  /**
   * The origin the console is served from: PUBLIC_URL in production; elsewhere the address the
   * browser used (tests and development run on changing ports).
   */
  ownOrigin(request: FastifyRequest): string {
    if (this.production) return new URL(this.config.publicUrl).origin;
    return `http://${request.headers.host ?? `${this.config.host}:${this.config.port}`}`;
  }

  /** A cookie header: httpOnly, SameSite=Lax, Secure in production. */
  cookie(name: string, value: string, options: { path: string; maxAgeSeconds?: number }): string {
    return [
      `${name}=${value}`,
      `Path=${options.path}`,
      'HttpOnly',
      'SameSite=Lax',
      ...(this.production ? ['Secure'] : []),
      ...(options.maxAgeSeconds !== undefined ? [`Max-Age=${options.maxAgeSeconds}`] : []),
    ].join('; ');
  }

  /** Signs in: a new id (the browser's previous session, if any, is ended), a new CSRF token. */
  async start(request: FastifyRequest, principal: Principal, idToken: string | null): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const previous = cookieValue(request.headers.cookie, this.cookieName);
    await this.sessions.create(
      {
        idHash: sha256(id),
        partnerId: principal.partnerId,
        principal,
        csrfToken: randomBytes(32).toString('base64url'),
        idToken: idToken ? this.crypto.cipher.seal(idToken) : null,
      },
      previous ? sha256(previous) : null,
      this.limits,
    );
    // A session cookie (no Max-Age): closing the browser ends it on this side too.
    return this.cookie(this.cookieName, id, { path: '/' });
  }

  /** Whether the request carries a console session cookie at all. */
  carriesSession(request: FastifyRequest): boolean {
    return cookieValue(request.headers.cookie, this.cookieName) !== undefined;
  }

  /**
   * The principal of the request's console session, with the CSRF checks for a state-changing
   * request: the Origin must be the console's own, and X-CSRF-Token the session's token.
   */
  async authenticate(request: FastifyRequest): Promise<{ principal: Principal; session: ConsoleSessionContext }> {
    const id = cookieValue(request.headers.cookie, this.cookieName) ?? '';
    const idHash = sha256(id);
    const live = /^[A-Za-z0-9_-]{43}$/.test(id) ? await this.sessions.touch(idHash, this.limits) : null;
    if (!live)
      throw new ProblemException('unauthenticated', 'The console session has ended; sign in again', {
        check: 'session',
      });
    // A suspended partner's people are out at once, as its tokens are (the registry is in memory).
    const partner = await this.partners.byId(live.partnerId);
    if (partner?.status !== 'active')
      throw new ProblemException('unauthenticated', 'The partner is suspended; its sessions are refused', {
        check: 'partner-status',
      });
    // What the partner may assert today (a narrowed registration, a changed policy) bounds a
    // session signed in earlier as it bounds every new token.
    const mayAssert = assertableBy(partner, this.policy);
    const { roles, profession } = live.principal;
    if (
      roles.some((role) => !mayAssert.roles.includes(role)) ||
      (profession !== undefined && !mayAssert.professions.includes(profession))
    )
      throw new ProblemException('unauthenticated', 'The roles of this session are no longer allowed; sign in again', {
        check: 'roles',
      });
    if (!SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      if (origin !== this.ownOrigin(request))
        throw new ProblemException('forbidden', 'A console request must come from the console itself', {
          check: 'origin',
        });
      const header = request.headers['x-csrf-token'];
      const token = Array.isArray(header) ? header[0] : header;
      if (!token || !sameSecret(token, live.csrfToken))
        throw new ProblemException('forbidden', 'The console request lacks its CSRF token', { check: 'csrf' });
    }
    return { principal: live.principal, session: { idHash, csrfToken: live.csrfToken } };
  }

  /** Ends the session server-side; returns its ID token for the IdP's end-session request. */
  async end(idHash: string): Promise<{ partnerId: string; idToken: string | null } | null> {
    const gone = await this.sessions.remove(idHash);
    return (
      gone && { partnerId: gone.partnerId, idToken: gone.idToken && this.crypto.cipher.open<string>(gone.idToken) }
    );
  }

  /** A cookie that removes the session cookie from the browser. */
  clearCookie(): string {
    return this.cookie(this.cookieName, '', { path: '/', maxAgeSeconds: 0 });
  }

  /** Whether a session (by its cookie value) still exists server-side. */
  exists(cookie: string): Promise<boolean> {
    return this.sessions.exists(sha256(cookie));
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the guard when the caller is a person signed in to the console (not a bearer token). */
    consoleSession?: ConsoleSessionContext;
  }
}
