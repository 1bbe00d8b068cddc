import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventQueue } from '../src/queue/index.js';
import { eventQueueContract } from './contracts/event-queue.js';

eventQueueContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'selfless-contract-'));
  const queue = new SqliteEventQueue(join(dir, 'queue.db'));
  return {
    queue,
    close: async () => {
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
