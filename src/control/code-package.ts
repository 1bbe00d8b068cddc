/**
 * Unpacking deployment zips. Anyone holding an API key can upload one, so every byte is treated as
 * hostile: the whole central directory is checked before anything touches the disk, nothing is
 * trusted that the data itself does not confirm, and nothing is ever written outside a fresh staging
 * directory that only becomes the package by an atomic rename.
 */
import { constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { fromBufferPromise, getFileNameLowLevel, type Entry, type ZipFile } from 'yauzl';
import { AwsError } from '../core/errors.js';

/**
 * "Deployment package (.zip file archive) size: 50 MB (zipped) … 250 MB (unzipped)", counted as
 * 250 × 2^20 bytes: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const UNZIPPED_LIMIT_BYTES = 262_144_000;

export interface ExtractLimits {
  /** Sum of the uncompressed sizes; default {@link UNZIPPED_LIMIT_BYTES}. */
  maxUnzippedBytes?: number;
  /** Central directory entries; default 100,000. */
  maxEntries?: number;
  /** Uncompressed:compressed ratio allowed for entries over 1 MiB; default 1000 (deflate tops out near 1032:1). */
  maxRatio?: number;
}

export interface ExtractedPackage {
  /** Regular files and symlinks in the package (directories not counted). */
  files: number;
  /** Bytes of file content plus symlink targets. */
  unzippedBytes: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_MAX_RATIO = 1000;
/** Small entries can legitimately compress absurdly well (a file of spaces); only big ones can hurt. */
const RATIO_FLOOR_BYTES = 1_048_576;
/** Linux NAME_MAX / PATH_MAX: checked up front so an overlong name gets a message, not an ENAMETOOLONG. */
const NAME_MAX_BYTES = 255;
const PATH_MAX_BYTES = 4095;
/** The kernel gives up (ELOOP) after 40 links; a chain deeper than that cannot be a working package. */
const SYMLINK_DEPTH_MAX = 40;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

const HOST_UNIX = 3;
const HOST_OSX = 19;
/** 7-Zip on Windows records a FAT/NTFS host but flags that the high word holds a unix mode anyway. */
const UNIX_EXTENSION_FLAG = 0x8000;

const WRITE_LANES = 8;

/** O_EXCL|O_NOFOLLOW: even if some bug let a link exist at a file's path, the open fails instead of following it. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

const CORRUPT_MESSAGE = 'Could not unzip uploaded file. Please check your file, then try to upload again.';

const corrupt = () => new AwsError('InvalidParameterValueException', CORRUPT_MESSAGE);
const tooBig = (limit: number) => new AwsError('InvalidParameterValueException', `Unzipped size must be smaller than ${limit} bytes`);
const bomb = (detail: string) => new AwsError('InvalidParameterValueException', `Could not unzip uploaded file: it looks like a zip bomb (${detail}).`);
const unsafe = (shown: string, problem: string) => new AwsError('InvalidParameterValueException', `Could not unzip uploaded file: entry ${shown} ${problem}.`);

/** Quoted and escaped so a hostile name cannot forge log lines or flood a message. */
function show(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}

/** Older Node 20 lines lack zlib.crc32; there the sizes are still checked, only the checksum is skipped. */
const crc32: ((data: Uint8Array, value?: number) => number) | undefined = typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined;

type Kind = 'file' | 'dir' | 'symlink';

interface Planned {
  readonly entry: Entry;
  /** Normalised, `/`-separated, relative, never empty, never containing `.` or `..` segments. */
  readonly path: string;
  readonly kind: Kind;
  readonly mode: number;
  readonly target?: string;
}

interface Plan {
  readonly zipfile: ZipFile;
  /** Every directory to create, parents before children. */
  readonly dirs: readonly string[];
  /** The surviving (last-wins) files and symlinks, in zip order. */
  readonly leaves: readonly Planned[];
}

type Settled = Required<ExtractLimits>;

function settle(limits: ExtractLimits): Settled {
  return {
    maxUnzippedBytes: limits.maxUnzippedBytes ?? UNZIPPED_LIMIT_BYTES,
    maxEntries: limits.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxRatio: limits.maxRatio ?? DEFAULT_MAX_RATIO,
  };
}

/**
 * Extracts `zip` to `destDir`, atomically: it is unpacked into a sibling staging directory that is
 * renamed into place only when complete. `destDir` is content-addressed by the caller, so an existing
 * one already holds this package and is reused as it is.
 */
export async function extractZip(zip: Buffer, destDir: string, limits: ExtractLimits = {}): Promise<ExtractedPackage> {
  const settled = settle(limits);
  // path.resolve drops a trailing slash, which would otherwise put the staging dir inside destDir.
  const dest = resolve(destDir);
  const plan = await scan(zip, settled);
  try {
    if (await exists(dest)) return declaredSummary(plan);
    await mkdir(dirname(dest), { recursive: true });
    const staging = await mkdtemp(`${dest}.staging-`);
    try {
      const result = await unpack(plan, settled, staging);
      await chmod(staging, 0o755);
      try {
        await rename(staging, dest);
      } catch (error) {
        // A concurrent extraction of the same content got there first; its tree is identical.
        if (!hasCode(error, 'EEXIST', 'ENOTEMPTY')) throw error;
        await rm(staging, { recursive: true, force: true });
      }
      return result;
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  } finally {
    plan.zipfile.close();
  }
}

/** Every check extractZip makes, including decompressing each entry, without writing anything. */
export async function validateZip(zip: Buffer, limits: ExtractLimits = {}): Promise<ExtractedPackage> {
  const settled = settle(limits);
  const plan = await scan(zip, settled);
  try {
    return await unpack(plan, settled, undefined);
  } finally {
    plan.zipfile.close();
  }
}

/** Reads the central directory (and the symlink targets) and decides what would be written where. */
async function scan(buffer: Buffer, limits: Settled): Promise<Plan> {
  // decodeStrings:false stops yauzl refusing unsafe names itself, so they are refused here with a
  // message naming the entry rather than as a generic "could not unzip".
  const zipfile = await fromZip(() => fromBufferPromise(buffer, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }));
  try {
    if (zipfile.entryCount > limits.maxEntries) {
      throw bomb(`it has ${zipfile.entryCount} entries; the limit is ${limits.maxEntries}`);
    }
    const winners = new Map<string, Planned>();
    let declaredBytes = 0;
    let compressedBytes = 0;
    const entries = zipfile.eachEntry();
    for (;;) {
      const step = await fromZip(() => entries.next());
      if (step.done === true) break;
      const entry = step.value;
      if (entry.isEncrypted() || !entry.canDecodeFileData()) throw corrupt();

      declaredBytes += entry.uncompressedSize;
      if (declaredBytes > limits.maxUnzippedBytes) throw tooBig(limits.maxUnzippedBytes);
      // Entries sharing compressed bytes are how non-recursive zip bombs multiply a small file.
      compressedBytes += entry.compressedSize;
      if (compressedBytes > buffer.length) throw bomb('its entries overlap');

      const name = getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      const shown = show(name);
      if (entry.uncompressedSize > RATIO_FLOOR_BYTES && entry.uncompressedSize > entry.compressedSize * limits.maxRatio) {
        const ratio = Math.round(entry.uncompressedSize / Math.max(entry.compressedSize, 1));
        throw bomb(`entry ${shown} expands ${ratio}:1; the limit is ${limits.maxRatio}:1`);
      }
      const path = normalise(name, shown);
      const mode = unixMode(entry);
      const kind = kindOf(mode, name, shown);

      if (kind === 'dir') {
        if (entry.uncompressedSize !== 0) throw corrupt();
        if (path === '') continue; // "./" and the like: the root itself
      } else if (path === '') {
        throw unsafe(shown, 'has no file name');
      }

      let target: string | undefined;
      if (kind === 'symlink') target = await readTarget(zipfile, entry, shown);
      winners.delete(path); // re-inserting keeps zip order of the winner
      winners.set(path, {
        entry,
        path,
        kind,
        mode: kind === 'dir' ? 0o755 : (mode & 0o111) !== 0 ? 0o555 : 0o444,
        ...(target === undefined ? {} : { target }),
      });
    }

    const dirs = new Set<string>();
    for (const planned of winners.values()) {
      if (planned.kind === 'dir') dirs.add(planned.path);
      for (let cut = planned.path.lastIndexOf('/'); cut > 0; cut = planned.path.lastIndexOf('/', cut - 1)) {
        dirs.add(planned.path.slice(0, cut));
      }
    }
    const leaves: Planned[] = [];
    for (const planned of winners.values()) {
      if (planned.kind === 'dir') continue;
      if (dirs.has(planned.path)) {
        throw unsafe(show(planned.path), `is a ${planned.kind === 'symlink' ? 'symlink' : 'file'} but other entries are inside it`);
      }
      leaves.push(planned);
    }
    checkSymlinks(winners.values());

    const depth = (p: string) => p.split('/').length;
    const sortedDirs = [...dirs].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
    return { zipfile, dirs: sortedDirs, leaves };
  } catch (error) {
    zipfile.close();
    throw error;
  }
}

/**
 * Turns an entry name into a safe relative path. Backslashes count as separators (Windows tools
 * write them), so `..\x` is caught as the escape it would be on a Windows runtime.
 */
function normalise(name: string, shown: string): string {
  if (name.includes('\0')) throw unsafe(shown, 'contains a NUL character');
  const slashed = name.replace(/\\/g, '/');
  if (/^[a-zA-Z]:/.test(slashed)) throw unsafe(shown, 'starts with a drive letter');
  if (slashed.startsWith('/')) throw unsafe(shown, 'is an absolute path');
  const parts: string[] = [];
  for (const part of slashed.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.pop() === undefined) throw unsafe(shown, 'escapes the package root');
      continue;
    }
    if (Buffer.byteLength(part) > NAME_MAX_BYTES) throw unsafe(shown, `has a path component longer than ${NAME_MAX_BYTES} bytes`);
    parts.push(part);
  }
  const path = parts.join('/');
  if (Buffer.byteLength(path) > PATH_MAX_BYTES) throw unsafe(shown, `has a path longer than ${PATH_MAX_BYTES} bytes`);
  return path;
}

