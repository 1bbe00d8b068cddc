import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { createAdapters } from '../src/adapters.js';
import { loadConfig } from '../src/core/index.js';
import { createLogger } from '../src/core/logger.js';
import { failedEvents } from './support/async.js';
import { nextEvent } from './support/lifecycle.js';
import { ROLE, startPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const silent = createLogger({ format: 'text', level: 'silent' });

describe('failed events, kept in the store apart from the queue', () => {
  it('moves them from the queue file to the store on start, once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-failed-migration-'));
    try {
      // The queue file as earlier versions wrote it: failed events in a table of their own.
      const old = new Database(join(dataDir, 'queue.db'));
      old.exec(`CREATE TABLE failed_events (id TEXT PRIMARY KEY, function_name TEXT NOT NULL, qualifier TEXT NOT NULL, payload BLOB NOT NULL,
        enqueued_at INTEGER NOT NULL, attempts INTEGER NOT NULL, deferrals INTEGER NOT NULL, condition TEXT NOT NULL, last_error TEXT, failed_at INTEGER NOT NULL)`);
      old
        .prepare('INSERT INTO failed_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run('req-1', 'f', '$LATEST', Buffer.from('{"n":1}'), 100, 3, 1, 'RetriesExhausted', 'boom', 200);
      old.close();

      const config = loadConfig({}, { dataDir });
      for (let start = 0; start < 2; start++) {
        const adapters = await createAdapters(config, silent);
        try {
          const [entry, ...rest] = await adapters.failed.listFailed('f', 10);
          assert.deepEqual(rest, [], `start ${start}: one entry`);
          assert.deepEqual(
            {
              id: entry?.event.id,
              payload: entry?.event.payload.toString(),
              condition: entry?.condition,
              attempts: entry?.event.attempts,
              failedAt: entry?.failedAt,
            },
            { id: 'req-1', payload: '{"n":1}', condition: 'RetriesExhausted', attempts: 3, failedAt: 200 },
          );
        } finally {
          await adapters.close();
        }
      }
      const queue = new Database(join(dataDir, 'queue.db'), { readonly: true });
      assert.equal(queue.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'failed_events'").pluck().get(), 0);
      queue.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('drops a stale entry when an event failed, was stored, and ran again before its ack (a crash in between)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-failed-handover-'));
    try {
      const first = await startPlatform({ dataDir });
      await first.client.send(
        new CreateFunctionCommand({
          FunctionName: 'f',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await nodeZip('exports.handler = async () => "fine now";') },
        }),
      );
      await first.stop();

      // What a crash between the failed-event write and the queue's ack leaves: the entry, and the event
      // still queued with its attempt begun.
      const adapters = await createAdapters(loadConfig({}, { dataDir }), silent);
      const now = Date.now();
      const event = {
        id: 'req-2',
        functionName: 'f',
        qualifier: '$LATEST',
        payload: Buffer.from('{}'),
        enqueuedAt: now,
        attempts: 0,
        deferrals: 0,
        notBefore: now,
      };
      await adapters.queue.enqueue([event]);
      const [lease] = await adapters.queue.pull(now, 1, 60_000, () => 1);
      await adapters.queue.extend(lease!, 60_000, now);
      await adapters.failed.putFailed({ event, condition: 'RetriesExhausted', failedAt: now });
      await adapters.close();

      const settled = nextEvent('selfless:queue:settle', (e) => e.requestId === 'req-2');
      const second = await startPlatform({ dataDir });
      try {
        assert.equal((await settled).outcome, 'done');
        assert.deepEqual(await failedEvents(second.platform, 'f'), []);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
