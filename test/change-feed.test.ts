import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangeFeed, type Change } from '../src/control/index.js';

describe('the change feed', () => {
  it('gives every change to every listener in order, even when one throws, and reports that one', () => {
    const reported: string[] = [];
    const feed = new ChangeFeed((what) => reported.push(what));
    const seen: string[] = [];
    feed.subscribe(() => {
      throw new Error('a broken cache');
    });
    const unsubscribe = feed.subscribe((change) => seen.push(`${change.type} ${change.functionName}`));
    const deleted: Change = { type: 'FunctionDeleted', functionName: 'f' };
    feed.publish({ type: 'FunctionCreated', functionName: 'f' });
    feed.publish(deleted);
    unsubscribe();
    feed.publish({ type: 'FunctionCreated', functionName: 'g' });
    assert.deepEqual(seen, ['FunctionCreated f', 'FunctionDeleted f']);
    assert.deepEqual(reported, ['following a FunctionCreated change', 'following a FunctionDeleted change', 'following a FunctionCreated change']);
  });
});
