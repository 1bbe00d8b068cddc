import { AwsError, functionArn, newRequestId, parseFunctionName, publish, type Partition, type Scheduler, type Timer } from '../core/index.js';
import type { AsyncSettings, EventInvokeConfigs, FunctionRegistry } from '../control/index.js';
import type { EventQueue, FailedEvent, FailedEventStore, Lease, QueuedEvent } from '../queue/index.js';
import { afterAttempt, beforeAttempt, type AttemptResult, type Decision, type RetryTuning } from './retry-policy.js';
import { checkPayload, type InvokeService, type SyncInvokeOutput } from './sync.js';

/** Lambda's async payload limits: 1 MB for Invoke with Event (since 2025), 256 KB for the deprecated InvokeAsync. */
export const MAX_EVENT_PAYLOAD_BYTES = 1_048_576;
export const MAX_INVOKE_ASYNC_PAYLOAD_BYTES = 262_144;

export interface AsyncTuning extends RetryTuning {
  /** Async invocations running at once, in all and per function, so a burst leaves room for sync calls. */
  readonly maxInFlight: number;
  readonly maxInFlightPerFunction: number;
}

/** A lease outlives any attempt (900 s timeout + margin); it only matters when the holder dies. */
const LEASE_MS = 960_000;
/**
 * Due events are claimed in batches and held in memory until a slot frees up, so the queue is read once
 * per batch rather than once per attempt; per function, at most this many times its concurrency.
 */
const PREFETCH_FACTOR = 4;
/** How much of an error a failed-event entry keeps. */
const LAST_ERROR_BYTES = 4096;
/**
 * Claims of one event without an outcome (the platform died or failed while it ran) before it is taken
 * out of the queue as a PLATFORM_FAILURE: a crash loop ends after this many runs.
 */
export const MAX_DELIVERIES = 3;

export interface AsyncInvokerOptions {
  readonly platformId: string;
  readonly invoke: InvokeService;
  readonly queue: EventQueue;
  readonly failed: FailedEventStore;
  readonly configs: EventInvokeConfigs;
  readonly registry: FunctionRegistry;
  readonly partition: Partition;
  /** Time, and the timer for the next due event. */
  readonly clock: Scheduler;
  readonly tuning: AsyncTuning;
  readonly onError: (error: unknown) => void;
}

/**
 * A payload as a JSON value in the destination record, spliced in as its own bytes when it is JSON (the
 * payload is never re-serialised: a deeply nested one would overflow JSON.stringify's stack), as a JSON
 * string when it is not (a custom runtime may answer plain text), `{}` when empty.
 */
function jsonValue(bytes: Buffer): string {
  if (bytes.length === 0) return '{}';
  const text = bytes.toString('utf8');
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}

/**
 * selfless's own condition (Lambda has none like it) for an event the platform itself failed on
 * MAX_DELIVERIES times in a row — it died during the attempt, or could not record its outcome — kept in
 * the failed-event store instead of running again, so one event cannot hold the platform in a crash loop.
 */
export const PLATFORM_FAILURE = 'PlatformFailure';

/** How an attempt ends its event. */
type Outcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly attempts: number; readonly deferrals: number; readonly notBefore: number; readonly lastError?: string }
  /** The destination record, queued as a new event for the destination function. */
  | { readonly kind: 'forward'; readonly event: QueuedEvent }
  | { readonly kind: 'failed'; readonly condition: string; readonly lastError?: string; readonly attempts: number };

/**
 * Asynchronous invocation: `enqueue` commits the event before the caller's 202; the dispatcher runs
 * due events through the sync path within its concurrency, retries function errors after Lambda's
 * delays (same request id each time) within MaximumRetryAttempts and MaximumEventAgeInSeconds, defers
 * attempts that never ran without counting them, and ends each event with an outcome: a nak that
 * reschedules it, an ack that removes it (and queues a destination record in the same commit), or an
 * entry in the failed-event store written before the ack.
 */
export class AsyncInvoker {
  readonly #o: AsyncInvokerOptions;
  readonly #running = new Map<string, number>();
  /** Leased events waiting in memory for a free slot, by function. */
  readonly #claimed = new Map<string, Lease[]>();
  readonly #inFlight = new Set<Promise<void>>();
  #timer: Timer | undefined;
  #timerAt = Infinity;
  #pumping = false;
  #again = false;
  #closed = false;
  #abandoning = false;

  constructor(options: AsyncInvokerOptions) {
    this.#o = options;
  }

