import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canMove, STARTING, type EnvironmentState } from '../src/runtime/environment/state.js';

describe("an environment's states", () => {
  it('follow the lifecycle, and every state but stopped can stop', () => {
    const path: EnvironmentState[] = ['booting', 'pooled', 'initialising', 'idle', 'busy', 'idle', 'busy', 'retiring', 'stopped'];
    for (let i = 1; i < path.length; i += 1) assert.ok(canMove(path[i - 1]!, path[i]!), `${path[i - 1]} → ${path[i]}`);
    for (const state of ['booting', 'pooled', 'initialising', 'idle', 'busy', 'retiring'] as const) assert.ok(canMove(state, 'stopped'), state);
  });

  it('refuse what a hostile or confused runtime would ask for', () => {
    // A pooled runtime asking for /next has no function to run; a stopped one never comes back.
    assert.equal(canMove('pooled', 'idle'), false);
    assert.equal(canMove('booting', 'idle'), false);
    assert.equal(canMove('retiring', 'idle'), false);
    assert.equal(canMove('idle', 'initialising'), false);
    for (const state of ['booting', 'pooled', 'initialising', 'idle', 'busy', 'retiring', 'stopped'] as const) assert.equal(canMove('stopped', state), false);
    assert.deepEqual([...STARTING], ['booting', 'initialising']);
  });
});
