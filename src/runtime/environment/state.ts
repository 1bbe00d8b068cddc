/**
 * An execution environment's lifecycle. Every change of state goes through `move()`, which refuses a
 * transition the table does not list, so the environment has no flags beside its state that could
 * disagree with it.
 *
 *   booting ─→ pooled ─→ initialising ─→ idle ⇄ busy ─→ retiring ─→ stopped
 *                              ↑                 │
 *                              └─────────────────┘ (timed out: the runtime restarts in the same sandbox)
 *   (a pre-started runtime boots, then waits in the pool for a function; any other environment starts in
 *   initialising) — and every state can go to stopped.
 */
export type EnvironmentState =
  /** A pre-started runtime's process is starting; it has not asked for its function yet. */
  | 'booting'
  /** A pre-started runtime waits (on the assignment path) for the function it will run. */
  | 'pooled'
  /** The runtime loads its function (INIT), until its first `/next`; again after a timeout reset it. */
  | 'initialising'
  /** Blocked on `/next`: ready for an invocation. */
  | 'idle'
  | 'busy'
  /** Busy, and stops once the invocation is over (its configuration was retired meanwhile). */
  | 'retiring'
  | 'stopped';

const TRANSITIONS: Readonly<Record<EnvironmentState, readonly EnvironmentState[]>> = {
  booting: ['pooled', 'stopped'],
  pooled: ['initialising', 'stopped'],
  initialising: ['idle', 'stopped'],
  idle: ['busy', 'stopped'],
  busy: ['idle', 'initialising', 'retiring', 'stopped'],
  retiring: ['stopped'],
  stopped: [],
};

/** The states before an environment is ready for its function: INIT may still fail in them. */
export const STARTING: ReadonlySet<EnvironmentState> = new Set(['booting', 'initialising']);

export function canMove(from: EnvironmentState, to: EnvironmentState): boolean {
  return TRANSITIONS[from].includes(to);
}
