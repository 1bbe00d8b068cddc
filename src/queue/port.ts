/** One asynchronous invocation waiting to run (or to run again). */
export interface QueuedEvent {
  /** The request id the 202 answered with; the same on every attempt, as on Lambda. */
  readonly id: string;
  readonly functionName: string;
  /** The qualifier the caller invoked (`$LATEST` when none). */
  readonly qualifier: string;
  readonly payload: Buffer;
  /** When the event was accepted (ms since the epoch): MaximumEventAgeInSeconds counts from here. */
  readonly enqueuedAt: number;
  /** Attempts that ended in a function error (they count against MaximumRetryAttempts). */
  readonly attempts: number;
  /** Attempts that never ran the function (throttled, platform error): retried with backoff, not counted. */
  readonly deferrals: number;
  /** Not to be run before this time (ms since the epoch). */
  readonly notBefore: number;
  /** The last attempt's error, as the caller of a sync invoke would have received it. */
  readonly lastError?: string;
  /**
   * Attempts started since the event's last outcome that never reached one: the platform died (or failed)
   * while they ran. Counted by `started()`; an outcome resets it.
   */
  readonly deliveries?: number;
}

/** An event that failed for good with no on-failure destination: kept for `selfless events failed` and redrive. */
export interface FailedEvent {
  readonly event: QueuedEvent;
  /** AWS's condition string: RetriesExhausted, EventAgeExceeded, ... */
  readonly condition: string;
  readonly failedAt: number;
}

/** What replaces a queue entry, written in the same transaction as its removal. */
export type Outcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly attempts: number; readonly deferrals: number; readonly notBefore: number; readonly lastError?: string }
  /** The destination record, queued as a new event for the destination function. */
  | { readonly kind: 'forward'; readonly event: QueuedEvent }
  | { readonly kind: 'failed'; readonly condition: string; readonly lastError?: string; readonly attempts: number };

/**
 * The durable queue of asynchronous invocations. An event is removed only in the same commit that makes
 * its outcome durable (a retry, a forwarded destination record, a failed-event entry), so a crash at
 * any point loses nothing; an event whose lease lapsed (its process died mid-attempt) runs again.
 * The embedded adapter is SQLite; the port is shaped so a JetStream adapter fits (ack = settle).
 */
export interface EventQueue {
  /** Resolves once the events are committed: only then may the caller answer 202. */
  enqueue(events: readonly QueuedEvent[]): Promise<void>;
  /**
   * Leases up to `limit` due events, oldest first across functions, and of each function at most
   * `room(functionName)` (asked once per function with due events).
   */
  claim(now: number, limit: number, leaseMs: number, room: (functionName: string) => number): Promise<QueuedEvent[]>;
  /** Records, durably, that a claimed event's attempt starts now (see QueuedEvent.deliveries). */
  started(id: string): Promise<void>;
  /** Ends a claimed event's attempt with its outcome, atomically. */
  settle(id: string, outcome: Outcome, now: number): Promise<void>;
  /** Gives claimed events back unattempted (a clean shutdown), due again at once. */
  release(ids: readonly string[]): Promise<void>;
  /** When the next event that is not leased becomes due, if that is after `now` (ms since the epoch). */
  nextDueAfter(now: number): Promise<number | undefined>;
  /** Events waiting for a function (leased ones included). */
  depth(functionName?: string): Promise<number>;
  /** Drops every queued event of a function (it was deleted). */
  purge(functionName: string): Promise<number>;

  listFailed(functionName: string, limit: number): Promise<FailedEvent[]>;
  /** Moves failed events (all of the function's, or the listed ids) back into the queue, due now, with fresh counts. */
  redrive(functionName: string, ids: readonly string[] | 'all', now: number): Promise<string[]>;

  close(): Promise<void>;
}
