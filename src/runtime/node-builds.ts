/**
 * Official Node.js builds for the nodejs<N>.x runtimes, fetched from the npm registry's
 * `node-linux-<arch>` packages (each version of those packages is the official Linux build of that
 * Node version, with the binary at `package/bin/node`).
 *
 * Cache layout, shared by every selfless data dir on the machine:
 *
 *   <cacheDir>/node/<major>-linux-<arch>/            one complete build per major and CPU architecture
 *   <cacheDir>/node/<major>-linux-<arch>/bin/node    the binary handed to launchers
 *   <cacheDir>/node/<major>-linux-<arch>/selfless-build.json   exact version, integrity, source, install time
 *   <cacheDir>/node/.staging-<major>-linux-<arch>-XXXXXX/      an install in progress (never used for lookups)
 *
 * The architecture is part of the name because a cache under $HOME may be shared by machines of
 * different architectures. A `<major>-linux-<arch>` directory only ever appears through one
 * rename(2) of a fully extracted and verified staging directory, so its existence means it is
 * complete; whichever process renames first wins, and the others adopt its copy. The first build
 * installed for a major is kept until someone deletes the directory (no silent upgrades under
 * running functions).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { extract } from 'tar';

export interface NodeBuildOptions {
  /** The runtime cache root. */
  cacheDir: string;
  /** Default: `process.env.npm_config_registry || 'https://registry.npmjs.org/'`. */
  registry?: string;
  /** Default: `process.arch`. */
  arch?: 'x64' | 'arm64';
  /** Human progress lines ("downloading node 24.9.0 (31 MB)… 40%"). */
  onProgress?: (line: string) => void;
  /** Default: this process's own binary and major. */
  hostNode?: { execPath: string; major: number };
}

const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';
const ABBREVIATED_METADATA = 'application/vnd.npm.install-v1+json';
const METADATA_TIMEOUT_MS = 60_000;
// A slow link may take minutes for ~50 MB, so only a stall (no bytes at all) counts as a failure.
const DOWNLOAD_STALL_MS = 60_000;
const VERSION_CHECK_TIMEOUT_MS = 60_000;
// Staging dirs left by crashed processes; a live install touches its staging dir far more often.
const STALE_STAGING_MS = 24 * 60 * 60 * 1000;
const MARKER_FILE = 'selfless-build.json';

export { defaultRuntimeCacheDir } from '../core/config.js';

/** Path if already available (host or cache), without any network access; undefined otherwise. */
export function findNodeBinary(major: number, options: NodeBuildOptions): string | undefined {
  checkMajor(major);
  const arch = resolveArch(options);
  const host = hostNodeOf(options);
  // The host binary only stands in for a build of the host's own architecture.
  if (host.major === major && arch === process.arch) return host.execPath;
  const binary = binaryIn(buildDir(options.cacheDir, major, arch));
  return isExecutable(binary) ? binary : undefined;
}

const inFlight = new Map<string, Promise<string>>();

