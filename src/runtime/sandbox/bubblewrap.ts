import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readlink, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeakMemoryProbe } from '../peak-memory.js';
import type { EnvironmentSpec, LaunchPlan } from '../types.js';
import { removeCgroupRoot, type CgroupDriver, type EnvironmentCgroup } from './cgroups.js';
import { run } from './exec.js';
import { SignalFreezer, type Freezer } from './freezer.js';
import { ENVIRONMENT_LIMITS, SANDBOX_UIDS, type ConfinedProcess, type ConfineOptions, type Isolation } from './isolation.js';
import { MountHelper } from './mount-helper.js';
import { pidAlive } from './pid-alive.js';
import { killGroup, plainExitReason, signalWords } from './plain.js';
import { firstDescendant, processTree, whenGone } from './process-tree.js';
import { RssWatchdog } from './rss-watchdog.js';
import { UidAllocator } from './uids.js';

export interface HostTools {
  readonly sh: string;
  readonly bwrap: string;
  readonly mount: string;
  readonly umount: string;
  readonly setpriv: string;
  readonly prlimit: string;
  /** bwrap arguments that show the host's /usr, /etc and the top-level links or folders into it. */
  readonly systemArgs: readonly string[];
}

/**
 * Environments in bubblewrap: own mount, pid, ipc and uts namespaces; their own unprivileged host uid
 * (bwrap runs as root to build the mounts, then setpriv drops to the uid with no capabilities, no
 * groups and no new privileges before the runtime starts); the code read-only at /var/task, a private
 * size-capped tmpfs at /tmp, a private /proc, a minimal /dev, nothing of the data dir; Lambda's
 * rlimits; and, where the host has cgroups, memory and pids limits with OOM detection. The outer
 * bwrap is the process the platform spawns; killing it takes the namespace's init with it
 * (--die-with-parent), and the kernel ends every process of a pid namespace whose init dies, so
 * children that setsid() or double-fork go too.
 */
export class BubblewrapSandbox implements Isolation {
  readonly sandboxed = true;
  readonly #uids = new UidAllocator(SANDBOX_UIDS.base, SANDBOX_UIDS.size);
  readonly #live = new Set<ConfinedProcess>();

  /**
   * @param slots where pre-started environments' code comes from (see prepareSlots), or undefined when
   *   this host cannot pre-start them.
   */
  constructor(
    private readonly tools: HostTools,
    private readonly cgroups: CgroupDriver | undefined,
    private readonly slots: Slots | undefined,
    private readonly seccomp: Buffer | undefined,
  ) {}

  get canPrestart(): boolean {
    return this.slots !== undefined;
  }

  /** Started with the first pre-started environment, so that it is up by the time one is assigned. */
  #mounts: MountHelper | undefined;

