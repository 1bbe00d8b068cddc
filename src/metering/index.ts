import { systemScheduler, type LogEvent, type PlatformConfig, type Scheduler, type Timer, type UsageRecord } from '../core/index.js';
import type { LogDestination } from '../runtime/types.js';
import type { LogGroupScan, LogRepository, LogStreamRead, UsageStore } from '../store/index.js';
import { BatchWriter } from './batch-writer.js';
import { priceOf } from './minute-stats.js';

export { BatchWriter };
export { InvocationHistory } from './history.js';
export { MetricSeries } from './metric-series.js';
export * from './minute-stats.js';
export { timeline, TIMELINE_RANGES, type TimelinePoint, type TimelineRange } from './timeline.js';

/** How much of each function's logs is kept. */
export interface LogLimits {
  /** Bytes of log messages kept per function; the oldest events go first beyond it. */
  readonly maxBytesPerFunction: number;
  /** Events older than this are deleted. */
  readonly retentionMs: number;
}

/** Log output waiting to be written that triggers a write at once, rather than at the batch timer. */
const FLUSH_AT_BYTES = 4 * 1024 * 1024;
/** Log output waiting to be written beyond which more is dropped (with a marker line): the store fell behind. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;
/** A read page's budget of message bytes (it always holds at least one event). */
export const LOG_PAGE_BYTES = 1024 * 1024;
/** A function over its cap is trimmed to this share of it, so trimming is not paid on every batch. */
const TRIM_TO = 0.9;

interface PendingLog extends LogEvent {
  readonly bytes: number;
}

/**
 * Function log streams, stored in batches off the invoke path, and bounded: a size cap per function
 * (oldest events dropped first, checked against running totals as batches are written), a retention
 * period (checked at start and then periodically), byte-bounded read pages, and a cap on output waiting
 * to be written. A function cannot fill the disk or the server's memory by printing.
 */
export class LogStore {
  readonly #writer: BatchWriter<PendingLog>;
  readonly #totals = new Map<string, number>();
  /** Output dropped since the last write, per function and stream: reported by a marker line. */
  readonly #dropped = new Map<string, { to: LogDestination; bytes: number }>();
  #pendingBytes = 0;
  #expiryTimer: Timer | undefined;

  constructor(
    private readonly store: LogRepository,
    private readonly onError: (error: unknown) => void,
    private readonly limits: LogLimits = { maxBytesPerFunction: Number.MAX_SAFE_INTEGER, retentionMs: Number.MAX_SAFE_INTEGER },
    private readonly clock: Scheduler = systemScheduler,
  ) {
    this.#writer = new BatchWriter((batch) => this.#append(batch), onError, clock);
  }

  /** Reads the stored totals, applies the retention now, and from then on every so often. */
  async load(): Promise<void> {
    for (const [name, bytes] of await this.store.logBytes()) this.#totals.set(name, bytes);
    await this.#expire();
    const every = Math.min(Math.max(this.limits.retentionMs / 10, 1_000), 3_600_000);
    this.#expiryTimer = this.clock.setInterval(() => void this.#expire().catch(this.onError), every);
  }

  write(to: LogDestination, timeMs: number, message: string): void {
    const bytes = Buffer.byteLength(message);
    if (this.#pendingBytes + bytes > MAX_PENDING_BYTES) {
      const key = `${to.functionName}\0${to.logGroup}\0${to.stream}`;
      const dropped = this.#dropped.get(key) ?? { to, bytes: 0 };
      dropped.bytes += bytes;
      this.#dropped.set(key, dropped);
      return;
    }
    this.#pendingBytes += bytes;
    const { functionName, logGroup, stream } = to;
    this.#writer.add({ functionName, logGroup, stream, timeMs, message, bytes });
    if (this.#pendingBytes >= FLUSH_AT_BYTES) void this.#writer.flush();
  }

  async read(functionName: string, options: { afterId?: number; sinceMs?: number; limit: number }) {
    await this.#writer.flush();
    return this.store.readLogs(functionName, { ...options, maxBytes: LOG_PAGE_BYTES });
  }

  async flush(): Promise<void> {
    await this.#writer.flush();
  }

  // CloudWatch Logs' view (see ../logs/log-groups.ts): every read sees what was written before it.

  async groups() {
    await this.#writer.flush();
    return this.store.listLogGroups();
  }

  groupBytes(group: string): Promise<number> {
    return this.store.logGroupBytes(group);
  }

  async setRetention(group: string, days: number | undefined): Promise<boolean> {
    await this.#writer.flush();
    return this.store.setLogRetention(group, days);
  }

  async deleteGroup(group: string): Promise<boolean> {
    await this.#writer.flush();
    const freed = await this.store.deleteLogGroup(group);
    if (freed !== undefined) this.#forget(freed);
    return freed !== undefined;
  }

  async deleteStream(group: string, stream: string): Promise<boolean> {
    await this.#writer.flush();
    const freed = await this.store.deleteLogStream(group, stream);
    if (freed !== undefined) this.#forget(freed);
    return freed !== undefined;
  }

  async streams(group: string) {
    await this.#writer.flush();
    return this.store.listLogStreams(group);
  }

  async readStream(group: string, stream: string, options: Omit<LogStreamRead, 'maxBytes'>) {
    await this.#writer.flush();
    return this.store.readLogStream(group, stream, { ...options, maxBytes: LOG_PAGE_BYTES });
  }

  async scanGroup(group: string, options: LogGroupScan) {
    await this.#writer.flush();
    return this.store.scanLogGroup(group, options);
  }

  #forget(freed: ReadonlyMap<string, number>): void {
    for (const [name, bytes] of freed) this.#totals.set(name, Math.max(0, (this.#totals.get(name) ?? 0) - bytes));
  }