/** Path of a node binary of exactly this major: the host's when it matches, else the cached build, installing it on first use. */
export async function ensureNodeBinary(major: number, options: NodeBuildOptions): Promise<string> {
  const found = findNodeBinary(major, options);
  if (found !== undefined) return found;
  const arch = resolveArch(options);
  const key = `${resolve(options.cacheDir)}\0${arch}\0${major}`;
  let pending = inFlight.get(key);
  if (pending === undefined) {
    pending = install(major, arch, options).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

interface ChosenBuild {
  packageName: string;
  version: string;
  tarball: string;
  integrity: Integrity;
}

interface Integrity {
  algorithm: 'sha512' | 'sha384' | 'sha256';
  digest: string;
  sri: string;
}

async function install(major: number, arch: 'x64' | 'arm64', options: NodeBuildOptions): Promise<string> {
  if (process.platform !== 'linux') {
    throw new Error(
      `nodejs${major}.x needs Node ${major}, but this host runs Node ${hostNodeOf(options).major} and selfless can only ` +
        `download official Node builds for Linux (this is ${process.platform}). Run selfless with Node ${major}.`,
    );
  }
  const say = progress(options.onProgress);
  const target = buildDir(options.cacheDir, major, arch);
  const binary = binaryIn(target);
  if (isExecutable(binary)) return binary;
  if (existsSync(target)) {
    throw new Error(`the cached Node ${major} build at ${target} is damaged (no executable bin/node); delete that directory and try again`);
  }

  const registry = registryUrl(options.registry);
  const build = await chooseBuild(registry, major, arch);
  // Another process may have finished the same install while we were reading metadata.
  if (isExecutable(binary)) return binary;

  const nodeRoot = join(options.cacheDir, 'node');
  await mkdir(nodeRoot, { recursive: true });
  await sweepStaleStaging(nodeRoot);
  const staging = await mkdtemp(join(nodeRoot, `.staging-${major}-linux-${arch}-`));
  try {
    const archive = join(staging, 'download.tgz');
    await download(build, archive, say);

    say(`extracting node ${build.version}…`);
    const extracted = join(staging, 'build');
    await mkdir(extracted);
    await extract({
      file: archive,
      cwd: extracted,
      strip: 1,
      preserveOwner: false,
      // C headers are only for compiling addons against this build: thousands of files nobody here needs.
      filter: (path) => !/^[^/]+\/include\//.test(path),
    });
    await verifyRuns(binaryIn(extracted), build, arch);
    await writeFile(
      join(extracted, MARKER_FILE),
      `${JSON.stringify({ version: build.version, arch, package: build.packageName, tarball: build.tarball, integrity: build.integrity.sri, installedAt: new Date().toISOString() }, null, 2)}\n`,
    );

    try {
      await rename(extracted, target);
    } catch (err) {
      // rename(2) refuses to replace a non-empty directory: another process installed it first.
      if (!isCode(err, 'ENOTEMPTY', 'EEXIST') || !isExecutable(binary)) throw err;
      say(`node ${major} was installed concurrently by another process; using that copy`);
      return binary;
    }
    say(`installed node ${build.version} in ${target}`);
    return binary;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function chooseBuild(registry: string, major: number, arch: string): Promise<ChosenBuild> {
  const packageName = `node-linux-${arch}`;
  const url = new URL(packageName, registry);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: `${ABBREVIATED_METADATA}, application/json;q=0.8` },
      signal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(
      `cannot reach the npm registry at ${registry} (${describe(err)}) to download Node ${major}, which nodejs${major}.x needs. ` +
        'Check network access to the registry, or set npm_config_registry to a registry mirror that is reachable.',
    );
  }
  if (response.status === 404) throw new Error(`the npm registry at ${registry} has no package ${packageName}, so Node ${major} cannot be downloaded from it`);
  if (!response.ok)
    throw new Error(`the npm registry at ${registry} answered HTTP ${response.status} for ${url.href} while looking for Node ${major}; try again later`);

  let metadata: unknown;
  try {
    metadata = await response.json();
  } catch (err) {
    throw new Error(`the npm registry at ${registry} sent unreadable metadata for ${packageName} (${describe(err)})`);
  }
  const versions = isRecord(metadata) && isRecord(metadata.versions) ? metadata.versions : {};

  const candidates: { version: string; parts: [number, number, number]; deprecated: boolean; manifest: Record<string, unknown> }[] = [];
  const majors = new Set<number>();
  for (const [version, manifest] of Object.entries(versions)) {
    // Pre-releases and odd repackagings (e.g. "8.1.4-win12") are not builds a runtime should get.
    const parts = releaseParts(version);
    if (parts === undefined || !isRecord(manifest)) continue;
    majors.add(parts[0]);
    if (parts[0] === major) candidates.push({ version, parts, deprecated: typeof manifest.deprecated === 'string', manifest });
  }
  if (candidates.length === 0) {
    const newest = [...majors].sort((a, b) => b - a).slice(0, 8);
    throw new Error(
      `no Node ${major}.x build (package ${packageName}) on the npm registry at ${registry}` +
        (newest.length > 0 ? `; majors available there include ${newest.join(', ')}` : ''),
    );
  }
  candidates.sort((a, b) => Number(a.deprecated) - Number(b.deprecated) || b.parts[1] - a.parts[1] || b.parts[2] - a.parts[2]);
  const best = candidates[0]!;
  const dist = isRecord(best.manifest.dist) ? best.manifest.dist : {};
  if (typeof dist.tarball !== 'string') throw new Error(`registry metadata for ${packageName}@${best.version} names no tarball`);
  const integrity = typeof dist.integrity === 'string' ? parseIntegrity(dist.integrity) : undefined;
  if (integrity === undefined) {
    throw new Error(
      `registry metadata for ${packageName}@${best.version} carries no sha512/sha384/sha256 integrity hash; refusing to install an unverifiable Node build`,
    );
  }
  return { packageName, version: best.version, tarball: new URL(dist.tarball, url).href, integrity };
}

async function download(build: ChosenBuild, destination: string, say: (line: string) => void): Promise<void> {
  const stall = new AbortController();
  let stallTimer = setTimeout(() => stall.abort(), DOWNLOAD_STALL_MS);
  const keepAlive = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => stall.abort(), DOWNLOAD_STALL_MS);
  };
  const failure = (received: number, err: unknown) =>
    new Error(
      `downloading node ${build.version} from ${build.tarball} failed after ${formatSize(received)} ` +
        `(${stall.signal.aborted ? `no data for ${DOWNLOAD_STALL_MS / 1000} s` : describe(err)}); nothing was installed, try again`,
    );

  const file = await open(destination, 'w');
  let received = 0;
  try {
    let response: Response;
    try {
      response = await fetch(build.tarball, { signal: stall.signal });
    } catch (err) {
      throw failure(0, err);
    }
    if (!response.ok || response.body === null) {
      throw new Error(`downloading node ${build.version} from ${build.tarball} failed: HTTP ${response.status}; nothing was installed, try again`);
    }
    const total = Number(response.headers.get('content-length')) || undefined;
    const label = `downloading node ${build.version}${total ? ` (${formatSize(total)})` : ''}…`;
    const hash = createHash(build.integrity.algorithm);
    // Report on crossing each tenth (or each 10 MB when the size is unknown), never more often.
    const step = (bytes: number) => (total ? Math.min(10, Math.floor((bytes / total) * 10)) : Math.floor(bytes / 10_000_000));
    const line = (bytes: number) => (total ? `${label} ${Math.min(100, Math.floor((bytes / total) * 100))}%` : `${label} ${formatSize(bytes)}`);
    let lastStep = 0;
    say(line(0));

    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        keepAlive();
        hash.update(value);
        await file.write(value);
        received += value.byteLength;
        const now = step(received);
        if (now > lastStep) {
          lastStep = now;
          say(line(received));
        }
      }
    } catch (err) {
      throw failure(received, err);
    }
    if (total && step(received) < 10) say(line(received));

    const actual = hash.digest('base64');
    if (actual !== build.integrity.digest) {
      throw new Error(
        `integrity check failed for ${build.packageName}@${build.version} (${build.tarball}): the registry lists ` +
          `${build.integrity.algorithm}-${build.integrity.digest} but the downloaded bytes hash to ${build.integrity.algorithm}-${actual}. ` +
          'The download was corrupted or altered on the way (a proxy or mirror?). Nothing was installed; try again, and if it ' +
          'keeps failing, check the registry in npm_config_registry or any proxy between this machine and the registry.',
      );
    }
  } finally {
    clearTimeout(stallTimer);
    await file.close();
  }
}

