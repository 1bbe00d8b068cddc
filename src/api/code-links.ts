import { createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError, type Clock } from '../core/index.js';

/** How long a Code.Location link works, like the 10-minute presigned S3 URL AWS hands out. */
const LINK_LIFETIME_MS = 10 * 60 * 1000;

/**
 * Presigned download links for code packages (GetFunction's Code.Location): a plain URL any HTTP client
 * can fetch, valid for ten minutes, signed with a key derived from the root secret so links survive a restart.
 */
export class CodeLinks {
  readonly #key: Buffer;

  constructor(
    rootSecret: string,
    private readonly clock: Clock,
  ) {
    this.#key = createHmac('sha256', rootSecret).update('selfless code links').digest();
  }

  url(origin: string, sha256: string): string {
    const expires = Math.floor((this.clock.now() + LINK_LIFETIME_MS) / 1000);
    return `${origin}/selfless/code/${sha256}.zip?Expires=${expires}&Signature=${this.#sign(sha256, expires)}`;
  }

  verify(sha256: string, query: URLSearchParams): void {
    const expires = Number(query.get('Expires'));
    const signature = Buffer.from(query.get('Signature') ?? '');
    const expected = Buffer.from(this.#sign(sha256, expires));
    if (!Number.isInteger(expires) || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new AwsError('AccessDeniedException', 'The code link signature is not valid.');
    }
    if (expires * 1000 < this.clock.now()) throw new AwsError('AccessDeniedException', 'The code link has expired; call GetFunction for a new one.');
  }

  #sign(sha256: string, expires: number): string {
    return createHmac('sha256', this.#key).update(`${sha256}\n${expires}`).digest('hex');
  }
}
