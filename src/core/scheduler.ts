import type { Clock } from './clock.js';

/** A pending timer; cancel() is idempotent. */
export interface Timer {
  cancel(): void;
}

export interface TimerOptions {
  /**
   * Whether the timer keeps the process alive. Default false: background timers (reaping, retries,
   * freezing) must not hold up a process that is stopping.
   */
  readonly keepAlive?: boolean;
}

/**
 * Time and timers, injected wherever the platform waits, so that tests can drive time (ManualScheduler)
 * instead of sleeping, and every timer can be cancelled.
 */
export interface Scheduler extends Clock {
  setTimeout(callback: () => void, ms: number, options?: TimerOptions): Timer;
  setInterval(callback: () => void, ms: number, options?: TimerOptions): Timer;
}

/** Node's own timers, delays capped to what setTimeout accepts (about 24.8 days). */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(callback, ms, options = {}) {
    const handle = setTimeout(callback, clampDelay(ms));
    if (options.keepAlive !== true) handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
  setInterval(callback, ms, options = {}) {
    const handle = setInterval(callback, clampDelay(ms));
    if (options.keepAlive !== true) handle.unref();
    return { cancel: () => clearInterval(handle) };
  },
};

const clampDelay = (ms: number) => Math.min(Math.max(0, ms), 2 ** 31 - 1);

interface ManualTimer {
  readonly id: number;
  at: number;
  readonly every: number | undefined;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * Time that moves only when a test moves it: `advance(ms)` runs every timer that falls due on the way,
 * in order of due time, each seeing now() at its own due time.
 */
export class ManualScheduler implements Scheduler {
  #now: number;
  #nextId = 0;
  readonly #timers: ManualTimer[] = [];

  constructor(startMs = Date.now()) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.#add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.#add(callback, ms, Math.max(1, ms));
  }

  /** Timers not yet run or cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, running what falls due (timers they set included, if due in time). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.#now = Math.max(this.#now, due.at);
      if (due.every === undefined) this.#remove(due);
      else due.at += due.every;
      due.callback();
    }
    this.#now = until;
  }

  #add(callback: () => void, ms: number, every: number | undefined): Timer {
    const timer: ManualTimer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), every, callback, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
        this.#remove(timer);
      },
    };
  }

  #remove(timer: ManualTimer): void {
    const at = this.#timers.indexOf(timer);
    if (at >= 0) this.#timers.splice(at, 1);
  }
}
