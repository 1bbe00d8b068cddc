import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { LifecycleEventName, LifecycleEvents } from '../../src/core/index.js';

/**
 * Resolves with the next lifecycle event named `name` that `match` accepts. Subscribe before the action
 * that causes it; the wait is bounded so a missing event fails the test instead of hanging it.
 */
export function nextEvent<N extends LifecycleEventName>(
  name: N,
  match: (event: LifecycleEvents[N]) => boolean,
  timeoutMs = 120_000,
): Promise<LifecycleEvents[N]> {
  return new Promise((resolve, reject) => {
    const listener = (message: unknown) => {
      const event = message as LifecycleEvents[N];
      if (!match(event)) return;
      done();
      resolve(event);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${name} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      unsubscribe(name, listener);
    };
    subscribe(name, listener);
  });
}