/** The unix mode, when the creator recorded one; 0 when the high word means nothing (DOS/Windows hosts). */
function unixMode(entry: Entry): number {
  const host = entry.versionMadeBy >>> 8;
  const external = entry.externalFileAttributes >>> 0;
  const meaningful = host === HOST_UNIX || host === HOST_OSX || (external & UNIX_EXTENSION_FLAG) !== 0;
  return meaningful ? external >>> 16 : 0;
}

function kindOf(mode: number, name: string, shown: string): Kind {
  const type = mode & S_IFMT;
  const looksLikeDir = name.endsWith('/') || name.endsWith('\\');
  if (type === S_IFLNK) {
    if (looksLikeDir) throw unsafe(shown, 'is a symlink with a directory name');
    return 'symlink';
  }
  if (type === S_IFDIR || looksLikeDir) return 'dir';
  if (type === 0 || type === S_IFREG) return 'file';
  throw unsafe(shown, 'is a device, FIFO or socket; a package may hold only files, directories and symlinks');
}

async function readTarget(zipfile: ZipFile, entry: Entry, shown: string): Promise<string> {
  if (entry.uncompressedSize === 0 || entry.uncompressedSize > PATH_MAX_BYTES) {
    throw unsafe(shown, 'is a symlink with an empty or overlong target');
  }
  const chunks: Buffer[] = [];
  await pump(zipfile, entry, (chunk) => void chunks.push(chunk));
  let target: string;
  try {
    target = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw unsafe(shown, 'is a symlink whose target is not UTF-8');
  }
  if (target.includes('\0')) throw unsafe(shown, 'is a symlink whose target contains a NUL character');
  return target;
}