  /**
   * The code bound read-only before it reaches the shared folder: flags set by a later remount would
   * not propagate into the sandbox, while a moved read-only mount arrives there read-only.
   */
  async #bindCode(codeDir: string, stage: string, slot: string): Promise<void> {
    if (this.#mounts?.alive === true) {
      try {
        return await this.#mounts.bindReadOnly(codeDir, stage, slot);
      } catch {
        // mount(8) below says what is wrong, if anything still is.
      }
    }
    const { sh, mount } = this.tools;
    await run(sh, ['-c', `${mount} --bind -o ro,nosuid,nodev "$1" "$2" && ${mount} --move "$2" "$3"`, 'sh', codeDir, stage, slot], true);
  }

  async #detach(slot: string): Promise<void> {
    if (this.#mounts?.alive === true) {
      try {
        return await this.#mounts.detach(slot);
      } catch {
        // As above.
      }
    }
    await run(this.tools.umount, ['--lazy', slot], true);
  }

  async confine(spec: EnvironmentSpec, plan: LaunchPlan, name: string, options: ConfineOptions): Promise<ConfinedProcess> {
    if (options.prestarted && this.slots === undefined) throw new Error('this host cannot pre-start sandboxed environments');
    if (options.prestarted) this.#mounts ??= MountHelper.start();
    const uid = this.#uids.allocate();
    const slot = options.prestarted ? join(this.slots!.shared, name) : undefined;
    const stage = options.prestarted ? join(this.slots!.stage, name) : undefined;
    let cgroup: EnvironmentCgroup | undefined;
    try {
      if (slot !== undefined) await mkdir(slot, { mode: 0o755 });
      if (stage !== undefined) await mkdir(stage, { mode: 0o700 });
      cgroup = await this.cgroups?.create(name, {
        memoryBytes: spec.memorySize * 1024 * 1024,
        pids: ENVIRONMENT_LIMITS.processes,
        background: options.prestarted,
      });
    } catch (error) {
      this.#uids.release(uid);
      if (slot !== undefined) await rmdir(slot).catch(() => undefined);
      if (stage !== undefined) await rmdir(stage).catch(() => undefined);
      throw error;
    }
    const { tools } = this;
    const binds = [{ source: slot ?? spec.codeDir, target: '/var/task' }, ...plan.binds].flatMap((b) => ['--ro-bind', b.source, b.target]);
    // Folders bwrap would create for the mount points are root-only (0700): create them readable first.
    const folders = [...new Set(plan.binds.flatMap((b) => ancestors(b.target)))].flatMap((dir) => ['--perms', '0755', '--dir', dir]);
    const sandboxed = [
      tools.bwrap,
      ...sandboxBase(tools, spec.ephemeralStorageMb * 1024 * 1024),
      '--unshare-cgroup-try',
      ...['--perms', '0755', '--dir', '/var'],
      ...folders,
      ...binds,
      ...['--chdir', '/var/task'],
      ...(this.seccomp === undefined ? [] : ['--seccomp', '3']),
      '--',
      tools.sh,
      '-c',
      SUPERVISOR,
      'supervisor',
      ...dropPrivileges(tools, uid),
      '--',
      plan.command,
      ...plan.args,
    ];
    const limited = [tools.prlimit, `--nofile=${ENVIRONMENT_LIMITS.openFiles}`, `--nproc=${ENVIRONMENT_LIMITS.processes}`, '--core=0', '--', ...sandboxed];
    // The shell joins the cgroups before anything of the environment exists, so nothing escapes them.
    const procsFiles = cgroup?.procsFiles ?? [];
    const joinGroups = procsFiles.map((_, i) => `echo $$ > "$${i + 1}" && `).join('');
    const script = `${joinGroups}shift ${procsFiles.length} && exec "$@"`;

    let pid: number | undefined;
    let probe: PeakMemoryProbe | undefined;
    let lastPeakMb = 0;
    let released = false;
    let codeMounted = false;
    // Without cgroups, the memory limit is a watchdog on the sandbox's process tree.
    let watchdog: RssWatchdog | undefined;
    // bwrap --new-session puts the runtime out of the spawned process's group: without the kernel's
    // freezer, the sandbox's process tree is stopped process by process.
    let freezer: Freezer | undefined = cgroup?.freezer;
    const peakMemoryMb = async (): Promise<number> => {
      if (cgroup !== undefined) {
        // Once the group is gone the reading is 0: keep the last one.
        lastPeakMb = Math.max(lastPeakMb, Math.ceil((await cgroup.peakBytes()) / (1024 * 1024)));
        return lastPeakMb;
      }
      probe ??= await runtimeProcessProbe(pid);
      return Math.max((await probe?.read()) ?? 0, Math.ceil((watchdog?.peakBytes ?? 0) / (1024 * 1024)));
    };
    const confined: ConfinedProcess = {
      command: tools.sh,
      args: ['-c', script, 'sh', ...procsFiles, ...limited],
      cwd: '/',
      ...(this.seccomp === undefined ? {} : { fd3Input: this.seccomp }),
      uid,
      attach: (p) => {
        pid = p;
        if (cgroup === undefined) watchdog = new RssWatchdog(p, spec.memorySize * 1024 * 1024, () => killGroup(p));
        freezer ??= new SignalFreezer(p);
      },
      freeze: () => freezer?.freeze(),
      thaw: () => freezer?.thaw(),
      assignCode: async (codeDir) => {
        if (slot === undefined || stage === undefined) throw new Error('only a pre-started environment is assigned code');
        // From now on it starts a function: ahead of pre-started runtimes still booting.
        cgroup?.foreground();
        await this.#bindCode(codeDir, stage, slot);
        codeMounted = true;
      },
      peakMemoryMb,
      restartRuntime: async () => {
        const init = await firstDescendant(pid, 1);
        const supervisor = await firstDescendant(init, SUPERVISOR_DEPTH - 1);
        if (supervisor === undefined) throw new Error('the sandbox has no supervisor to restart its runtime');
        // Every process of the environment but bwrap, its init and the supervisor, which stay.
        const doomed = pid === undefined ? [] : (await processTree(pid)).filter((p) => p !== pid && p !== init && p !== supervisor);
        process.kill(supervisor, 'SIGUSR1');
        await killEveryProcessOf(tools.sh, uid);
        // Killed is not yet gone: until the sandbox's init reaps them (a thousand, after a fork bomb) they
        // hold pids of the environment's budget, and an environment frozen before then would keep them.
        await whenGone(doomed, REAP_WAIT_MS);
        // Without cgroups, peak memory is read from the runtime process, which is a new one now.
        await probe?.close();
        probe = undefined;
      },
      oomKilled: async () => (cgroup === undefined ? (watchdog?.exceeded ?? false) : (await cgroup.oomKills()) > 0),
      // bwrap's init passes the runtime's end on as an exit status: 128 + n for signal n.
      exitReason: (code, signal) => (signal === null && code !== null && code > 128 ? `signal: ${signalWords(code - 128)}` : plainExitReason(code, signal)),
      kill: () => {
        killGroup(pid);
        void cgroup?.kill();
      },
      release: async () => {
        if (released) return;
        released = true;
        watchdog?.stop();
        try {
          // The REPORT of the last invocation may still ask: read the peak while the group exists.
          await peakMemoryMb();
          await probe?.close();
          await cgroup?.kill();
          await cgroup?.remove();
          if (slot !== undefined && stage !== undefined) {
            if (codeMounted) await this.#detach(slot);
            await rmdir(slot);
            await rmdir(stage);
          }
        } finally {
          this.#uids.release(uid);
          this.#live.delete(confined);
        }
      },
    };
    this.#live.add(confined);
    return confined;
  }

  /** Ends every environment still running and removes the platform's cgroups. */
  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.#live].map((confined) => {
        confined.kill();
        return confined.release();
      }),
    );
    this.#mounts?.close();
    if (this.cgroups !== undefined) await removeCgroupRoot(this.cgroups);
    if (this.slots !== undefined) {
      for (const dir of [this.slots.shared, this.slots.stage]) {
        await run(this.tools.umount, ['--recursive', '--lazy', dir]);
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }
}

