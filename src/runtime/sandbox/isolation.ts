import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, rmdir } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PeakMemoryProbe } from '../peak-memory.js';
import type { EnvironmentSpec, LaunchPlan } from '../types.js';
import { detectCgroups, removeCgroupRoot, type CgroupDriver, type EnvironmentCgroup } from './cgroups.js';
import { SignalFreezer, type Freezer } from './freezer.js';
import { pidAlive } from './pid-alive.js';
import { RssWatchdog } from './rss-watchdog.js';
import { seccompProgram } from './seccomp.js';
import { UidAllocator } from './uids.js';

/** Lambda's per-environment limits (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
export const ENVIRONMENT_LIMITS = { openFiles: 1024, processes: 1024 } as const;
/** Host uids handed to environments: [base, base + size). */
export const SANDBOX_UIDS = { base: 900_000, size: 60_000 } as const;

/** How one environment's process is started, observed and ended. */
export interface ConfinedProcess {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Bytes the spawned process reads from its descriptor 3 (the seccomp program bubblewrap installs). */
  readonly fd3Input?: Buffer;
  /** The host uid every process of the environment runs as, when it has its own. */
  readonly uid: number | undefined;
  /** Told the pid of the spawned process. */
  attach(pid: number): void;
  /** Shows a pre-started environment the code of the function it is given. */
  assignCode(codeDir: string): Promise<void>;
  /** Peak memory of the environment, in MB rounded up, as REPORT shows it. */
  peakMemoryMb(): Promise<number>;
  /** Whether the kernel killed something in the environment for exceeding its memory. */
  oomKilled(): Promise<boolean>;
  /** Lambda's words for how the runtime ended: `exit status 1`, `signal: killed`. */
  exitReason(code: number | null, signal: NodeJS.Signals | null): string;
  /** Stops every process of the idle environment until thaw() (see Freezer). */
  freeze(): void;
  thaw(): void;
  /** SIGKILL to every process of the environment, frozen or not. */
  kill(): void;
  /** Frees what the environment held (uid, cgroup) once its processes are gone. */
  release(): Promise<void>;
}

export interface ConfineOptions {
  /** A generic runtime whose function's code is shown later, by assignCode(). */
  readonly prestarted: boolean;
}

export interface Isolation {
  readonly sandboxed: boolean;
  /** Whether environments can be started before their function is known. */
  readonly canPrestart: boolean;
  confine(spec: EnvironmentSpec, plan: LaunchPlan, name: string, options: ConfineOptions): Promise<ConfinedProcess>;
  close(): Promise<void>;
}

export interface IsolationFeature {
  readonly name: string;
  readonly active: boolean;
  readonly detail: string;
}

export interface IsolationReport {
  readonly sandboxed: boolean;
  readonly features: readonly IsolationFeature[];
}

const SIGNAL_NAMES = new Map<number, string>([
  [osConstants.signals.SIGKILL, 'killed'],
  [osConstants.signals.SIGTERM, 'terminated'],
  [osConstants.signals.SIGSEGV, 'segmentation fault'],
  [osConstants.signals.SIGABRT, 'aborted'],
  [osConstants.signals.SIGINT, 'interrupt'],
  [osConstants.signals.SIGBUS, 'bus error'],
  [osConstants.signals.SIGILL, 'illegal instruction'],
  [osConstants.signals.SIGFPE, 'floating point exception'],
]);

/** Go's wording for a signal, which Lambda's messages use (`signal: killed`). */
export function signalWords(signal: NodeJS.Signals | number): string {
  const number = typeof signal === 'number' ? signal : osConstants.signals[signal];
  return SIGNAL_NAMES.get(number) ?? (typeof signal === 'number' ? `signal ${signal}` : signal.replace(/^SIG/, '').toLowerCase());
}

const plainExitReason = (code: number | null, signal: NodeJS.Signals | null) => (signal ? `signal: ${signalWords(signal)}` : `exit status ${code ?? 0}`);

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Environments as plain child processes in their own process group: no isolation beyond the OS user's.
 * Given util-linux's setpriv, each runtime starts with a parent-death signal (PR_SET_PDEATHSIG), so a
 * platform that is killed outright (kill -9, OOM killer) does not leave its runtimes running: nothing
 * else would end them, since only a sandbox's namespace dies with its parent.
 */
