import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
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
 * The code-package port: content-addressed packages, each a zip and its extracted tree on this node's
 * disk (in cluster mode, a shared blob store with this disk as its cache). CodeStore is the local one.
 */
export interface CodeRepository {
  /** The extracted, read-only tree environments run from. */
  directory(sha256: string): string;
  /** The zip as uploaded (GetFunction's Code.Location). */
  zipPath(sha256: string): string;
  /** Stores a validated zip (idempotent for identical uploads). */
  put(zip: Buffer): Promise<StoredCode>;
  /** `codeDir` stays while held: the returned function lets go. */
  hold(codeDir: string): () => void;
  /** No function or version refers to the package any more: it goes once nothing holds it. */
  discard(sha256: string): Promise<void>;
  /** Removes packages nothing refers to (what a crash left behind). */
  sweep(referenced: ReadonlySet<string>): Promise<void>;
  /** Resolves once every removal under way has finished. */
  settled(): Promise<void>;
}

/** A package's names on disk: its directory, and its zip. */
const PACKAGE_DIR = /^[0-9a-f]{64}$/;
const PACKAGE_ENTRY = /^([0-9a-f]{64})(\.zip)?$/;

/**
 * Code packages, content-addressed by the SHA-256 of their zip: `code/<sha>.zip` (what GetFunction's
 * Code.Location serves) and `code/<sha>/` (the extracted, read-only tree environments run from).
 * Identical uploads share one copy.
 *
 * A package goes when no function or version refers to it (the registry says so with discard()) AND no
 * live environment runs it (hold()): on Lambda, invocations in flight during UpdateFunctionCode or
 * DeleteFunction finish on the code they started with, so the folder they run from (bind-mounted into
 * a sandbox, or the cwd of a plain process) and its zip stay until the last of them stops. The use
 * counts live in memory only; what a crash leaves behind, sweep() removes on the next start.
 */
export class CodeStore implements CodeRepository {
  readonly #root: string;
  readonly #onError: (error: unknown) => void;
  /** Live environments per package (sha256 → count); absent means none. */
  readonly #users = new Map<string, number>();
  /** Packages nothing refers to any more, kept until their last environment stops. */
  readonly #unreferenced = new Set<string>();
  /** Removals under way, so a put() of the same content waits for them instead of racing the rm. */
  readonly #removing = new Map<string, Promise<void>>();

  /** `onError` hears of removals that failed in the background (after an environment's last use). */
  constructor(root: string, onError: (error: unknown) => void) {
    this.#root = resolve(root);
    this.#onError = onError;
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
    // The same content may be on its way out: let that finish, then store it afresh.
    for (let removal = this.#removing.get(sha256); removal !== undefined; removal = this.#removing.get(sha256)) await removal.catch(() => undefined);
    // Referenced again (or about to be: a failed create discards it once more).
    this.#unreferenced.delete(sha256);
    const existed = await this.#exists(this.zipPath(sha256));
    try {
      await extractZip(zip, this.directory(sha256), { maxUnzippedBytes: UNZIPPED_LIMIT_BYTES });
      if (!existed) {
        const staging = `${this.zipPath(sha256)}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(staging, zip, { mode: 0o444 });
        await rename(staging, this.zipPath(sha256));
      }
    } catch (error) {
      if (!existed && !this.#users.has(sha256)) await this.#remove(sha256);
      throw error;
    }
    return { sha256, size: zip.length };
  }

  /**
   * An environment runs the code in `codeDir`: the package stays on disk until the returned function is
   * called (once; later calls do nothing). A directory that is not one of this store's packages (a
   * pre-started runtime's template has none) is not tracked.
   */
  hold(codeDir: string): () => void {
    const sha256 = this.#packageOf(codeDir);
    if (sha256 === undefined) return () => undefined;
    this.#users.set(sha256, (this.#users.get(sha256) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.#users.get(sha256)! - 1;
      if (left > 0) return void this.#users.set(sha256, left);
      this.#users.delete(sha256);
      if (this.#unreferenced.has(sha256)) this.#remove(sha256).catch(this.#onError);
    };
  }

  /**
   * No function or version refers to the package any more: removed now if no environment runs it,
   * otherwise when the last one stops.
   */
  async discard(sha256: string): Promise<void> {
    if (this.#users.has(sha256)) return void this.#unreferenced.add(sha256);
    await this.#remove(sha256);
  }

  /**
   * Removes every package not in `referenced` and not in use: what a crash between an environment's last
   * use and the removal, or in the middle of an update, left behind. Run once at start.
   */
  async sweep(referenced: ReadonlySet<string>): Promise<void> {
    const orphans = new Set<string>();
    for (const entry of await readdir(this.#root)) {
      const sha256 = PACKAGE_ENTRY.exec(entry)?.[1];
      if (sha256 !== undefined && !referenced.has(sha256) && !this.#users.has(sha256)) orphans.add(sha256);
    }
    for (const sha256 of orphans) await this.#remove(sha256);
  }

  /** Waits for removals under way (shutdown: nothing is left half-removed by this process). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#removing.values()]);
  }

  #remove(sha256: string): Promise<void> {
    this.#unreferenced.delete(sha256);
    const removal = (async () => {
      // The folder first: a zip without its folder is re-extracted by put(), and either half is swept.
      await rm(this.directory(sha256), { recursive: true, force: true });
      await rm(this.zipPath(sha256), { force: true });
    })().finally(() => {
      if (this.#removing.get(sha256) === removal) this.#removing.delete(sha256);
    });
    this.#removing.set(sha256, removal);
    return removal;
  }

  #packageOf(codeDir: string): string | undefined {
    const dir = resolve(codeDir);
    return dirname(dir) === this.#root && PACKAGE_DIR.test(basename(dir)) ? basename(dir) : undefined;
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
