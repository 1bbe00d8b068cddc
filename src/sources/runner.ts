import { anyPattern, type EventSourceMappingRecord, type Matcher, type Scheduler, type Timer } from '../core/index.js';
import type { Logger } from '../core/logger.js';

/** A queue-shaped source (SQS): records are received under a visibility timeout, then deleted or left to reappear. */
export interface QueueSource<R> {
  /** Up to `max` records, waiting up to `waitSeconds` for the first (a long poll). */
  receive(max: number, waitSeconds: number, signal: AbortSignal): Promise<R[]>;
  /** Processed: removed from the source. */
  delete(records: readonly R[]): Promise<void>;
  /** Received but never handed to the function (a shutdown): visible again at once. */
  release(records: readonly R[]): Promise<void>;
  /** The identifier a partial batch response names a record by (SQS: its messageId). */
  id(record: R): string;
  /** About how many bytes the record adds to the function's event. */
  size(record: R): number;
  /** The function's event for a batch, in Lambda's shape. */
  event(records: readonly R[]): Buffer;
  /** The record as FilterCriteria patterns see it (Lambda's record shape, a JSON body parsed). */
  filterable(record: R): unknown;
}

/** How the function took a batch. */
export type BatchOutcome =
  | { readonly kind: 'success'; readonly payload: Buffer }
  | { readonly kind: 'function-error' }
  /** The function never ran (throttled, not found, the platform failed): retried after a pause, as Lambda's pollers do. */
  | { readonly kind: 'not-run'; readonly why: string };

export interface RunnerOptions<R> {
  readonly mapping: EventSourceMappingRecord;
  readonly source: QueueSource<R>;
  readonly invoke: (payload: Buffer) => Promise<BatchOutcome>;
  /** LastProcessingResult. */
  readonly report: (result: string) => void;
  readonly clock: Scheduler;
  readonly log: Logger;
}

/** Pollers per mapping unless ScalingConfig.MaximumConcurrency says otherwise (Lambda starts SQS mappings with five). */
export const DEFAULT_MAX_POLLERS = 5;
/** The longest long poll SQS allows. */
const LONG_POLL_SECONDS = 20;
/** A receive holds at most ten messages. */
const RECEIVE_MAX = 10;
/** An event must stay under Invoke's 6 MB; a record's share of the envelope is counted on top of its size. */
export const EVENT_BYTES = 6 * 1024 * 1024 - 64 * 1024;
export const RECORD_OVERHEAD = 1024;
/** Back-off after a failed poll or an invocation that never ran: doubling from 1 s to 60 s. */
export const BACKOFF_MIN_MS = 1_000;
export const BACKOFF_MAX_MS = 60_000;

/**
 * Runs one mapping over a queue source: long polls, gathers batches up to BatchSize or the batching
 * window, invokes the function synchronously with each, deletes what succeeded (all of it, or all but
 * the items a ReportBatchItemFailures response names) and leaves the rest to reappear after the queue's
 * visibility timeout, as Lambda does. It scales from one poller up to the mapping's maximum while
 * batches come back full, and back to one when the queue runs dry; a source or function that fails is
 * retried after a growing pause, never in a busy loop.
 */
export class QueueRunner<R> {
  readonly #o: RunnerOptions<R>;
  readonly #abort = new AbortController();
  readonly #workers = new Set<Promise<void>>();
  readonly #maxWorkers: number;
  readonly #accepts: Matcher;
  #backoffMs = 0;
  #pause: { timer: Timer; done: () => void } | undefined;

  constructor(options: RunnerOptions<R>) {
    this.#o = options;
    this.#maxWorkers = options.mapping.maximumConcurrency ?? DEFAULT_MAX_POLLERS;
    this.#accepts = anyPattern(options.mapping.filterPatterns);
  }

  start(): void {
    this.#spawn(true);
  }

