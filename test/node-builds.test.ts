import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from 'tar';
import { defaultRuntimeCacheDir, ensureNodeBinary, findNodeBinary } from '../src/runtime/node-builds.js';

const HOST_MAJOR = Number(process.versions.node.split('.')[0]);
const ARCH = process.arch as 'x64' | 'arm64';
const MODULE_URL = new URL('../src/runtime/node-builds.js', import.meta.url).href;

async function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `selfless-nb-${label}-`));
}

/** A port nothing listens on, so "registry unreachable" fails fast instead of timing out. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

test('the host major is answered with the host binary, without touching the network or the cache', async () => {
  const parent = await tempDir('host');
  try {
    const cacheDir = join(parent, 'never-created');
    const registry = `http://127.0.0.1:${await closedPort()}/`;
    assert.equal(findNodeBinary(HOST_MAJOR, { cacheDir, registry }), process.execPath);
    assert.equal(await ensureNodeBinary(HOST_MAJOR, { cacheDir, registry }), process.execPath);
    const fakeHost = { execPath: '/opt/node-97/bin/node', major: 97 };
    assert.equal(await ensureNodeBinary(97, { cacheDir, registry, hostNode: fakeHost }), fakeHost.execPath);
    assert.equal(existsSync(cacheDir), false);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});

test('defaultRuntimeCacheDir follows SELFLESS_RUNTIME_CACHE, then an absolute XDG_CACHE_HOME, then ~/.cache', () => {
  assert.equal(defaultRuntimeCacheDir({ SELFLESS_RUNTIME_CACHE: '/srv/rt', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/srv/rt');
  assert.equal(defaultRuntimeCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/selfless/runtimes');
  assert.equal(defaultRuntimeCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' }), '/h/.cache/selfless/runtimes');
  assert.equal(defaultRuntimeCacheDir({ HOME: '/h' }), '/h/.cache/selfless/runtimes');
});

/**
 * Poses as an npm registry serving `node-linux-<arch>` packages whose "node" is a shell script
 * printing a version, so the install path runs end to end offline.
 */
