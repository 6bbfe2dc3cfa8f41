import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * Development signing keys of the demo partners. Made on this machine at first start and kept
 * in the data directory (never committed), so no shared private key can leak into production.
 */
export interface DevKey {
  kid: string;
  alg: 'ES256';
  privateJwk: JWK;
  publicJwk: JWK;
}
export type DevKeyFile = Record<string, DevKey>;

export function devKeyPath(dataDir: string): string {
  return join(dataDir, 'dev-keys.json');
}

export function readDevKeys(dataDir: string): DevKeyFile {
  const path = devKeyPath(dataDir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as DevKeyFile) : {};
}

/** Returns a key for every partner id, creating the missing ones. */
export async function ensureDevKeys(dataDir: string, partnerIds: string[]): Promise<DevKeyFile> {
  const keys = readDevKeys(dataDir);
  let changed = false;
  for (const id of partnerIds) {
    if (keys[id]) continue;
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `${id}-dev-${Date.now().toString(36)}`;
    keys[id] = {
      kid,
      alg: 'ES256',
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
    };
    changed = true;
  }
  if (changed) {
    const path = devKeyPath(dataDir);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(keys, null, 2), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return keys;
}
