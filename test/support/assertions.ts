import assert from 'node:assert/strict';

type AwsErr = Error & { $metadata?: { httpStatusCode?: number } };

/** Asserts that an SDK call fails with this AWS error name, and optionally this HTTP status and message. */
export const rejectsWith = (promise: Promise<unknown>, name: string, status?: number, message?: string | RegExp) =>
  assert.rejects(promise, (error: AwsErr) => {
    assert.equal(error.name, name, error.message);
    if (status !== undefined) assert.equal(error.$metadata?.httpStatusCode, status);
    if (typeof message === 'string') assert.equal(error.message, message);
    else if (message !== undefined) assert.match(error.message, message);
    return true;
  });
