import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AwsError } from '../core/index.js';
import { extractZip, UNZIPPED_LIMIT_BYTES } from './code-package.js';

/** Direct-upload zip limit, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html */
export const ZIPPED_LIMIT_BYTES = 52_428_800;

export interface StoredCode {
  /** Lowercase hex: the package's key on disk. */
  readonly sha256: string;
  readonly size: number;
}

/**
 * Code packages, content-addressed by the SHA-256 of their zip: `code/<sha>.zip` (what GetFunction's
 * Code.Location serves) and `code/<sha>/` (the extracted, read-only tree environments run from).
 * Identical uploads share one copy.
 */
export class CodeStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  /** Creates the store and clears what a crash mid-upload may have left (staging dirs, partial zips). */
  async init(): Promise<void> {
    await mkdir(this.#root, { recursive: true });
    for (const entry of await readdir(this.#root)) {
      if (entry.includes('.staging-') || entry.endsWith('.tmp')) await rm(join(this.#root, entry), { recursive: true, force: true });
    }
  }

  directory(sha256: string): string {
    return join(this.#root, sha256);
  }

  zipPath(sha256: string): string {
    return join(this.#root, `${sha256}.zip`);
  }

  /** Validates and stores a zip; on any failure nothing new is left behind. */
  async put(zip: Buffer): Promise<StoredCode> {
    if (zip.length > ZIPPED_LIMIT_BYTES) {
      throw new AwsError('RequestEntityTooLargeException', `Zipped size must be smaller than ${ZIPPED_LIMIT_BYTES} bytes`);
    }
    const sha256 = createHash('sha256').update(zip).digest('hex');
    const existed = await this.#exists(this.zipPath(sha256));
    try {
      await extractZip(zip, this.directory(sha256), { maxUnzippedBytes: UNZIPPED_LIMIT_BYTES });
      if (!existed) {
        const staging = `${this.zipPath(sha256)}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(staging, zip, { mode: 0o444 });
        await rename(staging, this.zipPath(sha256));
      }
    } catch (error) {
      if (!existed) await this.remove(sha256);
      throw error;
    }
    return { sha256, size: zip.length };
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.directory(sha256), { recursive: true, force: true });
    await rm(this.zipPath(sha256), { force: true });
  }

  async #exists(path: string): Promise<boolean> {
    return stat(path).then(
      () => true,
      () => false,
    );
  }
}

/** CodeSha256 as FunctionConfiguration reports it: base64 of the digest. */
export const codeSha256Base64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
