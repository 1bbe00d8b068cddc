import { detectCgroups } from './cgroups.js';
import { BubblewrapSandbox, dropPrivileges, prepareSlots, sandboxBase, systemArgs, type HostTools } from './bubblewrap.js';
import { findExecutable, run } from './exec.js';
import { ENVIRONMENT_LIMITS, SANDBOX_UIDS, type Isolation, type IsolationFeature, type IsolationReport } from './isolation.js';
import { PlainProcesses } from './plain.js';
import { seccompProgram } from './seccomp.js';

export type IsolationChoice = 'auto' | 'sandbox' | 'none';

/** What the host offers a sandbox: found once per process (see probeSandboxHost), the same for every platform. */
export type SandboxHost =
  | { readonly usable: false; readonly reason: string }
  | {
      readonly usable: true;
      readonly tools: HostTools;
      readonly version: string;
      readonly seccomp: Buffer | undefined;
      readonly seccompProblem: string | undefined;
    };

let hostProbe: Promise<SandboxHost> | undefined;

/**
 * The host's sandbox facts: Linux, root (to give every environment its own uid), bubblewrap, setpriv and
 * prlimit, a trial sandbox that starts, and whether bubblewrap takes our seccomp filter. They do not
 * change while the process runs, so the trials (about a tenth of a second) run once per process, not once
 * per platform.
 */
export function probeSandboxHost(): Promise<SandboxHost> {
  hostProbe ??= probeHost();
  return hostProbe;
}

async function probeHost(): Promise<SandboxHost> {
  const unusable = (reason: string): SandboxHost => ({ usable: false, reason });
  if (process.platform !== 'linux') return unusable(`environments are plain child processes: namespaces need Linux, this is ${process.platform}`);
  if (process.getuid?.() !== 0) return unusable('environments are plain child processes: giving each its own host uid needs the platform to run as root');

  const [bwrap, setpriv, prlimit, sh, mount, umount] = await Promise.all(['bwrap', 'setpriv', 'prlimit', 'sh', 'mount', 'umount'].map(findExecutable));
  const missing = [
    bwrap ? '' : 'bwrap (Debian/Ubuntu: apt-get install bubblewrap)',
    setpriv && prlimit && mount && umount ? '' : 'setpriv, prlimit, mount and umount (util-linux)',
    sh ? '' : 'sh',
  ].filter(Boolean);
  if (missing.length > 0) return unusable(`environments are plain child processes: missing ${missing.join(', ')}`);

  const tools: HostTools = { sh: sh!, bwrap: bwrap!, setpriv: setpriv!, prlimit: prlimit!, mount: mount!, umount: umount!, systemArgs: await systemArgs() };
  const trialSandbox = (extra: string[], fd3Input?: Buffer) =>
    run(tools.bwrap, [...sandboxBase(tools, 1024 * 1024), ...extra, '--', ...dropPrivileges(tools, SANDBOX_UIDS.base), '--', 'id', '-u'], false, fd3Input);
  const trial = await trialSandbox([]);
  if (!trial.ok || trial.output !== String(SANDBOX_UIDS.base))
    return unusable(`environments are plain child processes: a trial sandbox failed: ${trial.output || 'no output'}`);
  const program = seccompProgram();
  const seccompTrial = program === undefined ? undefined : await trialSandbox(['--seccomp', '3'], program);
  const seccomp = seccompTrial?.ok && seccompTrial.output === String(SANDBOX_UIDS.base) ? program : undefined;
  const seccompProblem =
    seccomp !== undefined
      ? undefined
      : program === undefined
        ? `no system-call table for ${process.arch}`
        : `bubblewrap refused the filter: ${seccompTrial?.output || 'no output'}`;
  const version = (await run(tools.bwrap, ['--version'])).output;
  return { usable: true, tools, version, seccomp, seccompProblem };
}

/**
 * Works out what this host lets us do (probeSandboxHost, or the facts a caller passes, as a test may)
 * and sets up what one platform needs of it: its own cgroup subtree and pre-start slot folders. Returns
 * the isolation to use and a report for `selfless serve` and `selfless doctor`.
 */
