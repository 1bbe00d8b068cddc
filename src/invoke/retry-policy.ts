import type { AsyncSettings } from '../control/index.js';
import type { QueuedEvent } from '../queue/index.js';

/** The retry arithmetic of asynchronous invocation (a subset of AsyncTuning). */
export interface RetryTuning {
  /** Waits before the 1st, 2nd... retry after a function error. Lambda: about 1 and 2 minutes. */
  readonly retryDelaysMs: readonly number[];
  /** Backoff for attempts that never ran the function (throttled, platform error): base × 2^n, capped. */
  readonly deferralBaseMs: number;
  readonly deferralMaxMs: number;
}

/** How an attempt went, as far as retrying cares. */
export type AttemptResult =
  | { readonly kind: 'success' }
  | { readonly kind: 'function-error'; readonly lastError: string }
  /** The function never ran: throttled (429) or the platform failed (5xx). Retried without spending a retry. */
  | { readonly kind: 'not-run'; readonly why: string }
  /** The invocation was refused for good (a 4xx other than 429): not retried. */
  | { readonly kind: 'rejected'; readonly why: string };

/** AWS's conditions for an event that failed for good (the destination record's `condition`). */
export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded' | 'RequestRejected' | 'ZeroReservedConcurrency';

/** What becomes of an event. `attempts` counts the runs that ended in a function error or success. */
export type Decision =
  | { readonly kind: 'succeeded'; readonly attempts: number }
  | { readonly kind: 'retry'; readonly attempts: number; readonly deferrals: number; readonly notBefore: number; readonly lastError: string }
  | { readonly kind: 'failed'; readonly condition: FailureCondition; readonly attempts: number; readonly lastError?: string };

/** The time past which an event is not run again (MaximumEventAgeInSeconds from its acceptance). */
export const eventDeadline = (event: QueuedEvent, settings: AsyncSettings): number => event.enqueuedAt + settings.maximumEventAgeInSeconds * 1000;

/**
 * Whether an event may run at all now: a function turned off with reserved concurrency 0 sends its
 * events straight to failure, as does an event past its maximum age. Undefined: run it.
 */
export function beforeAttempt(event: QueuedEvent, settings: AsyncSettings, reservedConcurrency: number | undefined, now: number): Decision | undefined {
  if (reservedConcurrency === 0) return { kind: 'failed', condition: 'ZeroReservedConcurrency', attempts: event.attempts };
  if (now >= eventDeadline(event, settings)) return { kind: 'failed', condition: 'EventAgeExceeded', attempts: event.attempts };
  return undefined;
}

/**
 * What follows an attempt, as Lambda decides it: a function error is retried after the next of Lambda's
 * delays while MaximumRetryAttempts allows and the retry would start within MaximumEventAgeInSeconds; an
 * attempt that never ran backs off exponentially without spending a retry; a refusal fails at once.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
export function afterAttempt(event: QueuedEvent, result: AttemptResult, settings: AsyncSettings, tuning: RetryTuning, now: number): Decision {
  const deadline = eventDeadline(event, settings);
  switch (result.kind) {
    case 'success':
      return { kind: 'succeeded', attempts: event.attempts + 1 };
    case 'rejected':
      return { kind: 'failed', condition: 'RequestRejected', attempts: event.attempts, lastError: result.why };
    case 'not-run': {
      const delay = Math.min(tuning.deferralBaseMs * 2 ** event.deferrals, tuning.deferralMaxMs);
      if (now + delay > deadline) return { kind: 'failed', condition: 'EventAgeExceeded', attempts: event.attempts, lastError: result.why };
      return { kind: 'retry', attempts: event.attempts, deferrals: event.deferrals + 1, notBefore: now + delay, lastError: result.why };
    }
    case 'function-error': {
      const attempts = event.attempts + 1;
      if (attempts > settings.maximumRetryAttempts) return { kind: 'failed', condition: 'RetriesExhausted', attempts, lastError: result.lastError };
      const delay = tuning.retryDelaysMs[Math.min(attempts, tuning.retryDelaysMs.length) - 1] ?? 0;
      // A retry that would start past the event's maximum age is not attempted.
      if (now + delay > deadline) return { kind: 'failed', condition: 'EventAgeExceeded', attempts, lastError: result.lastError };
      return { kind: 'retry', attempts, deferrals: event.deferrals, notBefore: now + delay, lastError: result.lastError };
    }
  }
}
