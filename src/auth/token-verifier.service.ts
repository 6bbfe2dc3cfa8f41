import { Inject, Injectable } from '@nestjs/common';
import {
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PartnerKeysService } from '../partners/partner-keys.service.js';
import { assertableBy } from '../partners/partner-trust.js';
import { PartnerRegistry } from '../partners/partner-registry.service.js';
import { PolicyService } from '../policies/policy.service.js';
import { ProblemException } from '../common/problem/problem.js';
import { ALLOWED_ALGORITHMS } from '../common/jose-algorithms.js';
import { CONTRACT_CLAIMS, describePath, namesIn } from './claims.js';
import type { Principal } from '../access/principal.js';
import { VerifiedTokens } from './verified-tokens.js';

/** A registered partner as the registry hands it out. */
type Partner = NonNullable<Awaited<ReturnType<PartnerRegistry['byIssuer']>>>;

/** A partner as the registry holds it (its entity is the partners capability's own). */
export type RegisteredPartner = NonNullable<Awaited<ReturnType<PartnerRegistry['byIssuer']>>>;

function refuse(check: string, detail: string): never {
  // The body names the failed check; it never echoes the token or its claims' values.
  throw new ProblemException(
    'unauthenticated',
    detail,
    { check },
    { 'www-authenticate': `Bearer error="invalid_token"` },
  );
}

/**
 * A refusal of a token whose signature did verify, for what it claims beyond what its partner may
 * assert (a network-wide role, a role or profession outside the partner's allowance): the partner
 * that signed it is known, so the attempt is evidence about that partner and goes into the access
 * log (see AccessGuard).
 */
export class SignedTokenRefused extends ProblemException {
  constructor(
    readonly attempt: {
      partnerId: string;
      partnerType: Principal['partnerType'];
      operator: boolean;
      subject: string;
      roles: string[];
      profession?: string;
    },
    readonly check: 'roles' | 'profession',
    detail: string,
  ) {
    super('unauthenticated', detail, { check }, { 'www-authenticate': `Bearer error="invalid_token"` });
  }
}

