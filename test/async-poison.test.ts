import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand, PutFunctionEventInvokeConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Platform } from '../src/platform.js';
import { failedEvents, frames, readLogs, waitFor, waitForFailed, waitForRecord } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { nodeZip } from './support/zip.js';

const MARKER = 'RECORD ';
const SINK_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:deep-sink';
/** 20,000 levels of nesting: valid JSON that JSON.stringify cannot re-serialise (its stack overflows). */
const DEEP = '['.repeat(20_000) + ']'.repeat(20_000);
/** Logs what it received, summarised (the payload itself is too deep to stringify). */
const SINK = `
function depth(value) { let d = 0; while (Array.isArray(value)) { d += 1; value = value[0]; } return d; }
exports.handler = async (event) => {
  console.log(${JSON.stringify(MARKER)} + JSON.stringify({ requestContext: event.requestContext, requestDepth: depth(event.requestPayload), responseDepth: depth(event.responsePayload), responseContext: event.responseContext }));
  return 'recorded';
};`;

const deploy = async (client: LambdaClient, name: string, source: string, timeout = 10) =>
  client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: ROLE,
      Timeout: timeout,
      Code: { ZipFile: await nodeZip(source) },
    }),
  );

describe('async events that are hard to record', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform({}, { SELFLESS_ASYNC_RETRY_DELAYS_MS: '50,50' });
  });
  after(async () => {
    await t?.stop();
  });

  it('delivers destination records for a 20,000-level nested payload (it used to stay leased and re-run forever)', async () => {
    await deploy(t.client, 'deep-echo', "exports.handler = async (event) => 'ok';");
    await deploy(t.client, 'deep-failing', "exports.handler = async () => { throw new Error('no'); };");
    await deploy(t.client, 'deep-sink', SINK);
    await t.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'deep-echo', DestinationConfig: { OnSuccess: { Destination: SINK_ARN } } }));
    await t.client.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'deep-failing',
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: SINK_ARN } },
      }),
    );

    const ok = await t.client.send(new InvokeCommand({ FunctionName: 'deep-echo', InvocationType: 'Event', Payload: Buffer.from(DEEP) }));
    const failed = await t.client.send(new InvokeCommand({ FunctionName: 'deep-failing', InvocationType: 'Event', Payload: Buffer.from(DEEP) }));
    const success = await waitForRecord(t.platform, 'deep-sink', MARKER, ok.$metadata.requestId!);
    assert.equal(success.record.requestContext.condition, 'Success');
    assert.equal(success.record.requestDepth, 20_000);
    const failure = await waitForRecord(t.platform, 'deep-sink', MARKER, failed.$metadata.requestId!);
    assert.equal(failure.record.requestContext.condition, 'RetriesExhausted');
    assert.equal(failure.record.requestDepth, 20_000);
    assert.equal(failure.record.responseContext.functionError, 'Unhandled');
    for (const name of ['deep-echo', 'deep-failing', 'deep-sink'])
      await waitFor(`${name}'s queue to drain`, async () => ((await t.platform.async.depth(name)) === 0 ? true : undefined));
  });
});

/** What the test helpers that read logs and failed events need of a platform, for a server process. */
async function asPlatform(server: ServerProcess): Promise<Platform> {
  const rootKey = JSON.parse(await readFile(join(server.dataDir, 'credentials.json'), 'utf8')) as unknown;
  return { url: server.url, config: { region: server.region }, rootKey } as unknown as Platform;
}

/**
 * An event whose attempt the platform never finishes — here the server is killed (-9) while it runs,
 * which is what a platform bug that ends the process does too — used to run again after every restart,
 * forever: a crash loop. After MAX_DELIVERIES (3) such attempts it goes to the failed-event store.
 */
describe('an event the platform keeps dying on', () => {
  let dir: string;
  let server: ServerProcess | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'selfless-poison-'));
  });
  after(async () => {
    await server?.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('is run at most 3 times, then kept in the failed-event store as PlatformFailure', async () => {
    const dataDir = join(dir, 'data');
    server = await startServer({ dataDir });
    const client = server.client();
    await deploy(client, 'hangs', "exports.handler = async () => { console.log('RUNNING'); await new Promise((r) => setTimeout(r, 600000)); };", 900);
    await deploy(client, 'bystander', 'exports.handler = async (e) => e;');
    const out = await client.send(new InvokeCommand({ FunctionName: 'hangs', InvocationType: 'Event', Payload: '{"poison":true}' }));
    client.destroy();
    const requestId = out.$metadata.requestId!;

    for (let run = 1; run <= 3; run += 1) {
      const platform = await asPlatform(server);
      await waitFor(`attempt ${run} to start`, async () => (frames(await readLogs(platform, 'hangs'), requestId).start >= run ? true : undefined));
      server.kill('SIGKILL');
      await server.exited;
      server = await startServer({ dataDir });
    }
    const platform = await asPlatform(server);
    const entry = await waitForFailed(platform, 'hangs', requestId);
    assert.equal(entry.condition, 'PlatformFailure');
    assert.match(entry.lastError ?? '', /failed while running this event 3 times/);
    assert.equal(frames(await readLogs(platform, 'hangs'), requestId).start, 3, 'it ran a fourth time');

    const again = server.client();
    try {
      const sync = await again.send(new InvokeCommand({ FunctionName: 'bystander', Payload: '{"after":1}' }));
      assert.equal(sync.FunctionError, undefined);
    } finally {
      again.destroy();
    }
    assert.equal((await failedEvents(platform, 'hangs')).length, 1);
  });
});
