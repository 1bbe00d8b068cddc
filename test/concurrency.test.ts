import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  type TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { rejectsWith } from './support/assertions.js';
import { Gate } from './support/gate.js';
import { failedEvents, readLogs, startedIds, waitFor, waitForFailed, waitForRecord } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, nodeZip } from './support/zip.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const arn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const MARKER = 'RECORD ';
const HOST_MB = Math.floor(totalmem() / (1024 * 1024));

/**
 * Records when it ran. With `hold`, it waits for the test's gate (an HTTP request to the test process that
 * is answered only when the test releases it), so "running now" is known without any timing; with
 * `sleep`, it sleeps that many ms.
 */
const WORKER = `exports.handler = async (event) => {
  const start = Date.now();
  if (event.hold) await (await fetch(event.hold)).text();
  if (event.sleep) await new Promise((resolve) => setTimeout(resolve, event.sleep));
  const end = Date.now();
  console.log('SPAN ' + start + ' ' + end);
  return { start, end };
};`;
const SINK = `exports.handler = async (event) => { console.log(${JSON.stringify(MARKER)} + JSON.stringify(event)); return 'recorded'; };`;

type AwsErr = Error & { $metadata?: { httpStatusCode?: number }; Reason?: string; Type?: string; retryAfterSeconds?: string };

/** Lambda's throttle, as the SDK parses it: 429 TooManyRequestsException, Type User, Retry-After, the Reason. */
function assertThrottle(error: unknown, reason: string): void {
  const e = error as AwsErr & Partial<TooManyRequestsException>;
  assert.equal(e.name, 'TooManyRequestsException', String(e.message));
  assert.equal(e.$metadata?.httpStatusCode, 429);
  assert.equal(e.Reason, reason);
  assert.equal(e.Type, 'User');
  assert.equal(e.message, 'Rate Exceeded.');
  assert.equal(e.retryAfterSeconds, '1');
}

/** The most intervals [start, end] that overlap at any instant. */
function maxOverlap(spans: ReadonlyArray<{ start: number; end: number }>): number {
  const points = spans.flatMap((s) => [
    { t: s.start, d: 1 },
    { t: s.end, d: -1 },
  ]);
  // An end at the same ms as a start comes first: a slot given back before the next one took it.
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const p of points) {
    now += p.d;
    most = Math.max(most, now);
  }
  return most;
}

/** Sends invokes without awaiting them, and keeps how each settled, so the test can watch them as they do. */
function fire(t: TestPlatform, name: string, payloads: unknown[]) {
  const outcomes: Array<{ ok: true; value: { start: number; end: number } } | { ok: false; error: unknown } | undefined> = payloads.map(() => undefined);
  const all = Promise.all(
    payloads.map(async (payload, i) => {
      try {
        const out = await t.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)) }));
        assert.equal(out.FunctionError, undefined, decode(out.Payload));
        outcomes[i] = { ok: true, value: JSON.parse(decode(out.Payload)) };
      } catch (error) {
        outcomes[i] = { ok: false, error };
      }
    }),
  );
  const settled = () => outcomes.filter((o) => o !== undefined);
  const rejected = () =>
    settled()
      .filter((o) => !o.ok)
      .map((o) => (o as { error: unknown }).error);
  const fulfilled = () =>
    settled()
      .filter((o) => o.ok)
      .map((o) => (o as { value: { start: number; end: number } }).value);
  return { all, rejected, fulfilled };
}

function helpers(get: () => TestPlatform) {
  const deploy = async (name: string, source: string, extra: { MemorySize?: number } = {}) =>
    get().client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Timeout: 300,
        Code: { ZipFile: await nodeZip(source) },
        ...extra,
      }),
    );
  const put = (name: string, value: number) =>
    get().client.send(new PutFunctionConcurrencyCommand({ FunctionName: name, ReservedConcurrentExecutions: value }));
  const del = (name: string) => get().client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: name }));
  const reserved = async (name: string) => (await get().client.send(new GetFunctionConcurrencyCommand({ FunctionName: name }))).ReservedConcurrentExecutions;
  const limits = async () => {
    const out = await get().client.send(new GetAccountSettingsCommand({}));
    return { total: out.AccountLimit?.ConcurrentExecutions, unreserved: out.AccountLimit?.UnreservedConcurrentExecutions };
  };
  const invoke = async (name: string, payload: unknown = {}) => {
    const out = await get().client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)) }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    return JSON.parse(decode(out.Payload)) as { start: number; end: number };
  };
  const event = async (name: string, payload: unknown = {}) => {
    const out = await get().client.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    assert.equal(out.StatusCode, 202);
    return out.$metadata.requestId!;
  };
  return { deploy, put, del, reserved, limits, invoke, event };
}

