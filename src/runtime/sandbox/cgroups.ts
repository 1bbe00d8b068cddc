import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupFreezer, type Freezer } from './freezer.js';
import { pidAlive } from './pid-alive.js';

export interface CgroupLimits {
  readonly memoryBytes: number;
  readonly pids: number;
  /**
   * A pre-started environment, booting or waiting for a function: it gets the least CPU weight until
   * foreground(), so that booting it takes no CPU from environments running functions.
   */
  readonly background?: boolean;
}

/** One environment's control group(s): every process of the environment is in them from before exec. */
export interface EnvironmentCgroup {
  /** `cgroup.procs` files a process writes its pid into to join (one per v1 hierarchy, one on v2). */
  readonly procsFiles: readonly string[];
  /** The kernel's freezer for the group, where the host has cgroup v2's (see cgroupFreezer). */
  readonly freezer: Freezer | undefined;
  /** Peak memory of the environment since it started, in bytes. */
  peakBytes(): Promise<number>;
  /** The CPU weight its memory gives it, from now on (a background group's is the least until then). */
  foreground(): void;
  /** How many times the kernel's OOM killer struck inside the environment. */
  oomKills(): Promise<number>;
  /** SIGKILL to every process in the group, including those that left the process group or session. */
  kill(): Promise<void>;
  /** Removes the group once its processes are gone (waits briefly for the kernel to reap them). */
  remove(): Promise<void>;
}

export interface CgroupDriver {
  readonly version: 'v1' | 'v2';
  /** Where the environments' groups live (one directory per hierarchy). */
  readonly roots: readonly string[];
  /** Whether the groups have cgroup v2's freezer. */
  readonly freezes: boolean;
  /** Whether the groups get CPU weights in proportion to their memory. */
  readonly weighsCpu: boolean;
  create(name: string, limits: CgroupLimits): Promise<EnvironmentCgroup>;
}

/** Lambda gives a function one vCPU's worth of CPU at 1,769 MB, and CPU in proportion to memory. */
const MB_PER_VCPU = 1769;
const vcpus = (limits: CgroupLimits) => limits.memoryBytes / (1024 * 1024) / MB_PER_VCPU;
/** v1's cpu.shares: 1024 per vCPU (the default a group has), at least 2. */
const cpuShares = (limits: CgroupLimits) => Math.max(2, Math.round(vcpus(limits) * 1024));
/** v2's cpu.weight: 100 per vCPU (the default), within 1..10000. */
const cpuWeight = (limits: CgroupLimits) => Math.min(10_000, Math.max(1, Math.round(vcpus(limits) * 100)));
/** The least weight each version allows: what a background group gets. */
const LEAST_SHARES = 2;
const LEAST_WEIGHT = 1;

/** A control file written as an environment is assigned: synchronously (microseconds); a group gone is nothing to do. */
function writeNow(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch {
    // The environment ended.
  }
}

interface Mount {
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly superOptions: string[];
}

/** /proc/self/mountinfo: `id parent major:minor root mountpoint opts [optional...] - fstype source superopts`. */
function parseMountInfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    mounts.push({ root: unescapeMount(fields[3]!), mountPoint: unescapeMount(fields[4]!), fsType: fsType!, superOptions: superOptions.split(',') });
  }
  return mounts;
}

const unescapeMount = (path: string) => path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** /proc/self/cgroup: `id:controllers:path`, v2's line being `0::path`. */
function ownCgroupPaths(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    if (match[1] === '') paths.set('', match[2]!);
    for (const controller of match[1]!.split(',')) if (controller) paths.set(controller, match[2]!);
  }
  return paths;
}

/** The directory of our own group inside a mounted hierarchy (the mount may show only part of it). */
function ownDirectory(mount: Mount, ownPath: string): string {
  const relative = mount.root === '/' ? ownPath : ownPath.startsWith(mount.root) ? ownPath.slice(mount.root.length) : ownPath;
  return join(mount.mountPoint, relative);
}

