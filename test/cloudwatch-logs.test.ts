import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  CloudWatchLogsClient,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ManualScheduler } from '../src/core/scheduler.js';
import { LogStore } from '../src/metering/index.js';
import { SqliteStore } from '../src/store/index.js';
import { AWS_CLI, awsCliEnv } from './support/aws-cli.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const run = promisify(execFile);

/** Every invocation logs a plain line with its word (console.log's prefixed form), and a bare JSON line with its level. */
const HANDLER = `exports.handler = async (e) => {
  console.log('plain line: ' + e.word + ' happened');
  process.stdout.write(JSON.stringify({ level: e.level, word: e.word }) + '\\n');
  return 'ok';
};`;

const rejectsWith = (promise: Promise<unknown>, name: string, message: RegExp) =>
  assert.rejects(promise, (error: Error) => {
    assert.equal(error.name, name);
    assert.match(error.message, message);
    return true;
  });

describe('CloudWatch Logs API over the functions logs', () => {
  let t: TestPlatform;
  let logs: CloudWatchLogsClient;
  const invoke = (name: string, event: object) => t.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }));
  const awsLogs = async (...args: string[]) => {
    return (await run(AWS_CLI, ['--endpoint-url', t.platform.url, 'logs', ...args], { env: awsCliEnv(t.platform) })).stdout;
  };

  before(async () => {
    t = await startPlatform();
    logs = new CloudWatchLogsClient({ endpoint: t.platform.url, region: t.platform.config.region, credentials: t.platform.rootKey, maxAttempts: 1 });
    const code = { ZipFile: await nodeZip(HANDLER) };
    await t.client.send(new CreateFunctionCommand({ FunctionName: 'talker', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: code }));
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'custom-group',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: code,
        LoggingConfig: { LogFormat: 'Text', LogGroup: '/shared/app' },
      }),
    );
    await invoke('talker', { word: 'alpha', level: 'INFO' });
    await invoke('talker', { word: 'beta', level: 'ERROR' });
    await invoke('talker', { word: 'gamma', level: 'INFO' });
    await invoke('custom-group', { word: 'delta', level: 'WARN' });
  });
  after(async () => {
    logs.destroy();
    await t.stop();
  });

  it('lists a group per LoggingConfig.LogGroup, with its ARN, size and creation time, by prefix and in pages', async () => {
    const all = await logs.send(new DescribeLogGroupsCommand({}));
    const names = all.logGroups!.map((g) => g.logGroupName);
    assert.deepEqual(names, ['/aws/lambda/talker', '/shared/app']);
    const talker = all.logGroups![0]!;
    assert.equal(talker.logGroupArn, `arn:aws:logs:${t.platform.config.region}:000000000000:log-group:/aws/lambda/talker`);
    assert.equal(talker.arn, `${talker.logGroupArn}:*`);
    assert.ok(talker.storedBytes! > 0 && talker.creationTime! > Date.now() - 600_000, JSON.stringify(talker));
    assert.equal(talker.retentionInDays, undefined);
    const prefixed = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/shared/' }));
    assert.deepEqual(
      prefixed.logGroups!.map((g) => g.logGroupName),
      ['/shared/app'],
    );
    const first = await logs.send(new DescribeLogGroupsCommand({ limit: 1 }));
    assert.equal(first.logGroups!.length, 1);
    const second = await logs.send(new DescribeLogGroupsCommand({ limit: 1, nextToken: first.nextToken }));
    assert.deepEqual(
      second.logGroups!.map((g) => g.logGroupName),
      ['/shared/app'],
    );
    assert.equal(second.nextToken, undefined);
  });

  it('lists a stream per environment, named as Lambda names them', async () => {
    const { logStreams } = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/talker', orderBy: 'LastEventTime', descending: true }));
    assert.equal(logStreams!.length, 1, 'one warm environment served all three invocations');
    const stream = logStreams![0]!;
    assert.match(stream.logStreamName!, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.ok(stream.firstEventTimestamp! <= stream.lastEventTimestamp!);
    assert.equal(stream.arn, `arn:aws:logs:${t.platform.config.region}:000000000000:log-group:/aws/lambda/talker:log-stream:${stream.logStreamName}`);
    await rejectsWith(
      logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/nobody' })),
      'ResourceNotFoundException',
      /^The specified log group does not exist\.$/,
    );
  });

  it("reads a stream's events in order from the head, and its forward token comes back unchanged at the end", async () => {
    const { logStreams } = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/talker' }));
    const logStreamName = logStreams![0]!.logStreamName!;
    const page = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/talker', logStreamName, startFromHead: true }));
    const messages = page.events!.map((e) => e.message!);
    assert.match(messages[0]!, /^START RequestId: \S+ Version: \$LATEST$/);
    const words = messages.filter((m) => m.includes('plain line')).map((m) => /plain line: (\w+)/.exec(m)![1]);
    assert.deepEqual(words, ['alpha', 'beta', 'gamma']);
    assert.equal(messages.filter((m) => m.startsWith('REPORT RequestId:')).length, 3);
    const again = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/talker', logStreamName, nextToken: page.nextForwardToken }));
    assert.deepEqual(again.events, []);
    assert.equal(again.nextForwardToken, page.nextForwardToken);
    // The default (no token, not from the head) is the stream's last page: with limit 1, its last line.
    const last = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/talker', logStreamName, limit: 1 }));
    assert.match(last.events![0]!.message!, /^REPORT RequestId:/);
    await rejectsWith(
      logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/talker', logStreamName: 'no/such/stream' })),
      'ResourceNotFoundException',
      /^The specified log stream does not exist\.$/,
    );
  });

  it('filters events by terms and by JSON patterns, across streams, in pages', async () => {
    const group = '/aws/lambda/talker';
    const byTerm = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: 'beta' }));
    assert.deepEqual(
      byTerm.events!.map((e) => e.message!.trimEnd().split('\t').at(-1)),
      ['plain line: beta happened', '{"level":"ERROR","word":"beta"}'],
    );
    assert.ok(byTerm.events!.every((e) => e.logStreamName !== undefined && e.eventId !== undefined && e.timestamp !== undefined));
    const byJson = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '{ $.level = "ERROR" }' }));
    assert.equal(byJson.events!.length, 1);
    assert.match(byJson.events![0]!.message!, /"word":"beta"/);
    const firstPage = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"plain line"', limit: 2 }));
    assert.equal(firstPage.events!.length, 2);
    assert.ok(firstPage.nextToken !== undefined);
    const rest = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"plain line"', limit: 2, nextToken: firstPage.nextToken }));
    assert.deepEqual(
      [...firstPage.events!, ...rest.events!].map((e) => /plain line: (\w+)/.exec(e.message!)![1]),
      ['alpha', 'beta', 'gamma'],
    );
    const none = await logs.send(new FilterLogEventsCommand({ logGroupName: group, logStreamNamePrefix: 'no-such-prefix' }));
    assert.deepEqual(none.events, []);
    await rejectsWith(
      logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '{ $.level = ' })),
      'InvalidParameterException',
      /filter pattern/i,
    );
  });

  it('serves `aws logs tail` and `aws logs filter-log-events` unchanged', async () => {
    const tail = await awsLogs('tail', '/shared/app', '--since', '1h');
    assert.match(tail, /\[\$LATEST\][0-9a-f]{32} .*plain line: delta happened/);
    const filtered = JSON.parse(await awsLogs('filter-log-events', '--log-group-name', '/aws/lambda/talker', '--filter-pattern', 'gamma', '--output', 'json'));
    assert.equal(filtered.events.length, 2, JSON.stringify(filtered.events));
  });

  it('sets and removes a retention policy, refusing a number of days CloudWatch does not offer', async () => {
    await rejectsWith(
      logs.send(new PutRetentionPolicyCommand({ logGroupName: '/shared/app', retentionInDays: 2 })),
      'InvalidParameterException',
      /Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: \[1, 3, 5, 7/,
    );
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/shared/app', retentionInDays: 7 }));
    const set = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/shared/app' }));
    assert.equal(set.logGroups![0]!.retentionInDays, 7);
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: '/shared/app' }));
    const removed = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/shared/app' }));
    assert.equal(removed.logGroups![0]!.retentionInDays, undefined);
    await rejectsWith(
      logs.send(new PutRetentionPolicyCommand({ logGroupName: '/no/group', retentionInDays: 7 })),
      'ResourceNotFoundException',
      /log group does not exist/,
    );
  });

  it('deletes a stream and a group; the function recreates its group when it next logs', async () => {
    const { logStreams } = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/shared/app' }));
    await logs.send(new DeleteLogStreamCommand({ logGroupName: '/shared/app', logStreamName: logStreams![0]!.logStreamName! }));
    assert.deepEqual((await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/shared/app' }))).logStreams, []);
    await rejectsWith(
      logs.send(new DeleteLogStreamCommand({ logGroupName: '/shared/app', logStreamName: logStreams![0]!.logStreamName! })),
      'ResourceNotFoundException',
      /log stream does not exist/,
    );
    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/shared/app' }));
    await rejectsWith(
      logs.send(new DeleteLogGroupCommand({ logGroupName: '/shared/app' })),
      'ResourceNotFoundException',
      /^The specified log group does not exist\.$/,
    );
    assert.deepEqual((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/shared/' }))).logGroups, []);
    await invoke('custom-group', { word: 'epsilon', level: 'INFO' });
    const back = await logs.send(new FilterLogEventsCommand({ logGroupName: '/shared/app', filterPattern: 'epsilon' }));
    assert.equal(back.events!.length, 2);
  });
});

describe('log group retention', () => {
  it("drops a group's events older than its retention, and leaves other groups alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-retention-'));
    const clock = new ManualScheduler(Date.parse('2026-06-01T00:00:00Z'));
    const store = new SqliteStore(join(dir, 'selfless.db'));
    try {
      const day = 86_400_000;
      const errors: unknown[] = [];
      const first = new LogStore(store, (e) => errors.push(e), undefined, clock);
      await first.load();
      for (const [group, ageDays] of [
        ['/kept', 10],
        ['/short', 10],
        ['/short', 2],
      ] as const) {
        first.write({ functionName: 'f', logGroup: group, stream: 's' }, clock.now() - ageDays * day, `${group} ${ageDays} days old`);
      }
      await first.flush();
      assert.equal(await first.setRetention('/short', 3), true);
      await first.close();
      // A store loaded again applies retention at once (and then every so often).
      const second = new LogStore(store, (e) => errors.push(e), undefined, clock);
      await second.load();
      const messages = async (group: string) =>
        (await second.scanGroup(group, { startMs: 0, endMs: Number.MAX_SAFE_INTEGER, after: { timeMs: -1, id: 0 }, limit: 10 })).map((e) => e.message);
      assert.deepEqual(await messages('/short'), ['/short 2 days old']);
      assert.deepEqual(await messages('/kept'), ['/kept 10 days old']);
      await second.close();
      assert.deepEqual(errors, []);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
