import type { InvocationHistoryRecord, Scheduler } from '../core/index.js';
import type { HistoryEntry, HistoryStore } from '../store/index.js';
import { BatchWriter } from './batch-writer.js';

/** How much of an invocation's log its record keeps: its first lines, up to this many bytes. */
const LOG_HEAD_BYTES = 1024;
const LOG_HEAD_LINES = 10;

/** Seals and opens captured payloads (the platform's SecretBox: AES-256-GCM under a key from the root secret). */
export interface PayloadSeal {
  seal(plaintext: string): string;
  open(sealed: string): string | undefined;
}

export interface HistoryOptions {
  /** Records kept per function; the oldest go first. */
  readonly perFunction: number;
  /** When given, each invocation's event is kept, sealed, so it can be replayed; otherwise no payload is stored. */
  readonly capture?: PayloadSeal;
  readonly onError: (error: unknown) => void;
  readonly clock?: Scheduler;
}

/**
 * Every invocation's record (beyond Lambda: who started it, cold or warm, how long, how it ended, the
 * first lines of its log), written in batches off the invoke path and kept to the newest `perFunction`
 * per function. Events are stored only with capture on, and then only encrypted.
 */
export class InvocationHistory {
  readonly #writer: BatchWriter<HistoryEntry>;

  constructor(
    private readonly store: HistoryStore,
    private readonly options: HistoryOptions,
  ) {
    this.#writer = new BatchWriter((batch) => this.#append(batch), options.onError, options.clock);
  }

  get capturing(): boolean {
    return this.options.capture !== undefined;
  }

  record(entry: Omit<InvocationHistoryRecord, 'logHead' | 'captured'>, log: string, payload: Buffer): void {
    const { capture } = this.options;
    const record = { ...entry, logHead: logHead(log), captured: capture !== undefined };
    this.#writer.add(capture === undefined ? { record } : { record, sealedPayload: capture.seal(payload.toString('utf8')) });
  }

  async list(functionName: string, options: { sinceMs: number; errorsOnly: boolean; limit: number }): Promise<InvocationHistoryRecord[]> {
    await this.#writer.flush();
    return this.store.listHistory(functionName, options);
  }

  /**
   * An invocation's record, and a way to open its event: undefined when it was not captured or can no
   * longer be opened. Opening is left to the caller, so a lookup that needs only the record decrypts nothing.
   */
  async find(requestId: string): Promise<{ record: InvocationHistoryRecord; openPayload(): Buffer | undefined } | undefined> {
    await this.#writer.flush();
    const entry = await this.store.findHistory(requestId);
    if (entry === undefined) return undefined;
    const { capture } = this.options;
    return {
      record: entry.record,
      openPayload: () => {
        const opened = entry.sealedPayload === undefined ? undefined : capture?.open(entry.sealedPayload);
        return opened === undefined ? undefined : Buffer.from(opened, 'utf8');
      },
    };
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  async #append(batch: HistoryEntry[]): Promise<void> {
    await this.store.appendHistory(batch);
    for (const name of new Set(batch.map((e) => e.record.functionName))) await this.store.trimHistory(name, this.options.perFunction);
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
