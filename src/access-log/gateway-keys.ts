import { createHmac, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { AppConfig } from '../config/config.js';
import { developmentSecret } from '../common/dev-secrets.js';

/** The gateway's own keys: Ed25519 for signing checkpoints, and the HMAC key for client pseudonyms. */
export interface GatewayKeys {
  kid: string;
  signingKey: CryptoKey;
  publicJwk: JWK;
  /** Every key a checkpoint may be signed with: the current one first, then retired ones. Published at /.well-known/jwks.json. */
  verificationJwks: JWK[];
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
  const pseudonymKey =
    config.accessLog.pseudonymKey ??
    (await developmentSecret(config.dataDir, 'pseudonym-key', () => randomBytes(32).toString('base64url')));
  const publicJwk: JWK = { ...publicPart, kid, alg: 'EdDSA', use: 'sig' };
  const retired = await Promise.all(
    (JSON.parse(config.accessLog.retiredSigningKeys ?? '[]') as JWK[]).map(async ({ kty, crv, x }) => {
      const key = { kty, crv, x } as JWK;
      return { ...key, kid: await calculateJwkThumbprint(key), alg: 'EdDSA', use: 'sig' };
    }),
  );
  return {
    kid,
    verificationJwks: [publicJwk, ...retired.filter((k) => k.kid !== kid)],
    signingKey: (await importJWK({ ...privateJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey,
    publicJwk,
    pseudonym: (clientId: string) => createHmac('sha256', pseudonymKey).update(clientId, 'utf8').digest('hex'),
  };
}
