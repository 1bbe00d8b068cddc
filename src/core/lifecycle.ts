import { channel, type Channel } from 'node:diagnostics_channel';

/**
 * Lifecycle events on `node:diagnostics_channel`, published in one place each, for observability (a
 * metrics exporter, a console) and for tests, which await them instead of reading log text. Messages are
 * plain objects; publishing costs nothing while no one subscribes. Every platform in a process publishes
 * on the same channels: `platformId` tells them apart.
 */
export interface LifecycleEvents {
  /** An environment's runtime process was spawned (for a function, or pre-started for any). */
  'selfless:env:start': { platformId: string; environmentId: string; functionName: string; version: string; prestarted: boolean };
  /** Its init finished: it can take invocations. */
  'selfless:env:ready': { platformId: string; environmentId: string; functionName: string; version: string; initMs: number };
  'selfless:env:stop': { platformId: string; environmentId: string; functionName: string; version: string; invocations: number };
  /** An invocation was handed to an environment. */
  'selfless:invoke:start': { platformId: string; requestId: string; functionName: string; version: string; environmentId: string; cold: boolean };
  /** Its REPORT was written. */
  'selfless:invoke:end': {
    platformId: string;
    requestId: string;
    functionName: string;
    version: string;
    environmentId: string;
    outcome: string;
    durationMs: number;
    billedMs: number;
    /** The function's MemorySize: with billedMs, the invocation's GB-seconds. */
    memorySize: number;
    /** The function's architecture, which prices its GB-seconds. */
    architecture: 'x86_64' | 'arm64';
  };
  /** An invocation was refused for concurrency (429 TooManyRequestsException, or an async event deferred). */
  'selfless:invoke:throttle': { platformId: string; functionName: string; reason: string };
  /** An async event was committed to the queue (the 202 follows). */
  'selfless:queue:enqueue': { platformId: string; requestId: string; functionName: string; qualifier: string };
  /** An event source mapping's batch went through its function: OK, or a problem (LastProcessingResult). */
  'selfless:mapping:batch': { platformId: string; uuid: string; functionName: string; ok: boolean };
  /** A stream mapping is about to invoke a batch whose newest record arrived `ageMs` ago (IteratorAge). */
  'selfless:mapping:age': { platformId: string; uuid: string; functionName: string; ageMs: number };
  /** An async event's attempt ended with its outcome committed: done, retry, forward or failed. */
  'selfless:queue:settle': { platformId: string; requestId: string; functionName: string; outcome: string; condition?: string };
}

export type LifecycleEventName = keyof LifecycleEvents;

const channels = new Map<string, Channel>();

export function lifecycleChannel(name: LifecycleEventName): Channel {
  let found = channels.get(name);
  if (found === undefined) {
    found = channel(name);
    channels.set(name, found);
  }
  return found;
}

/** Publishes `message` on `name`'s channel, building it only when someone listens. */
export function publish<N extends LifecycleEventName>(name: N, message: () => LifecycleEvents[N]): void {
  const target = lifecycleChannel(name);
  if (target.hasSubscribers) target.publish(message());
}

/**
 * Calls `handle` for each event on `name` that platform `platformId` published (every platform in a
 * process shares the channels); the returned function unsubscribes.
 */
export function subscribe<N extends LifecycleEventName>(platformId: string, name: N, handle: (event: LifecycleEvents[N]) => void): () => void {
  const listener = (message: unknown) => {
    const event = message as LifecycleEvents[N];
    if (event.platformId === platformId) handle(event);
  };
  const target = lifecycleChannel(name);
  target.subscribe(listener);
  return () => target.unsubscribe(listener);
}