  close(): Promise<void> {
    this.#expiryTimer?.cancel();
    return this.flush();
  }

  async #append(batch: PendingLog[]): Promise<void> {
    let pending = 0;
    for (const event of batch) pending += event.bytes;
    const written = [...batch];
    if (this.#dropped.size > 0) {
      const now = this.clock.now();
      for (const d of this.#dropped.values()) {
        const message = `[selfless] ${d.bytes} bytes of log output were dropped: the function wrote faster than its logs could be stored`;
        const { functionName, logGroup, stream } = d.to;
        written.push({ functionName, logGroup, stream, timeMs: now, message, bytes: Buffer.byteLength(message) });
      }
      this.#dropped.clear();
    }
    const touched = new Set<string>();
    for (const event of written) {
      this.#totals.set(event.functionName, (this.#totals.get(event.functionName) ?? 0) + event.bytes);
      touched.add(event.functionName);
    }
    try {
      await this.store.appendLogs(written);
    } finally {
      this.#pendingBytes -= pending;
    }
    const cap = this.limits.maxBytesPerFunction;
    for (const name of touched) {
      const total = this.#totals.get(name) ?? 0;
      if (total <= cap) continue;
      const freed = await this.store.trimLogs(name, total, Math.floor(cap * TRIM_TO));
      this.#totals.set(name, total - freed);
    }
  }

  async #expire(): Promise<void> {
    // A group's own retention (PutRetentionPolicy), then the platform's, whichever is shorter wins.
    this.#forget(await this.store.expireByGroupRetention(this.clock.now()));
    if (this.limits.retentionMs >= Number.MAX_SAFE_INTEGER) return;
    this.#forget(await this.store.expireLogs(this.clock.now() - this.limits.retentionMs));
  }
}

export interface FunctionUsage {
  readonly functionName: string;
  /** The UTC day (YYYY-MM-DD) the row covers, when the report is by day. */
  readonly day?: string;
  readonly requests: number;
  readonly errors: number;
  readonly coldStarts: number;
  readonly billedMs: number;
  readonly gbSeconds: number;
  readonly cost: number;
}

/** Usage records (one per invocation) and the cost report built from them. */
export class UsageMeter {
  readonly #writer: BatchWriter<UsageRecord>;

  constructor(
    private readonly store: UsageStore,
    private readonly prices: PlatformConfig['prices'],
    onError: (error: unknown) => void,
  ) {
    this.#writer = new BatchWriter((batch) => store.appendUsage(batch), onError);
  }

  record(usage: UsageRecord): void {
    this.#writer.add(usage);
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /**
   * Per-function requests, GB-seconds and cost at the configured prices, since `sinceMs`; with `byDay`,
   * a row per function and UTC day it ran on.
   */
  async report(sinceMs: number, byDay = false): Promise<FunctionUsage[]> {
    await this.#writer.flush();
    const rows = new Map<
      string,
      { functionName: string; day?: string; requests: number; errors: number; coldStarts: number; billedMs: number; gbSeconds: number; armGbSeconds: number }
    >();
    for (const r of await this.store.listUsage(sinceMs)) {
      const day = byDay ? new Date(r.startMs).toISOString().slice(0, 10) : undefined;
      const key = day === undefined ? r.functionName : `${day}\0${r.functionName}`;
      const entry = rows.get(key) ?? {
        functionName: r.functionName,
        ...(day === undefined ? {} : { day }),
        requests: 0,
        errors: 0,
        coldStarts: 0,
        billedMs: 0,
        gbSeconds: 0,
        armGbSeconds: 0,
      };
      const gbSeconds = (r.billedMs / 1000) * (r.memoryMb / 1024);
      entry.requests += 1;
      entry.errors += r.outcome === 'success' ? 0 : 1;
      entry.coldStarts += r.cold ? 1 : 0;
      entry.billedMs += r.billedMs;
      entry.gbSeconds += gbSeconds;
      if (r.architecture === 'arm64') entry.armGbSeconds += gbSeconds;
      rows.set(key, entry);
    }
    return [...rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, e]) => ({
        functionName: e.functionName,
        ...(e.day === undefined ? {} : { day: e.day }),
        requests: e.requests,
        errors: e.errors,
        coldStarts: e.coldStarts,
        billedMs: e.billedMs,
        gbSeconds: e.gbSeconds,
        cost: priceOf(this.prices, e),
      }));
  }
}
