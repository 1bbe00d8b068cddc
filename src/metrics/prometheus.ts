import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { subscribe, type Clock, type LifecycleEventName, type LifecycleEvents } from '../core/index.js';
import type { EventQueue } from '../queue/index.js';
import type { EnvironmentPool } from '../runtime/index.js';

export interface MetricsSources {
  readonly platformId: string;
  readonly pool: EnvironmentPool;
  readonly queue: EventQueue;
  readonly clock: Clock;
}

/** Seconds, from a 5 ms echo to Lambda's 900 s limit. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Seconds, up to Lambda's 10 s init limit (provisioned environments may take longer). */
const INIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/**
 * The platform's metrics in Prometheus's text format (prom-client): counters and histograms fed by the
 * lifecycle events of this platform (./core/lifecycle.ts), gauges read from the pool and the async
 * queue when scraped, and the process's own metrics. Nothing is computed between scrapes beyond a few
 * additions per invocation.
 */
export class PlatformMetrics {
  readonly registry = new Registry();
  readonly #unsubscribe: Array<() => void> = [];

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    const fn = ['function_name'] as const;
    const invocations = new Counter({
      name: 'selfless_invocations_total',
      help: 'Invocations that ran, by outcome',
      labelNames: [...fn, 'outcome'],
      registers,
    });
    const errors = new Counter({
      name: 'selfless_errors_total',
      help: 'Invocations that ended in a function error (handled, unhandled, timeout, crash)',
      labelNames: fn,
      registers,
    });
    const throttles = new Counter({
      name: 'selfless_throttles_total',
      help: 'Invocations refused for concurrency, by Lambda reason',
      labelNames: [...fn, 'reason'],
      registers,
    });
    const coldStarts = new Counter({
      name: 'selfless_cold_starts_total',
      help: 'Invocations that waited for a new environment to initialise',
      labelNames: fn,
      registers,
    });
    const duration = new Histogram({ name: 'selfless_duration_seconds', help: 'Invocation duration', labelNames: fn, buckets: DURATION_BUCKETS, registers });
    const initDuration = new Histogram({
      name: 'selfless_init_duration_seconds',
      help: 'Environment init (INIT phase) duration',
      labelNames: fn,
      buckets: INIT_BUCKETS,
      registers,
    });
    const gbSeconds = new Counter({ name: 'selfless_gb_seconds_total', help: 'Billed duration times memory, in GB-seconds', labelNames: fn, registers });
    const concurrent = new Gauge({ name: 'selfless_concurrent_executions', help: 'Invocations running now', labelNames: fn, registers });
    const attempts = new Counter({
      name: 'selfless_async_attempts_total',
      help: 'Asynchronous event attempts, by how they settled (done, retry, forward, failed)',
      labelNames: [...fn, 'outcome'],
      registers,
    });
    const { pool, queue, clock, platformId } = sources;
    new Gauge({
      name: 'selfless_environments',
      help: 'Execution environments, by state',
      labelNames: ['state'],
      registers,
      collect() {
        const stats = pool.stats();
        this.set({ state: 'busy' }, stats.busy);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'starting' }, stats.starting);
        this.set({ state: 'prestarted' }, stats.prestarted);
      },
    });
    const backlog = queue.backlog.bind(queue);
    const depth = new Gauge({ name: 'selfless_async_queue_depth', help: 'Asynchronous events waiting (or running), per function', labelNames: fn, registers });
    new Gauge({
      name: 'selfless_async_oldest_event_age_seconds',
      help: 'Age of the oldest asynchronous event waiting, per function (AsyncEventAge)',
      labelNames: fn,
      registers,
      async collect() {
        this.reset();
        depth.reset();
        for (const b of await backlog()) {
          depth.set({ function_name: b.functionName }, b.depth);
          this.set({ function_name: b.functionName }, Math.max(0, clock.now() - b.oldestEnqueuedAt) / 1000);
        }
      },
    });
    collectDefaultMetrics({ register: this.registry });

    const mine = { platformId };
    this.#on('selfless:invoke:start', mine, (e) => {
      concurrent.inc({ function_name: e.functionName });
      if (e.cold) coldStarts.inc({ function_name: e.functionName });
    });
    this.#on('selfless:invoke:end', mine, (e) => {
      const labels = { function_name: e.functionName };
      concurrent.dec(labels);
      invocations.inc({ ...labels, outcome: e.outcome });
      if (e.outcome !== 'success') errors.inc(labels);
      duration.observe(labels, e.durationMs / 1000);
      gbSeconds.inc(labels, (e.billedMs / 1000) * (e.memorySize / 1024));
    });
    this.#on('selfless:env:ready', mine, (e) => {
      if (e.functionName !== '') initDuration.observe({ function_name: e.functionName }, e.initMs / 1000);
    });
    this.#on('selfless:invoke:throttle', mine, (e) => throttles.inc({ function_name: e.functionName, reason: e.reason }));
    const batches = new Counter({
      name: 'selfless_mapping_batches_total',
      help: 'Event source mapping batch results (LastProcessingResult): ok, or a problem (function error, throttle, malformed partial-batch response)',
      labelNames: [...fn, 'uuid', 'result'],
      registers,
    });
    const iteratorAge = new Gauge({
      name: 'selfless_mapping_iterator_age_seconds',
      help: "Age of the newest record of a stream mapping's last batch when it was invoked (IteratorAge)",
      labelNames: [...fn, 'uuid'],
      registers,
    });
    this.#on('selfless:mapping:batch', mine, (e) => batches.inc({ function_name: e.functionName, uuid: e.uuid, result: e.ok ? 'ok' : 'problem' }));
    this.#on('selfless:mapping:age', mine, (e) => iteratorAge.set({ function_name: e.functionName, uuid: e.uuid }, e.ageMs / 1000));
    this.#on('selfless:queue:settle', mine, (e) => attempts.inc({ function_name: e.functionName, outcome: e.outcome }));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    for (const stop of this.#unsubscribe.splice(0)) stop();
  }

  #on<N extends LifecycleEventName>(name: N, mine: { platformId: string }, handle: (event: LifecycleEvents[N]) => void): void {
    this.#unsubscribe.push(subscribe(mine.platformId, name, handle));
  }
}