async function verifyRuns(binary: string, build: ChosenBuild, arch: string): Promise<void> {
  if (!isExecutable(binary)) throw new Error(`${build.packageName}@${build.version} unpacked without an executable bin/node`);
  const output = await new Promise<string>((resolvePromise, reject) => {
    // An empty environment keeps the host's NODE_OPTIONS (possibly flags this major rejects) out of the check.
    execFile(binary, ['--version'], { env: {}, timeout: VERSION_CHECK_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) {
        const detail = String(stderr).trim() || describe(err);
        reject(
          new Error(
            `the downloaded node ${build.version} (linux-${arch}) does not run on this machine: ${detail}. ` +
              `Official Node builds need a ${arch} CPU and a glibc-based Linux (not musl/Alpine); otherwise run selfless under Node ${build.version.split('.')[0]}.`,
          ),
        );
      } else resolvePromise(String(stdout).trim());
    });
  });
  const major = build.version.split('.')[0];
  if (!output.startsWith(`v${major}.`)) {
    throw new Error(`${build.packageName}@${build.version} contains a node that reports version "${output}", not ${major}.x; refusing to use it`);
  }
}

/** Removes staging dirs of installs that died without cleaning up; live ones are left alone. */
async function sweepStaleStaging(nodeRoot: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(nodeRoot);
  } catch {
    return;
  }
  const cutoff = Date.now() - STALE_STAGING_MS;
  await Promise.all(
    entries
      .filter((name) => name.startsWith('.staging-'))
      .map(async (name) => {
        const path = join(nodeRoot, name);
        try {
          if ((await stat(path)).mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
        } catch {
          // Best effort: another process may be sweeping the same entry.
        }
      }),
  );
}

