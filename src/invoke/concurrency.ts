import { AwsError, publish } from '../core/index.js';

/**
 * The concurrency-accounting port: slots per function and for the account. In memory on one node
 * (ConcurrencyGate); shared with leases between the nodes of a cluster.
 */
export interface ConcurrencyLimiter {
  /** Takes a slot for one invocation of this function, or throws Lambda's 429; the returned function gives it back. */
  acquire(functionName: string, reserved: number | undefined): () => void;
  /** Invocations of a function running now. */
  running(functionName: string): number;
}

/**
 * Lambda's concurrency limits on the invoke path: a function with reserved concurrency runs at most that
 * many invocations at once; the others share what the account limit leaves unreserved. Over a limit, the
 * caller gets 429 TooManyRequestsException with Lambda's Reason; async events wait in the queue instead.
 */
export class ConcurrencyGate implements ConcurrencyLimiter {
  readonly #running = new Map<string, number>();
  #unreservedRunning = 0;

  constructor(
    private readonly accountLimit: number,
    private readonly reservedTotal: () => number,
    /** Named in the throttle events it publishes. */
    private readonly platformId = '',
  ) {}

  /** Takes a slot for one invocation of this function; the returned function gives it back. */
  acquire(functionName: string, reserved: number | undefined): () => void {
    const running = this.#running.get(functionName) ?? 0;
    if (reserved !== undefined) {
      if (running >= reserved) throw this.#throttled(functionName, 'ReservedFunctionConcurrentInvocationLimitExceeded');
    } else if (this.#unreservedRunning >= this.accountLimit - this.reservedTotal()) {
      throw this.#throttled(functionName, 'ConcurrentInvocationLimitExceeded');
    }
    this.#running.set(functionName, running + 1);
    if (reserved === undefined) this.#unreservedRunning += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#running.get(functionName) ?? 1) - 1;
      if (left > 0) this.#running.set(functionName, left);
      else this.#running.delete(functionName);
      if (reserved === undefined) this.#unreservedRunning -= 1;
    };
  }

  #throttled(functionName: string, reason: string): AwsError {
    publish('selfless:invoke:throttle', () => ({ platformId: this.platformId, functionName, reason }));
    return throttled(reason);
  }

  /** Invocations of a function running now. */
  running(functionName: string): number {
    return this.#running.get(functionName) ?? 0;
  }
}

function throttled(reason: string): AwsError {
  return new AwsError('TooManyRequestsException', 'Rate Exceeded.', { extra: { Reason: reason }, headers: { 'Retry-After': '1' } });
}
