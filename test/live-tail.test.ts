import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  CloudWatchLogsClient,
  StartLiveTailCommand,
  type LiveTailSessionLogEvent,
  type StartLiveTailCommandInput,
  type StartLiveTailCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ManualScheduler } from '../src/core/index.js';
import { LiveTails } from '../src/logs/live-tail.js';
import { LogStore } from '../src/metering/index.js';
import { SqliteStore } from '../src/store/index.js';
import { waitFor } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const run = promisify(execFile);

const HANDLER = `exports.handler = async (e) => { console.log('said: ' + e.word); return 'ok'; };`;
const GROUP = '/aws/lambda/speaker';

describe('CloudWatch Logs StartLiveTail (an event stream of the groups live log events)', () => {
  let t: TestPlatform;
  let logs: CloudWatchLogsClient;
  let groupArn: string;
  const say = (word: string) => t.client.send(new InvokeCommand({ FunctionName: 'speaker', Payload: Buffer.from(JSON.stringify({ word })) }));

  before(async () => {
    t = await startPlatform();
    // The SDK puts StartLiveTail's host prefix (`stream-`) before any endpoint's host: turned off for a local one.
    logs = new CloudWatchLogsClient({
      endpoint: t.platform.url,
      region: t.platform.config.region,
      credentials: t.platform.rootKey,
      maxAttempts: 1,
      disableHostPrefix: true,
    });
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'speaker',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip(HANDLER) },
      }),
    );
    await say('hello'); // the group exists from its first event
    groupArn = `arn:aws:logs:${t.platform.config.region}:000000000000:log-group:${GROUP}`;
  });
  after(async () => {
    logs.destroy();
    await t.stop();
  });

  /** Starts a session that `close()` ends (as a reader must: leaving its loop leaves the connection open). */
  async function start(input: StartLiveTailCommandInput) {
    const controller = new AbortController();
    const session = await logs.send(new StartLiveTailCommand(input), { abortSignal: controller.signal });
    return Object.assign(session, { close: () => controller.abort() });
  }

  /** Reads a session's updates until `until` holds for the events so far; then closes it. */
  async function collect(session: StartLiveTailCommandOutput & { close(): void }, until: (events: LiveTailSessionLogEvent[]) => boolean) {
    const events: LiveTailSessionLogEvent[] = [];
    let sessionStart: unknown;
    let updates = 0;
    for await (const message of session.responseStream!) {
      if (message.sessionStart !== undefined) sessionStart = message.sessionStart;
      if (message.sessionUpdate !== undefined) {
        updates += 1;
        events.push(...(message.sessionUpdate.sessionResults ?? []));
        if (until(events)) break;
      }
    }
    session.close();
    return { sessionStart, events, updates };
  }

  it('sends the session start, then the events logged after it, as the SDK reads them', async () => {
    const session = await start({ logGroupIdentifiers: [groupArn] });
    const reading = collect(session, (events) => events.some((e) => e.message?.includes('said: live')));
    await say('live');
    const { sessionStart, events } = await reading;
    assert.deepEqual(Object.keys(sessionStart as object).sort(), ['logGroupIdentifiers', 'requestId', 'sessionId']);
    assert.deepEqual((sessionStart as { logGroupIdentifiers: string[] }).logGroupIdentifiers, [groupArn]);
    assert.ok(!events.some((e) => e.message?.includes('said: hello')), 'only events from after the session started');
    const line = events.find((e) => e.message?.includes('said: live'))!;
    assert.equal(line.logGroupIdentifier, groupArn);
    assert.match(line.logStreamName!, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.ok(line.timestamp! > 0 && line.ingestionTime! >= line.timestamp!);
    assert.ok(
      events.some((e) => e.message?.startsWith('START RequestId: ')),
      'platform lines too',
    );
  });

  it('passes only the events matching its filter pattern', async () => {
    const session = await start({ logGroupIdentifiers: [GROUP], logEventFilterPattern: '"said: keep"' });
    const reading = collect(session, (events) => events.some((e) => e.message?.includes('said: keep')));
    await say('drop');
    await say('keep');
    const { events } = await reading;
    assert.ok(events.length > 0);
    assert.ok(
      events.every((e) => e.message!.includes('said: keep')),
      events.map((e) => e.message).join(''),
    );
  });

  it('refuses a group that does not exist, streams with more than one group, and a 16th open session; a closed session frees its place', async () => {
    await assert.rejects(logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [`${groupArn}-missing`] })), { name: 'ResourceNotFoundException' });
    await assert.rejects(logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [GROUP, GROUP], logStreamNamePrefixes: ['2026'] })), {
      name: 'InvalidParameterException',
    });
    const open = await Promise.all(Array.from({ length: 15 }, () => start({ logGroupIdentifiers: [GROUP] })));
    await assert.rejects(logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [GROUP] })), { name: 'LimitExceededException' });
    for (const session of open) session.close();
    await waitFor('the closed sessions to free their places', async () => {
      const next = await start({ logGroupIdentifiers: [GROUP] }).catch((e: Error) => e);
      if (next instanceof Error) return undefined;
      await collect(next, () => true);
      return true;
    });
  });

  it('works with boto3 as well (inject_host_prefix off)', async () => {
    const script = `
import boto3, json, sys, threading, urllib.request
from botocore.config import Config
c = boto3.client('logs', endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id=sys.argv[3], aws_secret_access_key=sys.argv[4], config=Config(inject_host_prefix=False))
stream = c.start_live_tail(logGroupIdentifiers=[sys.argv[5]])['responseStream']
for event in stream:
    if 'sessionStart' in event:
        print('started', flush=True)
    for e in event.get('sessionUpdate', {}).get('sessionResults', []):
        if 'said: from-python' in e['message']:
            print('found', e['logGroupIdentifier'], flush=True)
            sys.exit(0)
`;
    const { rootKey, url, config } = t.platform;
    const child = run('python3', ['-c', script, url, config.region, rootKey.accessKeyId, rootKey.secretAccessKey, GROUP], { timeout: 120_000 });
    // Said until python's session sees it (its session may start after the first saying).
    let done = false;
    void child.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      await say('from-python');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const { stdout } = await child;
    assert.match(stdout, /started\nfound \/aws\/lambda\/speaker\n/);
  });
});