describe('reserved concurrency (account limit 200)', () => {
  let t: TestPlatform;
  const gate = new Gate();
  const { deploy, put, del, reserved, limits, invoke, event } = helpers(() => t);

  before(async () => {
    await gate.listen();
    // Throttled events back off from 200 ms rather than Lambda's 1 s, so the async tests stay short.
    t = await startPlatform({ idleTimeoutMs: 120_000 }, { SELFLESS_CONCURRENCY_LIMIT: '200', SELFLESS_ASYNC_BACKOFF_MS: '200,2000' });
    await deploy('sink', SINK);
  });
  after(async () => {
    await gate.close();
    await t.stop();
  });

  describe('Put / Get / Delete and GetAccountSettings', () => {
    it('GetFunctionConcurrency answers {} and GetFunction has no Concurrency while none is set', async () => {
      await deploy('shapes', WORKER);
      const out = await t.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'shapes' }));
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.equal(out.ReservedConcurrentExecutions, undefined);
      assert.ok(!('ReservedConcurrentExecutions' in out));
      const fn = await t.client.send(new GetFunctionCommand({ FunctionName: 'shapes' }));
      assert.equal(fn.Concurrency, undefined);
      assert.deepEqual(await limits(), { total: 200, unreserved: 200 });
    });

    it('Put answers the value, Get and GetFunction show it, the unreserved pool shrinks; Delete undoes it all', async () => {
      const out = await put('shapes', 7);
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.equal(out.ReservedConcurrentExecutions, 7);
      assert.equal(await reserved('shapes'), 7);
      assert.equal((await t.client.send(new GetFunctionConcurrencyCommand({ FunctionName: arn('shapes') }))).ReservedConcurrentExecutions, 7, 'by ARN');
      const fn = await t.client.send(new GetFunctionCommand({ FunctionName: 'shapes' }));
      assert.deepEqual(fn.Concurrency, { ReservedConcurrentExecutions: 7 });
      assert.deepEqual(await limits(), { total: 200, unreserved: 193 });

      // A new value replaces the old one (it is not added to it).
      assert.equal((await put(arn('shapes'), 12)).ReservedConcurrentExecutions, 12);
      assert.deepEqual(await limits(), { total: 200, unreserved: 188 });

      const gone = await del('shapes');
      assert.equal(gone.$metadata.httpStatusCode, 204);
      assert.equal(await reserved('shapes'), undefined);
      assert.equal((await t.client.send(new GetFunctionCommand({ FunctionName: 'shapes' }))).Concurrency, undefined);
      assert.deepEqual(await limits(), { total: 200, unreserved: 200 });
      // Deleting what is not set is no error.
      assert.equal((await del('shapes')).$metadata.httpStatusCode, 204);
    });

    it('0 is a reservation like any other: shown by Get and GetFunction, and taken from nothing', async () => {
      assert.equal((await put('shapes', 0)).ReservedConcurrentExecutions, 0);
      assert.equal(await reserved('shapes'), 0);
      assert.deepEqual((await t.client.send(new GetFunctionCommand({ FunctionName: 'shapes' }))).Concurrency, { ReservedConcurrentExecutions: 0 });
      assert.deepEqual(await limits(), { total: 200, unreserved: 200 });
      await del('shapes');
    });

    it('refuses a negative value (the model says min 0) with ValidationException', async () => {
      await rejectsWith(
        put('shapes', -1),
        'ValidationException',
        400,
        "1 validation error detected: Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0",
      );
      assert.equal(await reserved('shapes'), undefined);
    });

    it('refuses a non-integer value and a missing one', async () => {
      await rejectsWith(put('shapes', 1.5), 'InvalidParameterValueException', 400);
      await rejectsWith(
        t.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'shapes' } as never)),
        'ValidationException',
        400,
        /Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null/,
      );
      assert.equal(await reserved('shapes'), undefined);
    });

    it('keeps a tenth of the account limit unreserved: "below its minimum value of [20]"', async () => {
      const below =
        /^Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of \[20\]\.$/;
      await rejectsWith(put('shapes', 181), 'InvalidParameterValueException', 400, below);
      await rejectsWith(put('shapes', 200), 'InvalidParameterValueException', 400, below);

      // Exactly 180 may be reserved, spread over functions so no one of them asks for more than this host's memory.
      const chunk = Math.min(180, Math.floor(HOST_MB / 128));
      const names: string[] = [];
      try {
        for (let left = 180, i = 0; left > 0; left -= chunk, i += 1) {
          const name = `spread-${i}`;
          await deploy(name, WORKER);
          names.push(name);
          await put(name, Math.min(chunk, left));
        }
        assert.deepEqual(await limits(), { total: 200, unreserved: 20 });
        // Not one more, anywhere...
        await rejectsWith(put('shapes', 1), 'InvalidParameterValueException', 400, below);
        // ...but a function may restate (or lower) its own reservation: its current one is not counted twice.
        await put(names[0]!, Math.min(chunk, 180));
        await put(names[0]!, Math.min(chunk, 180) - 1);
        assert.deepEqual(await limits(), { total: 200, unreserved: 21 });
        assert.equal((await put('shapes', 1)).ReservedConcurrentExecutions, 1);
        assert.deepEqual(await limits(), { total: 200, unreserved: 20 });
      } finally {
        for (const name of [...names, 'shapes']) await del(name);
      }
      assert.deepEqual(await limits(), { total: 200, unreserved: 200 });
    });

    it("refuses a reservation this host's memory cannot hold", async () => {
      await deploy('big', WORKER, { MemorySize: 10240 });
      const tooMany = Math.floor(HOST_MB / 10240) + 1;
      assert.ok(tooMany <= 180, `this host (${HOST_MB} MB) holds 180 environments of 10240 MB: nothing to test`);
      await rejectsWith(put('big', tooMany), 'InvalidParameterValueException', 400, /ReservedConcurrentExecutions/);
      assert.equal(await reserved('big'), undefined);
      assert.deepEqual(await limits(), { total: 200, unreserved: 200 });
    });

    it('answers ResourceNotFoundException for a missing function', async () => {
      const missing = `Function not found: ${arn('nope')}`;
      // PutFunctionConcurrency names the function by its $LATEST ARN, as AWS does.
      await rejectsWith(put('nope', 1), 'ResourceNotFoundException', 404, `${missing}:$LATEST`);
      await rejectsWith(t.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', 404, missing);
      await rejectsWith(t.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', 404, missing);
    });

    it('refuses a qualified name (reserved concurrency belongs to the function, not a version)', async () => {
      await t.client.send(new PublishVersionCommand({ FunctionName: 'shapes' }));
      await rejectsWith(put('shapes:1', 1), 'InvalidParameterValueException', 400);
      await rejectsWith(put(`${arn('shapes')}:1`, 1), 'InvalidParameterValueException', 400);
      await rejectsWith(t.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'shapes:1' })), 'InvalidParameterValueException', 400);
      assert.equal(await reserved('shapes'), undefined);
      assert.deepEqual(await limits(), { total: 200, unreserved: 200 });
    });
  });

  describe('throttling synchronous invokes', () => {
    it('with reserved 2, six invokes at once: exactly 2 run, 4 get 429 ReservedFunctionConcurrentInvocationLimitExceeded', async () => {
      await deploy('two', WORKER);
      await put('two', 2);
      const hold = gate.url('two');
      const burst = fire(
        t,
        'two',
        Array.from({ length: 6 }, () => ({ hold })),
      );
      // Nothing finishes until the gate opens: the four refused come back, the two admitted wait at the gate.
      await waitFor('4 throttles and 2 handlers at the gate', async () => (burst.rejected().length === 4 && gate.held('two') === 2 ? true : undefined));
      assert.equal(burst.fulfilled().length, 0);
      for (const error of burst.rejected()) assertThrottle(error, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      // While both slots are taken, one more is refused too.
      await assert.rejects(invoke('two', { hold }), (error) => (assertThrottle(error, 'ReservedFunctionConcurrentInvocationLimitExceeded'), true));
      gate.release('two');
      await burst.all;
      assert.equal(burst.fulfilled().length, 2);
      assert.equal(gate.held('two'), 0);
      // The slots are given back: it runs again.
      await invoke('two');
    });

    it('with reserved 2 and an ~800 ms handler, six invokes at once: never more than 2 at a time, the rest 429', async () => {
      const burst = fire(
        t,
        'two',
        Array.from({ length: 6 }, () => ({ sleep: 800 })),
      );
      await burst.all;
      const ok = burst.fulfilled();
      const throttled = burst.rejected();
      assert.equal(ok.length + throttled.length, 6);
      assert.ok(ok.length >= 2, `${ok.length} succeeded`);
      assert.ok(throttled.length >= 1, 'six invokes of an 800 ms handler at once cannot all fit in 2 slots');
      for (const error of throttled) assertThrottle(error, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      assert.ok(maxOverlap(ok) <= 2, `at most 2 ran at once: ${JSON.stringify(ok)}`);
      await del('two');
    });

    it('with reserved 0, every invoke is throttled and the function never runs; Delete turns it back on', async () => {
      await deploy('off', WORKER);
      await put('off', 0);
      const burst = fire(t, 'off', [{}, {}, {}]);
      await burst.all;
      assert.equal(burst.rejected().length, 3);
      for (const error of burst.rejected()) assertThrottle(error, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      await assert.rejects(invoke('off'), (error) => (assertThrottle(error, 'ReservedFunctionConcurrentInvocationLimitExceeded'), true));
      assert.deepEqual(startedIds(await readLogs(t.platform, 'off')), []);
      await del('off');
      await invoke('off');
    });
  });

  describe('asynchronous invokes', () => {
    it('with reserved 1, a burst of events waits for the slot: every event runs once, one at a time', async () => {
      await deploy('one', WORKER);
      await put('one', 1);
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await event('one', { sleep: 300, i }));
      const events = await waitFor(
        'all 5 events to run',
        async () => {
          const logs = await readLogs(t.platform, 'one');
          const reports = logs.filter((e) => e.message.startsWith('REPORT RequestId:')).length;
          return startedIds(logs).length >= 5 && reports >= 5 ? logs : undefined;
        },
        { timeoutMs: 180_000, everyMs: 250 },
      ).catch(async (error: Error) => {
        // What the platform was doing, so a stall can be told from slowness.
        const logs = await readLogs(t.platform, 'one');
        const state = {
          queued: await t.platform.async.depth('one'),
          failed: await failedEvents(t.platform, 'one'),
          pool: t.platform.pool.stats('one'),
          log: logs.map((e) => e.message).slice(-30),
        };
        throw new Error(`${error.message}: ${JSON.stringify(state)}`);
      });
      assert.deepEqual([...startedIds(events)].sort(), [...ids].sort(), 'each event started exactly once');
      const spans = events.flatMap((e) => {
        const m = /SPAN (\d+) (\d+)/.exec(e.message);
        return m ? [{ start: Number(m[1]), end: Number(m[2]) }] : [];
      });
      assert.equal(spans.length, 5);
      assert.equal(maxOverlap(spans), 1, `one at a time: ${JSON.stringify(spans)}`);
      assert.deepEqual(await failedEvents(t.platform, 'one'), []);
      await waitFor('the queue to drain', async () => ((await t.platform.async.depth('one')) === 0 ? true : undefined));
      await del('one');
    });

    it('with reserved 0, an event goes to the failed-event store with condition ZeroReservedConcurrency, unrun', async () => {
      await put('off', 0);
      const id = await event('off', { never: true });
      const failed = await waitForFailed(t.platform, 'off', id);
      assert.equal(failed.condition, 'ZeroReservedConcurrency');
      assert.equal(failed.approximateInvokeCount, 0);
      assert.deepEqual(JSON.parse(failed.payload), { never: true });
      assert.ok(!startedIds(await readLogs(t.platform, 'off')).includes(id), 'the function did not run');
    });

    it('with reserved 0 and an OnFailure destination, the destination gets the record', async () => {
      await t.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'off', DestinationConfig: { OnFailure: { Destination: arn('sink') } } }));
      const id = await event('off', { to: 'sink' });
      const { record } = await waitForRecord(t.platform, 'sink', MARKER, id);
      assert.equal(record.requestContext.condition, 'ZeroReservedConcurrency');
      assert.equal(record.requestContext.functionArn, `${arn('off')}:$LATEST`);
      assert.equal(record.requestContext.approximateInvokeCount, 0);
      assert.deepEqual(record.requestPayload, { to: 'sink' });
      assert.equal(record.responseContext, undefined);
      assert.ok(!(await failedEvents(t.platform, 'off')).some((e) => e.requestId === id), 'forwarded, not stored');
      await del('off');
    });
  });
});