  /** Stops polling; a batch being processed finishes (and is deleted) first. */
  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#pause !== undefined) {
      this.#pause.timer.cancel();
      this.#pause.done();
    }
    while (this.#workers.size > 0) await Promise.allSettled([...this.#workers]);
  }

  get #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  #spawn(first: boolean): void {
    const worker = this.#work(first)
      .catch((error: unknown) => this.#o.log.error({ err: error, uuid: this.#o.mapping.uuid }, 'event source poller failed'))
      .finally(() => this.#workers.delete(worker));
    this.#workers.add(worker);
  }

  /** One poller. The first runs while the mapping does; the others end when a poll comes back empty. */
  async #work(first: boolean): Promise<void> {
    while (!this.#stopped) {
      let batch: R[];
      try {
        batch = await this.#collect();
      } catch (error) {
        if (this.#stopped) return;
        this.#o.report(`PROBLEM: ${describe(error)}`);
        await this.#backOff();
        continue;
      }
      if (this.#stopped) {
        await this.#o.source.release(batch).catch(() => undefined);
        return;
      }
      if (batch.length === 0) {
        this.#o.report('No records processed');
        if (!first) return;
        continue;
      }
      // A full batch says there is a backlog: another poller, up to the mapping's maximum.
      if (batch.length >= this.#o.mapping.batchSize && this.#workers.size < this.#maxWorkers) this.#spawn(false);
      await this.#process(batch);
    }
  }

  /** A batch: what one long poll brings, then more until BatchSize, the window's end or the event's size limit. */
  async #collect(): Promise<R[]> {
    const { mapping, source, clock } = this.#o;
    const signal = this.#abort.signal;
    const batch: R[] = [];
    let bytes = 0;
    /** Adds what fits in the event; what does not goes back for the next batch. Whether all fitted. */
    const take = async (records: R[]): Promise<boolean> => {
      for (const [i, record] of records.entries()) {
        const size = source.size(record) + RECORD_OVERHEAD;
        if (batch.length > 0 && bytes + size > EVENT_BYTES) {
          await source.release(records.slice(i));
          return false;
        }
        bytes += size;
        batch.push(record);
      }
      return true;
    };
    const first = await source.receive(Math.min(RECEIVE_MAX, mapping.batchSize), LONG_POLL_SECONDS, signal);
    this.#backoffMs = 0;
    if (!(await take(first)) || batch.length === 0 || mapping.maximumBatchingWindowInSeconds === 0) return batch;
    const deadline = clock.now() + mapping.maximumBatchingWindowInSeconds * 1000;
    try {
      while (batch.length < mapping.batchSize && !signal.aborted) {
        const left = deadline - clock.now();
        if (left <= 0) break;
        const waitSeconds = Math.min(LONG_POLL_SECONDS, Math.ceil(left / 1000));
        if (!(await take(await source.receive(Math.min(RECEIVE_MAX, mapping.batchSize - batch.length), waitSeconds, signal)))) break;
      }
    } catch (error) {
      // Stopped (or the source failed) while the window was open: what was gathered is handed back.
      await source.release(batch).catch(() => undefined);
      throw error;
    }
    return batch;
  }

  async #process(received: R[]): Promise<void> {
    const { source, mapping } = this.#o;
    // Records no filter matches are deleted unseen, as Lambda deletes filtered-out SQS messages.
    const batch: R[] = [];
    const filteredOut: R[] = [];
    for (const r of received) (this.#accepts(source.filterable(r)) ? batch : filteredOut).push(r);
    if (filteredOut.length > 0) await source.delete(filteredOut);
    if (batch.length === 0) {
      this.#o.report('OK');
      return;
    }
    const outcome = await this.#o.invoke(source.event(batch));
    switch (outcome.kind) {
      case 'success': {
        const failed = mapping.functionResponseTypes.includes('ReportBatchItemFailures')
          ? batchItemFailures(outcome.payload, new Set(batch.map((r) => source.id(r))))
          : new Set<string>();
        if (failed === undefined) {
          // A malformed partial-batch response fails the whole batch, as on Lambda.
          this.#o.report('PROBLEM: Function response for ReportBatchItemFailures is invalid; the whole batch is retried.');
          return;
        }
        await source.delete(batch.filter((r) => !failed.has(source.id(r))));
        this.#o.report('OK');
        return;
      }
      case 'function-error':
        // Left in the queue: it reappears after the visibility timeout (the queue's redrive policy bounds retries).
        this.#o.report('PROBLEM: Function call failed');
        return;
      case 'not-run':
        this.#o.report(`PROBLEM: ${outcome.why}`);
        await source.release(batch).catch(() => undefined);
        await this.#backOff();
        return;
    }
  }

  #backOff(): Promise<void> {
    this.#backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, this.#backoffMs * 2));
    return new Promise((resolve) => {
      if (this.#stopped) return resolve();
      const done = () => {
        this.#pause = undefined;
        resolve();
      };
      this.#pause = { timer: this.#o.clock.setTimeout(done, this.#backoffMs), done };
    });
  }
}

/**
 * The items a ReportBatchItemFailures response names as failed; undefined when the response is malformed
 * (not JSON, an item without a string itemIdentifier, or one naming no record of the batch). An empty or
 * null response, or an empty or null list, is complete success.
 */
export function batchItemFailures(payload: Buffer, ids: ReadonlySet<string>): Set<string> | undefined {
  const text = payload.toString('utf8').trim();
  if (text === '' || text === 'null') return new Set();
  let response: unknown;
  try {
    response = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (response === null || typeof response !== 'object' || Array.isArray(response)) return undefined;
  const list = (response as Record<string, unknown>).batchItemFailures;
  if (list === undefined || list === null) return new Set();
  if (!Array.isArray(list)) return undefined;
  const failed = new Set<string>();
  for (const item of list) {
    const id = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return undefined;
    failed.add(id);
  }
  return failed;
}

/** An error as LastProcessingResult shows it. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return String(error).slice(0, 500);
}