function parseIntegrity(sri: string): Integrity | undefined {
  const strength = { sha256: 1, sha384: 2, sha512: 3 } as const;
  let best: Integrity | undefined;
  for (const token of sri.trim().split(/\s+/)) {
    const match = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(\?.*)?$/.exec(token);
    if (match === null) continue;
    const algorithm = match[1] as Integrity['algorithm'];
    if (best === undefined || strength[algorithm] > strength[best.algorithm]) best = { algorithm, digest: match[2]!, sri: token };
  }
  return best;
}

function releaseParts(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

function buildDir(cacheDir: string, major: number, arch: string): string {
  return join(cacheDir, 'node', `${major}-linux-${arch}`);
}

function binaryIn(dir: string): string {
  return join(dir, 'bin', 'node');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function checkMajor(major: number): void {
  if (!Number.isInteger(major) || major <= 0) throw new TypeError(`not a Node major version: ${major}`);
}

function resolveArch(options: NodeBuildOptions): 'x64' | 'arm64' {
  if (options.arch !== undefined) return options.arch;
  if (process.arch === 'x64' || process.arch === 'arm64') return process.arch;
  throw new Error(`no official Node builds for CPU architecture ${process.arch} on the npm registry; only x64 and arm64 are supported`);
}

function hostNodeOf(options: NodeBuildOptions): { execPath: string; major: number } {
  return options.hostNode ?? { execPath: process.execPath, major: Number(process.versions.node.split('.')[0]) };
}

function registryUrl(configured: string | undefined): string {
  const raw = configured || process.env.npm_config_registry || DEFAULT_REGISTRY;
  // Without the trailing slash, URL resolution would replace a mirror's last path segment.
  return raw.endsWith('/') ? raw : `${raw}/`;
}

function progress(onProgress: ((line: string) => void) | undefined): (line: string) => void {
  return (line) => {
    try {
      onProgress?.(line);
    } catch {
      // A broken progress sink must not fail the install.
    }
  };
}

function formatSize(bytes: number): string {
  return bytes >= 1_000_000 ? `${Math.round(bytes / 1_000_000)} MB` : `${Math.ceil(bytes / 1000)} kB`;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'no answer in time';
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as NodeJS.ErrnoException).code;
      return code ? `${code}: ${cause.message}` : cause.message;
    }
    return err.message;
  }
  return String(err);
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
