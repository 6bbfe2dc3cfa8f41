import { createHmac, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { AppConfig } from '../config/config.js';
import { developmentSecret } from '../common/dev-secrets.js';

/** The gateway's own keys: Ed25519 for signing checkpoints, and the HMAC key for client pseudonyms. */
export interface GatewayKeys {
  kid: string;
  signingKey: CryptoKey;
  publicJwk: JWK;
  /** Stable pseudonym of an internal client id; the same client always maps to the same value. */
  pseudonym(clientId: string): string;
}

export const GATEWAY_KEYS = Symbol('GATEWAY_KEYS');

export async function loadGatewayKeys(config: AppConfig): Promise<GatewayKeys> {
  const jwkText =
    config.accessLog.signingKey ??
    (await developmentSecret(config.dataDir, 'gateway-signing-key', async () => {
      const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
      return JSON.stringify(await exportJWK(privateKey));
    }));
  const privateJwk = JSON.parse(jwkText) as JWK;
  const { d: _private, ...publicPart } = privateJwk;
  const kid = await calculateJwkThumbprint(publicPart as JWK);
  const pseudonymKey = config.accessLog.pseudonymKey ?? (await developmentSecret(config.dataDir, 'pseudonym-key', () => randomBytes(32).toString('base64url')));
  return {
    kid,
    signingKey: (await importJWK({ ...privateJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey,
    publicJwk: { ...publicPart, kid, alg: 'EdDSA', use: 'sig' },
    pseudonym: (clientId: string) => createHmac('sha256', pseudonymKey).update(clientId, 'utf8').digest('hex'),
  };
}