describe('the account concurrency limit (SELFLESS_CONCURRENCY_LIMIT=10)', () => {
  let t: TestPlatform;
  const gate = new Gate();
  const { deploy, put, del, limits, invoke } = helpers(() => t);

  before(async () => {
    await gate.listen();
    t = await startPlatform({ idleTimeoutMs: 120_000 }, { SELFLESS_CONCURRENCY_LIMIT: '10' });
    await deploy('pool', WORKER);
    await deploy('other', WORKER);
    await deploy('own', WORKER);
  });
  after(async () => {
    await gate.close();
    await t.stop();
  });

  it('GetAccountSettings reports the configured limit', async () => {
    assert.deepEqual(await limits(), { total: 10, unreserved: 10 });
  });

  it('14 invokes at once of an unreserved function: 10 run, 4 get 429 ConcurrentInvocationLimitExceeded', async () => {
    const hold = gate.url('pool');
    const burst = fire(
      t,
      'pool',
      Array.from({ length: 14 }, () => ({ hold })),
    );
    await waitFor('4 throttles and 10 handlers at the gate', async () => (burst.rejected().length === 4 && gate.held('pool') === 10 ? true : undefined), {
      timeoutMs: 300_000,
    });
    for (const error of burst.rejected()) assertThrottle(error, 'ConcurrentInvocationLimitExceeded');
    // The pool is the account's: another unreserved function is throttled too.
    await assert.rejects(invoke('other'), (error) => (assertThrottle(error, 'ConcurrentInvocationLimitExceeded'), true));
    gate.release('pool');
    await burst.all;
    assert.equal(burst.fulfilled().length, 10);
    await invoke('other');
  });

  it('a function with reserved concurrency keeps its own slots while the unreserved pool is full', async () => {
    await put('own', 2);
    assert.deepEqual(await limits(), { total: 10, unreserved: 8 });
    const poolHold = gate.url('pool');
    const ownHold = gate.url('own');
    const pool = fire(
      t,
      'pool',
      Array.from({ length: 14 }, () => ({ hold: poolHold })),
    );
    await waitFor('6 throttles and 8 handlers at the gate', async () => (pool.rejected().length === 6 && gate.held('pool') === 8 ? true : undefined), {
      timeoutMs: 300_000,
    });
    for (const error of pool.rejected()) assertThrottle(error, 'ConcurrentInvocationLimitExceeded');

    const own = fire(t, 'own', [{ hold: ownHold }, { hold: ownHold }]);
    await waitFor('both reserved slots in use', async () => (gate.held('own') === 2 ? true : undefined), { timeoutMs: 300_000 });
    assert.equal(own.rejected().length, 0);
    // Its third invoke is over its own limit; an unreserved one is over the pool's.
    await assert.rejects(invoke('own'), (error) => (assertThrottle(error, 'ReservedFunctionConcurrentInvocationLimitExceeded'), true));
    await assert.rejects(invoke('other'), (error) => (assertThrottle(error, 'ConcurrentInvocationLimitExceeded'), true));

    gate.release('own');
    gate.release('pool');
    await Promise.all([pool.all, own.all]);
    assert.equal(pool.fulfilled().length, 8);
    assert.equal(own.fulfilled().length, 2);
    await invoke('other');
    await del('own');
    assert.deepEqual(await limits(), { total: 10, unreserved: 10 });
  });
});
