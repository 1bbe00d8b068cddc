import type { InvocationHistoryRecord, Scheduler } from '../core/index.js';
import type { HistoryStore } from '../store/index.js';
import { BatchWriter } from './batch-writer.js';

/** How much of an invocation's log its record keeps: its first lines, up to this many bytes. */
const LOG_HEAD_BYTES = 1024;
const LOG_HEAD_LINES = 10;

/**
 * Every invocation's record (beyond Lambda: who started it, cold or warm, how long, how it ended, the
 * first lines of its log), written in batches off the invoke path and kept to the newest
 * `perFunction` per function. Payloads are not kept.
 */
export class InvocationHistory {
  readonly #writer: BatchWriter<InvocationHistoryRecord>;

  constructor(
    private readonly store: HistoryStore,
    private readonly perFunction: number,
    onError: (error: unknown) => void,
    clock?: Scheduler,
  ) {
    this.#writer = new BatchWriter((batch) => this.#append(batch), onError, clock);
  }

  record(entry: Omit<InvocationHistoryRecord, 'logHead'>, log: string): void {
    this.#writer.add({ ...entry, logHead: logHead(log) });
  }

  async list(functionName: string, options: { sinceMs: number; errorsOnly: boolean; limit: number }): Promise<InvocationHistoryRecord[]> {
    await this.#writer.flush();
    return this.store.listHistory(functionName, options);
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  async #append(batch: InvocationHistoryRecord[]): Promise<void> {
    await this.store.appendHistory(batch);
    for (const name of new Set(batch.map((r) => r.functionName))) await this.store.trimHistory(name, this.perFunction);
  }
}

function logHead(log: string): string {
  const head = log.split('\n', LOG_HEAD_LINES).join('\n');
  if (Buffer.byteLength(head) <= LOG_HEAD_BYTES) return head;
  return Buffer.from(head)
    .subarray(0, LOG_HEAD_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}
