import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  AliasRecord,
  EventInvokeConfigRecord,
  EventSourceMappingRecord,
  FunctionRecord,
  FunctionUrlRecord,
  EventRuleRecord,
  SchedulerScheduleRecord,
  ProvisionedConcurrencyRecord,
} from '../../src/core/index.js';
import { timedKey } from '../../src/core/index.js';
import type { FailedEventStore } from '../../src/queue/index.js';
import type { ControlStore } from '../../src/store/index.js';

export interface ControlStoreUnderTest {
  readonly store: ControlStore;
  close(): Promise<void>;
}

const fn = (name: string, revisionId = 'r1', codeSha256 = 'code-a') => ({ name, revisionId, codeSha256 }) as unknown as FunctionRecord;
const version = (name: string, v: string, codeSha256 = 'code-a') => ({ ...fn(name, `v${v}`, codeSha256), version: v }) as FunctionRecord;
const alias = (functionName: string, name: string) => ({ functionName, name, functionVersion: '1', revisionId: 'a1' }) as unknown as AliasRecord;
const config = (functionName: string, qualifier: string) => ({ functionName, qualifier }) as unknown as EventInvokeConfigRecord;
const mapping = (uuid: string, functionName: string) =>
  ({
    uuid,
    functionName,
    eventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:q',
    source: 'sqs',
    enabled: true,
    state: 'Enabled',
    stateTransitionReason: 'USER_INITIATED',
    batchSize: 10,
    maximumBatchingWindowInSeconds: 0,
    filterPatterns: [],
    functionResponseTypes: [],
    lastModified: 0,
  }) as EventSourceMappingRecord;
const provisioned = (functionName: string, qualifier: string) => ({ functionName, qualifier, requested: 1, lastModified: 0 }) as ProvisionedConcurrencyRecord;

/**
 * What every ControlStore adapter must do, whatever it stores in: a new adapter proves itself by running
 * this suite against a fresh, empty instance per test.
 */