/** A location while following links: a planned node, plus how far below it we are in names the package lacks. */
interface Place {
  readonly node: TreeNode;
  readonly missing: number;
}

interface TreeNode {
  readonly parent: TreeNode | undefined;
  readonly children: Map<string, TreeNode>;
  kind: Kind;
  path: string;
  target?: string;
  resolved?: Place;
  /** Longest chain of links followed to resolve this link (itself included). */
  chain?: number;
  resolving?: boolean;
}

/**
 * Case-insensitive, normalisation-insensitive names, as macOS and Windows file systems compare them.
 * Folding only ever merges more names together, so a package judged safe here is safe on either kind
 * of file system.
 */
const fold = (name: string) => name.normalize('NFC').toLowerCase();

/**
 * Symlinks must resolve inside the package the way the kernel will resolve them: through other links
 * too, since `a/b/link/..` leaves from the link target's parent, not from `a/b`. The planned tree is
 * walked, every link is resolved once (memoised, so hostile fan-out costs linear time), and any link
 * that reaches above the root, loops, or chains deeper than the kernel follows is refused.
 */
function checkSymlinks(planned: Iterable<Planned>): void {
  const root: TreeNode = { parent: undefined, children: new Map(), kind: 'dir', path: '' };
  const links: TreeNode[] = [];
  for (const item of planned) {
    let node = root;
    const parts = item.path.split('/');
    parts.forEach((part, index) => {
      const last = index === parts.length - 1;
      // Same-case nesting was refused in scan; what reaches here differs only by case.
      if (node.kind === 'symlink') {
        throw unsafe(show(item.path), `collides with symlink ${show(node.path)} on case-insensitive file systems`);
      }
      const key = fold(part);
      const existing = node.children.get(key);
      if (existing === undefined) {
        const created: TreeNode = { parent: node, children: new Map(), kind: 'dir', path: parts.slice(0, index + 1).join('/') };
        node.children.set(key, created);
        node = created;
      } else {
        if (last && (item.kind === 'symlink' || existing.kind === 'symlink')) {
          throw unsafe(show(item.path), `collides with ${show(existing.path)} on case-insensitive file systems`);
        }
        node = existing;
      }
      if (last && item.kind !== 'dir') {
        if (item.kind === 'symlink') {
          node.kind = 'symlink';
          node.target = item.target;
          links.push(node);
        } else if (node.children.size === 0) {
          node.kind = 'file';
        }
      }
    });
  }
  for (const link of links) follow(link, 1);
}

