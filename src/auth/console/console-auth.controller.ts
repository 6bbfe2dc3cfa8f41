import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Authenticated, Public } from '../../access/decorators.js';
import { APP_LOGGER } from '../../common/logging/logger.js';
import { ProblemException } from '../../common/problem/problem.js';
import { PartnersService } from '../../partners/partners.service.js';
import { TokenVerifierService } from '../token-verifier.service.js';
import { cookieValue, ConsoleSessionsService } from './console-sessions.service.js';
import { OidcSignInService } from './oidc-sign-in.service.js';

class DevSignInDto {
  @IsString()
  @MaxLength(8000)
  token!: string;
}

/**
 * Signing people in to the console and out again. Browser routes (redirects and the console's own
 * calls), not part of the partner API: excluded from the OpenAPI document like the console.
 */
@ApiExcludeController()
@Controller('console/auth')
export class ConsoleAuthController {
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly signIn: OidcSignInService,
    private readonly tokens: TokenVerifierService,
    private readonly partners: PartnersService,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /** The sign-in page's choices: organisations whose people sign in with their IdP. */
  @Get('organisations')
  @Public()
  async organisations(): Promise<{ organisations: { id: string; name: string }[]; devSignIn: boolean }> {
    return { organisations: await this.partners.signInOrganisations(), devSignIn: !this.sessions.production };
  }

  /** Off to the organisation's IdP (code flow, PKCE); the login state goes along sealed in a cookie. */
  @Get('start')
  @Public()
  async start(
    @Query('organisation') organisation: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    try {
      const { url, login } = await this.signIn.begin(String(organisation ?? ''), this.sessions.ownOrigin(request));
      void reply
        .header(
          'set-cookie',
          this.sessions.cookie(this.signIn.loginCookieName, login, { path: '/console/auth', maxAgeSeconds: 600 }),
        )
        .redirect(url, 303);
    } catch (error) {
      void reply.redirect(`/console?signin=${this.outcome(error)}`, 303);
    }
  }

  /** Back from the IdP: a new session (the browser's previous one ended), then the console. */
  @Get('callback')
  @Public()
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const clearLogin = this.sessions.cookie(this.signIn.loginCookieName, '', {
      path: '/console/auth',
      maxAgeSeconds: 0,
    });
    try {
      const { principal, idToken } = await this.signIn.finish(
        new URL(request.url, this.sessions.ownOrigin(request)),
        cookieValue(request.headers.cookie, this.signIn.loginCookieName),
      );
      const session = await this.sessions.start(request, principal, idToken);
      void reply.header('set-cookie', [clearLogin, session]).redirect('/console', 303);
    } catch (error) {
      void reply.header('set-cookie', clearLogin).redirect(`/console?signin=${this.outcome(error)}`, 303);
    }
  }

  /** Development only: a pasted token becomes a console session. Refused in production. */
  @Post('dev')
  @Public()
  @HttpCode(204)
  async dev(@Body() body: DevSignInDto, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (this.sessions.production) throw new ProblemException('not-found', 'Token sign-in is for development only');
    if (request.headers.origin !== this.sessions.ownOrigin(request))
      throw new ProblemException('forbidden', 'A console request must come from the console itself', {
        check: 'origin',
      });
    const principal = await this.tokens.verify(`Bearer ${body.token.trim()}`).catch(async (error: unknown) => {
      await this.signIn.recordRefusal(error);
      throw error;
    });
    void reply
      .header('set-cookie', await this.sessions.start(request, principal, null))
      .status(204)
      .send();
  }

  /** Ends the session server-side; the console then goes to the IdP's end-session page if it has one. */
  @Post('sign-out')
  @Authenticated()
  @HttpCode(200)
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = request.consoleSession;
    if (!session) throw new ProblemException('forbidden', 'Only a console session can be signed out');
    const ended = await this.sessions.end(session.idHash);
    const location = ended
      ? await this.signIn.endSessionUrl(ended.partnerId, ended.idToken, this.sessions.ownOrigin(request))
      : null;
    void reply.header('set-cookie', this.sessions.clearCookie()).send({ location: location ?? '/console' });
  }

  private outcome(error: unknown): string {
    if (error instanceof ProblemException) {
      if (error.kind === 'service-unavailable') return 'unavailable';
      if (error.kind === 'not-found') return 'unknown';
      const check = error.extensions.check;
      if (check === 'roles' || check === 'profession') return 'refused';
      return 'failed';
    }
    this.logger.error({ error: (error as Error).name }, 'console sign-in failed unexpectedly');
    return 'failed';
  }
}