  /** Accepts an event: resolves once it is durable (the caller answers 202 then). */
  async enqueue(input: {
    functionName: string;
    qualifier?: string | undefined;
    payload: Buffer;
    requestId: string;
    limit: number;
    operation: string;
    trigger?: 'schedule';
  }): Promise<void> {
    if (this.#closed) throw new AwsError('ServiceException', 'The server is shutting down; the event was not accepted.');
    const { record, invokedArn } = this.#o.invoke.resolve(input.functionName, input.qualifier);
    if (input.payload.length > input.limit) {
      throw new AwsError(
        'RequestEntityTooLargeException',
        `${input.payload.length} byte payload is too large for the ${input.operation} invocation type (limit ${input.limit} bytes)`,
      );
    }
    checkPayload(input.payload);
    const now = this.#o.clock.now();
    const qualifier = invokedArn === functionArn(this.#o.partition, record.name) ? '$LATEST' : invokedArn.slice(invokedArn.lastIndexOf(':') + 1);
    await this.#o.queue.enqueue([
      {
        id: input.requestId,
        functionName: record.name,
        qualifier,
        payload: input.payload,
        enqueuedAt: now,
        attempts: 0,
        deferrals: 0,
        notBefore: now,
        ...(input.trigger === undefined ? {} : { trigger: input.trigger }),
      },
    ]);
    publish('selfless:queue:enqueue', () => ({ platformId: this.#o.platformId, requestId: input.requestId, functionName: record.name, qualifier }));
    this.#kick();
  }

  /** A function's events that failed for good, oldest first. */
  listFailed(functionName: string, limit: number): Promise<FailedEvent[]> {
    return this.#o.failed.listFailed(functionName, limit);
  }

  /**
   * Puts failed events back in the queue, due now with a fresh age and retry budget: queued first, then
   * taken off the failed list, so a crash in between leaves an event in both (it may run twice, as
   * at-least-once delivery allows) rather than in neither.
   */
  async redrive(functionName: string, ids: readonly string[] | 'all'): Promise<string[]> {
    const entries = await this.#o.failed.getFailed(functionName, ids);
    if (entries.length === 0) return [];
    const now = this.#o.clock.now();
    await this.#o.queue.enqueue(
      entries.map(({ event }) => ({
        id: event.id,
        functionName: event.functionName,
        qualifier: event.qualifier,
        payload: event.payload,
        enqueuedAt: now,
        attempts: 0,
        deferrals: 0,
        notBefore: now,
      })),
    );
    const moved = entries.map(({ event }) => event.id);
    await this.#o.failed.deleteFailed(moved);
    this.#kick();
    return moved;
  }

  /** Starts dispatching (events left from an earlier run included). */
  start(): void {
    this.#kick();
  }

  /** Stops taking events and waits for the attempts in flight to settle. Queued events wait for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    await this.settled();
  }

  /** Stops now: attempts cut short by the shutdown go back to the queue uncounted. */
  abandon(): void {
    this.#abandoning = true;
    this.#closed = true;
    this.#timer?.cancel();
  }

  /** Events of a function waiting in the queue (or running). */
  depth(functionName: string): Promise<number> {
    return this.#o.queue.depth(functionName);
  }

  /** Waits for every attempt in flight (tests, drain), and gives back what was claimed but not started. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    await this.#releaseClaimed();
  }

  async #releaseClaimed(): Promise<void> {
    const leases = [...this.#claimed.values()].flat();
    this.#claimed.clear();
    if (leases.length > 0) await this.#o.queue.release(leases);
  }

  #kick(): void {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void this.#pump()
      .catch((error: unknown) => this.#o.onError(error))
      .finally(() => {
        this.#pumping = false;
        if (this.#again) {
          this.#again = false;
          this.#kick();
        }
      });
  }

  async #pump(): Promise<void> {
    const { queue, clock, tuning } = this.#o;
    // The time of the last look at the queue: what became due after it is still to be claimed.
    let lookedAt = clock.now();
    for (;;) {
      if (this.#closed) return;
      this.#launchClaimed();
      if (tuning.maxInFlight - this.#inFlight.size <= 0) return; // an attempt settling kicks again
      // Enough claimed already to fill the free slots as they come: no need to read the queue now.
      let buffered = 0;
      for (const events of this.#claimed.values()) buffered += events.length;
      if (buffered >= tuning.maxInFlight) break;
      // Room left: claim a batch of due events, per function up to a few times its concurrency.
      const cap = tuning.maxInFlightPerFunction * PREFETCH_FACTOR;
      const room = (name: string) => cap - (this.#running.get(name) ?? 0) - (this.#claimed.get(name)?.length ?? 0);
      lookedAt = clock.now();
      const leases = await queue.pull(lookedAt, tuning.maxInFlight * PREFETCH_FACTOR, LEASE_MS, room);
      if (leases.length === 0) break;
      for (const lease of leases) {
        const list = this.#claimed.get(lease.event.functionName);
        if (list === undefined) this.#claimed.set(lease.event.functionName, [lease]);
        else list.push(lease);
      }
      if (!this.#canLaunch()) break;
    }
    await this.#scheduleNext(lookedAt);
  }

  /** Starts claimed events while there is room, function by function. */
  #launchClaimed(): void {
    const { tuning } = this.#o;
    for (const [name, leases] of this.#claimed) {
      while (leases.length > 0 && this.#inFlight.size < tuning.maxInFlight && (this.#running.get(name) ?? 0) < tuning.maxInFlightPerFunction) {
        this.#launch(leases.shift()!);
      }
      if (leases.length === 0) this.#claimed.delete(name);
    }
  }

  /** Whether a claimed event could start now (otherwise an attempt settling will kick the pump). */
  #canLaunch(): boolean {
    const { tuning } = this.#o;
    if (this.#inFlight.size >= tuning.maxInFlight) return false;
    for (const name of this.#claimed.keys()) if ((this.#running.get(name) ?? 0) < tuning.maxInFlightPerFunction) return true;
    return false;
  }

  /**
   * A timer for the next event that was not due at the last claim (retries, backoff); due ones are
   * claimed as slots free. Asking from the time of that claim, not from now, matters: an event that fell
   * due in between (a timer may fire a millisecond early) would otherwise be neither claimed nor timed,
   * and wait for some unrelated event to wake the dispatcher.
   */
  async #scheduleNext(lookedAt: number): Promise<void> {
    const due = await this.#o.queue.nextDueAfter(lookedAt);
    if (due === undefined || this.#closed) return;
    const at = Math.max(due, this.#o.clock.now() + 1);
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#timer?.cancel();
    this.#timerAt = at;
    // Waiting events must not keep a stopping process alive (the scheduler's default); close() drains what runs.
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#kick();
    }, at - this.#o.clock.now());
  }

  #launch(lease: Lease): void {
    const { event } = lease;
    this.#running.set(event.functionName, (this.#running.get(event.functionName) ?? 0) + 1);
    const attempt = this.#attempt(lease)
      .catch((error: unknown) => this.#settleBroken(lease, error))
      .catch((error: unknown) => this.#o.onError(error))
      .finally(() => {
        const left = (this.#running.get(event.functionName) ?? 1) - 1;
        if (left > 0) this.#running.set(event.functionName, left);
        else this.#running.delete(event.functionName);
        this.#inFlight.delete(attempt);
        this.#kick();
      });
    this.#inFlight.add(attempt);
  }

  async #attempt(lease: Lease): Promise<void> {
    const { queue, clock, registry } = this.#o;
    const { event } = lease;
    const settle = (outcome: Outcome) => this.#settle(lease, outcome);
    if ((event.deliveries ?? 0) >= MAX_DELIVERIES) {
      const lastError = `The platform failed while running this event ${event.deliveries} times in a row (it stopped or crashed before the outcome was recorded); it is not run again.${event.lastError === undefined ? '' : ` Last error: ${event.lastError}`}`;
      return settle({ kind: 'failed', condition: PLATFORM_FAILURE, attempts: event.attempts, lastError: lastError.slice(0, LAST_ERROR_BYTES) });
    }
    // Committed before the function runs: if the platform dies during the attempt, the count says so.
    await queue.extend(lease, LEASE_MS, clock.now());
    // Kept, not dropped, when its function is gone (deleted, or a destination that never existed).
    if (registry.cached(event.functionName) === undefined)
      return settle({
        kind: 'failed',
        condition: 'FunctionNotFound',
        attempts: event.attempts,
        lastError: `Function not found: ${functionArn(this.#o.partition, event.functionName)}`,
      });
    const settings = this.#o.configs.settings(event.functionName, event.qualifier);
    const refused = beforeAttempt(event, settings, registry.cached(event.functionName)?.reservedConcurrency, clock.now());
    if (refused !== undefined) return this.#conclude(lease, settings, refused, undefined);

    let out: SyncInvokeOutput | undefined;
    let result: AttemptResult;
    try {
      out = await this.#o.invoke.invokeSync({
        functionName: event.functionName,
        qualifier: event.qualifier === '$LATEST' ? undefined : event.qualifier,
        payload: event.payload,
        logTail: false,
        requestId: event.id,
        trigger: event.trigger ?? 'event',
      });
      result =
        out.functionError === undefined
          ? { kind: 'success' }
          : { kind: 'function-error', lastError: out.payload.subarray(0, LAST_ERROR_BYTES).toString('utf8') };
    } catch (error) {
      // The function never ran (throttled, platform error), or the invocation was refused for good.
      const retryable = !(error instanceof AwsError) || error.status >= 500 || error.status === 429;
      result = retryable ? { kind: 'not-run', why: String(error instanceof Error ? error.message : error) } : { kind: 'rejected', why: error.message };
    }
    if (this.#abandoning && out !== undefined) return settle({ kind: 'retry', attempts: event.attempts, deferrals: event.deferrals, notBefore: clock.now() });
    return this.#conclude(lease, settings, afterAttempt(event, result, settings, this.#o.tuning, clock.now()), out);
  }

  /** Settles an event as decided: a retry, a destination record, or the failed-event store. */
  #conclude(lease: Lease, settings: AsyncSettings, decision: Decision, out: SyncInvokeOutput | undefined): Promise<void> {
    const { event } = lease;
    switch (decision.kind) {
      case 'retry':
        return this.#settle(lease, decision);
      case 'succeeded':
        if (settings.onSuccess === undefined) return this.#settle(lease, { kind: 'done' });
        return this.#settle(lease, { kind: 'forward', event: this.#record(event, settings.onSuccess, 'Success', decision.attempts, out) }, 'Success');
      case 'failed': {
        const { condition, attempts, lastError } = decision;
        if (settings.onFailure !== undefined)
          return this.#settle(lease, { kind: 'forward', event: this.#record(event, settings.onFailure, condition, attempts, out) }, condition);
        return this.#settle(lease, { kind: 'failed', condition, attempts, ...(lastError === undefined ? {} : { lastError }) });
      }
    }
  }

  /** Commits an event's outcome; `condition` names why a destination record was forwarded. */
  async #settle(lease: Lease, outcome: Outcome, condition?: string): Promise<void> {
    await this.#commit(lease, outcome);
    const { event } = lease;
    const named = outcome.kind === 'failed' ? outcome.condition : condition;
    publish('selfless:queue:settle', () => ({
      platformId: this.#o.platformId,
      requestId: event.id,
      functionName: event.functionName,
      outcome: outcome.kind,
      ...(named === undefined ? {} : { condition: named }),
    }));
  }