function follow(link: TreeNode, nesting: number): Place {
  if (link.resolved !== undefined) return link.resolved;
  const shown = show(link.path);
  const refuse = () => unsafe(shown, `is a symlink to ${show(link.target ?? '')}, which is outside the package`);
  if (link.resolving === true || nesting > SYMLINK_DEPTH_MAX) {
    throw unsafe(shown, `is a symlink that never resolves (a loop, or more than ${SYMLINK_DEPTH_MAX} links deep)`);
  }
  const target = link.target ?? '';
  if (target.startsWith('/')) throw refuse();
  link.resolving = true;
  let node = link.parent ?? link;
  let missing = 0;
  let chain = 1;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (missing > 0) missing--;
      else if (node.parent === undefined) throw refuse();
      else node = node.parent;
      continue;
    }
    // Past a name the package lacks the kernel would stop with ENOENT; carrying on textually can
    // only refuse more, never accept something the kernel would let out.
    if (missing > 0) {
      missing++;
      continue;
    }
    const child = node.children.get(fold(part));
    if (child === undefined) {
      missing = 1;
    } else if (child.kind === 'symlink') {
      const place = follow(child, nesting + 1);
      chain = Math.max(chain, (child.chain ?? 1) + 1);
      node = place.node;
      missing = place.missing;
    } else {
      node = child;
    }
  }
  if (chain > SYMLINK_DEPTH_MAX) {
    throw unsafe(shown, `is a symlink that never resolves (a loop, or more than ${SYMLINK_DEPTH_MAX} links deep)`);
  }
  link.resolving = false;
  link.chain = chain;
  link.resolved = { node, missing };
  return link.resolved;
}