export function controlStoreContract(adapter: string, open: () => Promise<ControlStoreUnderTest>): void {
  const withStore = (test: (store: ControlStore) => Promise<void>) => async () => {
    const opened = await open();
    try {
      await test(opened.store);
    } finally {
      await opened.close();
    }
  };

  describe(`ControlStore contract: ${adapter}`, () => {
    it(
      'inserts a function once, and lists functions by name after a marker',
      withStore(async (store) => {
        assert.equal(await store.insertFunction(fn('b')), true);
        assert.equal(await store.insertFunction(fn('b')), false);
        await store.insertFunction(fn('a'));
        await store.insertFunction(fn('c'));
        assert.equal((await store.getFunction('b'))?.name, 'b');
        assert.equal(await store.getFunction('nope'), undefined);
        assert.deepEqual(
          (await store.listFunctions(undefined, 2)).map((r) => r.name),
          ['a', 'b'],
        );
        assert.deepEqual(
          (await store.listFunctions('b', 10)).map((r) => r.name),
          ['c'],
        );
      }),
    );

    it(
      'replaces a function only at the revision it was read at',
      withStore(async (store) => {
        await store.insertFunction(fn('f'));
        assert.equal(await store.replaceFunction(fn('f', 'r2'), 'stale'), false);
        assert.equal((await store.getFunction('f'))?.revisionId, 'r1');
        assert.equal(await store.replaceFunction(fn('f', 'r2'), 'r1'), true);
        assert.equal((await store.getFunction('f'))?.revisionId, 'r2');
      }),
    );

    it(
      'publishes a version and moves $LATEST in one step, or not at all',
      withStore(async (store) => {
        await store.insertFunction(fn('f'));
        assert.equal(await store.publishVersion(version('f', '1'), fn('f', 'r1b'), 'stale'), false);
        assert.deepEqual(await store.listVersions(), []);
        assert.equal(await store.publishVersion(version('f', '1'), fn('f', 'r1b'), 'r1'), true);
        assert.deepEqual(
          (await store.listVersions()).map((v) => v.version),
          ['1'],
        );
        assert.equal((await store.getFunction('f'))?.revisionId, 'r1b');
        await store.deleteVersion('f', '1');
        assert.deepEqual(await store.listVersions(), []);
      }),
    );

    it(
      'counts the functions and versions that use a code package',
      withStore(async (store) => {
        await store.insertFunction(fn('f', 'r1', 'shared'));
        await store.insertFunction(fn('g', 'r1', 'other'));
        await store.publishVersion(version('g', '1', 'shared'), fn('g', 'r1b', 'other'), 'r1');
        assert.equal(await store.countCodeReferences('shared'), 2);
        assert.equal(await store.countCodeReferences('unused'), 0);
      }),
    );

    it(
      'keeps aliases, event invoke configs and provisioned configs per function, and deletes them one by one',
      withStore(async (store) => {
        await store.insertFunction(fn('f'));
        await store.putAlias(alias('f', 'live'));
        await store.putEventInvokeConfig(config('f', '$LATEST'));
        await store.putProvisioned(provisioned('f', 'live'));
        assert.deepEqual(
          (await store.listAliases()).map((a) => a.name),
          ['live'],
        );
        assert.deepEqual(
          (await store.listEventInvokeConfigs()).map((c) => c.qualifier),
          ['$LATEST'],
        );
        assert.deepEqual(
          (await store.listProvisioned()).map((p) => p.qualifier),
          ['live'],
        );
        await store.deleteAlias('f', 'live');
        assert.equal(await store.deleteEventInvokeConfig('f', '$LATEST'), true);
        assert.equal(await store.deleteEventInvokeConfig('f', '$LATEST'), false);
        await store.deleteProvisioned('f', 'live');
        assert.deepEqual([await store.listAliases(), await store.listEventInvokeConfigs(), await store.listProvisioned()], [[], [], []]);
      }),
    );

    it(
      'deletes everything of a function with it, and writes nothing for a function that is gone',
      withStore(async (store) => {
        await store.insertFunction(fn('f'));
        await store.insertFunction(fn('other'));
        await store.publishVersion(version('f', '1'), fn('f', 'r1b'), 'r1');
        await store.putAlias(alias('f', 'live'));
        await store.putAlias(alias('other', 'live'));
        await store.putEventInvokeConfig(config('f', '$LATEST'));
        await store.putProvisioned(provisioned('f', '1'));
        await store.putEventSourceMapping(mapping('m-f', 'f'));
        await store.putEventSourceMapping(mapping('m-other', 'other'));
        assert.equal((await store.deleteFunction('f'))?.name, 'f');
        assert.equal(await store.deleteFunction('f'), undefined);
        assert.deepEqual(await store.listVersions(), []);
        assert.deepEqual(
          (await store.listAliases()).map((a) => a.functionName),
          ['other'],
        );
        assert.deepEqual(await store.listEventInvokeConfigs(), []);
        assert.deepEqual(await store.listProvisioned(), []);
        await store.putAlias(alias('f', 'late'));
        await store.putProvisioned(provisioned('f', 'late'));
        await store.putEventInvokeConfig(config('f', 'late'));
        assert.deepEqual(
          (await store.listAliases()).map((a) => a.functionName),
          ['other'],
        );
        assert.deepEqual([await store.listProvisioned(), await store.listEventInvokeConfigs()], [[], []]);
        await store.putEventSourceMapping(mapping('m-late', 'f'));
        assert.deepEqual(
          (await store.listEventSourceMappings()).map((m) => m.uuid),
          ['m-other'],
        );
      }),
    );

    it(
      'keeps function URLs per function and qualifier, deletes them with their function, and writes none for a function that is gone',
      withStore(async (store) => {
        const url = (functionName: string, qualifier: string, urlId: string): FunctionUrlRecord => ({
          functionName,
          qualifier,
          urlId,
          authType: 'NONE',
          invokeMode: 'BUFFERED',
          creationTime: '2026-01-01T00:00:00.000000Z',
          lastModifiedTime: '2026-01-01T00:00:00.000000Z',
        });
        await store.insertFunction(fn('f'));
        await store.putFunctionUrl(url('f', '', 'a'.repeat(32)));
        await store.putFunctionUrl(url('f', 'live', 'b'.repeat(32)));
        await store.putFunctionUrl({ ...url('f', 'live', 'b'.repeat(32)), authType: 'AWS_IAM' });
        assert.deepEqual(
          (await store.listFunctionUrls()).map((u) => [u.qualifier, u.authType]),
          [
            ['', 'NONE'],
            ['live', 'AWS_IAM'],
          ],
        );
        assert.equal(await store.deleteFunctionUrl('f', 'live'), true);
        assert.equal(await store.deleteFunctionUrl('f', 'live'), false);
        await store.deleteFunction('f');
        assert.deepEqual(await store.listFunctionUrls(), []);
        await store.putFunctionUrl(url('f', '', 'c'.repeat(32)));
        assert.deepEqual(await store.listFunctionUrls(), []);
      }),
    );

    it(
      'keeps scheduled rules and schedules with their last fire time, advanced only from the value it had',
      withStore(async (store) => {
        const rule: EventRuleRecord = {
          kind: 'rule',
          name: 'nightly',
          scheduleExpression: 'rate(1 day)',
          state: 'ENABLED',
          targets: [],
          createdAt: 1,
          activeSince: 1,
        };
        const schedule: SchedulerScheduleRecord = {
          kind: 'schedule',
          name: 'once',
          groupName: 'default',
          scheduleExpression: 'at(2030-01-01T00:00:00)',
          timezone: 'UTC',
          state: 'ENABLED',
          flexibleWindow: { mode: 'OFF' },
          target: {
            arn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
            roleArn: 'arn:aws:iam::000000000000:role/r',
            retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
          },
          actionAfterCompletion: 'NONE',
          createdAt: 1,
          modifiedAt: 1,
          activeSince: 1,
        };
        await store.putTimed(rule);
        await store.putTimed(schedule);
        assert.equal(await store.advanceFire('rule/default/nightly', undefined, 100), true);
        assert.equal(await store.advanceFire('rule/default/nightly', undefined, 200), false, 'a second writer from the same start loses');
        assert.equal(await store.advanceFire('rule/default/nightly', 100, 200), true);
        // Rewriting the record (DisableRule, say) keeps when it last fired.
        await store.putTimed({ ...rule, state: 'DISABLED' });
        assert.deepEqual(
          (await store.listTimed()).map(({ record, lastFireMs }) => [timedKey(record), record.state, lastFireMs]),
          [
            ['rule/default/nightly', 'DISABLED', 200],
            ['schedule/default/once', 'ENABLED', undefined],
          ],
        );
        assert.equal(await store.deleteTimed('rule/default/nightly'), true);
        assert.equal(await store.deleteTimed('rule/default/nightly'), false);
        assert.equal(await store.advanceFire('rule/default/nightly', 200, 300), false, 'a deleted record does not fire');
        await store.putTimed(rule);
        assert.equal((await store.listTimed()).find((t) => t.record.kind === 'rule')?.lastFireMs, undefined, 'a new rule of the same name starts afresh');
      }),
    );

    it(
      'keeps event source mappings by UUID, replacing one on put',
      withStore(async (store) => {
        await store.insertFunction(fn('f'));
        await store.putEventSourceMapping(mapping('b', 'f'));
        await store.putEventSourceMapping(mapping('a', 'f'));
        await store.putEventSourceMapping({ ...mapping('a', 'f'), state: 'Disabled' });
        assert.deepEqual(
          (await store.listEventSourceMappings()).map((m) => [m.uuid, m.state]),
          [
            ['a', 'Disabled'],
            ['b', 'Enabled'],
          ],
        );
        await store.deleteEventSourceMapping('a');
        assert.deepEqual(
          (await store.listEventSourceMappings()).map((m) => m.uuid),
          ['b'],
        );
      }),
    );

    it(
      'leases a mapping to one owner at a time, until the lease expires or is released',
      withStore(async (store) => {
        await store.insertFunction(fn('f'));
        await store.putEventSourceMapping(mapping('m', 'f'));
        assert.equal(await store.claimMapping('m', 'a', 1000, 100), true);
        assert.equal(await store.claimMapping('m', 'b', 1050, 100), false, 'held by a');
        assert.equal(await store.claimMapping('m', 'a', 1050, 100), true, 'renewed by its owner');
        assert.equal(await store.claimMapping('m', 'b', 1149, 100), false, 'renewed until 1150');
        assert.equal(await store.claimMapping('m', 'b', 1150, 100), true, 'expired: taken over');
        await store.releaseMapping('m', 'a');
        assert.equal(await store.claimMapping('m', 'a', 1160, 100), false, "a's release does not free b's lease");
        await store.releaseMapping('m', 'b');
        assert.equal(await store.claimMapping('m', 'a', 1160, 100), true);
        assert.equal(await store.claimMapping('gone', 'a', 1160, 100), false, 'no lease on a mapping that does not exist');
      }),
    );

    it(
      "keeps a stream mapping's checkpoints per shard, deleted with the mapping and with its function",
      withStore(async (store) => {
        await store.insertFunction(fn('f'));
        await store.putEventSourceMapping(mapping('m', 'f'));
        await store.putEventSourceMapping(mapping('n', 'f'));
        await store.putCheckpoint('m', 'shard-0', '100');
        await store.putCheckpoint('m', 'shard-0', '200');
        await store.putCheckpoint('m', 'shard-1', 'SHARD_END');
        await store.putCheckpoint('n', 'shard-0', '7');
        // Rewriting the mapping (its state moving on) keeps its checkpoints.
        await store.putEventSourceMapping({ ...mapping('m', 'f'), state: 'Disabled' });
        assert.deepEqual([...(await store.listCheckpoints('m'))].sort(), [
          ['shard-0', '200'],
          ['shard-1', 'SHARD_END'],
        ]);
        await store.deleteEventSourceMapping('m');
        assert.equal((await store.listCheckpoints('m')).size, 0);
        await store.putCheckpoint('m', 'shard-0', '300');
        assert.equal((await store.listCheckpoints('m')).size, 0, 'no checkpoint for a mapping that is gone');
        await store.deleteFunction('f');
        assert.equal((await store.listCheckpoints('n')).size, 0);
      }),
    );
  });
}

