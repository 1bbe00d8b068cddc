import { join } from 'node:path';
import { CodeStore, type CodeRepository } from './control/index.js';
import type { PlatformConfig } from './core/index.js';
import type { Logger } from './core/logger.js';
import { SqliteEventQueue, type EventQueue, type FailedEventStore } from './queue/index.js';
import { SqliteStore, type ControlStore, type HistoryStore, type IdentityStore, type LogRepository, type MetricStore, type UsageStore } from './store/index.js';

/** The state behind the platform's ports; `close()` flushes and closes every one. */
export interface Adapters {
  readonly control: ControlStore;
  readonly identities: IdentityStore;
  readonly usage: UsageStore;
  readonly history: HistoryStore;
  readonly metrics: MetricStore;
  readonly logs: LogRepository;
  readonly queue: EventQueue;
  readonly failed: FailedEventStore;
  readonly code: CodeRepository;
  close(): Promise<void>;
}

/**
 * Builds the adapters from validated config: the one place that names them. Embedded mode: one SQLite
 * database for control records, usage, logs and failed async events, another for the async queue (whose enqueues commit with
 * synchronous=FULL, apart from the high-volume appends), and code packages on local disk.
 */
export async function createAdapters(config: PlatformConfig, logger: Logger): Promise<Adapters> {
  const store = new SqliteStore(join(config.dataDir, 'selfless.db'));
  const queue = new SqliteEventQueue(join(config.dataDir, 'queue.db'));
  // Data dirs from before failed events moved from the queue file to the store: copied, then dropped.
  const legacy = queue.legacyFailed();
  for (const entry of legacy) await store.putFailed(entry);
  queue.dropLegacyFailed();
  const code = new CodeStore(join(config.dataDir, 'code'), (error) => logger.error({ err: error }, 'removing a code package failed'));
  await code.init();
  return {
    control: store,
    identities: store,
    usage: store,
    history: store,
    metrics: store,
    logs: store,
    queue,
    failed: store,
    code,
    close: async () => {
      await store.close();
      await queue.close();
    },
  };
}
