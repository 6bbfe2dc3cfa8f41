import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { RateLimiter } from '../common/http/rate-limiter.js';
import { ProblemException } from '../common/problem/problem.js';
import { PolicyEngineService } from '../policies/policy-engine.js';
import { AccessService } from '../access/access.service.js';
import type { Principal } from '../access/principal.js';
import { AUTHENTICATED_ONLY, IS_PUBLIC, PERMISSION, type DeclaredPermission } from '../access/decorators.js';
import { SignedTokenRefused, TokenVerifierService } from './token-verifier.service.js';
import { ConsoleSessionsService } from './console/console-sessions.service.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import type { Logger } from 'pino';

const PURPOSE_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

/**
 * The one global gate, fail-closed, in a fixed order: authenticate the token (or the console
 * session, with its Origin and CSRF checks on state-changing requests), rate-limit the
 * partner, require a known purpose, then ask the policy whether the roles may use that purpose
 * for the route's declared permission. A route with neither @Public() nor @Authorize() is refused.
 * Instance-level checks (this case, this client) belong to the services, not here.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifierService,
    private readonly sessions: ConsoleSessionsService,
    private readonly policy: PolicyEngineService,
    private readonly access: AccessService,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {
    this.limiter = new RateLimiter(config.http.rateLimitPerMinute);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    let principal: Principal;
    if (request.headers.authorization === undefined && this.sessions.carriesSession(request)) {
      // A person signed in to the console: the server-side session, with its CSRF checks.
      const signedIn = await this.sessions.authenticate(request);
      principal = signedIn.principal;
      request.consoleSession = signedIn.session;
    } else {
      try {
        principal = await this.tokens.verify(request.headers.authorization);
      } catch (error) {
        if (error instanceof SignedTokenRefused) await this.recordSignedTokenRefusal(error, request);
        throw error;
      }
    }
    request.principal = principal;

    const wait = this.limiter.hit(principal.partnerId);
    if (wait > 0) {
      context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(wait));
      throw new ProblemException(
        'rate-limited',
        `This partner's request limit is reached; retry in ${wait} s`,
        {},
        { 'retry-after': String(wait) },
      );
    }

    // Only the caller's own identity is served here (see @Authenticated): no purpose to state.
    if (this.reflector.get<boolean>(AUTHENTICATED_ONLY, context.getHandler())) return true;

    const permission = this.reflector.get<DeclaredPermission | undefined>(PERMISSION, context.getHandler());
    if (!permission) throw new ProblemException('forbidden', 'This route declares no permission and is closed');

    const header = request.headers['x-purpose'];
    const purpose = Array.isArray(header) ? header[0] : header;
    const refuse = async (problem: ProblemException, loggedPurpose: string): Promise<never> => {
      // Refusals are evidence too; if the log cannot take them, the answer is 503, not the 4xx.
      // Named by the route's parameters, with the record's client and holder where they exist.
      await this.access.refuseAtGate(
        { principal, purpose: loggedPurpose, requestId: String(request.id) },
        permission,
        (request.params ?? {}) as Record<string, string>,
        problem.detail ?? problem.message,
      );
      throw problem;
    };
    if (!purpose) {
      return refuse(
        new ProblemException('purpose-required', 'State why you make this request in the X-Purpose header'),
        'unstated',
      );
    }
    if (!PURPOSE_PATTERN.test(purpose) || !this.policy.isKnownPurpose(purpose)) {
      return refuse(
        new ProblemException('unknown-purpose', 'X-Purpose is not a purpose listed in the network policy'),
        PURPOSE_PATTERN.test(purpose) ? purpose : 'invalid',
      );
    }
    if (!this.policy.mayUsePurpose(principal.roles, purpose, principal.partnerType, principal.operator)) {
      return refuse(
        new ProblemException('purpose-not-permitted', `Your roles may not act for the purpose "${purpose}"`),
        purpose,
      );
    }
    request.purpose = purpose;

    const decision = this.policy.decide(
      principal.roles,
      purpose,
      permission.action,
      permission.subject,
      principal.partnerType,
      principal.operator,
    );
    if (!decision.permitted) {
      return refuse(
        new ProblemException(
          'forbidden',
          `Your roles may not ${permission.action} ${permission.subject} for the purpose "${purpose}"`,
        ),
        purpose,
      );
    }
    return true;
  }

  /**
   * A token its partner really signed, refused for what it claims (a network-wide role from a
   * partner that is not the operator, a role or profession outside the partner's allowance):
   * logged as that partner's refused attempt, so the privacy officers see who tried. If the log
   * cannot take it, the answer is 503 rather than the 401.
   */
  private async recordSignedTokenRefusal(error: SignedTokenRefused, request: FastifyRequest): Promise<void> {
    const header = request.headers['x-purpose'];
    const stated = Array.isArray(header) ? header[0] : header;
    const purpose = stated && PURPOSE_PATTERN.test(stated) && this.policy.isKnownPurpose(stated) ? stated : 'unstated';
    const { partnerId, partnerType, operator, subject, roles, profession } = error.attempt;
    this.logger.warn(
      { requestId: String(request.id), partnerId, check: error.check },
      'refused a signed token that claims more than its partner may assert',
    );
    await this.access.refuseAtGate(
      {
        principal: {
          partnerId,
          partnerType,
          subject,
          roles,
          operator,
          ...(profession !== undefined ? { profession } : {}),
        },
        purpose,
        requestId: String(request.id),
      },
      { action: 'authenticate', subject: 'Token' },
      {},
      `check ${error.check}: ${error.detail ?? ''}`,
    );
  }
}
