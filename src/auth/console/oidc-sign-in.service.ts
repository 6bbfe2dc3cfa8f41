import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { APP_LOGGER } from '../../common/logging/logger.js';
import { CRYPTO, type Crypto } from '../../common/crypto/crypto.module.js';
import { ProblemException } from '../../common/problem/problem.js';
import { AccessService } from '../../access/access.service.js';
import type { Principal } from '../../access/principal.js';
import { PartnerRegistry } from '../../partners/partner-registry.service.js';
import { type RegisteredPartner, SignedTokenRefused, TokenVerifierService } from '../token-verifier.service.js';

/** How long a sign-in at the IdP may take (the login cookie's life). */
const LOGIN_SECONDS = 600;

/** What the browser carries, sealed, between the redirect to the IdP and the way back. */
interface LoginState {
  partnerId: string;
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  startedAt: number;
}

/**
 * OpenID Connect sign-in for people at their own organisation's IdP: authorization code flow with
 * PKCE (S256), state and nonce, by `openid-client` (OpenID-certified; it does discovery, the code
 * exchange and every ID token check: signature from the IdP's JWKS, iss, aud, nonce, exp). The ID
 * token's claims then go through the same mapping and trust checks as a bearer token.
 */
@Injectable()
export class OidcSignInService {
  private readonly configurations = new Map<string, Promise<oidc.Configuration>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CRYPTO) private readonly crypto: Crypto,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    private readonly partners: PartnerRegistry,
    private readonly tokens: TokenVerifierService,
    private readonly access: AccessService,
  ) {}

  readonly loginCookieName = 'schakel_login';

  /** Where to send the browser to sign in at this partner's IdP, and the sealed login state. */
  async begin(partnerId: string, origin: string): Promise<{ url: string; login: string }> {
    const partner = await this.signInPartner(partnerId);
    const configuration = await this.configuration(partner);
    const login: LoginState = {
      partnerId: partner.id,
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      redirectUri: `${origin}/console/auth/callback`,
      startedAt: Date.now(),
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: login.redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(login.verifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
    });
    return { url: url.href, login: this.crypto.cipher.seal(login) };
  }

  /** Back from the IdP: the code exchanged, the ID token checked and mapped to a principal. */
  async finish(currentUrl: URL, sealedLogin: string | undefined): Promise<{ principal: Principal; idToken: string }> {
    let login: LoginState;
    try {
      login = this.crypto.cipher.open<LoginState>(sealedLogin ?? '');
    } catch {
      throw new ProblemException('unauthenticated', 'No sign-in is under way in this browser', { check: 'login' });
    }
    if (Date.now() - login.startedAt > LOGIN_SECONDS * 1000)
      throw new ProblemException('unauthenticated', 'The sign-in took too long; start again', { check: 'login' });
    const partner = await this.signInPartner(login.partnerId);
    const configuration = await this.configuration(partner);
    // The redirect URI sent to the IdP, with the query the IdP added (code, state, iss).
    const callback = new URL(login.redirectUri);
    callback.search = currentUrl.search;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      this.logger.warn(
        { partnerId: partner.id, error: (error as { code?: string }).code ?? (error as Error).name },
        'console sign-in refused by the OpenID Connect checks',
      );
      throw new ProblemException('unauthenticated', 'The sign-in at your organisation could not be completed', {
        check: 'oidc',
      });
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token)
      throw new ProblemException('unauthenticated', 'The IdP sent no ID token', { check: 'oidc' });
    try {
      return { principal: this.tokens.principalOf(partner, claims), idToken: tokens.id_token };
    } catch (error) {
      await this.recordRefusal(error);
      throw error;
    }
  }

  /** As for a bearer token: a signed claim beyond the partner's allowance is evidence, logged. */
  async recordRefusal(error: unknown): Promise<void> {
    if (!(error instanceof SignedTokenRefused)) return;
    const { partnerId, partnerType, operator, subject, roles, profession } = error.attempt;
    await this.access.refuseAtGate(
      {
        principal: { partnerId, partnerType, operator, subject, roles, ...(profession ? { profession } : {}) },
        purpose: 'unstated',
        requestId: `console-sign-in-${randomBytes(6).toString('hex')}`,
      },
      { action: 'authenticate', subject: 'Token' },
      {},
      `check ${error.check}: ${error.detail ?? ''}`,
    );
  }

  /** The IdP's end-session address for this ID token, when its discovery offers one. */
  async endSessionUrl(partnerId: string, idToken: string | null, origin: string): Promise<string | null> {
    const partner = await this.partners.byId(partnerId);
    if (!partner?.oidcClientId) return null;
    try {
      const configuration = await this.configuration(partner);
      if (!configuration.serverMetadata().end_session_endpoint) return null;
      return oidc.buildEndSessionUrl(configuration, {
        post_logout_redirect_uri: `${origin}/console`,
        ...(idToken ? { id_token_hint: idToken } : {}),
      }).href;
    } catch {
      return null;
    }
  }

  private async signInPartner(partnerId: string): Promise<RegisteredPartner> {
    const partner = /^[a-z0-9][a-z0-9-]{0,63}$/.test(partnerId) ? await this.partners.byId(partnerId) : null;
    if (!partner?.oidcClientId || partner.status !== 'active')
      throw new ProblemException('not-found', 'No organisation with console sign-in by that id');
    return partner;
  }

  /** The IdP's discovery document and the gateway's client there, kept per registration. */
  private configuration(partner: RegisteredPartner): Promise<oidc.Configuration> {
    const issuer = partner.oidcIssuer ?? partner.issuer;
    const key = JSON.stringify([partner.id, issuer, partner.oidcClientId, partner.oidcClientSecret]);
    let found = this.configurations.get(key);
    if (!found) {
      const secret = partner.oidcClientSecret ? this.crypto.cipher.open<string>(partner.oidcClientSecret) : null;
      const insecure = this.config.nodeEnv !== 'production' && issuer.startsWith('http:');
      found = oidc.discovery(
        new URL(issuer),
        partner.oidcClientId!,
        undefined,
        secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
        // Plain http only outside production (IdPs on loopback in development and tests).
        insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
      );
      // A failed discovery is not kept: the next sign-in tries again.
      found.catch(() => this.configurations.delete(key));
      this.configurations.set(key, found);
    }
    return found.catch(() => {
      throw new ProblemException('service-unavailable', "Your organisation's sign-in service cannot be reached");
    });
  }
}
