import { Mutex, timedKey, type TimedRecord } from '../core/index.js';
import type { ControlStore } from '../store/index.js';

/** What follows every write: the engine plans (or stops) the record's runs. */
export interface TimedFollower {
  upsert(record: TimedRecord): void;
  remove(key: string): void;
}

/**
 * Rules and schedules as stored, in memory for reads. Writes are one at a time, each read-modify-write
 * on the current record, the store first: the memory and the engine never hold what the store lost.
 */
export class TimedRegistry {
  readonly #store: ControlStore;
  readonly #follower: TimedFollower;
  readonly #records = new Map<string, TimedRecord>();
  readonly #writes = new Mutex();

  constructor(store: ControlStore, follower: TimedFollower) {
    this.#store = store;
    this.#follower = follower;
  }

  async load(): Promise<void> {
    for (const { record } of await this.#store.listTimed()) this.#records.set(timedKey(record), record);
  }

  get(key: string): TimedRecord | undefined {
    return this.#records.get(key);
  }

  all(): TimedRecord[] {
    return [...this.#records.values()];
  }

  /**
   * Replaces the record under `key` with what `change` makes of the current one (undefined when there is
   * none): a record to store, null to delete it, or the current record itself to leave it as it is
   * (nothing written, the engine's plan untouched). `change` throws to refuse.
   */
  write<T extends TimedRecord>(key: string, change: (current: TimedRecord | undefined) => T | null): Promise<T | null> {
    return this.#writes.run(async () => {
      const current = this.#records.get(key);
      const next = change(current);
      if (next === current) return next;
      if (next === null) {
        await this.#store.deleteTimed(key);
        this.#records.delete(key);
        this.#follower.remove(key);
      } else {
        await this.#store.putTimed(next);
        this.#records.set(key, next);
        this.#follower.upsert(next);
      }
      return next;
    });
  }
}
