import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { outboundFetch, outboundPolicyOf, OutboundRefused } from '../common/http/outbound.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Partner } from './partner.entity.js';

/**
 * Resolves the public keys a partner signs its tokens with: an inline JWK set registered with
 * the partner, or its JWKS URL fetched and cached (jose refetches on an unknown kid, so a
 * partner can rotate keys without waiting for the cache to expire). A JWKS URL is fetched only
 * from an address the outbound policy allows, checked on the connection itself.
 */
@Injectable()
export class PartnerKeysService {
  private readonly cache = new Map<string, { version: string; getKey: JWTVerifyGetKey }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  keySetFor(partner: Partner): JWTVerifyGetKey {
    // The version changes whenever the registration changes, so rotated keys apply at once.
    const version = `${partner.updatedAt?.toISOString()}|${partner.jwksUri ?? ''}|${JSON.stringify(partner.jwks ?? null)}`;
    const cached = this.cache.get(partner.id);
    if (cached && cached.version === version) return cached.getKey;
    const getKey = partner.jwksUri
      ? createRemoteJWKSet(new URL(partner.jwksUri), {
          cacheMaxAge: this.config.auth.jwksCacheSeconds * 1000,
          // An unknown kid triggers a refetch at most this often (key rotation without waiting for
          // the cache), so tokens with made-up kids cannot make the gateway hammer a partner's IdP.
          cooldownDuration:
            Math.min(this.config.auth.jwksRefetchCooldownSeconds, this.config.auth.jwksCacheSeconds) * 1000,
          timeoutDuration: 5_000,
          [customFetch]: (url: string, init: RequestInit) =>
            outboundFetch(url, init as never, outboundPolicyOf(this.config)).catch((error: unknown) => {
              if (error instanceof OutboundRefused) {
                this.logger.warn(
                  { partnerId: partner.id, reason: error.reason },
                  "refused to fetch a partner's key set from an address the gateway may not call",
                );
              }
              throw error;
            }),
        })
      : createLocalJWKSet(partner.jwks ?? { keys: [] });
    this.cache.set(partner.id, { version, getKey });
    return getKey;
  }
}
