import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualScheduler } from '../src/core/index.js';

describe('the manual scheduler', () => {
  it('runs timers as time is advanced, in due order, each at its own time', () => {
    const time = new ManualScheduler(1000);
    const ran: string[] = [];
    time.setTimeout(() => ran.push(`b@${time.now()}`), 200);
    time.setTimeout(() => ran.push(`a@${time.now()}`), 100);
    const cancelled = time.setTimeout(() => ran.push('never'), 150);
    cancelled.cancel();
    time.advance(99);
    assert.deepEqual(ran, []);
    time.advance(1);
    assert.deepEqual(ran, ['a@1100']);
    time.advance(500);
    assert.deepEqual(ran, ['a@1100', 'b@1200']);
    assert.equal(time.now(), 1600);
    assert.equal(time.pending, 0);
  });

  it('repeats intervals until cancelled, and runs timers that timers set when they fall due in time', () => {
    const time = new ManualScheduler(0);
    const ticks: number[] = [];
    const tick = time.setInterval(() => ticks.push(time.now()), 10);
    time.setTimeout(() => time.setTimeout(() => ticks.push(-time.now()), 5), 12);
    time.advance(35);
    assert.deepEqual(ticks, [10, -17, 20, 30]);
    tick.cancel();
    time.advance(100);
    assert.deepEqual(ticks, [10, -17, 20, 30]);
  });
});
