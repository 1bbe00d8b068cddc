import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anyPattern, compilePattern, PatternError } from '../src/core/event-pattern.js';

const record = {
  body: { Temperature: 32, Location: 'New York', Device: 'sensor-17', Tags: ['hot', 'outdoor'], Ip: '10.0.3.7', Empty: '', Nothing: null },
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1545082649183' },
  eventSource: 'aws:sqs',
};

/** [pattern, matches?] — the rules Lambda documents for FilterCriteria (EventBridge pattern syntax). */
const CASES: Array<[unknown, boolean]> = [
  [{}, true],
  [{ body: { Location: ['New York'] } }, true],
  [{ body: { Location: ['Boston', 'New York'] } }, true],
  [{ body: { Location: ['Boston'] } }, false],
  [{ body: { Location: ['new york'] } }, false],
  [{ body: { Location: [{ 'equals-ignore-case': 'new york' }] } }, true],
  [{ body: { Temperature: [32] } }, true],
  [{ body: { Temperature: ['32'] } }, false],
  [{ body: { Temperature: [{ numeric: ['>', 30] }] } }, true],
  [{ body: { Temperature: [{ numeric: ['>', 30, '<=', 32] }] } }, true],
  [{ body: { Temperature: [{ numeric: ['<', 30] }] } }, false],
  [{ body: { Temperature: [{ numeric: ['=', 32] }] } }, true],
  [{ body: { Device: [{ prefix: 'sensor-' }] } }, true],
  [{ body: { Device: [{ prefix: { 'equals-ignore-case': 'SENSOR' } }] } }, true],
  [{ body: { Device: [{ suffix: '-17' }] } }, true],
  [{ body: { Device: [{ suffix: '-18' }] } }, false],
  [{ body: { Device: [{ wildcard: 'sen*-1*' }] } }, true],
  [{ body: { Device: [{ wildcard: 'sen*-2*' }] } }, false],
  [{ body: { Device: [{ 'anything-but': 'sensor-18' }] } }, true],
  [{ body: { Device: [{ 'anything-but': ['sensor-17', 'sensor-18'] }] } }, false],
  [{ body: { Device: [{ 'anything-but': { prefix: 'sensor' } }] } }, false],
  [{ body: { Device: [{ 'anything-but': { suffix: '-9' } }] } }, true],
  [{ body: { Location: [{ 'anything-but': { 'equals-ignore-case': ['NEW YORK'] } }] } }, false],
  [{ body: { Temperature: [{ 'anything-but': [31, 33] }] } }, true],
  [{ body: { Tags: ['outdoor'] } }, true],
  [{ body: { Tags: ['indoor'] } }, false],
  [{ body: { Missing: [{ exists: false }] } }, true],
  [{ body: { Missing: [{ exists: true }] } }, false],
  [{ body: { Device: [{ exists: true }] } }, true],
  [{ body: { Device: [{ exists: false }] } }, false],
  [{ body: { Empty: [''] } }, true],
  [{ body: { Nothing: [null] } }, true],
  [{ body: { Ip: [{ cidr: '10.0.0.0/16' }] } }, true],
  [{ body: { Ip: [{ cidr: '10.1.0.0/16' }] } }, false],
  [{ body: { Location: ['New York'], Temperature: [{ numeric: ['<', 0] }] } }, false],
  [{ body: { $or: [{ Location: ['Boston'] }, { Temperature: [{ numeric: ['>', 30] }] }] } }, true],
  [{ body: { $or: [{ Location: ['Boston'] }, { Temperature: [{ numeric: ['<', 0] }] }] } }, false],
  [{ attributes: { ApproximateReceiveCount: ['1'] }, eventSource: ['aws:sqs'] }, true],
  [{ body: { Location: { Nested: ['x'] } } }, false],
];

describe('filter patterns (FilterCriteria)', () => {
  for (const [pattern, expected] of CASES) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'}`, () => {
      assert.equal(compilePattern(JSON.stringify(pattern))(record), expected);
    });
  }

  it('lets a record through when any filter matches, or when there are none', () => {
    assert.equal(anyPattern([])(record), true);
    assert.equal(anyPattern(['{"body":{"Location":["Boston"]}}', '{"body":{"Location":["New York"]}}'])(record), true);
    assert.equal(anyPattern(['{"body":{"Location":["Boston"]}}'])(record), false);
  });

  it('refuses patterns that are not patterns', () => {
    for (const bad of [
      'not json',
      '[]',
      '"x"',
      '{"a":"b"}',
      '{"a":[]}',
      '{"a":[{"nope":1}]}',
      '{"a":[{"prefix":1}]}',
      '{"a":[{"numeric":[">"]}]}',
      '{"$or":[{"a":["b"]}]}',
    ]) {
      assert.throws(() => compilePattern(bad), PatternError, bad);
    }
  });
});