  /**
   * A failed event is written to the failed-event store, then acked: a crash in between runs it again
   * and replaces the entry (same request id). An event delivered before without an outcome may have
   * been through exactly that, so when it ends otherwise now, a stale entry of it is removed.
   */
  async #commit(lease: Lease, outcome: Outcome): Promise<void> {
    const { queue, failed, clock } = this.#o;
    const { event } = lease;
    switch (outcome.kind) {
      case 'retry':
        return queue.nak(lease, outcome);
      case 'failed': {
        const lastError = outcome.lastError ?? event.lastError;
        const entry = { ...event, attempts: outcome.attempts, ...(lastError === undefined ? {} : { lastError }) };
        await failed.putFailed({ event: entry, condition: outcome.condition, failedAt: clock.now() });
        return queue.ack(lease);
      }
      case 'done':
      case 'forward':
        if ((event.deliveries ?? 0) > 0) await failed.deleteFailed([event.id]);
        return queue.ack(lease, outcome.kind === 'forward' ? outcome.event : undefined);
    }
  }

  /**
   * An attempt that failed inside the platform (its outcome could not be built or written) still ends
   * its event: in the failed-event store, with the cause. Should even that write fail, the event stays
   * leased and its delivery count (see MAX_DELIVERIES) ends it after a restart.
   */
  async #settleBroken(lease: Lease, error: unknown): Promise<void> {
    this.#o.onError(error);
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await this.#settle(lease, {
      kind: 'failed',
      condition: PLATFORM_FAILURE,
      attempts: lease.event.attempts,
      lastError: `The platform could not finish this event: ${cause}`.slice(0, LAST_ERROR_BYTES),
    });
  }

  /** Lambda's invocation record, as an async event for the destination function. */
  #record(event: QueuedEvent, destination: string, condition: string, attempts: number, out: SyncInvokeOutput | undefined): QueuedEvent {
    const now = this.#o.clock.now();
    const head = {
      version: '1.0',
      timestamp: new Date(now).toISOString(),
      requestContext: {
        requestId: event.id,
        functionArn: functionArn(this.#o.partition, event.functionName, event.qualifier),
        condition,
        approximateInvokeCount: attempts,
      },
    };
    // Lambda's field order; the payloads go in as bytes (see jsonValue).
    let record = `${JSON.stringify(head).slice(0, -1)},"requestPayload":${jsonValue(event.payload)}`;
    if (out !== undefined) {
      const responseContext = {
        statusCode: 200,
        executedVersion: out.executedVersion,
        ...(out.functionError === undefined ? {} : { functionError: out.functionError }),
      };
      record += `,"responseContext":${JSON.stringify(responseContext)},"responsePayload":${jsonValue(out.payload)}`;
    }
    record += '}';
    const target = parseFunctionName(destination, this.#o.partition);
    return {
      id: newRequestId(),
      functionName: target.name,
      qualifier: target.qualifier ?? '$LATEST',
      payload: Buffer.from(record),
      enqueuedAt: now,
      attempts: 0,
      deferrals: 0,
      notBefore: now,
    };
  }
}
