import { createHash } from 'node:crypto';
import { anyPattern, type EventSourceMappingRecord, type Matcher, type Scheduler, type Timer } from '../core/index.js';
import type { Logger } from '../core/logger.js';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, batchItemFailures, describe, EVENT_BYTES, RECORD_OVERHEAD, type BatchOutcome } from './runner.js';

/** One shard of a stream, as the source lists it. */
export interface Shard {
  readonly id: string;
  readonly parentIds: readonly string[];
}

/** Where reading a shard starts. */
export type ShardPosition =
  | { readonly type: 'TRIM_HORIZON' | 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: number }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

/** A stream-shaped source (Kinesis, DynamoDB Streams): shards read in order, progress kept by checkpoints. */
export interface StreamSource<R> {
  shards(signal: AbortSignal): Promise<Shard[]>;
  iterator(shardId: string, position: ShardPosition, signal: AbortSignal): Promise<string>;
  /** Up to `limit` records; `next` undefined when the shard is closed and read to its end. */
  read(iterator: string, limit: number, signal: AbortSignal): Promise<{ records: R[]; next?: string }>;
  sequenceNumber(record: R): string;
  /** What order is kept by when a shard is read by several batches at once (Kinesis: the partition key; DynamoDB: the item's key). */
  orderKey(record: R): string;
  /** About how many bytes the record adds to the function's event. */
  size(record: R): number;
  /** When the record reached the stream (ms since the epoch). */
  arrival(record: R): number;
  event(records: readonly R[], shardId: string): Buffer;
  filterable(record: R): unknown;
  /** The batch as an on-failure record names it (Kinesis: KinesisBatchInfo). */
  batchInfo(records: readonly R[], shardId: string): Record<string, unknown>;
}

/** Checkpoints kept in the store; SHARD_END marks a closed shard read to its end. */
export interface Checkpoints {
  list(): Promise<Map<string, string>>;
  put(shardId: string, position: string): Promise<void>;
}

export const SHARD_END = 'SHARD_END';

export interface StreamRunnerOptions<R> {
  readonly mapping: EventSourceMappingRecord;
  readonly source: StreamSource<R>;
  readonly checkpoints: Checkpoints;
  readonly invoke: (payload: Buffer) => Promise<BatchOutcome & { readonly functionError?: string; readonly executedVersion?: string }>;
  /** Sends a batch that failed for good to the on-failure destination. */
  readonly discard: (info: { records: number; condition: string; attempts: number; batchInfo: Record<string, unknown> }) => Promise<void>;
  readonly report: (result: string) => void;
  /** Told, before each invocation, how long ago the batch's newest record arrived (Lambda's IteratorAge). */
  readonly observeAge?: (ageMs: number) => void;
  readonly clock: Scheduler;
  readonly log: Logger;
}

/** Lambda polls each shard about once a second when it has nothing new. */
const IDLE_POLL_MS = 1_000;
/** While a batching window is open, how often the shard is read for more. */
const WINDOW_POLL_MS = 250;
/** How often the shard list is read again, for resharding. */
const SHARDS_EVERY_MS = 30_000;

/**
 * Runs one mapping over a stream: one reader per shard, in order; a shard whose parents are not read to
 * their end waits for them (resharding). A reader gathers records until BatchSize × ParallelizationFactor,
 * the batching window's end or the end of what the shard holds, splits them by order key into as many
 * lanes as the factor says (the same key always to the same lane, so order per key holds), and runs the
 * lanes at once, each one batch at a time in order; the checkpoint moves when every lane is through, so
 * a restart never skips a record another lane had not finished. Each batch is retried until the function succeeds, its retry
 * budget (MaximumRetryAttempts) or its records' age (MaximumRecordAgeInSeconds) runs out — then it goes to
 * the on-failure destination — halved first when BisectBatchOnFunctionError is on; with
 * ReportBatchItemFailures the batch is retried from the first failed record. The checkpoint moves only
 * past what succeeded or was sent on, so a restart resumes where the mapping stopped (at least once).
 */
export class StreamRunner<R> {
  readonly #o: StreamRunnerOptions<R>;
  readonly #abort = new AbortController();
  readonly #readers = new Map<string, Promise<void>>();
  readonly #done = new Set<string>();
  readonly #accepts: Matcher;
  #discovery: Promise<void> | undefined;
  readonly #pauses = new Set<{ timer: Timer; done: () => void }>();

  constructor(options: StreamRunnerOptions<R>) {
    this.#o = options;
    this.#accepts = anyPattern(options.mapping.filterPatterns);
  }

