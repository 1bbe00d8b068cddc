import type { AliasRecord } from '../core/index.js';

/**
 * What changed in the control plane, once it is durable. Caches and dependants (the environment pool,
 * provisioned concurrency, the registries' own memory) follow these instead of being called by the code
 * that made the change; later adapters carry them between nodes (PostgreSQL LISTEN/NOTIFY, NATS).
 */
export type Change =
  | { readonly type: 'FunctionCreated'; readonly functionName: string }
  /** $LATEST's code or configuration changed: its environments are stale. */
  | { readonly type: 'FunctionUpdated'; readonly functionName: string }
  /** The function and everything that belonged to it (versions, aliases, configs) are gone. */
  | { readonly type: 'FunctionDeleted'; readonly functionName: string }
  | { readonly type: 'VersionPublished'; readonly functionName: string; readonly version: string }
  | { readonly type: 'VersionDeleted'; readonly functionName: string; readonly version: string }
  /** An alias was created (`before` undefined), moved or re-weighted, or deleted (`after` undefined). */
  | { readonly type: 'AliasMoved'; readonly functionName: string; readonly before: AliasRecord | undefined; readonly after: AliasRecord | undefined };

export type ChangeListener = (change: Change) => void;

/**
 * The in-process change feed: listeners run synchronously, in the order they subscribed, right after
 * the change is durable. A listener that throws does not keep the change from the others; its failure
 * is reported.
 */
export class ChangeFeed {
  readonly #listeners = new Set<ChangeListener>();

  constructor(private readonly onError: (what: string, error: unknown) => void) {}

  /** Returns the call that unsubscribes. */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(change: Change): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.onError(`following a ${change.type} change`, error);
      }
    }
  }
}
