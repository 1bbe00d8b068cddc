import { randomUUID } from 'node:crypto';
import { AwsError, systemScheduler, type Scheduler } from '../core/index.js';
import type { LogStore } from '../metering/index.js';
import type { FilterPattern } from './filter-pattern.js';
import { filterPatternOf } from './log-groups.js';

/** CloudWatch's Live Tail quotas: sessions open at once per account, events per update, a session's life. */
const MAX_SESSIONS = 15;
const MAX_EVENTS_PER_UPDATE = 500;
const SESSION_MS = 3 * 3_600_000;
const UPDATE_EVERY_MS = 1_000;
/** Events are looked for this far behind the newest seen: a batch of one stream may be stored after a later one of another. */
const LOOK_BACK_MS = 2_000;
/** Events read from a group per update, at most (in reads of READ_BATCH), before matching; the rest wait for the next. */
const READ_PER_UPDATE = 20_000;
const READ_BATCH = 1_000;

export interface LiveTailRequest {
  /** The groups' identifiers as given (names or ARNs), echoed in the session start and in each event. */
  readonly identifiers: readonly string[];
  /** Their names, in the same order. */
  readonly groups: readonly string[];
  readonly streamNames?: readonly string[];
  readonly streamPrefixes?: readonly string[];
  readonly pattern?: string;
}

/** What a Live Tail session sends: its start, an update a second, and the exception that ends it. */
export type LiveTailMessage =
  | { readonly type: 'sessionStart'; readonly body: object }
  | { readonly type: 'sessionUpdate'; readonly body: object }
  | { readonly type: 'exception'; readonly exceptionType: 'SessionTimeoutException'; readonly body: { message: string } };

/**
 * CloudWatch Logs' Live Tail over the LogStore: each session reads its groups once a second for the
 * events stored since it last looked, matches them (streams, prefixes, filter pattern), and sends at
 * most 500 an update (sampled evenly beyond that, `sampled: true`). A session costs one indexed read per
 * group per second while its client reads; at most 15 are open at once, each for 3 hours at most.
 */
export class LiveTails {
  #open = 0;

  constructor(
    private readonly logs: LogStore,
    private readonly clock: Scheduler = systemScheduler,
  ) {}

  get open(): number {
    return this.#open;
  }

  /** Checks the request and takes a session slot; the session's messages until it times out or its reader stops. */
  async start(request: LiveTailRequest, requestId: string, closed: AbortSignal): Promise<AsyncGenerator<LiveTailMessage>> {
    const pattern = filterPatternOf(request.pattern);
    const known = new Set((await this.logs.groups()).map((g) => g.name));
    const missing = request.identifiers.filter((_, i) => !known.has(request.groups[i]!));
    if (missing.length > 0) throw new AwsError('ResourceNotFoundException', `The specified log group does not exist: ${missing.join(', ')}`);
    if (this.#open >= MAX_SESSIONS) {
      throw new AwsError('LimitExceededException', `A maximum of ${MAX_SESSIONS} Live Tail sessions can be open at once; close one to start another.`);
    }
    this.#open += 1;
    return this.#session(request, requestId, pattern, closed);
  }

  /** `closed` (the client went away) ends the session at once rather than at its next update. */
  async *#session(request: LiveTailRequest, requestId: string, pattern: FilterPattern, closed: AbortSignal): AsyncGenerator<LiveTailMessage> {
    try {
      const startedMs = this.clock.now();
      yield {
        type: 'sessionStart',
        body: {
          requestId,
          sessionId: randomUUID(),
          logGroupIdentifiers: request.identifiers,
          ...(request.streamNames === undefined ? {} : { logStreamNames: request.streamNames }),
          ...(request.streamPrefixes === undefined ? {} : { logStreamNamePrefixes: request.streamPrefixes }),
          ...(request.pattern === undefined ? {} : { logEventFilterPattern: request.pattern }),
        },
      };
      const names = request.streamNames === undefined ? undefined : new Set(request.streamNames);
      const wanted = (stream: string) =>
        (names === undefined || names.has(stream)) && (request.streamPrefixes === undefined || request.streamPrefixes.some((p) => stream.startsWith(p)));
      // Per group: the ids already sent from the look-back window, and the newest time seen.
      const seen = request.groups.map(() => ({ ids: new Map<number, number>(), newestMs: startedMs }));
      while (this.clock.now() - startedMs < SESSION_MS) {
        await this.#sleep(closed);
        if (closed.aborted) return;
        const results: object[] = [];
        for (const [i, group] of request.groups.entries()) {
          const state = seen[i]!;
          const from = Math.max(startedMs, state.newestMs - LOOK_BACK_MS);
          let after = { timeMs: -1, id: 0 };
          for (let read = 0; read < READ_PER_UPDATE; read += READ_BATCH) {
            const events = await this.logs.scanGroup(group, { startMs: from, endMs: Number.MAX_SAFE_INTEGER, after, limit: READ_BATCH });
            for (const e of events) {
              after = { timeMs: e.timeMs, id: e.id };
              if (state.ids.has(e.id)) continue;
              state.ids.set(e.id, e.timeMs);
              state.newestMs = Math.max(state.newestMs, e.timeMs);
              if (!wanted(e.stream) || !pattern.matches(e.message)) continue;
              results.push({
                logStreamName: e.stream,
                logGroupIdentifier: request.identifiers[i],
                message: e.message,
                timestamp: e.timeMs,
                ingestionTime: e.timeMs,
              });
            }
            if (events.length < READ_BATCH) break;
          }
          for (const [id, timeMs] of state.ids) if (timeMs < state.newestMs - LOOK_BACK_MS) state.ids.delete(id);
        }
        const sampled = results.length > MAX_EVENTS_PER_UPDATE;
        yield { type: 'sessionUpdate', body: { sessionMetadata: { sampled }, sessionResults: sampled ? evenly(results, MAX_EVENTS_PER_UPDATE) : results } };
      }
      yield {
        type: 'exception',
        exceptionType: 'SessionTimeoutException',
        body: { message: 'The Live Tail session has been open for three hours and has timed out.' },
      };
    } finally {
      this.#open -= 1;
    }
  }

  #sleep(closed: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        timer.cancel();
        closed.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.clock.setTimeout(done, UPDATE_EVERY_MS);
      closed.addEventListener('abort', done);
    });
  }
}

/** `count` of `items`, spread evenly over them. */
function evenly<T>(items: readonly T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}
