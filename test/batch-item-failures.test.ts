import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchItemFailures } from '../src/sources/index.js';

const ids = new Set(['m1', 'm2']);
const read = (payload: string) => {
  const failed = batchItemFailures(Buffer.from(payload), ids);
  return failed === undefined ? 'invalid' : [...failed].sort();
};

describe('ReportBatchItemFailures responses, read as Lambda reads them', () => {
  it('takes an empty, null or empty-list answer as complete success', () => {
    for (const payload of ['', 'null', '{}', '{"batchItemFailures":[]}', '{"batchItemFailures":null}']) assert.deepEqual(read(payload), [], payload);
  });

  it('names the failed items', () => {
    assert.deepEqual(read('{"batchItemFailures":[{"itemIdentifier":"m2"}]}'), ['m2']);
    assert.deepEqual(read('{"batchItemFailures":[{"itemIdentifier":"m1"},{"itemIdentifier":"m2"}]}'), ['m1', 'm2']);
  });

  it('fails the whole batch on a malformed answer', () => {
    for (const payload of [
      'not json',
      '"a string"',
      '[1]',
      '{"batchItemFailures":{}}',
      '{"batchItemFailures":[{"itemIdentifier":""}]}',
      '{"batchItemFailures":[{"itemIdentifier":null}]}',
      '{"batchItemFailures":[{"id":"m1"}]}',
      '{"batchItemFailures":[{"itemIdentifier":"unknown"}]}',
    ]) {
      assert.equal(read(payload), 'invalid', payload);
    }
  });
});