describe('a Live Tail session (LiveTails over a LogStore)', () => {
  it('ends with a SessionTimeoutException after three hours, and frees its place', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-live-tail-'));
    const store = new SqliteStore(join(dir, 'selfless.db'));
    try {
      const clock = new ManualScheduler(Date.parse('2026-06-01T00:00:00Z'));
      const logs = new LogStore(store, (e: unknown) => assert.fail(String(e)), undefined, clock);
      logs.write({ functionName: 'f', logGroup: '/aws/lambda/f', stream: 's' }, clock.now(), 'before the session');
      clock.advance(1);
      const tails = new LiveTails(logs, clock);
      const session = await tails.start({ identifiers: ['/aws/lambda/f'], groups: ['/aws/lambda/f'] }, 'request-1', new AbortController().signal);
      assert.equal((await session.next()).value?.type, 'sessionStart');
      assert.equal(tails.open, 1);
      const update = session.next();
      logs.write({ functionName: 'f', logGroup: '/aws/lambda/f', stream: 's' }, clock.now(), 'during the session');
      clock.advance(3 * 3_600_000);
      const first = (await update).value as { body: { sessionResults: Array<{ message: string }> } };
      assert.deepEqual(
        first.body.sessionResults.map((e) => e.message),
        ['during the session'],
      );
      const last = (await session.next()).value;
      assert.deepEqual(last, {
        type: 'exception',
        exceptionType: 'SessionTimeoutException',
        body: { message: 'The Live Tail session has been open for three hours and has timed out.' },
      });
      assert.equal((await session.next()).done, true);
      assert.equal(tails.open, 0);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
