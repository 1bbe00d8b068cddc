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
   * Attempts begun (see `EventQueue.extend`) since the event's last outcome that never reached one: the
   * platform died (or failed) while they ran. An ack or nak resets it.
   */
  readonly deliveries?: number;
  /** What queued it, for the invocation history: an Event invoke (and other services' events) unless a schedule did. */
  readonly trigger?: 'event' | 'schedule';
}

/** An event held by one consumer until it acks, naks or releases it, or the lease lapses. */
export interface Lease {
  readonly event: QueuedEvent;
}

/** How a nak'd event comes back: when, and with which counts. */
export interface Retry {
  readonly notBefore: number;
  readonly attempts: number;
  readonly deferrals: number;
  readonly lastError?: string;
}

/**
 * The durable queue of asynchronous invocations, in the shape of a work queue with leases (JetStream's
 * pull consumers have it: fetch, ack, nak with a delay, in-progress). An event leaves the queue only by
 * an ack, and an ack that forwards a record queues the record in the same step, so a crash at any point
 * loses nothing; an event whose lease lapsed (its process died mid-attempt) is given out again. Events
 * that fail for good are not the queue's business: they go to the FailedEventStore, then are acked.
 */
export interface EventQueue {
  /** Resolves once the events are committed: only then may the caller answer 202. */
  enqueue(events: readonly QueuedEvent[]): Promise<void>;
  /**
   * Leases up to `max` events due at `now`, for `leaseMs`, oldest first across functions, and of each
   * function at most `room(functionName)` (asked once per function with due events).
   */
  pull(now: number, max: number, leaseMs: number, room: (functionName: string) => number): Promise<Lease[]>;
  /**
   * An attempt starts under the lease: it is held `ms` from `now`, and the delivery is counted durably,
   * so if the platform dies before an outcome, the event's `deliveries` says so. Counted once per lease.
   */
  extend(lease: Lease, ms: number, now: number): Promise<void>;
  /** The event is done; `forward`, when given, is queued in the same commit (a destination record). */
  ack(lease: Lease, forward?: QueuedEvent): Promise<void>;
  /** The event runs again, not before `retry.notBefore`, with the counts given. */
  nak(lease: Lease, retry: Retry): Promise<void>;
  /** Gives leased events back unattempted (a clean shutdown): due again at once, counts unchanged. */
  release(leases: readonly Lease[]): Promise<void>;
  /** When the next event that is not leased becomes due, if that is after `now` (ms since the epoch). */
  nextDueAfter(now: number): Promise<number | undefined>;
  /** Events waiting for a function (leased ones included). */
  depth(functionName?: string): Promise<number>;
  /** Per function with events waiting: how many (leased ones included), and when the oldest was accepted. */
  backlog(): Promise<Array<{ functionName: string; depth: number; oldestEnqueuedAt: number }>>;
  /** Drops every queued event of a function (it was deleted). */
  purge(functionName: string): Promise<number>;
  close(): Promise<void>;
}

/** An event that failed for good with no on-failure destination: kept for `selfless events failed` and redrive. */
export interface FailedEvent {
  readonly event: QueuedEvent;
  /** AWS's condition string: RetriesExhausted, EventAgeExceeded, ... */
  readonly condition: string;
  readonly failedAt: number;
}

/**
 * Async events that failed for good, kept for listing and redrive: not in the queue (which has no query
 * by function or by id) but in the store, whose adapter implements this port (SqliteStore embedded,
 * PostgreSQL in a cluster). Not part of any function's records: an entry outlives its function
 * (FunctionNotFound is one of the conditions). Written before the event is acked in the queue, and keyed
 * by request id, so the two steps are idempotent (see AsyncInvoker).
 */
export interface FailedEventStore {
  /** Keeps a failed event, replacing an earlier entry of the same request id. */
  putFailed(entry: FailedEvent): Promise<void>;
  /** A function's failed events, oldest failure first. */
  listFailed(functionName: string, limit: number): Promise<FailedEvent[]>;
  /** The listed failed events of a function (those that exist), or all of them. */
  getFailed(functionName: string, ids: readonly string[] | 'all'): Promise<FailedEvent[]>;
  deleteFailed(ids: readonly string[]): Promise<void>;
}