  start(): void {
    this.#discovery = this.#discover().catch((error: unknown) => this.#o.log.error({ err: error }, 'stream poller failed'));
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    for (const pause of this.#pauses) {
      pause.timer.cancel();
      pause.done();
    }
    await this.#discovery;
    while (this.#readers.size > 0) await Promise.allSettled([...this.#readers.values()]);
  }

  get #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Lists the shards now and then, and starts a reader for each new one. */
  async #discover(): Promise<void> {
    let backoff = 0;
    while (!this.#stopped) {
      let shards: Shard[];
      let checkpoints: Map<string, string>;
      try {
        [shards, checkpoints] = await Promise.all([this.#o.source.shards(this.#abort.signal), this.#o.checkpoints.list()]);
        backoff = 0;
      } catch (error) {
        if (this.#stopped) return;
        this.#o.report(`PROBLEM: ${describe(error)}`);
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2));
        await this.#sleep(backoff);
        continue;
      }
      for (const [shard, position] of checkpoints) if (position === SHARD_END) this.#done.add(shard);
      const listed = new Set(shards.map((s) => s.id));
      for (const shard of shards) {
        if (this.#readers.has(shard.id) || this.#done.has(shard.id)) continue;
        // Parents first: a child's records come after its parents' (a parent no longer listed has expired).
        const parents = shard.parentIds.filter((p) => listed.has(p));
        const reader = this.#read(shard, parents, checkpoints.get(shard.id))
          .catch((error: unknown) => this.#o.log.error({ err: error, shardId: shard.id }, 'shard reader failed'))
          .finally(() => this.#readers.delete(shard.id));
        this.#readers.set(shard.id, reader);
      }
      await this.#sleep(SHARDS_EVERY_MS);
    }
  }

  async #read(shard: Shard, parents: readonly string[], checkpoint: string | undefined): Promise<void> {
    const { source, mapping, clock } = this.#o;
    const signal = this.#abort.signal;
    while (!this.#stopped && parents.some((p) => !this.#done.has(p))) await this.#sleep(IDLE_POLL_MS);
    let position: ShardPosition =
      checkpoint !== undefined
        ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint }
        : mapping.startingPosition === 'AT_TIMESTAMP'
          ? { type: 'AT_TIMESTAMP', timestamp: mapping.startingPositionTimestamp ?? 0 }
          : // A child shard of a parent read to its end starts at its own beginning.
            { type: parents.length > 0 ? 'TRIM_HORIZON' : (mapping.startingPosition ?? 'LATEST') };
    const wanted = mapping.batchSize * (mapping.parallelizationFactor ?? 1);
    const windowMs = mapping.maximumBatchingWindowInSeconds * 1000;
    let iterator: string | undefined;
    let backoff = 0;
    /** Read but not yet delivered (only while the batching window is open); read again after a failure. */
    let gathered: R[] = [];
    let windowEnds = 0;
    while (!this.#stopped) {
      try {
        iterator ??= await source.iterator(shard.id, position, signal);
        const { records, next } = await source.read(iterator, wanted - gathered.length, signal);
        backoff = 0;
        if (records.length > 0 && gathered.length === 0) windowEnds = clock.now() + windowMs;
        gathered.push(...records);
        const closed = next === undefined;
        const due = gathered.length >= wanted || closed || clock.now() >= windowEnds;
        if (gathered.length > 0 && due) {
          const last = source.sequenceNumber(gathered[gathered.length - 1]!);
          // Cut short by a stop: no checkpoint, so the records are read again after the restart.
          if (!(await this.#deliverAll(shard.id, gathered))) return;
          await this.#o.checkpoints.put(shard.id, last);
          position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last };
          gathered = [];
        } else if (gathered.length === 0) this.#o.report('No records processed');
        if (closed) {
          await this.#o.checkpoints.put(shard.id, SHARD_END);
          this.#done.add(shard.id);
          return;
        }
        iterator = next;
        // Nothing new: the next read in a second. A window still open: the next read soon, but no faster
        // than Kinesis's five reads per shard per second allow.
        if (gathered.length > 0) await this.#sleep(Math.max(0, Math.min(WINDOW_POLL_MS, windowEnds - clock.now())));
        else if (records.length === 0) await this.#sleep(IDLE_POLL_MS);
      } catch (error) {
        if (this.#stopped) return;
        // An iterator that expired (or a source that failed) is made again from the checkpoint.
        iterator = undefined;
        gathered = [];
        this.#o.report(`PROBLEM: ${describe(error)}`);
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2));
        await this.#sleep(backoff);
      }
    }
  }

  /** Records through the function, in lanes by order key; true when all of them succeeded or were sent on. */
  async #deliverAll(shardId: string, received: R[]): Promise<boolean> {
    const { source } = this.#o;
    const accepted = received.filter((r) => this.#accepts(source.filterable(r)));
    if (accepted.length === 0) return true;
    const factor = this.#o.mapping.parallelizationFactor ?? 1;
    if (factor === 1) return this.#deliver(shardId, this.#batches(accepted));
    const lanes = Array.from({ length: factor }, (): R[] => []);
    for (const r of accepted) lanes[laneOf(source.orderKey(r), factor)]!.push(r);
    const done = await Promise.all(lanes.filter((l) => l.length > 0).map((l) => this.#deliver(shardId, this.#batches(l))));
    return done.every(Boolean);
  }

  /** Records cut into batches of at most BatchSize that fit in one Invoke payload. */
  #batches(records: readonly R[]): R[][] {
    const batches: R[][] = [];
    let batch: R[] = [];
    let bytes = 0;
    for (const r of records) {
      const size = this.#o.source.size(r) + RECORD_OVERHEAD;
      if (batch.length > 0 && (batch.length >= this.#o.mapping.batchSize || bytes + size > EVENT_BYTES)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(r);
      bytes += size;
    }
    if (batch.length > 0) batches.push(batch);
    return batches;
  }

  /** Batches through the function until each succeeds or is sent on (true), or the runner stops (false); in order. */
  async #deliver(shardId: string, batches: R[][]): Promise<boolean> {
    const { source, mapping } = this.#o;
    let pending = batches;
    let attempts = 0;
    let backoff = 0;
    while (pending.length > 0 && !this.#stopped) {
      const records = pending[0]!;
      const maxAge = mapping.maximumRecordAgeInSeconds ?? -1;
      if (maxAge !== -1) {
        const now = this.#o.clock.now();
        const fresh: R[] = [];
        const old: R[] = [];
        for (const r of records) (now - source.arrival(r) <= maxAge * 1000 ? fresh : old).push(r);
        if (old.length > 0) {
          await this.#o.discard({ records: old.length, condition: 'RecordAgeExceeded', attempts, batchInfo: source.batchInfo(old, shardId) });
          if (fresh.length === 0) {
            pending.shift();
            continue;
          }
          pending[0] = fresh;
          continue;
        }
      }
      this.#o.observeAge?.(Math.max(0, this.#o.clock.now() - source.arrival(records.at(-1)!)));
      const outcome = await this.#o.invoke(source.event(records, shardId));
      if (outcome.kind === 'not-run') {
        // Throttles and platform errors do not count against the retry budget, as on Lambda.
        this.#o.report(`PROBLEM: ${outcome.why}`);
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2));
        await this.#sleep(backoff);
        continue;
      }
      let failedFrom: number | undefined;
      if (outcome.kind === 'success') {
        if (!mapping.functionResponseTypes.includes('ReportBatchItemFailures')) failedFrom = undefined;
        else {
          const failed = batchItemFailures(outcome.payload, new Set(records.map((r) => source.sequenceNumber(r))));
          // A malformed answer fails the whole batch; otherwise it is retried from the first failed record.
          failedFrom = failed === undefined ? 0 : failed.size === 0 ? undefined : records.findIndex((r) => failed.has(source.sequenceNumber(r)));
        }
      } else failedFrom = 0;
      if (failedFrom === undefined) {
        this.#o.report('OK');
        pending.shift();
        attempts = 0;
        continue;
      }
      this.#o.report('PROBLEM: Function call failed');
      const rest = records.slice(failedFrom);
      attempts += 1;
      const maxRetries = mapping.maximumRetryAttempts ?? -1;
      if (maxRetries !== -1 && attempts > maxRetries) {
        await this.#o.discard({ records: rest.length, condition: 'RetryAttemptsExhausted', attempts, batchInfo: source.batchInfo(rest, shardId) });
        pending.shift();
        attempts = 0;
        continue;
      }
      if (mapping.bisectBatchOnFunctionError === true && rest.length > 1) {
        const half = Math.ceil(rest.length / 2);
        pending = [rest.slice(0, half), rest.slice(half), ...pending.slice(1)];
      } else pending[0] = rest;
    }
    return pending.length === 0;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stopped) return resolve();
      const pause = {
        timer: this.#o.clock.setTimeout(() => {
          this.#pauses.delete(pause);
          resolve();
        }, ms),
        done: resolve,
      };
      this.#pauses.add(pause);
    });
  }
}

/** The lane a record goes to: by the MD5 of its order key, as Kinesis maps partition keys to shards. */
function laneOf(key: string, lanes: number): number {
  return createHash('md5').update(key).digest().readUInt32BE(0) % lanes;
}