/**
 * A cgroup counter read after every invocation (the memory peak), from a descriptor kept open: each
 * reading is one pread, synchronous on purpose, since cgroup files live in kernel memory and answer in
 * microseconds while an asynchronous read costs thread-pool round trips (open, fstat, read, close).
 * Reads 0 once the group is gone.
 */
class CounterFile {
  #fd: number | undefined;
  readonly #buffer = Buffer.alloc(32);

  constructor(private readonly path: string) {}

  read(): number {
    try {
      this.#fd ??= openSync(this.path, 'r');
      const bytes = readSync(this.#fd, this.#buffer, 0, this.#buffer.length, 0);
      return Number(this.#buffer.toString('latin1', 0, bytes).trim()) || 0;
    } catch {
      return 0;
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** A group's peak memory reading, and its removal, which closes the counter first. */
function peakOf(path: string, remove: () => Promise<void>): Pick<EnvironmentCgroup, 'peakBytes' | 'remove'> {
  const counter = new CounterFile(path);
  return {
    peakBytes: async () => counter.read(),
    remove: () => {
      counter.close();
      return remove();
    },
  };
}

async function readKeyed(path: string, key: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function killListed(procsFiles: readonly string[]): Promise<void> {
  // Processes may fork while we read: repeat until the groups are empty (a pid namespace's init dying
  // ends the rest anyway), with a bound so a broken group cannot hang a stop.
  for (let round = 0; round < 20; round += 1) {
    let found = false;
    for (const file of procsFiles) {
      const pids = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
      for (const pid of pids) {
        found = true;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
    if (!found) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Groups left by platforms that died without cleaning up (kill -9): their environments died with them
 * (--die-with-parent), so the groups are empty and only the folders remain.
 */
async function removeStaleGroups(parent: string): Promise<void> {
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    const pid = /^selfless-(\d+)-[0-9a-f]+$/.exec(entry)?.[1];
    if (pid === undefined || pidAlive(Number(pid))) continue;
    const dir = join(parent, entry);
    const children = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
    await removeDirs([...children, dir]).catch(() => undefined);
  }
}

async function removeDirs(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    // rmdir fails with EBUSY until the kernel has reaped the last member: retry for a short while.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt === 49) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}

/** Where a v1 platform's groups live: memory and pids hierarchies, and optionally cpu and v2's freezer. */
interface V1Bases {
  readonly memory: string;
  readonly pids: string;
  readonly cpu: string | undefined;
  /** A folder in the v2 hierarchy a hybrid host mounts beside v1's, for its freezer. */
  readonly freezer: string | undefined;
}

/**
 * cgroup v1: separate memory and pids hierarchies; OOM kills counted in memory.oom_control; CPU
 * shares in the cpu hierarchy and freezing through the v2 hierarchy where the host has them.
 */
class CgroupV1Driver implements CgroupDriver {
  readonly version = 'v1' as const;
  constructor(private readonly bases: V1Bases) {}

  get roots(): readonly string[] {
    const { memory, pids, cpu, freezer } = this.bases;
    return [memory, pids, cpu, freezer].filter((dir) => dir !== undefined);
  }

  get freezes(): boolean {
    return this.bases.freezer !== undefined;
  }

  get weighsCpu(): boolean {
    return this.bases.cpu !== undefined;
  }

  async create(name: string, limits: CgroupLimits): Promise<EnvironmentCgroup> {
    const memory = join(this.bases.memory, name);
    const pids = join(this.bases.pids, name);
    const cpu = this.bases.cpu === undefined ? undefined : join(this.bases.cpu, name);
    const freezer = this.bases.freezer === undefined ? undefined : join(this.bases.freezer, name);
    const dirs = [memory, pids, cpu, freezer].filter((dir) => dir !== undefined);
    try {
      for (const dir of dirs) await mkdir(dir);
      await writeFile(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // No swap beyond the limit (the file exists only where swap accounting is on).
      await writeFile(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined);
      await writeFile(join(pids, 'pids.max'), String(limits.pids));
      if (cpu !== undefined) await writeFile(join(cpu, 'cpu.shares'), String(limits.background === true ? LEAST_SHARES : cpuShares(limits)));
    } catch (error) {
      await removeDirs(dirs).catch(() => undefined);
      throw error;
    }
    const procsFiles = dirs.map((dir) => join(dir, 'cgroup.procs'));
    return {
      procsFiles,
      freezer: freezer === undefined ? undefined : cgroupFreezer(freezer),
      oomKills: () => readKeyed(join(memory, 'memory.oom_control'), 'oom_kill'),
      kill: () => killListed(procsFiles),
      foreground: () => {
        if (cpu !== undefined && limits.background === true) writeNow(join(cpu, 'cpu.shares'), String(cpuShares(limits)));
      },
      ...peakOf(join(memory, 'memory.max_usage_in_bytes'), () => removeDirs(dirs)),
    };
  }
}

/** cgroup v2: one hierarchy; `cgroup.kill` where the kernel has it (5.14+). */
class CgroupV2Driver implements CgroupDriver {
  readonly version = 'v2' as const;
  constructor(
    private readonly base: string,
    readonly weighsCpu: boolean,
    readonly freezes: boolean,
  ) {}

  get roots(): readonly string[] {
    return [this.base];
  }

  async create(name: string, limits: CgroupLimits): Promise<EnvironmentCgroup> {
    const dir = join(this.base, name);
    await mkdir(dir);
    try {
      await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
      await writeFile(join(dir, 'pids.max'), String(limits.pids));
      if (this.weighsCpu) await writeFile(join(dir, 'cpu.weight'), String(limits.background === true ? LEAST_WEIGHT : cpuWeight(limits)));
    } catch (error) {
      await removeDirs([dir]).catch(() => undefined);
      throw error;
    }
    const procsFiles = [join(dir, 'cgroup.procs')];
    return {
      procsFiles,
      freezer: this.freezes ? cgroupFreezer(dir) : undefined,
      oomKills: () => readKeyed(join(dir, 'memory.events'), 'oom_kill'),
      kill: async () => {
        await writeFile(join(dir, 'cgroup.kill'), '1').catch(() => killListed(procsFiles));
      },
      foreground: () => {
        if (this.weighsCpu && limits.background === true) writeNow(join(dir, 'cpu.weight'), String(cpuWeight(limits)));
      },
      ...peakOf(join(dir, 'memory.peak'), () => removeDirs([dir])),
    };
  }
}

export type CgroupDetection = { readonly driver: CgroupDriver } | { readonly driver?: undefined; readonly reason: string };

/**
 * Finds cgroup memory and pids controllers we may create groups in, under our own group: v2 when its
 * tree has both controllers, else v1 hierarchies. The groups live in `<own group>/selfless-<pid>-<random>`, so
 * limits set on the platform's own group (a container's, a systemd unit's) still bound them all.
 */
export async function detectCgroups(): Promise<CgroupDetection> {
  let mountInfo: string;
  let own: Map<string, string>;
  try {
    mountInfo = await readFile('/proc/self/mountinfo', 'utf8');
    own = ownCgroupPaths(await readFile('/proc/self/cgroup', 'utf8'));
  } catch {
    return { reason: 'no /proc/self/cgroup (not Linux)' };
  }
  const mounts = parseMountInfo(mountInfo);
  // One group per platform: several platforms may share a process (tests) or a host.
  const leaf = `selfless-${process.pid}-${randomBytes(4).toString('hex')}`;
  const problems: string[] = [];

  const v2 = mounts.find((m) => m.fsType === 'cgroup2');
  if (v2 !== undefined && own.has('')) {
    const ownDir = ownDirectory(v2, own.get('')!);
    const controllers = (await readFile(join(ownDir, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
    if (controllers.includes('memory') && controllers.includes('pids')) {
      try {
        const { base, weighsCpu } = await prepareV2(ownDir, leaf, controllers.includes('cpu'));
        // cgroup.freeze came with kernel 5.2.
        const freezes = await readFile(join(base, 'cgroup.freeze')).then(
          () => true,
          () => false,
        );
        return { driver: new CgroupV2Driver(base, weighsCpu, freezes) };
      } catch (error) {
        problems.push(`cgroup v2 at ${ownDir}: ${(error as Error).message}`);
      }
    } else {
      problems.push(`cgroup v2 at ${ownDir} does not offer the memory and pids controllers`);
    }
  }

  const memoryMount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  const pidsMount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('pids'));
  if (memoryMount && pidsMount && own.has('memory') && own.has('pids')) {
    const memoryOwn = ownDirectory(memoryMount, own.get('memory')!);
    const pidsOwn = ownDirectory(pidsMount, own.get('pids')!);
    const memoryBase = join(memoryOwn, leaf);
    const pidsBase = join(pidsOwn, leaf);
    try {
      await removeStaleGroups(memoryOwn);
      await removeStaleGroups(pidsOwn);
      await mkdir(memoryBase, { recursive: true });
      await mkdir(pidsBase, { recursive: true });
      // Children must count against this group's limits (always true on recent kernels; older ones ask).
      await writeFile(join(memoryBase, 'memory.use_hierarchy'), '1').catch(() => undefined);
      const cpuMount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('cpu'));
      const cpu = cpuMount && own.has('cpu') ? await optionalBase(ownDirectory(cpuMount, own.get('cpu')!), leaf, 'cpu.shares') : undefined;
      // A hybrid host mounts the v2 hierarchy beside v1's: its freezer works without any controller.
      const freezer = v2 !== undefined && own.has('') ? await optionalBase(ownDirectory(v2, own.get('')!), leaf, 'cgroup.freeze') : undefined;
      return { driver: new CgroupV1Driver({ memory: memoryBase, pids: pidsBase, cpu, freezer }) };
    } catch (error) {
      problems.push(`cgroup v1: ${(error as Error).message}`);
    }
  } else {
    problems.push('no cgroup v1 memory and pids hierarchies');
  }
  return { reason: problems.join('; ') };
}

/** A platform's folder in a hierarchy that adds to the limits (CPU weights, freezing), if it has `controlFile`. */
async function optionalBase(ownDir: string, leaf: string, controlFile: string): Promise<string | undefined> {
  const base = join(ownDir, leaf);
  try {
    await removeStaleGroups(ownDir);
    await mkdir(base, { recursive: true });
    await readFile(join(base, controlFile));
    return base;
  } catch {
    await rmdir(base).catch(() => undefined);
    return undefined;
  }
}

/**
 * v2's "no internal processes" rule: a group that hands controllers to children may hold no processes
 * itself. When ours does (a systemd service), move this process into a leaf of its own first.
 */
async function prepareV2(ownDir: string, leaf: string, offersCpu: boolean): Promise<{ base: string; weighsCpu: boolean }> {
  const enable = () => writeFile(join(ownDir, 'cgroup.subtree_control'), '+memory +pids');
  try {
    await enable();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw error;
    const platform = join(ownDir, 'selfless-platform');
    await mkdir(platform, { recursive: true });
    await writeFile(join(platform, 'cgroup.procs'), String(process.pid));
    await enable();
  }
  await removeStaleGroups(ownDir);
  const base = join(ownDir, leaf);
  await mkdir(base, { recursive: true });
  await writeFile(join(base, 'cgroup.subtree_control'), '+memory +pids');
  // CPU weights are a bonus: a host may keep the cpu controller from us (it is not threaded into every tree).
  const enableCpu = async (dir: string) =>
    writeFile(join(dir, 'cgroup.subtree_control'), '+cpu').then(
      () => true,
      () => false,
    );
  const weighsCpu = offersCpu && (await enableCpu(ownDir)) && (await enableCpu(base));
  return { base, weighsCpu };
}

/** Removes the platform's group of environment groups at shutdown (they are gone by then). */
export async function removeCgroupRoot(driver: CgroupDriver): Promise<void> {
  await removeDirs(driver.roots).catch(() => undefined);
}