class FakeRegistry {
  readonly hits = new Map<string, number>();
  readonly acceptHeaders: string[] = [];
  private server: Server | undefined;
  private tarballs = new Map<string, Buffer>();
  private versions: Record<string, unknown> = {};
  /** When set, tarball responses are held until this many tarball requests have arrived. */
  private barrier: { size: number; waiting: (() => void)[] } | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer(
      (req, res) =>
        void this.handle(req).then(
          ({ status, body, type }) => {
            res.writeHead(status, { 'content-type': type, 'content-length': body.length });
            res.end(body);
          },
          (err: unknown) => {
            res.writeHead(500);
            res.end(String(err));
          },
        ),
    );
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((done) => this.server?.close(() => done()) ?? done());
  }

  /** Publishes a build whose binary prints `reports` (default: its own version). */
  async publish(version: string, options: { reports?: string; integrity?: string; padding?: number } = {}): Promise<void> {
    const tarball = await fakeTarball(options.reports ?? `v${version}`, options.padding ?? 0);
    const name = `node-linux-${ARCH}-${version}.tgz`;
    this.tarballs.set(name, tarball);
    this.versions[version] = {
      name: `node-linux-${ARCH}`,
      version,
      dist: {
        // Relative on purpose: resolution against the metadata URL is part of what is tested.
        tarball: `node-linux-${ARCH}/-/${name}`,
        integrity: options.integrity ?? `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
      },
    };
  }

  holdTarballsUntil(size: number): void {
    this.barrier = { size, waiting: [] };
  }

  tarballHits(): number {
    return [...this.hits].filter(([path]) => path.endsWith('.tgz')).reduce((sum, [, n]) => sum + n, 0);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: Buffer; type: string }> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    if (path === `/node-linux-${ARCH}`) {
      this.acceptHeaders.push(String(req.headers.accept));
      const body = Buffer.from(JSON.stringify({ name: `node-linux-${ARCH}`, 'dist-tags': {}, versions: this.versions }));
      return { status: 200, body, type: 'application/vnd.npm.install-v1+json' };
    }
    const tarball = this.tarballs.get(path.split('/').pop() ?? '');
    if (tarball === undefined) return { status: 404, body: Buffer.from('{"error":"Not found"}'), type: 'application/json' };
    const barrier = this.barrier;
    if (barrier !== undefined) {
      await new Promise<void>((release) => {
        barrier.waiting.push(release);
        if (barrier.waiting.length >= barrier.size) for (const go of barrier.waiting) go();
      });
    }
    return { status: 200, body: tarball, type: 'application/octet-stream' };
  }
}

async function fakeTarball(reports: string, padding: number): Promise<Buffer> {
  const root = await tempDir('pkg');
  try {
    await mkdir(join(root, 'package', 'bin'), { recursive: true });
    await mkdir(join(root, 'package', 'include', 'node'), { recursive: true });
    await writeFile(join(root, 'package', 'bin', 'node'), `#!/bin/sh\necho ${reports}\n`);
    await chmod(join(root, 'package', 'bin', 'node'), 0o755);
    await writeFile(join(root, 'package', 'include', 'node', 'node.h'), '/* header */\n');
    await writeFile(join(root, 'package', 'LICENSE'), 'MIT\n');
    // Incompressible filler makes the download arrive in many chunks, exercising progress reports.
    if (padding > 0) await writeFile(join(root, 'package', 'filler.bin'), randomBytes(padding));
    const file = join(root, 'out.tgz');
    await create({ gzip: true, portable: true, file, cwd: root }, ['package']);
    return await readFile(file);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function runNode(binary: string): Promise<string> {
  return new Promise((done, fail) => execFile(binary, ['--version'], (err, stdout) => (err ? fail(err) : done(stdout.trim()))));
}

describe('installing from a registry (offline fake)', () => {
  const registry = new FakeRegistry();
  const cleanup: string[] = [];
  const cache = async () => {
    const dir = await tempDir('cache');
    cleanup.push(dir);
    return dir;
  };

  before(async () => {
    await registry.start();
    await registry.publish('97.9.0');
    await registry.publish('97.10.1', { padding: 3_000_000 });
    await registry.publish('97.2.0');
    await registry.publish('96.4.0');
    await registry.publish('95.0.0', { integrity: `sha512-${createHash('sha512').update('something else').digest('base64')}` });
    await registry.publish('94.1.0', { reports: 'v93.0.0' });
  });
  after(async () => {
    await registry.stop();
    await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  test('picks the highest release of the major, reports progress, and lays out <cache>/node/<major>-linux-<arch>', async () => {
    const cacheDir = await cache();
    const lines: string[] = [];
    const options = { cacheDir, registry: registry.url, onProgress: (line: string) => lines.push(line) };
    assert.equal(findNodeBinary(97, options), undefined);

    const binary = await ensureNodeBinary(97, options);
    const target = join(cacheDir, 'node', `97-linux-${ARCH}`);
    assert.equal(binary, join(target, 'bin', 'node'));
    assert.equal(await runNode(binary), 'v97.10.1');
    assert.deepEqual(await readdir(join(cacheDir, 'node')), [`97-linux-${ARCH}`]);
    assert.equal(existsSync(join(target, 'include')), false);
    const marker = JSON.parse(await readFile(join(target, 'selfless-build.json'), 'utf8')) as { version: string; arch: string };
    assert.equal(marker.version, '97.10.1');
    assert.equal(marker.arch, ARCH);
    assert.match(registry.acceptHeaders.at(-1) ?? '', /application\/vnd\.npm\.install-v1\+json/);

    const download = lines.filter((line) => line.startsWith('downloading node 97.10.1 (3 MB)…'));
    const percents = download.map((line) => Number(/(\d+)%$/.exec(line)?.[1]));
    assert.ok(download.length >= 3 && download.length <= 11, `progress lines: ${JSON.stringify(download)}`);
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
    );
    assert.equal(percents.at(-1), 100);
    const tenths = percents.map((p) => Math.floor(p / 10));
    assert.deepEqual(tenths, [...new Set(tenths)], 'at most one report per tenth of the download');

    const hitsBefore = registry.tarballHits();
    const started = performance.now();
    assert.equal(await ensureNodeBinary(97, options), binary);
    assert.ok(performance.now() - started < 50);
    assert.equal(findNodeBinary(97, options), binary);
    assert.equal(registry.tarballHits(), hitsBefore);
  });

  test('concurrent calls in one process share one download', async () => {
    const cacheDir = await cache();
    const hitsBefore = registry.tarballHits();
    const options = { cacheDir, registry: registry.url };
    const [a, b, c] = await Promise.all([ensureNodeBinary(96, options), ensureNodeBinary(96, options), ensureNodeBinary(96, options)]);
    assert.equal(a, b);
    assert.equal(b, c);
    assert.equal(await runNode(a), 'v96.4.0');
    assert.equal(registry.tarballHits() - hitsBefore, 1);
  });

  test('processes racing to install the same major all end up on one complete copy', async () => {
    const cacheDir = await cache();
    const racers = 4;
    registry.holdTarballsUntil(racers);
    const script =
      `import { ensureNodeBinary } from ${JSON.stringify(MODULE_URL)};\n` +
      `process.stdout.write(await ensureNodeBinary(97, { cacheDir: ${JSON.stringify(cacheDir)}, registry: ${JSON.stringify(registry.url)} }));\n`;
    const hitsBefore = registry.tarballHits();
    const results = await Promise.all(
      Array.from(
        { length: racers },
        () =>
          new Promise<string>((done, fail) =>
            execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (err, stdout, stderr) =>
              err ? fail(new Error(`${err.message}\n${stderr}`)) : done(stdout),
            ),
          ),
      ),
    );
    const expected = join(cacheDir, 'node', `97-linux-${ARCH}`, 'bin', 'node');
    assert.deepEqual(results, Array(racers).fill(expected));
    // The barrier guarantees every process downloaded and raced for the rename.
    assert.equal(registry.tarballHits() - hitsBefore, racers);
    assert.deepEqual(await readdir(join(cacheDir, 'node')), [`97-linux-${ARCH}`]);
    assert.equal(await runNode(expected), 'v97.10.1');
  });

  test('an integrity mismatch installs nothing and says what to do', async () => {
    const cacheDir = await cache();
    await assert.rejects(ensureNodeBinary(95, { cacheDir, registry: registry.url }), (err: Error) => {
      assert.match(err.message, /integrity check failed for node-linux-\w+@95\.0\.0/);
      assert.match(err.message, /Nothing was installed; try again/);
      return true;
    });
    assert.deepEqual(await readdir(join(cacheDir, 'node')), []);
    assert.equal(findNodeBinary(95, { cacheDir }), undefined);
  });

  test('a build reporting the wrong major is refused', async () => {
    const cacheDir = await cache();
    await assert.rejects(ensureNodeBinary(94, { cacheDir, registry: registry.url }), /reports version "v93\.0\.0", not 94\.x/);
    assert.deepEqual(await readdir(join(cacheDir, 'node')), []);
  });

  test('a major the registry does not have fails before any download', async () => {
    const cacheDir = await cache();
    const hitsBefore = registry.tarballHits();
    await assert.rejects(ensureNodeBinary(98, { cacheDir, registry: registry.url }), /no Node 98\.x build .*majors available there include 97, 96, 95, 94/);
    assert.equal(registry.tarballHits(), hitsBefore);
    assert.equal(existsSync(join(cacheDir, 'node')), false);
  });

  test('an unreachable registry gives a clear error', async () => {
    const cacheDir = await cache();
    const registryUrl = `http://127.0.0.1:${await closedPort()}/`;
    await assert.rejects(ensureNodeBinary(97, { cacheDir, registry: registryUrl }), (err: Error) => {
      assert.match(err.message, /cannot reach the npm registry at http:\/\/127\.0\.0\.1:\d+\/ \(ECONNREFUSED/);
      assert.match(err.message, /npm_config_registry/);
      return true;
    });
  });

  test('a damaged cache entry is reported rather than silently reused', async () => {
    const cacheDir = await cache();
    await mkdir(join(cacheDir, 'node', `97-linux-${ARCH}`), { recursive: true });
    await assert.rejects(ensureNodeBinary(97, { cacheDir, registry: registry.url }), /is damaged .*delete that directory/);
  });
});

test('Node 22 from the real npm registry, into the shared default cache', { timeout: 15 * 60_000 }, async () => {
  const cacheDir = defaultRuntimeCacheDir();
  const lines: string[] = [];
  const binary = await ensureNodeBinary(22, { cacheDir, onProgress: (line) => lines.push(line) });
  assert.match(execFileSync(binary, ['--version'], { encoding: 'utf8' }), /^v22\./);
  if (HOST_MAJOR !== 22) assert.equal(binary, join(cacheDir, 'node', `22-linux-${ARCH}`, 'bin', 'node'));

  const started = performance.now();
  assert.equal(await ensureNodeBinary(22, { cacheDir }), binary);
  assert.ok(performance.now() - started < 50, 'a cached build must not touch the network');
  assert.equal(findNodeBinary(22, { cacheDir }), binary);
});
