import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventQueue, QueuedEvent } from '../../src/queue/index.js';

export interface EventQueueUnderTest {
  readonly queue: EventQueue;
  close(): Promise<void>;
}

const event = (id: string, functionName = 'f', notBefore = 1000, overrides: Partial<QueuedEvent> = {}): QueuedEvent => ({
  id,
  functionName,
  qualifier: '$LATEST',
  payload: Buffer.from(`{"id":"${id}"}`),
  enqueuedAt: notBefore,
  attempts: 0,
  deferrals: 0,
  notBefore,
  ...overrides,
});
const LEASE = 60_000;
const anyRoom = () => 100;
const ids = (events: readonly QueuedEvent[]) => events.map((e) => e.id);

/**
 * What every EventQueue adapter must do (the async invoker relies on each point): a new adapter proves
 * itself by running this suite against a fresh, empty instance per test.
 */
export function eventQueueContract(adapter: string, open: () => Promise<EventQueueUnderTest>): void {
  const withQueue = (test: (queue: EventQueue) => Promise<void>) => async () => {
    const opened = await open();
    try {
      await test(opened.queue);
    } finally {
      await opened.close();
    }
  };

  describe(`EventQueue contract: ${adapter}`, () => {
    it(
      'gives out due events oldest first, each to one claimant until its lease lapses',
      withQueue(async (queue) => {
        await queue.enqueue([event('b', 'f', 1001), event('a', 'f', 1000), event('later', 'f', 5000)]);
        assert.deepEqual(ids(await queue.claim(2000, 10, LEASE, anyRoom)), ['a', 'b']);
        assert.deepEqual(ids(await queue.claim(2000, 10, LEASE, anyRoom)), []);
        assert.equal(await queue.nextDueAfter(2000), 5000);
        assert.deepEqual(ids(await queue.claim(2000 + LEASE, 10, LEASE, anyRoom)), ['a', 'b', 'later']);
        assert.equal(await queue.depth('f'), 3);
      }),
    );

    it(
      'claims at most the room each function has, and at most the limit in all',
      withQueue(async (queue) => {
        await queue.enqueue([event('f1', 'f', 1), event('f2', 'f', 2), event('g1', 'g', 3), event('g2', 'g', 4)]);
        const claimed = await queue.claim(10, 10, LEASE, (name) => (name === 'f' ? 1 : 0));
        assert.deepEqual(ids(claimed), ['f1']);
        assert.equal((await queue.claim(10, 1, LEASE, anyRoom)).length, 1);
      }),
    );

    it(
      'settles an attempt: done removes, retry reschedules with its counts, forward queues the record',
      withQueue(async (queue) => {
        await queue.enqueue([event('done'), event('retry'), event('fwd')]);
        await queue.claim(1000, 10, LEASE, anyRoom);
        await queue.settle('done', { kind: 'done' }, 1000);
        await queue.settle('retry', { kind: 'retry', attempts: 1, deferrals: 0, notBefore: 70_000, lastError: 'boom' }, 1000);
        await queue.settle('fwd', { kind: 'forward', event: event('record', 'destination', 1000) }, 1000);
        assert.equal(await queue.depth('f'), 1);
        assert.deepEqual(ids(await queue.claim(2000, 10, LEASE, anyRoom)), ['record']);
        await queue.settle('record', { kind: 'done' }, 2000);
        const [retried] = await queue.claim(70_000, 10, LEASE, anyRoom);
        assert.deepEqual({ id: retried?.id, attempts: retried?.attempts, lastError: retried?.lastError }, { id: 'retry', attempts: 1, lastError: 'boom' });
      }),
    );

    it(
      'counts deliveries durably as attempts start, and an outcome resets them',
      withQueue(async (queue) => {
        await queue.enqueue([event('e')]);
        await queue.claim(1000, 10, LEASE, anyRoom);
        await queue.started('e');
        const [again] = await queue.claim(1000 + LEASE, 10, LEASE, anyRoom);
        assert.equal(again?.deliveries, 1);
        await queue.settle('e', { kind: 'retry', attempts: 1, deferrals: 0, notBefore: 0 }, 2000 + LEASE);
        const [reset] = await queue.claim(3000 + LEASE, 10, LEASE, anyRoom);
        assert.equal(reset?.deliveries ?? 0, 0);
      }),
    );

    it(
      'gives back released events at once, unattempted',
      withQueue(async (queue) => {
        await queue.enqueue([event('e')]);
        await queue.claim(1000, 10, LEASE, anyRoom);
        await queue.release(['e']);
        assert.deepEqual(ids(await queue.claim(1000, 10, LEASE, anyRoom)), ['e']);
      }),
    );

    it(
      'keeps failed events for listing and redrives them with fresh counts',
      withQueue(async (queue) => {
        await queue.enqueue([event('x'), event('y')]);
        await queue.claim(1000, 10, LEASE, anyRoom);
        await queue.settle('x', { kind: 'failed', condition: 'RetriesExhausted', attempts: 3, lastError: 'boom' }, 2000);
        await queue.settle('y', { kind: 'failed', condition: 'EventAgeExceeded', attempts: 1 }, 2001);
        const failed = await queue.listFailed('f', 10);
        assert.deepEqual(
          failed.map((f) => [f.event.id, f.condition]),
          [
            ['x', 'RetriesExhausted'],
            ['y', 'EventAgeExceeded'],
          ],
        );
        assert.deepEqual(await queue.redrive('f', ['x'], 5000), ['x']);
        assert.deepEqual(
          (await queue.listFailed('f', 10)).map((f) => f.event.id),
          ['y'],
        );
        const [redriven] = await queue.claim(5000, 10, LEASE, anyRoom);
        assert.deepEqual({ id: redriven?.id, attempts: redriven?.attempts }, { id: 'x', attempts: 0 });
        assert.deepEqual(await queue.redrive('f', 'all', 6000), ['y']);
      }),
    );

    it(
      'purges what is queued for a function, and only for it',
      withQueue(async (queue) => {
        await queue.enqueue([event('f1', 'f'), event('g1', 'g')]);
        assert.equal(await queue.purge('f'), 1);
        assert.equal(await queue.depth('f'), 0);
        assert.equal(await queue.depth('g'), 1);
      }),
    );
  });
}
