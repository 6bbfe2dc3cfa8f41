import { Global, Module } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { developmentSecret } from '../dev-secrets.js';
import { FieldCipher } from './field-cipher.js';

/** Encryption at rest and blind indexes, keyed from configuration (development keys in DATA_DIR). */
export interface Crypto {
  cipher: FieldCipher;
  /** Keyed HMAC so equal values can be found without storing them readable. */
  blindIndex(kind: string, value: string): string;
}

export const CRYPTO = Symbol('CRYPTO');

export async function loadCrypto(config: AppConfig): Promise<Crypto> {
  const keys =
    config.encryptionKeys ??
    (await developmentSecret(config.dataDir, 'encryption-keys', () => `dev1:${randomBytes(32).toString('base64')}`));
  const indexKey = await developmentSecret(config.dataDir, 'blind-index-key', () =>
    randomBytes(32).toString('base64url'),
  );
  // In production the index key is derived from PSEUDONYM_KEY, so replicas agree without a fourth secret.
  const key = config.accessLog.pseudonymKey
    ? createHmac('sha256', config.accessLog.pseudonymKey).update('schakel blind index').digest()
    : Buffer.from(indexKey);
  return {
    cipher: FieldCipher.fromConfig(keys),
    blindIndex: (kind, value) => createHmac('sha256', key).update(`${kind}:${value}`).digest('hex'),
  };
}

@Global()
@Module({
  providers: [{ provide: CRYPTO, inject: [APP_CONFIG], useFactory: (config: AppConfig) => loadCrypto(config) }],
  exports: [CRYPTO],
})
export class CryptoModule {}
