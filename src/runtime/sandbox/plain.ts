import { constants as osConstants } from 'node:os';
import { PeakMemoryProbe } from '../peak-memory.js';
import type { EnvironmentSpec, LaunchPlan } from '../types.js';
import { SignalFreezer, type Freezer } from './freezer.js';
import type { ConfinedProcess, ConfineOptions, Isolation } from './isolation.js';
import { RssWatchdog } from './rss-watchdog.js';

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

export const plainExitReason = (code: number | null, signal: NodeJS.Signals | null) => (signal ? `signal: ${signalWords(signal)}` : `exit status ${code ?? 0}`);

/** SIGKILL to a process group (a plain environment's, or a sandbox's outer bwrap). */
export function killGroup(pid: number | undefined): void {
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
    const wrapped =
      this.#setpriv === undefined
        ? { command: plan.command, args: plan.args }
        : { command: this.#setpriv, args: ['--pdeathsig', 'KILL', '--', plan.command, ...plan.args] };
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
