import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';

/** What a signed tree head states: the tree of the first `treeSize` chained entries, and the chain's hash there. */
export interface TreeHead {
  iss: string;
  treeSize: number;
  rootHash: string;
  /** The chain's link hash at position treeSize: ties the tree to the hash chain. */
  chainHash: string;
  signedAt: string;
}

export const TREE_HEAD_TYPE = 'schakel-tree-head+jws';

/** The key set saved from /.well-known/jwks.json: `{ keys: [...] }` or a bare array. */
export function keysOf(jwks: unknown): JWK[] {
  const keys = Array.isArray(jwks) ? jwks : (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('not a JSON Web Key Set');
  return keys as JWK[];
}

/**
 * Checks an Ed25519 compact JWS against the published keys (the key its `kid` names first, then
 * every other one: retired keys stay published after a rotation) and returns its JSON payload,
 * or null when no key verifies it.
 */
export async function verifySigned(jws: string, keys: JWK[], type: string): Promise<Record<string, unknown> | null> {
  if (typeof jws !== 'string') return null;
  let header: { kid?: string; typ?: string };
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return null; // not a JWS at all
  }
  if (header.typ !== type) return null;
  const ordered = [...keys].sort((a, b) => Number(b.kid === header.kid) - Number(a.kid === header.kid));
  for (const jwk of ordered) {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') continue;
    try {
      const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, alg: 'EdDSA' }, 'EdDSA');
      const { payload } = await compactVerify(jws, key, { algorithms: ['EdDSA', 'Ed25519'] });
      return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    } catch {
      // the next published key (rotation)
    }
  }
  return null;
}

/** A signed tree head, verified; null when the signature or the payload's shape is wrong. */
export async function verifyTreeHead(jws: string, keys: JWK[]): Promise<TreeHead | null> {
  const payload = await verifySigned(jws, keys, TREE_HEAD_TYPE);
  if (
    !payload ||
    !Number.isSafeInteger(payload.treeSize) ||
    (payload.treeSize as number) < 0 ||
    typeof payload.rootHash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(payload.rootHash) ||
    typeof payload.chainHash !== 'string' ||
    typeof payload.signedAt !== 'string'
  )
    return null;
  return payload as unknown as TreeHead;
}
