import type { LogEvent, PlatformConfig, UsageRecord } from '../core/index.js';
import type { Store } from '../store/index.js';
import { BatchWriter } from './batch-writer.js';

export { BatchWriter };

/** Function log streams, stored in batches. */
export class LogStore {
  readonly #writer: BatchWriter<LogEvent>;

  constructor(
    private readonly store: Store,
    onError: (error: unknown) => void,
  ) {
    this.#writer = new BatchWriter((batch) => store.appendLogs(batch), onError);
  }

  write(functionName: string, stream: string, timeMs: number, message: string): void {
    this.#writer.add({ functionName, stream, timeMs, message });
  }

  async read(functionName: string, options: { afterId?: number; sinceMs?: number; limit: number }) {
    await this.#writer.flush();
    return this.store.readLogs(functionName, options);
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }
}

export interface FunctionUsage {
  readonly functionName: string;
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
    private readonly store: Store,
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

  /** Per-function requests, GB-seconds and cost at the configured prices, since `sinceMs`. */
  async report(sinceMs: number): Promise<FunctionUsage[]> {
    await this.#writer.flush();
    const byFunction = new Map<string, { requests: number; errors: number; coldStarts: number; billedMs: number; gbSeconds: number; computeCost: number }>();
    for (const r of await this.store.listUsage(sinceMs)) {
      const entry = byFunction.get(r.functionName) ?? { requests: 0, errors: 0, coldStarts: 0, billedMs: 0, gbSeconds: 0, computeCost: 0 };
      const gbSeconds = (r.billedMs / 1000) * (r.memoryMb / 1024);
      entry.requests += 1;
      entry.errors += r.outcome === 'success' ? 0 : 1;
      entry.coldStarts += r.cold ? 1 : 0;
      entry.billedMs += r.billedMs;
      entry.gbSeconds += gbSeconds;
      entry.computeCost += gbSeconds * (r.architecture === 'arm64' ? this.prices.armGbSecond : this.prices.x86GbSecond);
      byFunction.set(r.functionName, entry);
    }
    return [...byFunction.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([functionName, e]) => ({
        functionName,
        requests: e.requests,
        errors: e.errors,
        coldStarts: e.coldStarts,
        billedMs: e.billedMs,
        gbSeconds: e.gbSeconds,
        cost: e.computeCost + (e.requests / 1_000_000) * this.prices.perMillionRequests,
      }));
  }
}
