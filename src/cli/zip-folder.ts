/**
 * Zipping a function folder for deploy. The bytes must depend only on the folder's contents and
 * executable bits, never on when or where it was zipped, so that CodeSha256 stays the same across
 * deploys of an unchanged folder and the platform can skip storing it again.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { ZipFile } from 'yazl';

interface Item {
  /** `/`-separated, relative to the zipped folder. */
  readonly rel: string;
  readonly abs: string;
  readonly kind: 'file' | 'dir' | 'symlink';
  readonly executable: boolean;
  readonly size: number;
}

/**
 * Zips everything under `dir`: files, empty and non-empty directories, symlinks as symlinks (never
 * followed). `onProgress` reports file bytes read so far against the total.
 */
export async function zipFolder(dir: string, onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<Buffer> {
  const root = resolve(dir);
  const items = await walk(root, '');
  // Code-unit order, not locale order: the same on every machine.
  items.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));

  const targets = new Map<string, Buffer>();
  for (const item of items) {
    if (item.kind === 'symlink') targets.set(item.rel, await readlink(item.abs, { encoding: 'buffer' }));
  }
  let total = 0;
  for (const item of items) total += item.kind === 'file' ? item.size : (targets.get(item.rel)?.length ?? 0);
  let done = 0;
  const advance = (bytes: number) => {
    done += bytes;
    onProgress?.(done, total);
  };
  onProgress?.(0, total);

  // DOS timestamps are local time: a date built from local fields encodes identically in every
  // time zone, and forceDosTimestamp leaves out the UTC extended-timestamp field that would not.
  // Noon on a day far from yazl's 1980 lower clamp, so neither a zone offset nor DST can trip it.
  const fixed = { mtime: new Date(2000, 0, 1, 12, 0, 0), forceDosTimestamp: true };
  const zip = new ZipFile();
  const chunks: Buffer[] = [];
  let fail: (error: unknown) => void = () => undefined;
  const zipped = new Promise<Buffer>((resolvePromise, reject) => {
    fail = reject;
    zip.on('error', reject);
    zip.outputStream.on('error', reject);
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolvePromise(Buffer.concat(chunks)));
  });
  for (const item of items) {
    if (item.kind === 'dir') {
      zip.addEmptyDirectory(item.rel, { ...fixed, mode: 0o040755 });
    } else if (item.kind === 'symlink') {
      const target = targets.get(item.rel) ?? Buffer.alloc(0);
      zip.addBuffer(target, item.rel, { ...fixed, mode: 0o120777, compress: false });
      advance(target.length);
    } else {
      // Only the executable bit survives extraction, so other permission bits (umask noise) are
      // normalised away rather than changing the hash.
      const mode = item.executable ? 0o100755 : 0o100644;
      zip.addReadStreamLazy(item.rel, { ...fixed, mode, size: item.size }, (callback) => {
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, next) {
            advance(chunk.length);
            next(null, chunk);
          },
        });
        const source = createReadStream(item.abs);
        // yazl does not listen for errors on streams it is handed; an unheard one would crash the CLI.
        source.on('error', (error) => {
          fail(error);
          counter.destroy();
        });
        callback(null, source.pipe(counter));
      });
    }
  }
  zip.end();
  return zipped;
}

async function walk(abs: string, rel: string): Promise<Item[]> {
  const found: Item[] = [];
  for (const dirent of await readdir(abs, { withFileTypes: true })) {
    const childAbs = join(abs, dirent.name);
    const childRel = rel === '' ? dirent.name : `${rel}/${dirent.name}`;
    // yazl would silently turn a backslash into a separator and put the file somewhere else.
    if (dirent.name.includes('\\')) throw new Error(`cannot zip ${childAbs}: backslashes in names are path separators in a zip`);
    const info = await lstat(childAbs);
    if (info.isSymbolicLink()) {
      found.push({ rel: childRel, abs: childAbs, kind: 'symlink', executable: false, size: 0 });
    } else if (info.isDirectory()) {
      found.push({ rel: childRel, abs: childAbs, kind: 'dir', executable: false, size: 0 });
      found.push(...(await walk(childAbs, childRel)));
    } else if (info.isFile()) {
      found.push({ rel: childRel, abs: childAbs, kind: 'file', executable: (info.mode & 0o111) !== 0, size: info.size });
    }
    // Sockets, FIFOs and devices have no content a zip could carry (reading a FIFO would block), so
    // they are left out, as `zip -r` does.
  }
  return found;
}
