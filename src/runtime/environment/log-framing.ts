import type { Clock, ReportError } from '../../core/index.js';
import { LogLineSplitter } from '../log-format.js';
import type { RuntimeProcess } from '../spawner.js';
import type { LogDestination, LogSink } from '../types.js';

const TAIL_KEEP = 16 * 1024;

/** An invocation's share of the log: its lines, START to REPORT, for `X-Amz-Log-Type: Tail`. */
export interface LogTail {
  log: string;
}

export interface LogFramingOptions {
  readonly logs: LogSink;
  readonly clock: Clock;
  /** Where lines go (a pre-started environment gets its destination when it is assigned). */
  readonly destination: () => LogDestination;
  readonly environmentId: string;
  readonly onError: ReportError;
}

/**
 * An environment's log stream: the runtime's output cut into lines, and the platform's own lines
 * (START, END, REPORT, timeouts), in Lambda's order. A REPORT waits for a memory reading; lines written
 * meanwhile (the next invocation's START and output) queue behind it, so the stream keeps its order
 * without making the next invocation wait.
 */
export class LogFraming {
  readonly #o: LogFramingOptions;
  /** Log actions waiting behind a REPORT line (see enqueue); undefined when none is pending. */
  #queue: Array<() => void | Promise<void>> | undefined;

  constructor(options: LogFramingOptions) {
    this.#o = options;
  }

  /** Takes the runtime's stdout and stderr, each line into the invocation current when it is written. */
  pipe(child: Pick<RuntimeProcess, 'stdout' | 'stderr'>, current: () => LogTail | undefined): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      const splitter = new LogLineSplitter((line) => this.write(line, current()));
      stream.on('data', (chunk: Buffer) => splitter.push(chunk));
      stream.once('end', () => splitter.flush());
    }
  }

  /** A line, now or behind a pending REPORT (timed as written either way). */
  write(line: string, into: LogTail | undefined): void {
    if (this.#queue === undefined) this.emit(line, into);
    else {
      const timeMs = this.#o.clock.now();
      this.#queue.push(() => this.emit(line, into, timeMs));
    }
  }

  /** Runs a log action after every earlier one (a REPORT waiting for its reading). */
  enqueue(action: () => void | Promise<void>): void {
    if (this.#queue !== undefined) {
      this.#queue.push(action);
      return;
    }
    const queue = [action];
    this.#queue = queue;
    void (async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        // One failed action (a memory reading) must not stall every later line behind it.
        try {
          await next();
        } catch (error) {
          this.#o.onError(`writing the log of environment ${this.#o.environmentId}`, error);
        }
      }
      this.#queue = undefined;
    })();
  }

  /** Writes a line at once (inside an enqueued action, or when nothing is pending). */
  emit(line: string, into: LogTail | undefined, timeMs = this.#o.clock.now()): void {
    this.#o.logs.write(this.#o.destination(), timeMs, line);
    if (into !== undefined) {
      into.log += `${line}\n`;
      if (into.log.length > TAIL_KEEP * 2) into.log = into.log.slice(-TAIL_KEEP);
    }
  }
}
