import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  InvokeAsyncCommand,
  InvokeCommand,
  ListFunctionEventInvokeConfigsCommand,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionEventInvokeConfigCommand,
  type PutFunctionEventInvokeConfigCommandInput,
} from '@aws-sdk/client-lambda';
import { rejectsWith } from './support/assertions.js';
import {
  failedEvents,
  frames,
  loggedRecords,
  readLogs,
  redrive,
  startedIds,
  usageOf,
  waitFor,
  waitForAttempts,
  waitForFailed,
  waitForRecord,
} from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { signedFetch } from './support/signed-fetch.js';
import { decode, nodeZip } from './support/zip.js';

const run = promisify(execFile);

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const arn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const MARKER = 'RECORD ';

/** Logs every event it receives, so a destination's invocation records can be read back from its logs. */
const SINK = `exports.handler = async (event) => { console.log(${JSON.stringify(MARKER)} + JSON.stringify(event)); return 'recorded'; };`;
/** Fails every time, and says which attempt of which request id it was running. */
const FAILING = `exports.handler = async (event, context) => { console.log('ATTEMPT ' + context.awsRequestId); throw new Error('broken on purpose'); };`;
/** Succeeds, logging what it got. */
const ECHO = `exports.handler = async (event, context) => { console.log('GOT ' + context.awsRequestId + ' ' + JSON.stringify(event)); return { ok: event }; };`;
const FIXED = `exports.handler = async (event, context) => { console.log('FIXED ' + context.awsRequestId + ' ' + JSON.stringify(event)); return 'fixed'; };`;

function helpers(get: () => TestPlatform) {
  const deploy = async (name: string, source: string) =>
    get().client.send(
      new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await nodeZip(source) } }),
    );
  const event = async (name: string, payload: unknown) => {
    const out = await get().client.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    assert.equal(out.StatusCode, 202);
    assert.match(out.$metadata.requestId ?? '', UUID);
    return out.$metadata.requestId!;
  };
  const putConfig = (name: string, input: Omit<PutFunctionEventInvokeConfigCommandInput, 'FunctionName'>) =>
    get().client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: name, ...input }));
  /** Waits until the function has no event queued or running. */
  const drained = (name: string) => waitFor(`${name}'s queue to drain`, async () => ((await get().platform.async.depth(name)) === 0 ? true : undefined));
  return { deploy, event, putConfig, drained };
}

