import { subscribe, systemScheduler, type LifecycleEventName, type LifecycleEvents, type Scheduler, type Timer } from '../core/index.js';
import type { MetricStore } from '../store/index.js';
import { ACCOUNT_WIDE, addDuration, emptyStats, mergeStats, MINUTE_MS, type MetricMinute, type MinuteStats } from './minute-stats.js';

export interface MetricSeriesOptions {
  readonly platformId: string;
  readonly onError: (error: unknown) => void;
  readonly clock?: Scheduler;
  /** How long minutes are kept; CloudWatch keeps one-minute data for 15 days. */
  readonly retentionMs?: number;
}

const FIFTEEN_DAYS_MS = 15 * 86_400_000;
/** A closed minute is written this long after it ends, so invocations reported just after it still land in it. */
const SETTLE_MS = 2_000;

/**
 * Per-function figures by the minute (invocations, errors, throttles, cold starts, durations,
 * concurrency, GB-seconds, iterator age), fed by this platform's lifecycle events and stored a minute
 * at a time: what CloudWatch's AWS/Lambda metrics and the console's Monitor charts read. The invoke
 * path pays a few additions; a minute is written once, shortly after it ends. Reads see the minutes
 * still in memory too. With nothing running and nothing pending, no timer runs.
 */
export class MetricSeries {
  readonly #pending = new Map<string, MetricMinute>();
  /** Invocations running now, per function (and ACCOUNT_WIDE). */
  readonly #running = new Map<string, number>();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #clock: Scheduler;
  readonly #retentionMs: number;
  #timer: Timer | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: MetricStore,
    private readonly options: MetricSeriesOptions,
  ) {
    this.#clock = options.clock ?? systemScheduler;
    this.#retentionMs = options.retentionMs ?? FIFTEEN_DAYS_MS;
    this.#on('selfless:invoke:start', (e) => {
      for (const name of [e.functionName, ACCOUNT_WIDE]) {
        const running = (this.#running.get(name) ?? 0) + 1;
        this.#running.set(name, running);
        const stats = this.#minute(name);
        stats.concurrencyMax = Math.max(stats.concurrencyMax, running);
        if (e.cold) stats.coldStarts += 1;
      }
    });
    this.#on('selfless:invoke:end', (e) => {
      const gbSeconds = (e.billedMs / 1000) * (e.memorySize / 1024);
      for (const name of [e.functionName, ACCOUNT_WIDE]) {
        // Looked up first: a minute this invocation ends in counts it as running.
        const stats = this.#minute(name);
        const running = (this.#running.get(name) ?? 1) - 1;
        if (running > 0) this.#running.set(name, running);
        else this.#running.delete(name);
        stats.invocations += 1;
        if (e.outcome !== 'success') stats.errors += 1;
        addDuration(stats, e.durationMs);
        stats.gbSeconds += gbSeconds;
        if (e.architecture === 'arm64') stats.armGbSeconds += gbSeconds;
      }
    });
    this.#on('selfless:invoke:throttle', (e) => {
      for (const name of [e.functionName, ACCOUNT_WIDE]) this.#minute(name).throttles += 1;
    });
    this.#on('selfless:mapping:age', (e) => {
      for (const name of [e.functionName, ACCOUNT_WIDE]) {
        const stats = this.#minute(name);
        stats.iteratorAgeMax = Math.max(stats.iteratorAgeMax, e.ageMs);
        stats.iteratorAgeSamples += 1;
      }
    });
  }

  /** A function's minutes from `fromMs` to before `toMs` (ACCOUNT_WIDE: every function's), oldest first, one per minute. */
  async read(functionName: string, fromMs: number, toMs: number): Promise<MetricMinute[]> {
    await this.#writing;
    const minutes = new Map<number, MinuteStats>();
    const add = (m: MetricMinute) => {
      if (m.functionName !== functionName || m.minuteMs < fromMs || m.minuteMs >= toMs) return;
      minutes.set(m.minuteMs, mergeStats(minutes.get(m.minuteMs) ?? emptyStats(), m.stats));
    };
    for (const m of await this.store.listMetricMinutes(functionName, fromMs, toMs)) add(m);
    for (const m of this.#pending.values()) add(m);
    return [...minutes.entries()].sort((a, b) => a[0] - b[0]).map(([minuteMs, stats]) => ({ functionName, minuteMs, stats }));
  }

  /** The functions with figures since `fromMs` (for ListMetrics). */
  async functionNames(fromMs: number): Promise<string[]> {
    await this.#writing;
    const names = new Set(await this.store.listMetricFunctions(fromMs));
    for (const m of this.#pending.values()) if (m.minuteMs >= fromMs) names.add(m.functionName);
    names.delete(ACCOUNT_WIDE);
    return [...names].sort();
  }

  /** Unsubscribes and writes every minute held, the current one included. */
  async close(): Promise<void> {
    for (const stop of this.#unsubscribe.splice(0)) stop();
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#write(Number.POSITIVE_INFINITY);
  }

  #on<N extends LifecycleEventName>(name: N, handle: (event: LifecycleEvents[N]) => void): void {
    this.#unsubscribe.push(subscribe(this.options.platformId, name, handle));
  }

  /** The current minute's figures for `functionName`, created (with the invocations running now) on first use. */
  #minute(functionName: string): MinuteStats {
    const minuteMs = Math.floor(this.#clock.now() / MINUTE_MS) * MINUTE_MS;
    const key = `${functionName}\0${minuteMs}`;
    let entry = this.#pending.get(key);
    if (entry === undefined) {
      const stats = emptyStats();
      stats.concurrencyMax = this.#running.get(functionName) ?? 0;
      entry = { functionName, minuteMs, stats };
      this.#pending.set(key, entry);
      this.#arm();
    }
    return entry.stats;
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const now = this.#clock.now();
    const nextMinute = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    this.#timer = this.#clock.setTimeout(() => this.#tick(), nextMinute + SETTLE_MS - now);
  }

  #tick(): void {
    this.#timer = undefined;
    // An invocation that spans minutes counts towards the concurrency of each one it ran in.
    for (const name of this.#running.keys()) this.#minute(name);
    const currentMinute = Math.floor(this.#clock.now() / MINUTE_MS) * MINUTE_MS;
    void this.#write(currentMinute);
    if (this.#pending.size > 0) this.#arm();
  }

  /** Writes the minutes that started before `beforeMs`, and drops stored minutes past the retention. */
  #write(beforeMs: number): Promise<void> {
    const batch: MetricMinute[] = [];
    for (const [key, m] of this.#pending) {
      if (m.minuteMs >= beforeMs) continue;
      batch.push(m);
      this.#pending.delete(key);
    }
    this.#writing = this.#writing.then(async () => {
      try {
        if (batch.length > 0) await this.store.appendMetricMinutes(batch);
        await this.store.expireMetricMinutes(this.#clock.now() - this.#retentionMs);
      } catch (error) {
        this.options.onError(error);
      }
    });
    return this.#writing;
  }
}
