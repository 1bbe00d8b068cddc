import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { functionErrorPayload, InitFailure, PLATFORM_ERROR_TYPES } from '../src/runtime/function-errors.js';

describe('the error types the platform reports for functions', () => {
  it('are all in the README, where users look them up', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    for (const type of Object.keys(PLATFORM_ERROR_TYPES)) assert.ok(readme.includes(`\`${type}\``), `${type} is not in the README`);
  });

  it("build Lambda's error payload, errorType first", () => {
    assert.equal(
      functionErrorPayload('Sandbox.Timedout', 'Task timed out after 1.00 seconds').toString(),
      '{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 1.00 seconds"}',
    );
    const failure = InitFailure.of('Runtime.ExitError', 'Runtime exited without providing a reason');
    assert.equal(failure.errorType, 'Runtime.ExitError');
    assert.deepEqual(JSON.parse(failure.payload.toString()), { errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited without providing a reason' });
  });
});
