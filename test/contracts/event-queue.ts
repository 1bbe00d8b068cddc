import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventQueue, Lease, QueuedEvent } from '../../src/queue/index.js';

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
const ids = (leases: readonly Lease[]) => leases.map((l) => l.event.id);
const byId = (leases: readonly Lease[], id: string) => leases.find((l) => l.event.id === id)!;

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
      'gives out due events oldest first, each to one consumer until its lease lapses',
      withQueue(async (queue) => {
        await queue.enqueue([event('b', 'f', 1001), event('a', 'f', 1000), event('later', 'f', 5000)]);
        assert.deepEqual(ids(await queue.pull(2000, 10, LEASE, anyRoom)), ['a', 'b']);
        assert.deepEqual(ids(await queue.pull(2000, 10, LEASE, anyRoom)), []);
        assert.equal(await queue.nextDueAfter(2000), 5000);
        assert.deepEqual(ids(await queue.pull(2000 + LEASE, 10, LEASE, anyRoom)), ['a', 'b', 'later']);
        assert.equal(await queue.depth('f'), 3);
      }),
    );

    it(
      'pulls at most the room each function has, and at most the maximum in all',
      withQueue(async (queue) => {
        await queue.enqueue([event('f1', 'f', 1), event('f2', 'f', 2), event('g1', 'g', 3), event('g2', 'g', 4)]);
        const pulled = await queue.pull(10, 10, LEASE, (name) => (name === 'f' ? 1 : 0));
        assert.deepEqual(ids(pulled), ['f1']);
        assert.equal((await queue.pull(10, 1, LEASE, anyRoom)).length, 1);
      }),
    );

    it(
      'acks (removing, or forwarding a record in the same step) and naks (rescheduling with the counts given)',
      withQueue(async (queue) => {
        await queue.enqueue([event('done'), event('retry'), event('fwd')]);
        const leases = await queue.pull(1000, 10, LEASE, anyRoom);
        await queue.ack(byId(leases, 'done'));
        await queue.nak(byId(leases, 'retry'), { attempts: 1, deferrals: 0, notBefore: 70_000, lastError: 'boom' });
        await queue.ack(byId(leases, 'fwd'), event('record', 'destination', 1000));
        assert.equal(await queue.depth('f'), 1);
        const [record] = await queue.pull(2000, 10, LEASE, anyRoom);
        assert.equal(record?.event.id, 'record');
        await queue.ack(record!);
        assert.equal(await queue.nextDueAfter(2000), 70_000);
        const [retried] = await queue.pull(70_000, 10, LEASE, anyRoom);
        assert.deepEqual(
          { id: retried?.event.id, attempts: retried?.event.attempts, lastError: retried?.event.lastError },
          { id: 'retry', attempts: 1, lastError: 'boom' },
        );
      }),
    );

    it(
      'counts a delivery durably when an attempt begins under a lease (once per lease), and a nak resets it',
      withQueue(async (queue) => {
        await queue.enqueue([event('e')]);
        const [first] = await queue.pull(1000, 10, LEASE, anyRoom);
        await queue.extend(first!, LEASE, 1000);
        await queue.extend(first!, LEASE, 1500);
        assert.deepEqual(ids(await queue.pull(1000 + LEASE, 10, LEASE, anyRoom)), [], 'extended: still held');
        const [again] = await queue.pull(1500 + LEASE, 10, LEASE, anyRoom);
        assert.equal(again?.event.deliveries, 1);
        await queue.nak(again!, { attempts: 1, deferrals: 0, notBefore: 0 });
        const [reset] = await queue.pull(3000 + LEASE, 10, LEASE, anyRoom);
        assert.equal(reset?.event.deliveries ?? 0, 0);
      }),
    );

    it(
      'gives back released events at once, unattempted',
      withQueue(async (queue) => {
        await queue.enqueue([event('e')]);
        const leases = await queue.pull(1000, 10, LEASE, anyRoom);
        await queue.release(leases);
        const [back] = await queue.pull(1000, 10, LEASE, anyRoom);
        assert.deepEqual({ id: back?.event.id, deliveries: back?.event.deliveries ?? 0 }, { id: 'e', deliveries: 0 });
      }),
    );

    it(
      'enqueues an event id once while it is queued',
      withQueue(async (queue) => {
        await queue.enqueue([event('e')]);
        await queue.enqueue([event('e', 'f', 1000, { attempts: 2 })]);
        assert.equal(await queue.depth('f'), 1);
        const [only] = await queue.pull(1000, 10, LEASE, anyRoom);
        assert.equal(only?.event.attempts, 0);
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