export class PlainProcesses implements Isolation {
  readonly sandboxed = false;
  readonly canPrestart = true;
  readonly #setpriv: string | undefined;

  constructor(setpriv?: string) {
    this.#setpriv = setpriv;
  }

  /** Whether runtimes die with the platform (see the class comment). */
  get diesWithPlatform(): boolean {
    return this.#setpriv !== undefined;
  }

  async confine(spec: EnvironmentSpec, plan: LaunchPlan, _name: string, options: ConfineOptions): Promise<ConfinedProcess> {
    let pid: number | undefined;
    let probe: PeakMemoryProbe | undefined;
    let watchdog: RssWatchdog | undefined;
    let freezer: Freezer | undefined;
    // setpriv execs the runtime, so the pid the platform watches is the runtime's own.
    const wrapped = this.#setpriv === undefined ? { command: plan.command, args: plan.args } : { command: this.#setpriv, args: ['--pdeathsig', 'KILL', '--', plan.command, ...plan.args] };
    return {
      ...wrapped,
      // A pre-started runtime moves into its function's folder when assigned.
      cwd: options.prestarted ? '/' : spec.codeDir,
      uid: undefined,
      assignCode: async () => undefined,
      attach: (p) => {
        pid = p;
        probe = new PeakMemoryProbe(p);
        watchdog = new RssWatchdog(p, spec.memorySize * 1024 * 1024, () => killGroup(p));
        freezer = new SignalFreezer(p);
      },
      freeze: () => freezer?.freeze(),
      thaw: () => freezer?.thaw(),
      // The watchdog's readings cover the whole tree, and remain when the runtime was killed unread.
      peakMemoryMb: async () => Math.max((await probe?.read()) ?? 0, Math.ceil((watchdog?.peakBytes ?? 0) / (1024 * 1024))),
      oomKilled: async () => watchdog?.exceeded ?? false,
      exitReason: plainExitReason,
      kill: () => killGroup(pid),
      release: async () => {
        watchdog?.stop();
        await probe?.close();
      },
    };
  }

  async close(): Promise<void> {}
}

interface HostTools {
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

