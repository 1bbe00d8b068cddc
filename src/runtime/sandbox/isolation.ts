import type { EnvironmentSpec, LaunchPlan } from '../types.js';

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
  /**
   * Kills every process of the runtime and starts the runtime again in the same sandbox, its /tmp kept
   * (Lambda's reset after a timeout). Absent where the environment is its process: it is then stopped.
   */
  readonly restartRuntime?: () => Promise<void>;
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
