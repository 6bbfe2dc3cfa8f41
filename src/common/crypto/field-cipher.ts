import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for personal fields at rest. Each value carries the id of the key that sealed it
 * (`v1.<kid>.<iv>.<ciphertext+tag>`), so keys can be rotated: new values use the first key,
 * old values stay readable while their key is configured, and `npm run keys:rotate` re-seals.
 */
export class FieldCipher {
  private readonly keys: Map<string, Buffer>;
  readonly activeKid: string;

  constructor(keys: { kid: string; key: Buffer }[]) {
    if (keys.length === 0) throw new Error('at least one encryption key is required');
    for (const { kid, key } of keys) {
      if (key.length !== 32) throw new Error(`encryption key ${kid} must be 32 bytes`);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) throw new Error('encryption key ids are 1-32 letters, digits, _ or -');
    }
    this.keys = new Map(keys.map(({ kid, key }) => [kid, key]));
    this.activeKid = keys[0].kid;
  }

  /** Parses `kid1:base64key,kid2:base64key` (first = active). */
  static fromConfig(value: string): FieldCipher {
    return new FieldCipher(
      value.split(',').map((part) => {
        const [kid, encoded] = part.trim().split(':');
        return { kid, key: Buffer.from(encoded ?? '', 'base64') };
      }),
    );
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKid)!, iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${this.activeKid}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  open<T = unknown>(token: string): T {
    // The parts found by position, not split: a case read opens about ten values.
    const kidAt = token.indexOf('.') + 1;
    const ivAt = token.indexOf('.', kidAt) + 1;
    const payloadAt = ivAt > 0 ? token.indexOf('.', ivAt) + 1 : 0;
    const key = ivAt > 0 ? this.keys.get(token.slice(kidAt, ivAt - 1)) : undefined;
    if (
      kidAt !== 3 ||
      !token.startsWith('v1.') ||
      !key ||
      payloadAt <= ivAt + 1 ||
      payloadAt === token.length ||
      token.includes('.', payloadAt)
    )
      throw new Error('sealed value has an unknown format or key');
    const data = Buffer.from(token.slice(payloadAt), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(token.slice(ivAt, payloadAt - 1), 'base64url'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    // GCM gives all plaintext from update(); final() adds none, it checks the tag (and throws).
    const plain = decipher.update(data.subarray(0, data.length - 16));
    decipher.final();
    return JSON.parse(plain.toString('utf8')) as T;
  }

  kidOf(token: string): string {
    return token.split('.')[1] ?? '';
  }
}