  async confine(spec: EnvironmentSpec, plan: LaunchPlan, name: string, options: ConfineOptions): Promise<ConfinedProcess> {
    if (options.prestarted && this.slots === undefined) throw new Error('this host cannot pre-start sandboxed environments');
    const uid = this.#uids.allocate();
    const slot = options.prestarted ? join(this.slots!.shared, name) : undefined;
    const stage = options.prestarted ? join(this.slots!.stage, name) : undefined;
    let cgroup: EnvironmentCgroup | undefined;
    try {
      if (slot !== undefined) await mkdir(slot, { mode: 0o755 });
      if (stage !== undefined) await mkdir(stage, { mode: 0o700 });
      cgroup = await this.cgroups?.create(name, { memoryBytes: spec.memorySize * 1024 * 1024, pids: ENVIRONMENT_LIMITS.processes });
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
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-cgroup-try',
      '--die-with-parent',
      '--new-session',
      ...tools.systemArgs,
      '--proc', '/proc',
      '--dev', '/dev',
      '--perms', '1777', '--size', String(spec.ephemeralStorageMb * 1024 * 1024), '--tmpfs', '/tmp',
      '--perms', '0755', '--dir', '/var',
      ...folders,
      ...binds,
      '--chdir', '/var/task',
      ...(this.seccomp === undefined ? [] : ['--seccomp', '3']),
      '--',
      tools.setpriv, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs',
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
        // Read-only before it reaches the shared folder: flags set by a later remount would not
        // propagate into the sandbox, while a moved read-only mount arrives there read-only.
        await run(tools.sh, ['-c', `${tools.mount} --bind -o ro,nosuid,nodev "$1" "$2" && ${tools.mount} --move "$2" "$3"`, 'sh', codeDir, stage, slot], true);
        codeMounted = true;
      },
      peakMemoryMb,
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
            if (codeMounted) await run(tools.umount, ['--lazy', slot], true);
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
    if (this.cgroups !== undefined) await removeCgroupRoot(this.cgroups);
    if (this.slots !== undefined) {
      for (const dir of [this.slots.shared, this.slots.stage]) {
        await run(this.tools.umount, ['--recursive', '--lazy', dir]);
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }
}

/** `/a/b/c` → `/a`, `/a/b` (not `/var`, which the sandbox always has). */
function ancestors(target: string): string[] {
  const parts = target.split('/').filter(Boolean).slice(0, -1);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`).filter((dir) => dir !== '/var');
}

/** Without cgroups, peak memory is the runtime process's own: bwrap → its init → the runtime. */
async function runtimeProcessProbe(pid: number | undefined): Promise<PeakMemoryProbe | undefined> {
  let current = pid;
  for (let depth = 0; depth < 2 && current !== undefined; depth += 1) {
    const children = await readFile(`/proc/${current}/task/${current}/children`, 'utf8').catch(() => '');
    const first = children.trim().split(/\s+/)[0];
    current = first ? Number(first) : undefined;
  }
  return current === undefined ? undefined : new PeakMemoryProbe(current);
}

async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const dir of new Set(dirs)) {
    const path = join(dir, name);
    try {
      if ((await lstat(path)).isFile() || (await lstat(path)).isSymbolicLink()) return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** /usr and /etc read-only, and the top-level folders that are links into /usr on merged-/usr systems. */
async function systemArgs(): Promise<string[]> {
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

function run(command: string, args: readonly string[], mustSucceed = false, fd3Input?: Buffer): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', fd3Input === undefined ? 'ignore' : 'pipe'], timeout: 10_000 });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    if (fd3Input !== undefined) (child.stdio[3] as NodeJS.WritableStream).on('error', () => undefined).end(fd3Input);
    child.once('error', (error) => (mustSucceed ? reject(error) : resolve({ ok: false, output: error.message })));
    child.once('close', (code) => {
      output = output.trim();
      if (code !== 0 && mustSucceed) reject(new Error(`${command} ${args.join(' ')}: ${output || `exit ${code}`}`));
      else resolve({ ok: code === 0, output });
    });
  });
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
interface Slots {
  readonly shared: string;
  readonly stage: string;
}

async function prepareSlots(tools: HostTools): Promise<{ slots?: Slots; reason?: string }> {
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

export type IsolationChoice = 'auto' | 'sandbox' | 'none';

/**
 * Works out what this host lets us do: a sandbox needs Linux, root (to give every environment its own
 * uid), bubblewrap, setpriv and prlimit, and a trial sandbox that starts; cgroups add memory and pids
 * limits. Returns the isolation to use and a report for `selfless serve` and `selfless doctor`.
 */
export async function detectIsolation(choice: IsolationChoice): Promise<{ isolation: Isolation; report: IsolationReport }> {
  const features: IsolationFeature[] = [];
  const none = async (why: string) => {
    const plain = new PlainProcesses(process.platform === 'linux' ? await findExecutable('setpriv') : undefined);
    features.unshift(
      { name: 'sandbox', active: false, detail: why },
      plain.diesWithPlatform
        ? { name: 'parent-death', active: true, detail: 'runtimes get SIGKILL when the platform process dies (setpriv --pdeathsig)' }
        : { name: 'parent-death', active: false, detail: 'runtimes may outlive a platform that is killed outright: setpriv (util-linux) not found' },
      { name: 'freeze', active: true, detail: 'idle environments are stopped between invocations (SIGSTOP to the runtime\'s process tree; processes that left it are missed)' },
    );
    return { isolation: plain, report: { sandboxed: false, features } };
  };
  if (choice === 'none') return none('turned off (--isolation none): environments are plain child processes of the platform');
  if (process.platform !== 'linux') return none(`environments are plain child processes: namespaces need Linux, this is ${process.platform}`);
  if (process.getuid?.() !== 0) return none('environments are plain child processes: giving each its own host uid needs the platform to run as root');

  const [bwrap, setpriv, prlimit, sh, mount, umount] = await Promise.all(['bwrap', 'setpriv', 'prlimit', 'sh', 'mount', 'umount'].map(findExecutable));
  const missing = [bwrap ? '' : 'bwrap (Debian/Ubuntu: apt-get install bubblewrap)', setpriv && prlimit && mount && umount ? '' : 'setpriv, prlimit, mount and umount (util-linux)', sh ? '' : 'sh'].filter(Boolean);
  if (missing.length > 0) return none(`environments are plain child processes: missing ${missing.join(', ')}`);

  const tools: HostTools = { sh: sh!, bwrap: bwrap!, setpriv: setpriv!, prlimit: prlimit!, mount: mount!, umount: umount!, systemArgs: await systemArgs() };
  const trialSandbox = (extra: string[], fd3Input?: Buffer) =>
    run(tools.bwrap, [
      '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session', ...tools.systemArgs,
      '--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--size', '1048576', '--tmpfs', '/tmp', ...extra,
      '--', tools.setpriv, `--reuid=${SANDBOX_UIDS.base}`, `--regid=${SANDBOX_UIDS.base}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--', 'id', '-u',
    ], false, fd3Input);
  const trial = await trialSandbox([]);
  if (!trial.ok || trial.output !== String(SANDBOX_UIDS.base)) return none(`environments are plain child processes: a trial sandbox failed: ${trial.output || 'no output'}`);
  const program = seccompProgram();
  const seccompTrial = program === undefined ? undefined : await trialSandbox(['--seccomp', '3'], program);
  const seccomp = seccompTrial?.ok && seccompTrial.output === String(SANDBOX_UIDS.base) ? program : undefined;
  const version = (await run(tools.bwrap, ['--version'])).output;