export async function detectIsolation(
  choice: IsolationChoice,
  host: Promise<SandboxHost> | SandboxHost = probeSandboxHost(),
): Promise<{ isolation: Isolation; report: IsolationReport }> {
  const features: IsolationFeature[] = [];
  const none = async (why: string) => {
    const plain = new PlainProcesses(process.platform === 'linux' ? await findExecutable('setpriv') : undefined);
    features.unshift(
      { name: 'sandbox', active: false, detail: why },
      plain.diesWithPlatform
        ? { name: 'parent-death', active: true, detail: 'runtimes get SIGKILL when the platform process dies (setpriv --pdeathsig)' }
        : { name: 'parent-death', active: false, detail: 'runtimes may outlive a platform that is killed outright: setpriv (util-linux) not found' },
      {
        name: 'freeze',
        active: true,
        detail: "idle environments are stopped between invocations (SIGSTOP to the runtime's process tree; processes that left it are missed)",
      },
    );
    return { isolation: plain, report: { sandboxed: false, features } };
  };
  if (choice === 'none') return none('turned off (--isolation none): environments are plain child processes of the platform');
  const facts = await host;
  if (!facts.usable) return none(facts.reason);
  const { tools, version, seccomp } = facts;

  const cgroups = await detectCgroups();
  const slots = await prepareSlots(tools);
  features.push(
    {
      name: 'sandbox',
      active: true,
      detail: `${version}: mount, pid, ipc and uts namespaces; code read-only at /var/task; private /tmp capped at EphemeralStorage; private /proc`,
    },
    {
      name: 'uids',
      active: true,
      detail: `each environment runs as its own host uid from ${SANDBOX_UIDS.base} to ${SANDBOX_UIDS.base + SANDBOX_UIDS.size - 1}, no capabilities, no new privileges`,
    },
    { name: 'rlimits', active: true, detail: `nofile ${ENVIRONMENT_LIMITS.openFiles}, nproc ${ENVIRONMENT_LIMITS.processes}, core 0` },
    cgroups.driver
      ? {
          name: 'cgroups',
          active: true,
          detail: `cgroup ${cgroups.driver.version}: memory limit = MemorySize (no swap), pids limit ${ENVIRONMENT_LIMITS.processes}, OOM detection${cgroups.driver.weighsCpu ? ', CPU weight in proportion to memory' : ''}; in ${cgroups.driver.roots.join(', ')}`,
        }
      : {
          name: 'cgroups',
          active: false,
          detail: `memory limited by a watchdog on each sandbox's resident memory, processes by rlimits only: ${cgroups.reason}`,
        },
    { name: 'runtime-api', active: true, detail: "one Runtime API listener per environment, answering only connections from that environment's uid" },
    {
      name: 'network',
      active: true,
      detail: 'environments share the host network (outbound calls work, as on Lambda); they can reach services listening on the host',
    },
    slots.slots
      ? {
          name: 'prestart',
          active: true,
          detail: `generic runtimes start before their function; its code is mounted read-only at their /var/task on assignment (through ${slots.slots.shared})`,
        }
      : { name: 'prestart', active: false, detail: `cold starts cannot use pre-started runtimes: mounting a shared folder failed: ${slots.reason}` },
    cgroups.driver?.freezes
      ? { name: 'freeze', active: true, detail: 'idle environments are frozen between invocations (cgroup v2 freezer)' }
      : {
          name: 'freeze',
          active: true,
          detail: "idle environments are stopped between invocations (SIGSTOP to the sandbox's processes; no cgroup v2 freezer)",
        },
    seccomp
      ? {
          name: 'seccomp',
          active: true,
          detail:
            'deny-list: mount, namespaces (unshare, setns, clone flags), keyrings, bpf, perf_event_open, userfaultfd, io_uring, modules, kexec, open_by_handle_at, swap, reboot, acct, ioctl TIOCSTI',
        }
      : { name: 'seccomp', active: false, detail: facts.seccompProblem ?? 'not used' },
  );
  if (choice === 'sandbox' && !cgroups.driver)
    features.push({ name: 'note', active: false, detail: 'sandbox required (--isolation sandbox) and running without cgroup limits' });
  return { isolation: new BubblewrapSandbox(tools, cgroups.driver, slots.slots, seccomp), report: { sandboxed: true, features } };
}