/** Decompresses every planned entry, checking real sizes and checksums; writes them when given a root. */
async function unpack(plan: Plan, limits: Settled, root: string | undefined): Promise<ExtractedPackage> {
  let total = 0;
  const count = (bytes: number) => {
    total += bytes;
    if (total > limits.maxUnzippedBytes) throw tooBig(limits.maxUnzippedBytes);
  };
  try {
    if (root !== undefined) {
      for (const dir of plan.dirs) {
        const path = join(root, dir);
        // EEXIST only happens when a case-insensitive file system merges two names; it is still our dir.
        await mkdir(path, { mode: 0o755 }).catch((error: unknown) => {
          if (!hasCode(error, 'EEXIST')) throw error;
        });
        await chmod(path, 0o755); // the umask may have trimmed it
      }
    }
    const files = plan.leaves.filter((leaf) => leaf.kind === 'file');
    await eachLimited(files, WRITE_LANES, async (leaf) => {
      const handle = root === undefined ? undefined : await open(join(root, leaf.path), CREATE_FLAGS, 0o600);
      try {
        await pump(plan.zipfile, leaf.entry, async (chunk) => {
          count(chunk.length);
          if (handle !== undefined) await handle.write(chunk);
        });
        await handle?.chmod(leaf.mode);
      } finally {
        await handle?.close();
      }
    });
    // Links last: while files are written no link exists yet, so no write can be redirected by one.
    for (const leaf of plan.leaves) {
      if (leaf.kind !== 'symlink' || leaf.target === undefined) continue;
      count(Buffer.byteLength(leaf.target));
      if (root !== undefined) await symlink(leaf.target, join(root, leaf.path));
    }
  } catch (error) {
    // These can only come from the package's own names colliding in the fresh staging tree.
    if (hasCode(error, 'EEXIST', 'ENOTDIR', 'EISDIR', 'ELOOP')) throw corrupt();
    throw error;
  }
  return { files: plan.leaves.length, unzippedBytes: total };
}

/**
 * Runs `work` over `items` a few at a time (packages are mostly many small files, where latency, not
 * bandwidth, dominates). Every started item settles before the first failure is thrown, so the
 * caller's cleanup never races a write still in flight.
 */
async function eachLimited<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
}

/** What a valid package holds, from the central directory alone (sizes were proven when it was first extracted). */
function declaredSummary(plan: Plan): ExtractedPackage {
  let bytes = 0;
  for (const leaf of plan.leaves) bytes += leaf.entry.uncompressedSize;
  return { files: plan.leaves.length, unzippedBytes: bytes };
}

/**
 * Streams one entry's data to `take`, trusting nothing declared: yauzl bounds the compressed range,
 * and the byte count and CRC here must match the central directory or the zip is corrupt.
 */
async function pump(zipfile: ZipFile, entry: Entry, take: (chunk: Buffer) => void | Promise<void>): Promise<void> {
  const stream = await fromZip(() => zipfile.openReadStreamPromise(entry));
  let size = 0;
  let crc = 0;
  try {
    for await (const chunk of zipData(stream)) {
      size += chunk.length;
      if (size > entry.uncompressedSize) throw corrupt();
      if (crc32 !== undefined) crc = crc32(chunk, crc);
      await take(chunk);
    }
  } finally {
    stream.destroy();
  }
  if (size !== entry.uncompressedSize) throw corrupt();
  if (crc32 !== undefined && crc >>> 0 !== entry.crc32 >>> 0) throw corrupt();
}

/** The stream's chunks, with its failures (bad deflate data, short reads) turned into "could not unzip". */
async function* zipData(stream: Readable): AsyncGenerator<Buffer> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    const step = await fromZip(() => iterator.next());
    if (step.done === true) return;
    yield step.value;
  }
}

/** Runs a yauzl call; whatever it rejects with is a property of the zip, so it becomes the AWS error. */
async function fromZip<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AwsError) throw error;
    throw corrupt();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function hasCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && codes.includes(code);
}