describe('asynchronous invocation (retry delays shortened)', () => {
  let t: TestPlatform;
  const { deploy, event, putConfig, drained } = helpers(() => t);

  before(async () => {
    t = await startPlatform({ idleTimeoutMs: 60_000 }, { SELFLESS_ASYNC_RETRY_DELAYS_MS: '100,200' });
    await deploy('sink', SINK);
  });
  after(() => t.stop());

  describe('Invoke with InvocationType Event', () => {
    it('answers 202 with an empty body and a request id, and the function runs with that request id', async () => {
      await deploy('echo', ECHO);
      const started = Date.now();
      const out = await t.client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ n: 1 })) }));
      assert.equal(out.StatusCode, 202);
      assert.equal(decode(out.Payload), '');
      assert.equal(out.FunctionError, undefined);
      const id = out.$metadata.requestId!;
      assert.match(id, UUID);

      const events = await waitForAttempts(t.platform, 'echo', id);
      const start = events.find((e) => e.message.startsWith(`START RequestId: ${id}`))!;
      assert.match(start.message, /Version: \$LATEST/);
      assert.ok(start.timeMs >= started - 1000);
      assert.ok(
        events.some((e) => e.message.includes(`GOT ${id} {"n":1}`)),
        'the handler got the event with the same request id',
      );
      assert.deepEqual(frames(events, id), { start: 1, end: 1, report: 1 });
    });

    it('sends X-Amzn-RequestId and nothing else on the wire', async () => {
      const res = await signedFetch(t.platform, 'POST', '/2015-03-31/functions/echo/invocations', {
        body: JSON.stringify({ n: 2 }),
        headers: { 'x-amz-invocation-type': 'Event', 'content-type': 'application/json' },
      });
      assert.equal(res.status, 202);
      assert.equal(await res.text(), '');
      const id = res.headers.get('x-amzn-requestid');
      assert.match(id ?? '', UUID);
      assert.equal(res.headers.get('x-amz-function-error'), null);
      const events = await waitForAttempts(t.platform, 'echo', id!);
      assert.ok(events.some((e) => e.message.includes(`GOT ${id} {"n":2}`)));
    });

    it('runs an empty Event payload as the event {}', async () => {
      const out = await t.client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event' }));
      assert.equal(out.StatusCode, 202);
      const id = out.$metadata.requestId!;
      const events = await waitForAttempts(t.platform, 'echo', id);
      assert.ok(events.some((e) => e.message.includes(`GOT ${id} {}`)));
    });

    it('accepts a function ARN as the function name', async () => {
      const out = await t.client.send(new InvokeCommand({ FunctionName: arn('echo'), InvocationType: 'Event', Payload: Buffer.from('{"n":3}') }));
      assert.equal(out.StatusCode, 202);
      await waitForAttempts(t.platform, 'echo', out.$metadata.requestId!);
    });

    it('gives the handler no client context, and the ARN as invoked', async () => {
      await deploy(
        'ctx',
        `exports.handler = async (event, context) => { console.log('CTX ' + JSON.stringify({ cc: context.clientContext ?? null, arn: context.invokedFunctionArn, id: context.awsRequestId })); };`,
      );
      const clientContext = Buffer.from(JSON.stringify({ custom: { k: 'v' } })).toString('base64');
      const plain = await t.client.send(new InvokeCommand({ FunctionName: 'ctx', InvocationType: 'Event', ClientContext: clientContext }));
      const byArn = await t.client.send(new InvokeCommand({ FunctionName: arn('ctx'), InvocationType: 'Event' }));
      const seen = async (id: string) => {
        const events = await waitForAttempts(t.platform, 'ctx', id);
        const line = events.find((e) => e.message.includes('\tCTX ') && e.message.includes(`"id":"${id}"`))!;
        return JSON.parse(line.message.slice(line.message.indexOf('CTX ') + 4)) as { cc: unknown; arn: string };
      };
      const a = await seen(plain.$metadata.requestId!);
      assert.equal(a.cc, null, 'asynchronous invocations do not carry a client context');
      assert.equal(a.arn, arn('ctx'));
      assert.equal((await seen(byArn.$metadata.requestId!)).arn, arn('ctx'));
    });
  });

  describe('the seed example through the AWS CLI v2', () => {
    let aws: string | undefined;
    let work: string;
    before(async () => {
      for (const candidate of ['/usr/bin/aws', 'aws']) {
        try {
          const { stdout, stderr } = await run(candidate, ['--version']);
          if (/^aws-cli\/2\./.test(stdout + stderr)) {
            aws = candidate;
            break;
          }
        } catch {
          // Not installed here.
        }
      }
      work = await mkdtemp(join(tmpdir(), 'selfless-async-cli-'));
    });
    after(() => rm(work, { recursive: true, force: true }));

    it('aws lambda invoke --invocation-type Event prints { "StatusCode": 202 } and the function runs', async (ctx) => {
      if (aws === undefined) return ctx.skip('AWS CLI v2 not installed (apt-get install -y awscli)');
      await deploy('my-function', ECHO);
      const { stdout } = await run(
        aws,
        [
          'lambda',
          'invoke',
          '--function-name',
          'my-function',
          '--invocation-type',
          'Event',
          '--payload',
          '{ "key": "value" }',
          '--cli-binary-format',
          'raw-in-base64-out',
          'response.json',
          '--endpoint-url',
          t.platform.url,
        ],
        {
          cwd: work,
          env: {
            PATH: process.env.PATH,
            HOME: work,
            AWS_ACCESS_KEY_ID: t.platform.rootKey.accessKeyId,
            AWS_SECRET_ACCESS_KEY: t.platform.rootKey.secretAccessKey,
            AWS_DEFAULT_REGION: REGION,
            AWS_PAGER: '',
          },
        },
      );
      assert.deepEqual(JSON.parse(stdout), { StatusCode: 202 });
      assert.equal(await readFile(join(work, 'response.json'), 'utf8'), '');
      await waitFor('the CLI event to run', async () =>
        (await readLogs(t.platform, 'my-function')).some((e) => /\tGOT [0-9a-f-]+ \{"key":"value"\}$/.test(e.message)) ? true : undefined,
      );
    });
  });

  describe('InvokeAsync and payload limits', () => {
    before(() => deploy('noop', 'exports.handler = async () => null;'));

    it('InvokeAsync answers 202 with Status 202 and runs the function with its request id', async () => {
      const out = await t.client.send(new InvokeAsyncCommand({ FunctionName: 'echo', InvokeArgs: JSON.stringify({ legacy: true }) }));
      assert.equal(out.Status, 202);
      assert.equal(out.$metadata.httpStatusCode, 202);
      const id = out.$metadata.requestId!;
      assert.match(id, UUID);
      const events = await waitForAttempts(t.platform, 'echo', id);
      assert.ok(events.some((e) => e.message.includes(`GOT ${id} {"legacy":true}`)));
    });

    it('accepts an Event payload of exactly 1,048,576 bytes and refuses one byte more with 413', async () => {
      const limit = 1_048_576;
      const exact = Buffer.from(JSON.stringify('a'.repeat(limit - 2)));
      assert.equal(exact.length, limit);
      const ok = await t.client.send(new InvokeCommand({ FunctionName: 'noop', InvocationType: 'Event', Payload: exact }));
      assert.equal(ok.StatusCode, 202);
      const over = Buffer.from(JSON.stringify('a'.repeat(limit - 1)));
      await rejectsWith(
        t.client.send(new InvokeCommand({ FunctionName: 'noop', InvocationType: 'Event', Payload: over })),
        'RequestEntityTooLargeException',
        413,
        `${over.length} byte payload is too large for the Event invocation type (limit 1048576 bytes)`,
      );
      await waitForAttempts(t.platform, 'noop', ok.$metadata.requestId!);
      await drained('noop');
      assert.equal(startedIds(await readLogs(t.platform, 'noop')).length, 1, 'the refused event never ran');
    });

    it('accepts an InvokeAsync payload of exactly 262,144 bytes and refuses one byte more with 413', async () => {
      const limit = 262_144;
      const ok = await t.client.send(new InvokeAsyncCommand({ FunctionName: 'noop', InvokeArgs: JSON.stringify('b'.repeat(limit - 2)) }));
      assert.equal(ok.Status, 202);
      await rejectsWith(
        t.client.send(new InvokeAsyncCommand({ FunctionName: 'noop', InvokeArgs: JSON.stringify('b'.repeat(limit - 1)) })),
        'RequestEntityTooLargeException',
        413,
      );
      await waitForAttempts(t.platform, 'noop', ok.$metadata.requestId!);
    });

    it('answers an Event to a missing function with 404 ResourceNotFoundException', async () => {
      await rejectsWith(
        t.client.send(new InvokeCommand({ FunctionName: 'nope', InvocationType: 'Event', Payload: Buffer.from('{}') })),
        'ResourceNotFoundException',
        404,
        `Function not found: ${arn('nope')}:$LATEST`,
      );
      await rejectsWith(t.client.send(new InvokeAsyncCommand({ FunctionName: 'nope', InvokeArgs: '{}' })), 'ResourceNotFoundException', 404);
    });

    it('answers a non-JSON Event payload with InvalidRequestContentException and queues nothing', async () => {
      await drained('noop');
      await rejectsWith(
        t.client.send(new InvokeCommand({ FunctionName: 'noop', InvocationType: 'Event', Payload: Buffer.from('{not json') })),
        'InvalidRequestContentException',
        400,
      );
      await rejectsWith(t.client.send(new InvokeAsyncCommand({ FunctionName: 'noop', InvokeArgs: 'not json' })), 'InvalidRequestContentException', 400);
      assert.equal(await t.platform.async.depth('noop'), 0);
    });
  });

  describe('retries', () => {
    it("retries a failing function twice by default: 3 attempts, all with the 202's request id, each metered", async () => {
      await deploy('always-fails', FAILING);
      const id = await event('always-fails', { try: 'me' });
      const failed = await waitForFailed(t.platform, 'always-fails', id);
      assert.equal(failed.condition, 'RetriesExhausted');
      assert.equal(failed.approximateInvokeCount, 3);
      await drained('always-fails');
      const events = await waitForAttempts(t.platform, 'always-fails', id, 3);
      assert.deepEqual(frames(events, id), { start: 3, end: 3, report: 3 });
      assert.deepEqual(startedIds(events), [id, id, id], 'no other request id ever started');
      assert.equal(events.filter((e) => e.message.includes(`ATTEMPT ${id}`)).length, 3, 'the handler saw the same awsRequestId each time');

      const usage = await waitFor('3 requests in usage', async () => {
        const u = await usageOf(t.platform, 'always-fails');
        return u !== undefined && u.requests >= 3 ? u : undefined;
      });
      assert.equal(usage.requests, 3, 'every attempt is a request in usage');
      assert.equal(usage.errors, 3);
    });

    it('makes exactly one attempt with MaximumRetryAttempts 0', async () => {
      await deploy('fails-once', FAILING);
      await putConfig('fails-once', { MaximumRetryAttempts: 0 });
      const id = await event('fails-once', {});
      const failed = await waitForFailed(t.platform, 'fails-once', id);
      assert.equal(failed.condition, 'RetriesExhausted');
      assert.equal(failed.approximateInvokeCount, 1);
      await drained('fails-once');
      const events = await waitForAttempts(t.platform, 'fails-once', id, 1);
      assert.deepEqual(frames(events, id), { start: 1, end: 1, report: 1 });
      assert.deepEqual(startedIds(events), [id]);
      const usage = await waitFor('1 request in usage', async () => usageOf(t.platform, 'fails-once'));
      assert.equal(usage.requests, 1);
    });

    it('makes two attempts with MaximumRetryAttempts 1 when the retry succeeds, and reports Success with approximateInvokeCount 2', async () => {
      // The function asks a counter in the test process whether to fail, so which attempt fails does
      // not depend on which environment runs it.
      let calls = 0;
      const counter = createServer((_req, res) => {
        calls++;
        res.end(calls === 1 ? 'fail' : 'pass');
      });
      await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
      try {
        const port = (counter.address() as AddressInfo).port;
        await deploy(
          'flaky',
          `exports.handler = async (event, context) => {
          const verdict = await (await fetch('http://127.0.0.1:${port}/')).text();
          console.log('VERDICT ' + verdict + ' ' + context.awsRequestId);
          if (verdict === 'fail') throw new Error('first attempt fails');
          return 'passed';
        };`,
        );
        await putConfig('flaky', { MaximumRetryAttempts: 1, DestinationConfig: { OnSuccess: { Destination: arn('sink') } } });
        const id = await event('flaky', { k: 1 });
        const { record } = await waitForRecord(t.platform, 'sink', MARKER, id);
        assert.equal(record.requestContext.condition, 'Success');
        assert.equal(record.requestContext.approximateInvokeCount, 2);
        assert.equal(record.responsePayload, 'passed');
        await drained('flaky');
        const events = await waitForAttempts(t.platform, 'flaky', id, 2);
        assert.deepEqual(frames(events, id), { start: 2, end: 2, report: 2 });
        assert.equal(calls, 2);
        assert.deepEqual(await failedEvents(t.platform, 'flaky'), []);
      } finally {
        counter.close();
      }
    });
  });

  describe('destinations to Lambda functions', () => {
    it("OnSuccess delivers Lambda's invocation record to the destination function", async () => {
      await deploy('succeeds', 'exports.handler = async (event) => ({ result: event.x * 2 });');
      await putConfig('succeeds', { DestinationConfig: { OnSuccess: { Destination: arn('sink') } } });
      const before = Date.now();
      const id = await event('succeeds', { x: 21, nested: { a: [1, 2] } });
      const { sinkRequestId, record } = await waitForRecord(t.platform, 'sink', MARKER, id);

      assert.notEqual(sinkRequestId, id, 'the destination runs as an invocation of its own');
      assert.deepEqual(Object.keys(record), ['version', 'timestamp', 'requestContext', 'requestPayload', 'responseContext', 'responsePayload']);
      assert.equal(record.version, '1.0');
      assert.match(record.timestamp, ISO);
      assert.ok(Date.parse(record.timestamp) >= before - 1000 && Date.parse(record.timestamp) <= Date.now());
      assert.deepEqual(Object.keys(record.requestContext), ['requestId', 'functionArn', 'condition', 'approximateInvokeCount']);
      assert.equal(record.requestContext.requestId, id);
      assert.equal(record.requestContext.functionArn, `${arn('succeeds')}:$LATEST`);
      assert.equal(record.requestContext.condition, 'Success');
      assert.equal(record.requestContext.approximateInvokeCount, 1);
      assert.deepEqual(record.requestPayload, { x: 21, nested: { a: [1, 2] } });
      assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
      assert.equal('functionError' in record.responseContext, false);
      assert.deepEqual(record.responsePayload, { result: 42 });
      assert.deepEqual(await failedEvents(t.platform, 'sink'), []);
    });

    it('OnFailure delivers the record once retries are exhausted, with the error', async () => {
      await deploy('fails-to-sink', FAILING);
      await putConfig('fails-to-sink', { DestinationConfig: { OnFailure: { Destination: arn('sink') } } });
      const id = await event('fails-to-sink', { why: 'not' });
      const { record } = await waitForRecord(t.platform, 'sink', MARKER, id);

      assert.deepEqual(Object.keys(record), ['version', 'timestamp', 'requestContext', 'requestPayload', 'responseContext', 'responsePayload']);
      assert.equal(record.version, '1.0');
      assert.match(record.timestamp, ISO);
      assert.equal(record.requestContext.requestId, id);
      assert.equal(record.requestContext.functionArn, `${arn('fails-to-sink')}:$LATEST`);
      assert.equal(record.requestContext.condition, 'RetriesExhausted');
      assert.equal(record.requestContext.approximateInvokeCount, 3);
      assert.deepEqual(record.requestPayload, { why: 'not' });
      assert.deepEqual(Object.keys(record.responseContext), ['statusCode', 'executedVersion', 'functionError']);
      assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
      assert.equal(record.responsePayload.errorType, 'Error');
      assert.equal(record.responsePayload.errorMessage, 'broken on purpose');
      assert.ok(Array.isArray(record.responsePayload.trace));

      const events = await waitForAttempts(t.platform, 'fails-to-sink', id, 3);
      assert.deepEqual(frames(events, id), { start: 3, end: 3, report: 3 });
      assert.deepEqual(await failedEvents(t.platform, 'fails-to-sink'), [], 'delivered to the destination, not kept in the store');
    });

    it('does not send a success record to an OnFailure-only destination, nor a failure record to an OnSuccess-only one', async () => {
      await deploy('only-failure', ECHO);
      await putConfig('only-failure', { DestinationConfig: { OnFailure: { Destination: arn('sink') } } });
      await deploy('only-success', FAILING);
      await putConfig('only-success', { MaximumRetryAttempts: 0, DestinationConfig: { OnSuccess: { Destination: arn('sink') } } });
      const ok = await event('only-failure', {});
      const bad = await event('only-success', {});
      await waitForAttempts(t.platform, 'only-failure', ok);
      await waitForFailed(t.platform, 'only-success', bad);
      await drained('only-failure');
      await drained('only-success');
      await drained('sink');
      const records = (await loggedRecords(t.platform, 'sink', MARKER)).map((r) => r.record.requestContext.requestId);
      assert.equal(records.includes(ok), false);
      assert.equal(records.includes(bad), false);
    });
  });

  describe('the failed-event store and redrive', () => {
    it('keeps an event that failed for good, and redrives it ({"all": true}) with the same request id once fixed', async () => {
      await deploy('broken', FAILING);
      const id = await event('broken', { order: 7 });
      const failed = await waitForFailed(t.platform, 'broken', id);
      assert.equal(failed.requestId, id);
      assert.equal(failed.condition, 'RetriesExhausted');
      assert.equal(failed.approximateInvokeCount, 3);
      assert.match(failed.lastError ?? '', /broken on purpose/);
      assert.match(failed.lastError ?? '', /"errorType":"Error"/);
      assert.deepEqual(JSON.parse(failed.payload), { order: 7 });
      assert.equal((await failedEvents(t.platform, 'broken')).length, 1);
      await drained('broken');

      await t.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'broken', ZipFile: await nodeZip(FIXED) }));
      const res = await redrive(t.platform, 'broken', { all: true });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { redriven: [id] });

      await waitFor('the redriven event to run the fixed code', async () =>
        (await readLogs(t.platform, 'broken')).some((e) => e.message.includes(`FIXED ${id} {"order":7}`)) ? true : undefined,
      );
      await drained('broken');
      const events = await waitForAttempts(t.platform, 'broken', id, 4);
      assert.deepEqual(frames(events, id), { start: 4, end: 4, report: 4 });
      assert.deepEqual(await failedEvents(t.platform, 'broken'), []);
      assert.deepEqual((await redrive(t.platform, 'broken', { all: true })).body, { redriven: [] });
    });

    it('redrives only the events named by {"requestIds": [...]}', async () => {
      await deploy('broken2', FAILING);
      await putConfig('broken2', { MaximumRetryAttempts: 0 });
      const first = await event('broken2', { n: 1 });
      const second = await event('broken2', { n: 2 });
      await waitForFailed(t.platform, 'broken2', first);
      await waitForFailed(t.platform, 'broken2', second);
      for (const e of await failedEvents(t.platform, 'broken2')) assert.equal(e.approximateInvokeCount, 1);
      await drained('broken2');

      await t.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'broken2', ZipFile: await nodeZip(FIXED) }));
      const res = await redrive(t.platform, 'broken2', { requestIds: [first] });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { redriven: [first] });
      assert.deepEqual(
        (await failedEvents(t.platform, 'broken2')).map((e) => e.requestId),
        [second],
        'the other event stays in the store',
      );
      await waitFor('the first event to run again', async () =>
        (await readLogs(t.platform, 'broken2')).some((e) => e.message.includes(`FIXED ${first} {"n":1}`)) ? true : undefined,
      );

      assert.deepEqual((await redrive(t.platform, 'broken2', { requestIds: [second] })).body, { redriven: [second] });
      await waitFor('the second event to run again', async () =>
        (await readLogs(t.platform, 'broken2')).some((e) => e.message.includes(`FIXED ${second} {"n":2}`)) ? true : undefined,
      );
      await drained('broken2');
      assert.deepEqual(await failedEvents(t.platform, 'broken2'), []);
      const events = await readLogs(t.platform, 'broken2');
      assert.deepEqual(frames(events, first).start, 2);
      assert.deepEqual(frames(events, second).start, 2);
    });

    it('refuses a redrive request that names nothing, and one for a missing function', async () => {
      const bad = await redrive(t.platform, 'broken', {});
      assert.equal(bad.status, 400);
      const missing = await redrive(t.platform, 'nope', { all: true });
      assert.equal(missing.status, 404);
    });
  });

  describe('the event invoke config API', () => {
    const sinkArn = arn('sink');
    before(() => deploy('cfg', 'exports.handler = async () => null;'));

    it('Put answers the whole configuration, with LastModified in epoch seconds and a qualified FunctionArn', async () => {
      const before = Date.now();
      const put = await putConfig('cfg', { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 });
      assert.equal(put.$metadata.httpStatusCode, 200);
      assert.equal(put.FunctionArn, `${arn('cfg')}:$LATEST`);
      assert.equal(put.MaximumRetryAttempts, 1);
      assert.equal(put.MaximumEventAgeInSeconds, 3600);
      assert.deepEqual(put.DestinationConfig, { OnSuccess: {}, OnFailure: {} });
      assert.ok(put.LastModified instanceof Date);
      assert.ok(put.LastModified.getTime() >= before - 1000 && put.LastModified.getTime() <= Date.now() + 1000);

      const raw = (await (await signedFetch(t.platform, 'GET', '/2019-09-25/functions/cfg/event-invoke-config')).json()) as Record<string, unknown>;
      assert.equal(typeof raw.LastModified, 'number', 'LastModified is a JSON number (epoch seconds)');
      assert.ok(Math.abs((raw.LastModified as number) - put.LastModified.getTime() / 1000) < 0.002);
      assert.deepEqual(Object.keys(raw).sort(), ['DestinationConfig', 'FunctionArn', 'LastModified', 'MaximumEventAgeInSeconds', 'MaximumRetryAttempts']);
      assert.deepEqual(raw.DestinationConfig, { OnSuccess: {}, OnFailure: {} });

      const got = await t.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'cfg' }));
      assert.deepEqual({ ...got, $metadata: undefined }, { ...put, $metadata: undefined });
      const byArn = await t.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: arn('cfg'), Qualifier: '$LATEST' }));
      assert.equal(byArn.FunctionArn, `${arn('cfg')}:$LATEST`);
    });

    it('keeps a configuration per version and alias, and a deleted alias or version takes its own with it', async () => {
      await deploy('cfg-q', 'exports.handler = async () => null;');
      await t.client.send(new PublishVersionCommand({ FunctionName: 'cfg-q' }));
      await t.client.send(new CreateAliasCommand({ FunctionName: 'cfg-q', Name: 'live', FunctionVersion: '1' }));
      for (const [qualifier, retries] of [
        ['1', 0],
        ['live', 1],
      ] as const) {
        const put = await putConfig('cfg-q', { Qualifier: qualifier, MaximumRetryAttempts: retries });
        assert.equal(put.FunctionArn, `${arn('cfg-q')}:${qualifier}`);
      }
      const listed = await t.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'cfg-q' }));
      assert.deepEqual(listed.FunctionEventInvokeConfigs?.map((c) => [c.FunctionArn, c.MaximumRetryAttempts]).sort(), [
        [`${arn('cfg-q')}:1`, 0],
        [`${arn('cfg-q')}:live`, 1],
      ]);
      await rejectsWith(putConfig('cfg-q', { Qualifier: 'nope', MaximumRetryAttempts: 1 }), 'ResourceNotFoundException', 404, "The function doesn't exist.");
      await t.client.send(new DeleteAliasCommand({ FunctionName: 'cfg-q', Name: 'live' }));
      await t.client.send(new DeleteFunctionCommand({ FunctionName: 'cfg-q', Qualifier: '1' }));
      await waitFor('the version and alias configurations to go', async () => {
        const left = await t.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'cfg-q' }));
        return left.FunctionEventInvokeConfigs?.length === 0 ? true : undefined;
      });
    });

    it('Update merges into the configuration, Put replaces it', async () => {
      const updated = await t.client.send(
        new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'cfg', DestinationConfig: { OnFailure: { Destination: sinkArn } } }),
      );
      assert.equal(updated.MaximumRetryAttempts, 1, 'kept');
      assert.equal(updated.MaximumEventAgeInSeconds, 3600, 'kept');
      assert.deepEqual(updated.DestinationConfig, { OnSuccess: {}, OnFailure: { Destination: sinkArn } });

      const again = await t.client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'cfg', MaximumRetryAttempts: 0 }));
      assert.equal(again.MaximumRetryAttempts, 0);
      assert.equal(again.MaximumEventAgeInSeconds, 3600);
      assert.deepEqual(again.DestinationConfig, { OnSuccess: {}, OnFailure: { Destination: sinkArn } });

      const replaced = await putConfig('cfg', { DestinationConfig: { OnSuccess: { Destination: sinkArn } } });
      assert.equal(replaced.MaximumRetryAttempts, undefined, 'Put does not keep what it was not given');
      assert.equal(replaced.MaximumEventAgeInSeconds, undefined);
      assert.deepEqual(replaced.DestinationConfig, { OnSuccess: { Destination: sinkArn }, OnFailure: {} });
    });

    it('List answers the configurations of the function', async () => {
      const list = await t.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'cfg' }));
      assert.equal(list.NextMarker, undefined);
      assert.equal(list.FunctionEventInvokeConfigs?.length, 1);
      const [only] = list.FunctionEventInvokeConfigs!;
      assert.equal(only!.FunctionArn, `${arn('cfg')}:$LATEST`);
      assert.ok(only!.LastModified instanceof Date);
      assert.deepEqual(only!.DestinationConfig, { OnSuccess: { Destination: sinkArn }, OnFailure: {} });
      await deploy('cfg-none', 'exports.handler = async () => null;');
      assert.deepEqual((await t.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'cfg-none' }))).FunctionEventInvokeConfigs, []);
    });

    it('Delete answers 204; then Get, Update and Delete say there is no EventInvokeConfig', async () => {
      const deleted = await t.client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'cfg' }));
      assert.equal(deleted.$metadata.httpStatusCode, 204);
      const none = `The function ${arn('cfg')}:$LATEST doesn't have an EventInvokeConfig`;
      await rejectsWith(t.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'cfg' })), 'ResourceNotFoundException', 404, none);
      await rejectsWith(t.client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'cfg' })), 'ResourceNotFoundException', 404, none);
      await rejectsWith(
        t.client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'cfg', MaximumRetryAttempts: 1 })),
        'ResourceNotFoundException',
        404,
        none,
      );
      assert.deepEqual((await t.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'cfg' }))).FunctionEventInvokeConfigs, []);
    });

    it('refuses an empty configuration, out-of-range values, itself and non-Lambda destinations', async () => {
      await rejectsWith(putConfig('cfg', {}), 'InvalidParameterValueException', 400, 'You must specify at least one of error handling or destination setting.');
      await rejectsWith(putConfig('cfg', { MaximumRetryAttempts: 3 }), 'ValidationException', 400, /maximumRetryAttempts/);
      await rejectsWith(putConfig('cfg', { MaximumRetryAttempts: -1 }), 'ValidationException', 400);
      await rejectsWith(putConfig('cfg', { MaximumEventAgeInSeconds: 59 }), 'ValidationException', 400, /maximumEventAgeInSeconds/);
      await rejectsWith(putConfig('cfg', { MaximumEventAgeInSeconds: 21_601 }), 'ValidationException', 400, /maximumEventAgeInSeconds/);
      await rejectsWith(
        putConfig('cfg', { DestinationConfig: { OnFailure: { Destination: arn('cfg') } } }),
        'InvalidParameterValueException',
        400,
        "You can't specify the function as a destination for itself.",
      );
      await rejectsWith(
        putConfig('cfg', { DestinationConfig: { OnSuccess: { Destination: `${arn('cfg')}:$LATEST` } } }),
        'InvalidParameterValueException',
        400,
        "You can't specify the function as a destination for itself.",
      );
      await rejectsWith(
        putConfig('cfg', { DestinationConfig: { OnFailure: { Destination: `arn:aws:sqs:${REGION}:${ACCOUNT}:my-queue` } } }),
        'InvalidParameterValueException',
        400,
      );
      await rejectsWith(putConfig('cfg', { DestinationConfig: { OnSuccess: { Destination: 'not-an-arn' } } }), 'ValidationException', 400);
      // Nothing was stored by the refused requests.
      await rejectsWith(t.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'cfg' })), 'ResourceNotFoundException', 404);
      // The extremes are accepted.
      const edges = await putConfig('cfg', { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 });
      assert.equal(edges.MaximumRetryAttempts, 2);
      assert.equal(edges.MaximumEventAgeInSeconds, 60);
      assert.equal((await putConfig('cfg', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 21_600 })).MaximumEventAgeInSeconds, 21_600);
      await t.client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'cfg' }));
    });

    it('answers ResourceNotFoundException for a missing function', async () => {
      await rejectsWith(putConfig('nope', { MaximumRetryAttempts: 1 }), 'ResourceNotFoundException', 404);
      await rejectsWith(t.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', 404);
      await rejectsWith(
        t.client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'nope', MaximumRetryAttempts: 1 })),
        'ResourceNotFoundException',
        404,
      );
      await rejectsWith(t.client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', 404);
      await rejectsWith(t.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', 404);
    });

    it("DeleteFunction removes the function's configuration", async () => {
      await deploy('cfg-gone', 'exports.handler = async () => null;');
      await putConfig('cfg-gone', { MaximumRetryAttempts: 0 });
      await t.client.send(new DeleteFunctionCommand({ FunctionName: 'cfg-gone' }));
      await rejectsWith(t.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'cfg-gone' })), 'ResourceNotFoundException', 404);
      await deploy('cfg-gone', 'exports.handler = async () => null;');
      await rejectsWith(
        t.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'cfg-gone' })),
        'ResourceNotFoundException',
        404,
        `The function ${arn('cfg-gone')}:$LATEST doesn't have an EventInvokeConfig`,
      );
    });
  });
});

