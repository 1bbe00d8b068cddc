import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { ZipFile } from 'yazl';
import { AwsError } from '../src/core/errors.js';
import { extractZip, validateZip, UNZIPPED_LIMIT_BYTES } from '../src/control/code-package.js';
import { zipFolder } from '../src/cli/zip-folder.js';

const CORRUPT = /^Could not unzip uploaded file\. Please check your file, then try to upload again\.$/;

interface YazlEntry {
  readonly name: string;
  readonly data?: string | Buffer;
  readonly mode?: number;
  readonly dir?: boolean;
}

/** A well-formed zip, for everything yazl is willing to write. */
function yazlZip(entries: readonly YazlEntry[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const entry of entries) {
    if (entry.dir === true) zip.addEmptyDirectory(entry.name, { mode: entry.mode ?? 0o040755 });
    else zip.addBuffer(Buffer.from(entry.data ?? ''), entry.name, { mode: entry.mode ?? 0o100644 });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

interface RawEntry {
  readonly name: string;
  readonly data?: string | Buffer;
  /** Full unix mode, type bits included. */
  readonly mode?: number;
  readonly deflate?: boolean;
  /** Lie about the uncompressed size in both headers. */
  readonly declaredSize?: number;
  /** Lie about the checksum. */
  readonly crc?: number;
}

/**
 * Hand-assembled zips, for the hostile shapes yazl refuses to produce (escaping names, absolute
 * paths, devices, lying headers, central directories that reuse one local entry).
 */
function rawZip(entries: readonly RawEntry[], options: { centralCopies?: number } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = Buffer.from(entry.data ?? '');
    const stored = entry.deflate === true ? deflateRawSync(data) : data;
    const method = entry.deflate === true ? 8 : 0;
    const crc = entry.crc ?? crc32(data);
    const size = entry.declaredSize ?? data.length;
    const compressedSize = entry.deflate === true ? stored.length : size;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(compressedSize, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, stored);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by unix, so the mode's high word counts
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(compressedSize, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    for (let copy = 0; copy < (options.centralCopies ?? 1); copy++) centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const count = entries.length * (options.centralCopies ?? 1);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

async function refused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AwsError, `expected an AwsError, got ${String(error)}`);
    assert.equal(error.code, 'InvalidParameterValueException');
    assert.match(error.message, message);
    return true;
  });
}