  const cgroups = await detectCgroups();
  const slots = await prepareSlots(tools);
  features.push(
    { name: 'sandbox', active: true, detail: `${version}: mount, pid, ipc and uts namespaces; code read-only at /var/task; private /tmp capped at EphemeralStorage; private /proc` },
    { name: 'uids', active: true, detail: `each environment runs as its own host uid from ${SANDBOX_UIDS.base} to ${SANDBOX_UIDS.base + SANDBOX_UIDS.size - 1}, no capabilities, no new privileges` },
    { name: 'rlimits', active: true, detail: `nofile ${ENVIRONMENT_LIMITS.openFiles}, nproc ${ENVIRONMENT_LIMITS.processes}, core 0` },
    cgroups.driver
      ? { name: 'cgroups', active: true, detail: `cgroup ${cgroups.driver.version}: memory limit = MemorySize (no swap), pids limit ${ENVIRONMENT_LIMITS.processes}, OOM detection${cgroups.driver.weighsCpu ? ', CPU weight in proportion to memory' : ''}; in ${cgroups.driver.roots.join(', ')}` }
      : { name: 'cgroups', active: false, detail: `memory limited by a watchdog on each sandbox's resident memory, processes by rlimits only: ${cgroups.reason}` },
    { name: 'runtime-api', active: true, detail: 'one Runtime API listener per environment, answering only connections from that environment\'s uid' },
    { name: 'network', active: true, detail: 'environments share the host network (outbound calls work, as on Lambda); they can reach services listening on the host' },
    slots.slots
      ? { name: 'prestart', active: true, detail: `generic runtimes start before their function; its code is mounted read-only at their /var/task on assignment (through ${slots.slots.shared})` }
      : { name: 'prestart', active: false, detail: `cold starts cannot use pre-started runtimes: mounting a shared folder failed: ${slots.reason}` },
    cgroups.driver?.freezes
      ? { name: 'freeze', active: true, detail: 'idle environments are frozen between invocations (cgroup v2 freezer)' }
      : { name: 'freeze', active: true, detail: 'idle environments are stopped between invocations (SIGSTOP to the sandbox\'s processes; no cgroup v2 freezer)' },
    seccomp
      ? { name: 'seccomp', active: true, detail: 'deny-list: mount, namespaces (unshare, setns, clone flags), keyrings, bpf, perf_event_open, userfaultfd, io_uring, modules, kexec, open_by_handle_at, swap, reboot, acct, ioctl TIOCSTI' }
      : { name: 'seccomp', active: false, detail: program === undefined ? `no system-call table for ${process.arch}` : `bubblewrap refused the filter: ${seccompTrial?.output || 'no output'}` },
  );
  if (choice === 'sandbox' && !cgroups.driver) features.push({ name: 'note', active: false, detail: 'sandbox required (--isolation sandbox) and running without cgroup limits' });
  return { isolation: new BubblewrapSandbox(tools, cgroups.driver, slots.slots, seccomp), report: { sandboxed: true, features } };
}