/**
 * The namespaces and file system every sandbox starts with: own pid, ipc and uts namespaces, ending
 * with the platform, the host's system folders read-only, a private /proc and /dev, a size-capped /tmp.
 * The trial sandbox of host detection is built from the same, so it proves what environments get.
 */
export function sandboxBase(tools: HostTools, tmpBytes: number): string[] {
  // prettier-ignore
  return [
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session',
    ...tools.systemArgs,
    '--proc', '/proc',
    '--dev', '/dev',
    '--perms', '1777', '--size', String(tmpBytes), '--tmpfs', '/tmp',
  ];
}

/** setpriv's drop to an environment's uid: no groups, no capabilities, no new privileges. */
export function dropPrivileges(tools: HostTools, uid: number): string[] {
  return [tools.setpriv, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs'];
}

/** `/a/b/c` → `/a`, `/a/b` (not `/var`, which the sandbox always has). */
function ancestors(target: string): string[] {
  const parts = target.split('/').filter(Boolean).slice(0, -1);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`).filter((dir) => dir !== '/var');
}

/**
 * The sandbox's first process, root as bwrap left it, before setpriv drops to the environment's uid: it
 * runs the runtime and ends as the runtime ends, with its status, unless it was told (SIGUSR1) that the
 * runtime is being killed to restart it, as Lambda restarts a runtime that timed out: then it starts the
 * runtime again. The environment's processes cannot signal it: they run as another uid.
 */
const SUPERVISOR = `trap 'restart=1' USR1
while :; do
  restart=0
  "$@"
  status=$?
  [ "$restart" = 1 ] || exit "$status"
done`;
/** How long a runtime restart waits for the killed processes to be reaped. */
const REAP_WAIT_MS = 5_000;
/** bwrap → its init in the sandbox's pid namespace → the supervisor → the runtime. */
const SUPERVISOR_DEPTH = 2;

/**
 * SIGKILL to every process of an environment: its uid is its own, and kill(-1) from that uid reaches
 * every process of the uid and no other, however it was started (setsid, double fork). Forking the
 * platform is acceptable here: it happens once per timed-out invocation.
 */
function killEveryProcessOf(sh: string, uid: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const killer = spawn(sh, ['-c', 'kill -KILL -1'], { uid, gid: uid, stdio: 'ignore' });
    killer.once('error', reject);
    killer.once('exit', () => resolve());
  });
}

/** Without cgroups, peak memory is the runtime process's own: the one the supervisor started. */
async function runtimeProcessProbe(pid: number | undefined): Promise<PeakMemoryProbe | undefined> {
  const runtime = await firstDescendant(pid, SUPERVISOR_DEPTH + 1);
  return runtime === undefined ? undefined : new PeakMemoryProbe(runtime);
}

/** /usr and /etc read-only, and the top-level folders that are links into /usr on merged-/usr systems. */
export async function systemArgs(): Promise<string[]> {
  const args = ['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc'];
  for (const top of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const info = await lstat(top);
      if (info.isSymbolicLink()) args.push('--symlink', await readlink(top), top);
      else if (info.isDirectory()) args.push('--ro-bind', top, top);
    } catch {
      // Not on this host.
    }
  }
  return args;
}

/** Slot folders of platforms that died without cleaning up (kill -9): their mounts are unmounted, the folders removed. */
async function removeStaleSlots(tools: HostTools, parent: string): Promise<void> {
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    const pid = /^selfless-slots-(\d+)-/.exec(entry)?.[1];
    if (pid === undefined || pidAlive(Number(pid))) continue;
    const dir = join(parent, entry);
    await run(tools.umount, ['--recursive', '--lazy', dir]);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Where pre-started environments' code comes from. `shared` is a shared mount with an empty folder per
 * pre-started environment, bound at its /var/task: a mount made on the folder later propagates into
 * that one sandbox (bwrap makes its mounts slaves of the host's) and no other. `stage` is a private
 * mount where the code is first bound read-only, nosuid, nodev, then moved onto the folder.
 */
export interface Slots {
  readonly shared: string;
  readonly stage: string;
}

export async function prepareSlots(tools: HostTools): Promise<{ slots?: Slots; reason?: string }> {
  const parent = existsSync('/run') ? '/run' : tmpdir();
  await removeStaleSlots(tools, parent);
  const made: string[] = [];
  const mountOwn = async (propagation: '--make-shared' | '--make-private') => {
    const dir = await mkdtemp(join(parent, `selfless-slots-${process.pid}-`));
    made.push(dir);
    const bound = await run(tools.mount, ['--bind', dir, dir]);
    const set = bound.ok ? await run(tools.mount, [propagation, dir]) : bound;
    if (!set.ok) throw new Error(set.output);
    return dir;
  };
  try {
    return { slots: { shared: await mountOwn('--make-shared'), stage: await mountOwn('--make-private') } };
  } catch (error) {
    for (const dir of made) {
      await run(tools.umount, ['--lazy', dir]);
      await rm(dir, { recursive: true, force: true });
    }
    return { reason: (error as Error).message };
  }
}