describe("asynchronous invocation with Lambda's real retry delays", () => {
  let t: TestPlatform;
  const { deploy, event, putConfig, drained } = helpers(() => t);

  before(async () => {
    t = await startPlatform({ idleTimeoutMs: 60_000 });
    await deploy('sink', SINK);
  });
  after(() => t.stop());

  it('MaximumEventAgeInSeconds 60: the 1-minute retry would land too late, so the failure goes to OnFailure as EventAgeExceeded', async () => {
    await deploy('aging', FAILING);
    await putConfig('aging', { MaximumEventAgeInSeconds: 60, DestinationConfig: { OnFailure: { Destination: arn('sink') } } });
    const id = await event('aging', { old: true });
    const { record } = await waitForRecord(t.platform, 'sink', MARKER, id);
    assert.equal(record.version, '1.0');
    assert.equal(record.requestContext.requestId, id);
    assert.equal(record.requestContext.functionArn, `${arn('aging')}:$LATEST`);
    assert.equal(record.requestContext.condition, 'EventAgeExceeded');
    assert.equal(record.requestContext.approximateInvokeCount, 1);
    assert.deepEqual(record.requestPayload, { old: true });
    await drained('aging');
    const events = await waitForAttempts(t.platform, 'aging', id, 1);
    assert.deepEqual(frames(events, id), { start: 1, end: 1, report: 1 }, 'no retry');
    assert.deepEqual(await failedEvents(t.platform, 'aging'), []);
  });

  it('MaximumEventAgeInSeconds 60 without a destination: the failed-event store keeps it as EventAgeExceeded', async () => {
    await deploy('aging2', FAILING);
    await putConfig('aging2', { MaximumEventAgeInSeconds: 60 });
    const id = await event('aging2', {});
    const failed = await waitForFailed(t.platform, 'aging2', id);
    assert.equal(failed.condition, 'EventAgeExceeded');
    assert.equal(failed.approximateInvokeCount, 1);
    assert.match(failed.lastError ?? '', /broken on purpose/);
    await drained('aging2');
    // The event settles when the attempt answers; its END and REPORT lines are written just after.
    assert.deepEqual(frames(await waitForAttempts(t.platform, 'aging2', id, 1), id), { start: 1, end: 1, report: 1 });
  });
});