@Injectable()
export class TokenVerifierService {
  /** Checked signatures, for at most a minute (see VerifiedTokens). */
  private readonly verified = new VerifiedTokens(10_000, 60_000);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly partners: PartnerRegistry,
    private readonly keys: PartnerKeysService,
    private readonly policy: PolicyService,
  ) {}

  async verify(authorization: string | undefined): Promise<Principal> {
    if (!authorization) refuse('bearer', 'An Authorization: Bearer <JWT> header is required');
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(authorization);
    if (!match) refuse('bearer', 'The Authorization header must be "Bearer " followed by a compact JWT');
    const token = match[1];

    // A token whose signature was checked a moment ago was well formed, with an allowed alg, a
    // kid and this iss, then: its partner is looked up and refused as on the full path, without
    // decoding the token twice more. When the cache no longer counts it, the full path decides.
    // A remembered entry that no longer counts is forgotten by get(): the full path below then
    // finds nothing in the cache and checks the signature again.
    const knownIssuer = this.verified.issuerOf(token);
    if (knownIssuer !== undefined) {
      const partner = await this.activePartner(knownIssuer);
      const payload = this.verified.get(token, partner, this.keys.keySetFor(partner));
      if (payload) return this.bearerPrincipal(partner, payload);
    }

    let alg: string | undefined;
    let kid: string | undefined;
    let unverified: JWTPayload;
    try {
      const header = decodeProtectedHeader(token);
      alg = header.alg;
      kid = header.kid;
      unverified = decodeJwt(token);
    } catch {
      refuse('format', 'The token is not a well-formed signed JWT');
    }
    if (!alg || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
      refuse('alg', `The token's algorithm is not allowed; use one of ${ALLOWED_ALGORITHMS.join(', ')}`);
    }
    if (!kid) refuse('kid', 'The token header must name the signing key (kid)');
    if (typeof unverified.iss !== 'string' || unverified.iss === '') refuse('iss', 'The token must carry an iss claim');

    const partner = await this.activePartner(unverified.iss);
    const payload = await this.verifySignature(token, kid, partner, this.keys.keySetFor(partner));
    return this.bearerPrincipal(partner, payload);
  }

  /** The registered, active partner of this issuer; refused otherwise. */
  private async activePartner(issuer: string): Promise<Partner> {
    // From memory once warm: authentication adds no database round trip (see PartnerRegistry).
    const partner = await this.partners.byIssuer(issuer);
    if (!partner) refuse('iss', 'The token issuer is not a registered partner');
    if (partner.status !== 'active') refuse('partner-status', 'The partner is suspended; its tokens are refused');
    return partner;
  }

  /** The signature and standard claims, by jose; a token that passes is remembered (VerifiedTokens). */
  private async verifySignature(
    token: string,
    kid: string,
    partner: Partner,
    keySet: JWTVerifyGetKey,
  ): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: partner.issuer,
        audience: this.config.auth.audience,
        algorithms: [...ALLOWED_ALGORITHMS],
        clockTolerance: this.config.auth.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      // A network failure fetching the partner's JWKS is not a JOSE error; it still means "cannot verify".
      if (partner.jwksUri && !(error instanceof joseErrors.JOSEError))
        refuse('jwks', "The partner's key set could not be fetched");
      this.refuseFromJose(error);
    }
    this.verified.remember(token, kid, partner, keySet, payload);
    return payload;
  }

  /** A bearer token's own time claims (checked at every request, cached signature or not), then who it speaks for. */
  private bearerPrincipal(partner: Partner, payload: JWTPayload): Principal {
    const now = Math.floor(Date.now() / 1000);
    const tolerance = this.config.auth.clockToleranceSeconds;
    const issuedAt = typeof payload.iat === 'number' ? payload.iat : now;
    if (typeof payload.iat === 'number' && payload.iat > now + tolerance)
      refuse('iat', 'The token is issued in the future');
    if ((payload.exp as number) - issuedAt > this.config.auth.maxTokenLifetimeSeconds + tolerance) {
      refuse('lifetime', `The token's lifetime exceeds ${this.config.auth.maxTokenLifetimeSeconds} seconds`);
    }

    return this.principalOf(partner, payload);
  }

  /**
   * Who a verified token of this partner speaks for: roles and profession read through the
   * partner's claim mapping, checked against what its kind of organisation may assert. One path
   * for every credential: a system's bearer token and a person's ID token from the console's
   * OpenID Connect sign-in.
   */
  principalOf(partner: RegisteredPartner, payload: JWTPayload): Principal {
    // Where this partner's IdP puts roles and profession, and in which words (its registration).
    const sources = {
      roles: partner.claimMapping?.roles ?? CONTRACT_CLAIMS.roles,
      profession: partner.claimMapping?.profession ?? CONTRACT_CLAIMS.profession,
    };
    const asserted = namesIn(payload, sources.roles, 'list');
    if (asserted === null)
      refuse('roles', `The roles claim (${describePath(sources.roles.path)}) must be an array of strings`);
    if (asserted.length === 0) {
      refuse(
        'roles',
        sources.roles.map
          ? `The token carries no role that this partner's mapping of ${describePath(sources.roles.path)} knows`
          : 'The token must carry a non-empty roles array',
      );
    }
    if (asserted.some((role) => !this.policy.isKnownRole(role)))
      refuse('roles', 'The token names a role the gateway does not know');
    const professions = namesIn(payload, sources.profession, 'single');
    if (professions === null || professions.length > 1)
      refuse('profession', `The profession claim (${describePath(sources.profession.path)}) must name one profession`);
    const profession = professions[0];
    if (profession !== undefined && !this.policy.isKnownProfession(profession))
      refuse('profession', 'The profession claim is not a known profession');
    if (typeof payload.sub !== 'string' || payload.sub.length > 200)
      refuse('sub', 'The sub claim must be a string of at most 200 characters');
    const attempt = {
      partnerId: partner.id,
      partnerType: partner.type,
      operator: partner.operator,
      subject: payload.sub,
      roles: asserted,
      ...(profession !== undefined ? { profession } : {}),
    };
    // Network-wide powers belong to the network operator alone, whatever another partner's IdP says.
    if (!partner.operator && asserted.some((role) => this.policy.isNetworkWideRole(role))) {
      throw new SignedTokenRefused(
        attempt,
        'roles',
        'The token names a network-wide role that only the network operator may assert',
      );
    }
    // The partner's IdP speaks for its own staff only within what its kind of organisation may be
    // (policies/partner-trust.yaml, narrowed by its registration): a landlord is no psychiatrist.
    const mayAssert = assertableBy(partner, this.policy);
    if (asserted.some((role) => !mayAssert.roles.includes(role))) {
      throw new SignedTokenRefused(attempt, 'roles', 'The token names a role this partner may not assert');
    }
    if (profession !== undefined && !mayAssert.professions.includes(profession)) {
      throw new SignedTokenRefused(attempt, 'profession', 'The token names a profession this partner may not assert');
    }

    return {
      partnerId: partner.id,
      partnerType: partner.type,
      operator: partner.operator,
      subject: payload.sub,
      roles: asserted,
      ...(profession !== undefined ? { profession } : {}),
      ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
    };
  }

  private refuseFromJose(error: unknown): never {
    if (error instanceof joseErrors.JWTExpired) refuse('exp', 'The token has expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      const claim = error.claim;
      if (claim === 'nbf') refuse('nbf', 'The token is not valid yet (nbf is in the future)');
      if (claim === 'iat') refuse('iat', 'The token iat claim is not valid');
      if (claim === 'aud') refuse('aud', 'The token audience is not this gateway');
      if (claim === 'iss') refuse('iss', 'The token issuer does not match the partner');
      if (claim === 'exp') refuse('exp', 'The token must carry an exp claim');
      if (claim === 'sub') refuse('sub', 'The token must carry a sub claim');
      refuse(claim || 'claims', 'A token claim is not valid');
    }
    if (error instanceof joseErrors.JWKSNoMatchingKey)
      refuse('kid', 'The signing key (kid) is not registered for this partner');
    if (error instanceof joseErrors.JWKSMultipleMatchingKeys)
      refuse('kid', 'The signing key (kid) is ambiguous in the partner key set');
    if (error instanceof joseErrors.JWSSignatureVerificationFailed)
      refuse('signature', 'The token signature is not valid');
    if (error instanceof joseErrors.JOSEAlgNotAllowed) refuse('alg', 'The token algorithm is not allowed');
    if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
      refuse('jwks', "The partner's key set could not be fetched");
    }
    if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid)
      refuse('format', 'The token is not a well-formed signed JWT');
    if (error instanceof joseErrors.JOSEError) refuse('signature', 'The token could not be verified');
    throw error;
  }
}
