import { systemScheduler, type Scheduler, type Timer } from '../core/index.js';

/**
 * Collects records in memory and writes them in one batch shortly after, so the invoke path never
 * waits on storage. `flush()` writes what is pending (on shutdown and before reads that must see it).
 */
export class BatchWriter<T> {
  #pending: T[] = [];
  #timer: Timer | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly scheduler: Scheduler = systemScheduler,
    private readonly delayMs = 50,
  ) {}

  add(record: T): void {
    this.#pending.push(record);
    this.#timer ??= this.scheduler.setTimeout(() => void this.flush(), this.delayMs);
  }

  flush(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    this.#writing = this.#writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.write(batch);
      } catch (error) {
        this.onError(error);
      }
    });
    return this.#writing;
  }
}
