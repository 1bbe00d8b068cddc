import { createHash } from 'node:crypto';
import { timedKey, type Scheduler, type TimedRecord, type Timer } from '../core/index.js';
import type { Logger } from '../core/logger.js';
import type { ControlStore } from '../store/index.js';
import { DEFAULT_RETRY } from './delivery.js';
import { latestRunBefore, nextRun, parseExpression, type Recurrence, type Window } from './expressions.js';

export interface EngineOptions {
  readonly store: ControlStore;
  readonly clock: Scheduler;
  /** Delivers a run (ScheduleDelivery.deliver); resolves once every target has its outcome. */
  deliver(record: TimedRecord, dueMs: number): Promise<void>;
  /** A schedule with ActionAfterCompletion DELETE that will not run again, after its last run's delivery. */
  completed(record: TimedRecord): Promise<void>;
  readonly log: Logger;
}

interface Entry {
  record: TimedRecord;
  readonly recurrence: Recurrence;
  lastFireMs: number | undefined;
  /** Runs up to here are settled: fired, or skipped as too old. */
  settledMs: number;
  timer: Timer | undefined;
  delivering: Promise<void> | undefined;
}

/**
 * Fires schedules on time. Each enabled record has one timer, for its next run; a run is owned by
 * whoever moves the record's last fire time to it in the store (before anything is queued, so a run is
 * never sent twice, across restarts or processes), then delivered. A run that fell due while the timer
 * could not fire (the platform stopped, the host slept) is sent once, late, if it is younger than its
 * targets' maximum event age (RetryPolicy.MaximumEventAgeInSeconds, 24 hours by default — as long as
 * AWS would have kept trying to deliver it); older runs, and all but the latest missed one, are skipped.
 */
