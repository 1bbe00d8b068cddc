import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterAttempt, beforeAttempt, type RetryTuning } from '../src/invoke/retry-policy.js';
import type { QueuedEvent } from '../src/queue/index.js';

const MINUTE = 60_000;
const tuning: RetryTuning = { retryDelaysMs: [1 * MINUTE, 2 * MINUTE], deferralBaseMs: 1000, deferralMaxMs: 8000 };
const settings = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 6 * 60 * 60 };
const event = (overrides: Partial<QueuedEvent> = {}): QueuedEvent => ({
  id: 'e',
  functionName: 'f',
  qualifier: '$LATEST',
  payload: Buffer.from('{}'),
  enqueuedAt: 0,
  attempts: 0,
  deferrals: 0,
  notBefore: 0,
  ...overrides,
});
const error = { kind: 'function-error', lastError: 'boom' } as const;

describe('async retry policy', () => {
  it("retries a function error after Lambda's delays, then fails with RetriesExhausted", () => {
    assert.deepEqual(afterAttempt(event(), error, settings, tuning, 10), {
      kind: 'retry',
      attempts: 1,
      deferrals: 0,
      notBefore: 10 + MINUTE,
      lastError: 'boom',
    });
    assert.deepEqual(afterAttempt(event({ attempts: 1 }), error, settings, tuning, 10), {
      kind: 'retry',
      attempts: 2,
      deferrals: 0,
      notBefore: 10 + 2 * MINUTE,
      lastError: 'boom',
    });
    assert.deepEqual(afterAttempt(event({ attempts: 2 }), error, settings, tuning, 10), {
      kind: 'failed',
      condition: 'RetriesExhausted',
      attempts: 3,
      lastError: 'boom',
    });
  });

  it('does not retry at all with MaximumRetryAttempts 0, and keeps using the last delay past the list', () => {
    assert.equal(afterAttempt(event(), error, { ...settings, maximumRetryAttempts: 0 }, tuning, 0).kind, 'failed');
    const many = { ...settings, maximumRetryAttempts: 5 };
    assert.deepEqual(afterAttempt(event({ attempts: 4 }), error, many, tuning, 0), {
      kind: 'retry',
      attempts: 5,
      deferrals: 0,
      notBefore: 2 * MINUTE,
      lastError: 'boom',
    });
  });

  it('does not start a retry past the maximum event age', () => {
    const young = { ...settings, maximumEventAgeInSeconds: 90 };
    assert.equal(afterAttempt(event(), error, young, tuning, 0).kind, 'retry'); // due at 60 s, within 90 s
    assert.deepEqual(afterAttempt(event(), error, young, tuning, 31_000), { kind: 'failed', condition: 'EventAgeExceeded', attempts: 1, lastError: 'boom' });
  });

  it('backs off exponentially, capped, for attempts that never ran, without spending a retry', () => {
    const notRun = { kind: 'not-run', why: 'Rate Exceeded.' } as const;
    assert.deepEqual(afterAttempt(event(), notRun, settings, tuning, 0), {
      kind: 'retry',
      attempts: 0,
      deferrals: 1,
      notBefore: 1000,
      lastError: 'Rate Exceeded.',
    });
    assert.equal((afterAttempt(event({ deferrals: 2 }), notRun, settings, tuning, 0) as { notBefore: number }).notBefore, 4000);
    assert.equal((afterAttempt(event({ deferrals: 10 }), notRun, settings, tuning, 0) as { notBefore: number }).notBefore, 8000);
    assert.deepEqual(afterAttempt(event(), notRun, { ...settings, maximumEventAgeInSeconds: 60 }, tuning, 59_500), {
      kind: 'failed',
      condition: 'EventAgeExceeded',
      attempts: 0,
      lastError: 'Rate Exceeded.',
    });
  });

  it('fails a refused invocation at once, and counts a success as an attempt', () => {
    assert.deepEqual(afterAttempt(event({ attempts: 1 }), { kind: 'rejected', why: 'bad' }, settings, tuning, 0), {
      kind: 'failed',
      condition: 'RequestRejected',
      attempts: 1,
      lastError: 'bad',
    });
    assert.deepEqual(afterAttempt(event({ attempts: 1 }), { kind: 'success' }, settings, tuning, 0), { kind: 'succeeded', attempts: 2 });
  });

  it('sends events of a function with reserved concurrency 0, and events past their age, to failure before they run', () => {
    assert.deepEqual(beforeAttempt(event(), settings, 0, 0), { kind: 'failed', condition: 'ZeroReservedConcurrency', attempts: 0 });
    assert.deepEqual(beforeAttempt(event({ attempts: 1 }), { ...settings, maximumEventAgeInSeconds: 60 }, undefined, 60_000), {
      kind: 'failed',
      condition: 'EventAgeExceeded',
      attempts: 1,
    });
    assert.equal(beforeAttempt(event(), settings, undefined, 0), undefined);
    assert.equal(beforeAttempt(event(), settings, 5, 0), undefined);
  });
});