export interface FailedEventStoreUnderTest {
  readonly store: FailedEventStore;
  close(): Promise<void>;
}

const failedEvent = (id: string, functionName: string, failedAt: number, condition = 'RetriesExhausted') => ({
  event: {
    id,
    functionName,
    qualifier: '$LATEST',
    payload: Buffer.from(`{"id":"${id}"}`),
    enqueuedAt: 1,
    attempts: 3,
    deferrals: 0,
    notBefore: 1,
    lastError: 'boom',
  },
  condition,
  failedAt,
});

/** What every FailedEventStore adapter must do (listing, redrive and the queue's idempotent hand-over rely on it). */
export function failedEventStoreContract(adapter: string, open: () => Promise<FailedEventStoreUnderTest>): void {
  const withStore = (test: (store: FailedEventStore) => Promise<void>) => async () => {
    const opened = await open();
    try {
      await test(opened.store);
    } finally {
      await opened.close();
    }
  };

  describe(`FailedEventStore contract: ${adapter}`, () => {
    it(
      'keeps failed events per function, oldest failure first, the payload byte for byte',
      withStore(async (store) => {
        await store.putFailed(failedEvent('y', 'f', 2001, 'EventAgeExceeded'));
        await store.putFailed(failedEvent('x', 'f', 2000));
        await store.putFailed(failedEvent('other', 'g', 1000));
        const listed = await store.listFailed('f', 10);
        assert.deepEqual(
          listed.map((f) => [f.event.id, f.condition, f.failedAt, f.event.lastError, f.event.attempts]),
          [
            ['x', 'RetriesExhausted', 2000, 'boom', 3],
            ['y', 'EventAgeExceeded', 2001, 'boom', 3],
          ],
        );
        assert.equal(listed[0]?.event.payload.toString(), '{"id":"x"}');
        assert.equal((await store.listFailed('f', 1)).length, 1);
      }),
    );

    it(
      'replaces an entry of the same request id (a hand-over to the queue that ran twice)',
      withStore(async (store) => {
        await store.putFailed(failedEvent('x', 'f', 2000));
        await store.putFailed(failedEvent('x', 'f', 3000, 'EventAgeExceeded'));
        assert.deepEqual(
          (await store.listFailed('f', 10)).map((f) => [f.event.id, f.condition]),
          [['x', 'EventAgeExceeded']],
        );
      }),
    );

    it(
      'gets the listed entries of a function, or all, and deletes them',
      withStore(async (store) => {
        await store.putFailed(failedEvent('x', 'f', 2000));
        await store.putFailed(failedEvent('y', 'f', 2001));
        await store.putFailed(failedEvent('z', 'g', 2002));
        assert.deepEqual(
          (await store.getFailed('f', ['y', 'z', 'missing'])).map((f) => f.event.id),
          ['y'],
        );
        assert.deepEqual(
          (await store.getFailed('f', 'all')).map((f) => f.event.id),
          ['x', 'y'],
        );
        await store.deleteFailed(['x', 'z']);
        assert.deepEqual(
          (await store.getFailed('f', 'all')).map((f) => f.event.id),
          ['y'],
        );
        assert.deepEqual(await store.listFailed('g', 10), []);
      }),
    );
  });
}