export class ScheduleEngine {
  readonly #o: EngineOptions;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(options: EngineOptions) {
    this.#o = options;
  }

  /** Reads every record and its last fire time, and plans their runs (firing the missed ones due). */
  async start(): Promise<void> {
    for (const { record, lastFireMs } of await this.#o.store.listTimed()) this.#put(record, lastFireMs);
  }

  /** A record created or changed (its last fire time is kept). */
  upsert(record: TimedRecord): void {
    this.#put(record, this.#entries.get(timedKey(record))?.lastFireMs);
  }

  remove(key: string): void {
    this.#entries.get(key)?.timer?.cancel();
    this.#entries.delete(key);
  }

  /** The next `count` runs of a record from now (what `selfless schedule ls` shows). */
  upcoming(record: TimedRecord, count: number): number[] {
    const entry = this.#entries.get(timedKey(record));
    const recurrence = entry?.recurrence ?? recurrenceOf(record);
    if (recurrence === undefined || record.state !== 'ENABLED') return [];
    const runs: number[] = [];
    let after = Math.max(this.#o.clock.now(), entry?.settledMs ?? record.activeSince);
    while (runs.length < count) {
      const next = nextRun(recurrence, windowOf(record, after));
      if (next === undefined) break;
      runs.push(next);
      after = next;
    }
    return runs;
  }

  /** Every record with its last run and next `count` runs, by kind and name. */
  overview(count: number): Array<{ record: TimedRecord; lastFireMs: number | undefined; nextRuns: number[] }> {
    return [...this.#entries.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, entry]) => ({ record: entry.record, lastFireMs: entry.lastFireMs, nextRuns: this.upcoming(entry.record, count) }));
  }

  /** Stops every timer; deliveries under way finish. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of this.#entries.values()) entry.timer?.cancel();
    await Promise.allSettled([...this.#entries.values()].flatMap((e) => (e.delivering === undefined ? [] : [e.delivering])));
  }

  #put(record: TimedRecord, lastFireMs: number | undefined): void {
    const key = timedKey(record);
    this.#entries.get(key)?.timer?.cancel();
    const recurrence = recurrenceOf(record);
    if (recurrence === undefined) {
      this.#o.log.warn({ schedule: key }, `the stored expression ${record.scheduleExpression} does not parse; the schedule is not run`);
      this.#entries.delete(key);
      return;
    }
    const previous = this.#entries.get(key);
    const entry: Entry = {
      record,
      recurrence,
      lastFireMs,
      settledMs: Math.max(lastFireMs ?? -Infinity, record.activeSince),
      timer: undefined,
      delivering: previous?.delivering,
    };
    this.#entries.set(key, entry);
    this.#plan(key, entry);
  }

  #plan(key: string, entry: Entry): void {
    if (this.#closed || this.#entries.get(key) !== entry) return;
    entry.timer?.cancel();
    entry.timer = undefined;
    const { record } = entry;
    if (record.state !== 'ENABLED') return;
    const now = this.#o.clock.now();
    const due = nextRun(entry.recurrence, windowOf(record, entry.settledMs));
    if (due === undefined) return this.#finish(entry);
    if (due <= now) {
      // Missed while nothing could fire it: the latest missed run, once, if still young enough.
      const latest = latestRunBefore(entry.recurrence, windowOf(record, entry.settledMs), now) ?? due;
      if (now - latest <= maxEventAgeMs(record)) return void this.#fire(key, entry, latest);
      this.#o.log.warn(
        { schedule: key, due: new Date(latest).toISOString() },
        'a run missed while the platform was stopped is older than its maximum event age: skipped',
      );
      entry.settledMs = now;
      return this.#plan(key, entry);
    }
    const at = due + flexibleDelayMs(key, record, due);
    // A timer may wake early: the system's cap delays at about 24.8 days (a yearly cron, an at() months ahead).
    entry.timer = this.#o.clock.setTimeout(() => (this.#o.clock.now() < at ? this.#plan(key, entry) : void this.#fire(key, entry, due)), at - now);
  }

  async #fire(key: string, entry: Entry, dueMs: number): Promise<void> {
    entry.timer = undefined;
    entry.settledMs = dueMs;
    let owned = false;
    try {
      owned = await this.#o.store.advanceFire(key, entry.lastFireMs, dueMs);
    } catch (error) {
      this.#o.log.error({ err: error, schedule: key }, 'recording a run failed: it is not sent');
    }
    if (this.#entries.get(key) !== entry) return;
    if (owned) {
      entry.lastFireMs = dueMs;
      const delivering = this.#o
        .deliver(entry.record, dueMs)
        .catch((error: unknown) => this.#o.log.error({ err: error, schedule: key }, 'delivering a run failed'));
      entry.delivering = delivering;
    } else {
      // Another process took this run (or the record is gone): follow the stored time.
      const stored = (await this.#o.store.listTimed()).find((t) => timedKey(t.record) === key);
      if (stored === undefined || this.#entries.get(key) !== entry) return;
      entry.lastFireMs = stored.lastFireMs;
      entry.settledMs = Math.max(entry.settledMs, stored.lastFireMs ?? -Infinity);
    }
    this.#plan(key, entry);
  }

  /** No run is left: a Scheduler schedule with ActionAfterCompletion DELETE goes once its last run is delivered. */
  #finish(entry: Entry): void {
    const { record } = entry;
    if (record.kind !== 'schedule' || record.actionAfterCompletion !== 'DELETE') return;
    void (entry.delivering ?? Promise.resolve())
      .then(() => this.#o.completed(record))
      .catch((error: unknown) => this.#o.log.error({ err: error, schedule: timedKey(record) }, 'deleting a completed schedule failed'));
  }
}

export function recurrenceOf(record: TimedRecord): Recurrence | undefined {
  return parseExpression(record.scheduleExpression, record.kind === 'rule' ? { allowAt: false } : { allowAt: true, timezone: record.timezone });
}

function windowOf(record: TimedRecord, afterMs: number): Window {
  if (record.kind === 'rule') return { afterMs, anchorMs: record.activeSince };
  return {
    afterMs,
    anchorMs: record.startDate ?? record.activeSince,
    ...(record.startDate === undefined ? {} : { startMs: record.startDate }),
    ...(record.endDate === undefined ? {} : { endMs: record.endDate }),
  };
}

function maxEventAgeMs(record: TimedRecord): number {
  if (record.kind === 'schedule') return record.target.retryPolicy.maximumEventAgeInSeconds * 1000 + flexibleWindowMs(record);
  // The longest any target would keep trying (each with its own policy, or the default).
  const ages = record.targets.map((t) => t.retryPolicy?.maximumEventAgeInSeconds ?? DEFAULT_RETRY.maximumEventAgeInSeconds);
  return (ages.length === 0 ? DEFAULT_RETRY.maximumEventAgeInSeconds : Math.max(...ages)) * 1000;
}

const flexibleWindowMs = (record: TimedRecord): number =>
  record.kind === 'schedule' && record.flexibleWindow.mode === 'FLEXIBLE' ? (record.flexibleWindow.maximumWindowInMinutes ?? 0) * 60_000 : 0;

/**
 * Where in its flexible window a run goes: spread as Scheduler spreads them, but the same for the same
 * run every time it is planned (after a restart, too), so planning twice never moves it.
 */
function flexibleDelayMs(key: string, record: TimedRecord, dueMs: number): number {
  const window = flexibleWindowMs(record);
  if (window === 0) return 0;
  const hash = createHash('sha256').update(`${key}@${dueMs}`).digest();
  return hash.readUInt32BE(0) % window;
}