const scratch: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'code-package-test-'));
  scratch.push(dir);
  return dir;
}
after(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

/** Extraction must fail and leave the parent exactly as empty as it was: no package, no staging dir. */
async function refusedCleanly(zip: Buffer, message: RegExp, limits?: Parameters<typeof extractZip>[2]): Promise<void> {
  const parent = await tempDir();
  await refused(extractZip(zip, join(parent, 'pkg'), limits), message);
  assert.deepEqual(await readdir(parent), []);
  await refused(validateZip(zip, limits), message);
}

const permissions = async (path: string) => (await lstat(path)).mode & 0o777;

describe('extractZip', () => {
  it('extracts nested directories and keeps the executable bit', async () => {
    const zip = await yazlZip([
      { name: 'index.js', data: 'exports.handler = async () => 1;' },
      { name: 'lib/util/helper.js', data: 'module.exports = 2;' },
      { name: 'bootstrap', data: '#!/bin/sh\necho hi\n', mode: 0o100755 },
      { name: 'empty/', dir: true },
    ]);
    const parent = await tempDir();
    const dest = join(parent, 'pkg');
    const result = await extractZip(zip, dest);
    assert.deepEqual(result, { files: 3, unzippedBytes: 32 + 19 + 18 });
    assert.equal(await readFile(join(dest, 'lib/util/helper.js'), 'utf8'), 'module.exports = 2;');
    assert.equal(await permissions(join(dest, 'bootstrap')), 0o555);
    assert.equal(await permissions(join(dest, 'index.js')), 0o444);
    assert.equal(await permissions(join(dest, 'lib/util')), 0o755);
    assert.equal(await permissions(dest), 0o755);
    assert.ok((await lstat(join(dest, 'empty'))).isDirectory());
    assert.deepEqual(await readdir(parent), ['pkg']);
    assert.deepEqual(await validateZip(zip), result);
  });

  it('accepts the biggest AWS allows by default', () => {
    assert.equal(UNZIPPED_LIMIT_BYTES, 262_144_000);
  });

  it('refuses something that is not a zip with the AWS message', async () => {
    await refusedCleanly(Buffer.from('definitely not a zip'), CORRUPT);
    await refusedCleanly(Buffer.alloc(0), CORRUPT);
  });

  it('refuses a truncated zip', async () => {
    const zip = await yazlZip([{ name: 'index.js', data: 'x'.repeat(5000) }]);
    await refusedCleanly(zip.subarray(0, zip.length - 30), CORRUPT);
    // Cut inside the central directory but keep a valid-looking end record.
    const cut = Buffer.concat([zip.subarray(0, 40), zip.subarray(zip.length - 22)]);
    await refusedCleanly(cut, CORRUPT);
  });

  it('refuses ../ escapes, naming the entry', async () => {
    await refusedCleanly(
      rawZip([
        { name: 'ok.js', data: 'ok' },
        { name: '../evil.js', data: 'x' },
      ]),
      /"\.\.\/evil\.js" escapes the package root/,
    );
    await refusedCleanly(rawZip([{ name: 'a/../../evil.js', data: 'x' }]), /"a\/\.\.\/\.\.\/evil\.js" escapes/);
    await refusedCleanly(rawZip([{ name: '..\\evil.js', data: 'x' }]), /escapes the package root/);
  });

  it('normalises inner .. that stays inside', async () => {
    const dest = join(await tempDir(), 'pkg');
    await extractZip(
      rawZip([
        { name: 'a/../b.js', data: 'b' },
        { name: './c//d.js', data: 'd' },
      ]),
      dest,
    );
    assert.equal(await readFile(join(dest, 'b.js'), 'utf8'), 'b');
    assert.equal(await readFile(join(dest, 'c/d.js'), 'utf8'), 'd');
  });

  it('refuses absolute paths, drive letters and NUL', async () => {
    await refusedCleanly(rawZip([{ name: '/tmp/abs-evil.js', data: 'x' }]), /"\/tmp\/abs-evil\.js" is an absolute path/);
    await refusedCleanly(rawZip([{ name: '\\\\server\\share\\x.js', data: 'x' }]), /is an absolute path/);
    await refusedCleanly(rawZip([{ name: 'C:/evil.js', data: 'x' }]), /"C:\/evil\.js" starts with a drive letter/);
    await refusedCleanly(rawZip([{ name: 'a\0b.js', data: 'x' }]), /"a\\u0000b\.js" contains a NUL character/);
  });

  it('refuses devices and FIFOs', async () => {
    await refusedCleanly(rawZip([{ name: 'pipe', mode: 0o010644 }]), /"pipe" is a device, FIFO or socket/);
  });

  it('refuses symlinks out of the package', async () => {
    await refusedCleanly(
      await yazlZip([{ name: 'passwd', data: '../../etc/passwd', mode: 0o120777 }]),
      /"passwd" is a symlink to "\.\.\/\.\.\/etc\/passwd", which is outside/,
    );
    await refusedCleanly(await yazlZip([{ name: 'passwd', data: '/etc/passwd', mode: 0o120777 }]), /outside the package/);
    await refusedCleanly(await yazlZip([{ name: 'sub/up', data: '../..', mode: 0o120777 }]), /"sub\/up" is a symlink/);
  });

  it('follows links the way the kernel does: .. after a link leaves from its target', async () => {
    // Textually d1/d2/s/.. is d1/d2, but s points at the root, so the kernel lands above it.
    const zip = await yazlZip([
      { name: 'd1/d2/s', data: '../..', mode: 0o120777 },
      { name: 't', data: 'd1/d2/s/..', mode: 0o120777 },
    ]);
    await refusedCleanly(zip, /"t" is a symlink to "d1\/d2\/s\/\.\.", which is outside/);
  });

  it('refuses writing through a symlink, link loops, and links that collide by case', async () => {
    await refusedCleanly(
      await yazlZip([
        { name: 'l', data: 'sub', mode: 0o120777 },
        { name: 'l/x.js', data: 'x' },
      ]),
      /"l" is a symlink but other entries are inside it/,
    );
    await refusedCleanly(
      await yazlZip([
        { name: 'a', data: 'b', mode: 0o120777 },
        { name: 'b', data: 'a', mode: 0o120777 },
      ]),
      /never resolves/,
    );
    await refusedCleanly(
      await yazlZip([
        { name: 'S', data: '.', mode: 0o120777 },
        { name: 's/x.js', data: 'x' },
      ]),
      /case-insensitive/,
    );
  });

  it('allows symlinks that stay inside the package', async () => {
    const zip = await yazlZip([
      { name: 'lib/real.js', data: 'real' },
      { name: 'alias.js', data: 'lib/real.js', mode: 0o120777 },
      { name: 'libdir', data: 'lib', mode: 0o120777 },
      { name: 'lib/self.js', data: '../libdir/real.js', mode: 0o120777 },
      { name: 'lib/dangling.js', data: 'nowhere.js', mode: 0o120777 },
    ]);
    const dest = join(await tempDir(), 'pkg');
    const result = await extractZip(zip, dest);
    assert.equal(result.files, 5);
    assert.equal(await readlink(join(dest, 'alias.js')), 'lib/real.js');
    assert.equal(await readFile(join(dest, 'alias.js'), 'utf8'), 'real');
    assert.equal(await readFile(join(dest, 'libdir/real.js'), 'utf8'), 'real');
    assert.equal(await readFile(join(dest, 'lib/self.js'), 'utf8'), 'real');
  });

  it('refuses packages over the unzipped limit, with the configured number', async () => {
    const zip = await yazlZip([{ name: 'big.bin', data: Buffer.alloc(2000, 7) }]);
    await refusedCleanly(zip, /^Unzipped size must be smaller than 1000 bytes$/, { maxUnzippedBytes: 1000 });
    assert.equal((await validateZip(zip, { maxUnzippedBytes: 2000 })).unzippedBytes, 2000);
  });

  it('does not trust declared sizes or checksums', async () => {
    // Claims 10 bytes, inflates to 50,000: must stop, not fill the disk.
    const liar = rawZip([
      { name: 'first.js', data: 'fine' },
      { name: 'liar.bin', data: Buffer.alloc(50_000, 1), deflate: true, declaredSize: 10 },
    ]);
    await refusedCleanly(liar, CORRUPT, { maxUnzippedBytes: 1000 });
    await refusedCleanly(rawZip([{ name: 'a.js', data: 'hello', crc: 12345 }]), CORRUPT);
  });

  it('refuses zip bombs: absurd ratios, too many entries, overlapping entries', async () => {
    await refusedCleanly(
      await yazlZip([{ name: 'zeros.bin', data: Buffer.alloc(8 * 1024 * 1024) }]),
      /zip bomb \(entry "zeros\.bin" expands \d+:1; the limit is 1000:1\)/,
    );
    await refusedCleanly(await yazlZip([{ name: 'zeros.bin', data: Buffer.alloc(2 * 1024 * 1024) }]), /zip bomb/, { maxRatio: 100 });
    const many = await yazlZip(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.js`, data: 'x' })));
    await refusedCleanly(many, /zip bomb \(it has 6 entries; the limit is 5\)/, { maxEntries: 5 });
    await refusedCleanly(rawZip([{ name: 'a.bin', data: Buffer.alloc(1000, 3) }], { centralCopies: 3 }), /zip bomb \(its entries overlap\)/);
  });

  it('lets the last of duplicate entries win', async () => {
    const dest = join(await tempDir(), 'pkg');
    const result = await extractZip(
      await yazlZip([
        { name: 'a.js', data: 'first' },
        { name: 'a.js', data: 'second!' },
      ]),
      dest,
    );
    assert.deepEqual(result, { files: 1, unzippedBytes: 7 });
    assert.equal(await readFile(join(dest, 'a.js'), 'utf8'), 'second!');
  });

  it('reuses an existing destination instead of extracting again', async () => {
    const zip = await yazlZip([{ name: 'index.js', data: 'x' }]);
    const dest = join(await tempDir(), 'pkg');
    const first = await extractZip(zip, dest);
    await writeFile(join(dest, 'marker'), 'still here');
    assert.deepEqual(await extractZip(zip, `${dest}/`), first);
    assert.equal(await readFile(join(dest, 'marker'), 'utf8'), 'still here');
  });

  it('validateZip writes nothing', async () => {
    const parent = await tempDir();
    const before = await readdir(parent);
    const result = await validateZip(
      await yazlZip([
        { name: 'index.js', data: 'abc' },
        { name: 'bin/x', data: 'y', mode: 0o100755 },
      ]),
    );
    assert.deepEqual(result, { files: 2, unzippedBytes: 4 });
    assert.deepEqual(await readdir(parent), before);
  });
});

interface Snapshot {
  readonly kind: 'file' | 'dir' | 'symlink';
  readonly executable: boolean;
  readonly content: string;
}

async function snapshot(root: string, rel = '', into = new Map<string, Snapshot>()): Promise<Map<string, Snapshot>> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel === '' ? name : `${rel}/${name}`;
    const info = await lstat(join(root, path));
    if (info.isSymbolicLink()) {
      into.set(path, { kind: 'symlink', executable: false, content: await readlink(join(root, path)) });
    } else if (info.isDirectory()) {
      into.set(path, { kind: 'dir', executable: false, content: '' });
      await snapshot(root, path, into);
    } else {
      into.set(path, { kind: 'file', executable: (info.mode & 0o111) !== 0, content: await readFile(join(root, path), 'utf8') });
    }
  }
  return into;
}

describe('zipFolder', () => {
  it('round-trips a folder through extractZip, byte-for-byte stable', async () => {
    const source = await tempDir();
    await mkdir(join(source, 'lib/deep'), { recursive: true });
    await mkdir(join(source, 'empty'));
    await writeFile(join(source, 'index.js'), 'exports.handler = async () => "hi";');
    await writeFile(join(source, 'lib/a.js'), 'module.exports = 1;');
    await writeFile(join(source, 'lib/deep/data.json'), JSON.stringify({ big: 'z'.repeat(100_000) }));
    await writeFile(join(source, 'bootstrap'), '#!/bin/sh\nexec node index.js\n');
    await chmod(join(source, 'bootstrap'), 0o750);
    await writeFile(join(source, '.hidden'), 'dotfiles are code too');
    await symlink('lib/a.js', join(source, 'link.js'));
    await symlink('lib', join(source, 'libdir'));

    const progress: Array<[number, number]> = [];
    const zip = await zipFolder(source, (done, total) => progress.push([done, total]));
    const last = progress.at(-1);
    assert.ok(last !== undefined && last[0] === last[1] && last[1] > 100_000);

    // Touching files and changing time zone must not change the bytes.
    await utimes(join(source, 'index.js'), new Date(), new Date());
    const zone = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      assert.ok((await zipFolder(source)).equals(zip));
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }

    const dest = join(await tempDir(), 'pkg');
    const result = await extractZip(zip, dest);
    assert.equal(result.files, 7);
    assert.deepEqual(await snapshot(dest), await snapshot(source));
    assert.equal(await permissions(join(dest, 'bootstrap')), 0o555);
    assert.equal(await permissions(join(dest, 'index.js')), 0o444);
    assert.equal(await readFile(join(dest, 'libdir/a.js'), 'utf8'), 'module.exports = 1;');
  });

  it('zips an empty folder', async () => {
    const zip = await zipFolder(await tempDir());
    assert.deepEqual(await validateZip(zip), { files: 0, unzippedBytes: 0 });
  });
});
