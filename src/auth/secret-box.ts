import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';

/**
 * Secrets the platform must be able to read back (an access key's secret: SigV4 needs the secret
 * itself, so a hash would not do), sealed with AES-256-GCM under a key derived from the root secret
 * (HKDF-SHA256). A copy of the database alone does not give away the keys in it; the root key does.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(rootSecret: string, purpose: string) {
    this.#key = Buffer.from(hkdfSync('sha256', rootSecret, 'selfless', purpose, 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
  }

  /** The plaintext, or undefined when the text was not sealed by this box (another root key, or tampered with). */
  open(text: string): string | undefined {
    if (!text.startsWith(`${VERSION}:`)) return undefined;
    const bytes = Buffer.from(text.slice(VERSION.length + 1), 'base64');
    if (bytes.length < 28) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/** An HMAC-SHA256 key derived from the root secret for one purpose; `verify` compares in constant time. */
export class Signer {
  readonly #key: Buffer;

  constructor(rootSecret: string, purpose: string) {
    this.#key = Buffer.from(hkdfSync('sha256', rootSecret, 'selfless', purpose, 32));
  }

  sign(data: string): Buffer {
    return createHmac('sha256', this.#key).update(data).digest();
  }

  verify(data: string, mac: Buffer): boolean {
    const expected = this.sign(data);
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  }
}

/** Whether two secrets (signatures, tokens) are the same, in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
