import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  InvokeCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { waitFor } from './support/async.js';
import { Gate } from './support/gate.js';
import { nextEvent } from './support/lifecycle.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { pidAlive, processesOfUid } from './support/processes.js';
import { signedFetch } from './support/signed-fetch.js';
import { decode, makeZip, nodeZip } from './support/zip.js';

describe('synchronous invoke through the Runtime API', () => {
  let t: TestPlatform;
  const deploy = async (name: string, files: Record<string, string>, extra: Partial<CreateFunctionCommandInput> = {}) =>
    t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await makeZip(files) },
        ...extra,
      }),
    );
  const invoke = (name: string, payload: unknown = {}, extra: { LogType?: 'Tail'; ClientContext?: string; Qualifier?: string } = {}) =>
    t.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...extra }));
  const json = (payload: Uint8Array | undefined) => JSON.parse(decode(payload)) as Record<string, unknown>;

  before(async () => {
    t = await startPlatform({ idleTimeoutMs: 60_000 });
  });
  after(() => t.stop());

  it('returns the handler result bytes with 200 and the executed version', async () => {
    await deploy('echo', { 'index.js': 'exports.handler = async (event) => ({ got: event });' });
    const out = await invoke('echo', { a: 1 });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.ExecutedVersion, '$LATEST');
    assert.equal(out.FunctionError, undefined);
    assert.deepEqual(json(out.Payload), { got: { a: 1 } });
    const empty = await t.client.send(new InvokeCommand({ FunctionName: 'echo' }));
    assert.deepEqual(json(empty.Payload), { got: {} }, 'an empty payload is the event {}');
  });

  it('runs ESM handlers (.mjs and "type": "module"), nested paths and callback handlers', async () => {
    await deploy('esm', { 'app.mjs': 'export const handler = async (e) => "mjs:" + e.x;' }, { Handler: 'app.handler' });
    assert.equal(JSON.parse(decode((await invoke('esm', { x: 1 })).Payload)), 'mjs:1');
    await deploy('typemodule', {
      'package.json': '{"type":"module"}',
      'index.js': 'const v = await Promise.resolve(7);\nexport const handler = async () => v;',
    });
    assert.equal(decode((await invoke('typemodule')).Payload), '7');
    await deploy('nested', { 'src/handlers/app.js': 'exports.main = async () => "nested";' }, { Handler: 'src/handlers/app.main' });
    assert.equal(JSON.parse(decode((await invoke('nested')).Payload)), 'nested');
    await deploy('callback', { 'index.js': 'exports.handler = (event, context, callback) => { setTimeout(() => callback(null, { cb: event.n }), 10); };' });
    assert.deepEqual(json((await invoke('callback', { n: 3 })).Payload), { cb: 3 });
  });

  it('gives the handler the Lambda context and environment variables', async () => {
    await deploy(
      'context',
      {
        'index.js': `exports.handler = async (event, context) => ({
          awsRequestId: context.awsRequestId, functionName: context.functionName, functionVersion: context.functionVersion,
          invokedFunctionArn: context.invokedFunctionArn, memoryLimitInMB: context.memoryLimitInMB,
          logGroupName: context.logGroupName, logStreamName: context.logStreamName,
          remaining: context.getRemainingTimeInMillis(), waits: context.callbackWaitsForEmptyEventLoop,
          clientContext: context.clientContext,
          env: Object.fromEntries(['AWS_LAMBDA_FUNCTION_NAME','AWS_LAMBDA_FUNCTION_VERSION','AWS_LAMBDA_FUNCTION_MEMORY_SIZE','AWS_LAMBDA_LOG_GROUP_NAME','AWS_LAMBDA_LOG_STREAM_NAME','AWS_REGION','AWS_DEFAULT_REGION','AWS_EXECUTION_ENV','LAMBDA_TASK_ROOT','LAMBDA_RUNTIME_DIR','_HANDLER','TZ','AWS_LAMBDA_RUNTIME_API','MY_VAR'].map((k) => [k, process.env[k]])),
          node: process.versions.node,
        });`,
      },
      { MemorySize: 256, Timeout: 10, Environment: { Variables: { MY_VAR: 'mine' } } },
    );
    const clientContext = Buffer.from(JSON.stringify({ custom: { k: 'v' } })).toString('base64');
    const out = await invoke('context', {}, { ClientContext: clientContext });
    const c = json(out.Payload) as Record<string, any>;
    assert.equal(c.awsRequestId, out.$metadata.requestId);
    assert.equal(c.functionName, 'context');
    assert.equal(c.functionVersion, '$LATEST');
    assert.equal(c.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:context');
    assert.equal(String(c.memoryLimitInMB), '256');
    assert.equal(c.logGroupName, '/aws/lambda/context');
    assert.match(c.logStreamName, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.ok(c.remaining > 8000 && c.remaining <= 10_000, `remaining time ${c.remaining}`);
    assert.equal(c.waits, true);
    assert.deepEqual(c.clientContext?.custom, { k: 'v' });
    assert.equal(c.env.AWS_LAMBDA_FUNCTION_NAME, 'context');
    assert.equal(c.env.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST');
    assert.equal(c.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
    assert.equal(c.env.AWS_LAMBDA_LOG_GROUP_NAME, '/aws/lambda/context');
    assert.equal(c.env.AWS_LAMBDA_LOG_STREAM_NAME, c.logStreamName);
    assert.equal(c.env.AWS_REGION, 'us-east-1');
    assert.equal(c.env.AWS_DEFAULT_REGION, 'us-east-1');
    assert.equal(c.env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs22.x');
    assert.equal(c.env._HANDLER, 'index.handler');
    assert.equal(c.env.TZ, ':UTC');
    assert.equal(c.env.MY_VAR, 'mine');
    assert.ok(c.env.LAMBDA_TASK_ROOT && c.env.LAMBDA_RUNTIME_DIR && c.env.AWS_LAMBDA_RUNTIME_API);
    assert.match(c.node, /^22\./, 'nodejs22.x runs on Node 22');
  });

  it('reports handler errors as 200 with X-Amz-Function-Error: Unhandled and Lambda error JSON', async () => {
    await deploy('thrower', { 'index.js': 'exports.handler = async () => { throw new TypeError("boom"); };' });
    const out = await invoke('thrower');
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const error = json(out.Payload);
    assert.equal(error.errorType, 'TypeError');
    assert.equal(error.errorMessage, 'boom');
    assert.ok(Array.isArray(error.trace) && String(error.trace[0]).startsWith('TypeError: boom'));
  });

  it('reports init errors with Lambda types, and retries init on the next call', async () => {
    await deploy('nomodule', { 'other.js': '' });
    const missing = await invoke('nomodule');
    assert.equal(missing.FunctionError, 'Unhandled');
    assert.equal(json(missing.Payload).errorType, 'Runtime.ImportModuleError');
    await deploy('noexport', { 'index.js': 'exports.other = async () => 1;' });
    const noExport = await invoke('noexport');
    assert.equal(json(noExport.Payload).errorType, 'Runtime.HandlerNotFound');
    assert.equal(json((await invoke('noexport')).Payload).errorType, 'Runtime.HandlerNotFound');
    await deploy('syntax', { 'index.js': 'exports.handler = async () => {' });
    assert.equal(json((await invoke('syntax')).Payload).errorType, 'Runtime.UserCodeSyntaxError');
    await deploy('streaming', {
      'index.js': "exports.handler = async () => 1; exports.handler[Symbol.for('aws.lambda.runtime.handler.streaming')] = 'request';",
    });
    const streaming = json((await invoke('streaming')).Payload);
    assert.equal(streaming.errorType, 'Runtime.MalformedStreamingHandler');
    assert.equal(streaming.errorMessage, 'Only response streaming is supported.');
  });

  it('reuses a warm environment: init runs once, state survives between invocations', async () => {
    await deploy('warm', {
      'index.js':
        'let inits = 0; inits++; let calls = 0;\nexports.handler = async () => ({ inits, calls: ++calls, env: process.env.AWS_LAMBDA_LOG_STREAM_NAME });',
    });
    const first = json((await invoke('warm')).Payload);
    const second = json((await invoke('warm')).Payload);
    const third = json((await invoke('warm')).Payload);
    assert.deepEqual([first.inits, second.inits, third.inits], [1, 1, 1]);
    assert.deepEqual([first.calls, second.calls, third.calls], [1, 2, 3]);
    assert.equal(first.env, third.env);
  });

  it('starts one environment per concurrent invocation', async () => {
    // Each handler waits at the gate until all three run, so none can finish early and take another's turn.
    const gate = new Gate();
    await gate.listen();
    try {
      await deploy('concurrent', {
        'index.js': 'exports.handler = async (e) => { await (await fetch(e.hold)).text(); return process.env.AWS_LAMBDA_LOG_STREAM_NAME; };',
      });
      const hold = gate.url('concurrent');
      const results = Promise.all([1, 2, 3].map(() => invoke('concurrent', { hold })));
      await waitFor('3 handlers at the gate', async () => (gate.held('concurrent') === 3 ? true : undefined));
      gate.release('concurrent');
      const environments = new Set((await results).map((r) => decode(r.Payload)));
      assert.equal(environments.size, 3);
      assert.equal(t.platform.pool.stats('concurrent').environments, 3);
    } finally {
      await gate.close();
    }
  });

  it('answers Sandbox.Timedout at the timeout, then restarts the runtime: module state is fresh, /tmp is kept', async () => {
    const file = `/tmp/kept-${randomUUID()}`;
    await deploy(
      'slow',
      {
        'index.js': `const fs = require('fs');
const token = Math.random();
exports.handler = async (e) => {
  if (e.write) fs.writeFileSync(e.write, 'kept');
  if (e.hang) for (;;) {}
  return { token, kept: fs.existsSync(${JSON.stringify(file)}) && fs.readFileSync(${JSON.stringify(file)}, 'utf8') };
};`,
      },
      { Timeout: 1 },
    );
    const warm = json((await invoke('slow', { write: file })).Payload);
    assert.equal(warm.kept, 'kept');
    const out = await invoke('slow', { hang: true }, { LogType: 'Tail' });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    assert.deepEqual(json(out.Payload), {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Task timed out after 1.00 seconds`,
    });
    const log = Buffer.from(out.LogResult!, 'base64').toString('utf8');
    assert.match(log, /Task timed out after 1\.00 seconds/);
    assert.match(log, /REPORT RequestId: .*\tStatus: timeout/);
    const next = json((await invoke('slow')).Payload);
    assert.notEqual(next.token, warm.token, 'the runtime was started again: module state is fresh');
    assert.equal(next.kept, 'kept', 'what the function wrote to /tmp is still there, as on Lambda');
    rmSync(file, { force: true }); // the host's /tmp, where environments are plain processes
  });

  it('reports a crash as Runtime.ExitError and keeps serving', async () => {
    await deploy('crash', { 'index.js': 'exports.handler = async (e) => { if (e.exit) process.exit(1); return "alive"; };' });
    const out = await invoke('crash', { exit: true });
    assert.equal(out.FunctionError, 'Unhandled');
    assert.deepEqual(json(out.Payload), {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Runtime exited with error: exit status 1`,
    });
    assert.equal(JSON.parse(decode((await invoke('crash')).Payload)), 'alive');
  });

  it('hands a 5 MB event to the handler whole and returns its 5 MB answer whole, twice on one environment', async () => {
    await deploy('large-echo', { 'index.js': 'exports.handler = async (e) => ({ n: e.data.length, data: e.data });' }, { MemorySize: 512 });
    for (const fill of ['a', 'b']) {
      const data = fill.repeat(5 * 1024 * 1024);
      const out = await invoke('large-echo', { data });
      assert.equal(out.FunctionError, undefined);
      const answer = json(out.Payload) as { n: number; data: string };
      assert.equal(answer.n, data.length);
      assert.ok(answer.data === data, `the answer's data differs (${answer.data.length} characters)`);
    }
  });

  it('refuses a response over 6 MB with Function.ResponseSizeTooLarge, and the next invocation works', async () => {
    await deploy('big', { 'index.js': 'exports.handler = async (e) => e.big ? "x".repeat(7 * 1024 * 1024) : "small";' }, { MemorySize: 512 });
    const out = await invoke('big', { big: true });
    assert.equal(out.FunctionError, 'Unhandled');
    assert.deepEqual(json(out.Payload), {
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
      errorType: 'Function.ResponseSizeTooLarge',
    });
    assert.equal(JSON.parse(decode((await invoke('big')).Payload)), 'small');
  });

  it('returns the last 4 KB of the log, framed by START/END/REPORT, for LogType Tail', async () => {
    await deploy('tail', { 'index.js': 'exports.handler = async () => { console.log("hello", { from: "tail" }); console.error("oops"); return 1; };' });
    const cold = await invoke('tail', {}, { LogType: 'Tail' });
    const log = Buffer.from(cold.LogResult!, 'base64').toString('utf8');
    const id = cold.$metadata.requestId!;
    assert.match(log, new RegExp(`START RequestId: ${id} Version: \\$LATEST\\n`));
    assert.match(log, new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${id}\\tINFO\\thello { from: 'tail' }\\n`));
    assert.match(log, new RegExp(`\\t${id}\\tERROR\\toops\\n`));
    assert.match(log, new RegExp(`END RequestId: ${id}\\n`));
    assert.match(
      log,
      new RegExp(
        `REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: [1-9]\\d* MB\\tInit Duration: \\d+\\.\\d\\d ms\\t`,
      ),
    );
    const warm = Buffer.from((await invoke('tail', {}, { LogType: 'Tail' })).LogResult!, 'base64').toString('utf8');
    assert.doesNotMatch(warm, /Init Duration/, 'no Init Duration on a warm start');
    await deploy('chatty', { 'index.js': 'exports.handler = async () => { for (let i = 0; i < 500; i++) console.log("line " + i); return 1; };' });
    const chatty = await invoke('chatty', {}, { LogType: 'Tail' });
    assert.ok(Buffer.from(chatty.LogResult!, 'base64').length <= 4096);
  });

  it('keeps each invocation framed START … END, REPORT in the log stream, in order', async () => {
    await deploy('ordered', { 'index.js': 'exports.handler = async (e) => { console.log("work", e.i); return e.i; };' });
    const ids: string[] = [];
    for (let i = 0; i < 19; i++) ids.push((await invoke('ordered', { i })).$metadata.requestId!);
    // The last REPORT is written once the runtime is back at /next, just after the caller got its answer.
    const earlier = new Set(ids);
    const lastReported = nextEvent('selfless:invoke:end', (e) => e.platformId === t.platform.id && e.functionName === 'ordered' && !earlier.has(e.requestId));
    ids.push((await invoke('ordered', { i: 19 })).$metadata.requestId!);
    assert.equal((await lastReported).requestId, ids.at(-1));
    const logs = await signedFetch(t.platform, 'GET', '/selfless/v1/functions/ordered/logs');
    const { events } = (await logs.json()) as { events: Array<{ message: string }> };
    const framing = events.map((e) => e.message).filter((m) => /^(START|END|REPORT) RequestId/.test(m) || /\tINFO\twork /.test(m));
    const expected = ids.flatMap((id, i) => [`START ${id}`, `INFO ${id} work ${i}`, `END ${id}`, `REPORT ${id}`]);
    const seen = framing.map((m) => {
      const frame = /^(START|END|REPORT) RequestId: ([0-9a-f-]+)/.exec(m);
      if (frame) return `${frame[1]} ${frame[2]}`;
      const [, id, , text] = m.split('\t');
      return `INFO ${id} ${text}`;
    });
    assert.deepEqual(seen, expected);
  });

  it('retires old environments when code or configuration changes', async () => {
    await deploy('versioned', { 'index.js': 'exports.handler = async () => ["v1", process.env.VV ?? null];' });
    assert.deepEqual(JSON.parse(decode((await invoke('versioned')).Payload)), ['v1', null]);
    await t.client.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'versioned', ZipFile: await nodeZip('exports.handler = async () => ["v2", process.env.VV ?? null];') }),
    );
    assert.deepEqual(JSON.parse(decode((await invoke('versioned')).Payload)), ['v2', null]);
    await t.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'versioned', Environment: { Variables: { VV: 'set' } } }));
    assert.deepEqual(JSON.parse(decode((await invoke('versioned')).Payload)), ['v2', 'set']);
    assert.equal(t.platform.pool.stats('versioned').environments, 1, 'the stale environments were stopped');
  });
});

describe('idle environments', () => {
  it('are stopped after the idle timeout, so an idle platform holds no function processes', async () => {
    const t = await startPlatform({ idleTimeoutMs: 200 });
    try {
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: 'idle',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await nodeZip('exports.handler = async () => ({ pid: process.pid, uid: process.getuid() });') },
        }),
      );
      const reaped = nextEvent('selfless:env:stop', (e) => e.platformId === t.platform.id && e.functionName === 'idle');
      const { pid, uid } = JSON.parse(decode((await t.client.send(new InvokeCommand({ FunctionName: 'idle' }))).Payload)) as { pid: number; uid: number };
      assert.equal(t.platform.pool.stats().environments, 1);
      await reaped;
      assert.equal(t.platform.pool.stats().environments, 0);
      // SIGKILL has been sent; the kernel reaps the processes a moment later. A sandboxed runtime's pid is
      // its namespace's; its host uid is its own, so no process of that uid may remain.
      const alive = () => (t.platform.isolation.sandboxed ? processesOfUid(uid).length > 0 : pidAlive(pid));
      for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(alive(), false, 'the runtime process is gone');
    } finally {
      await t.stop();
    }
  });
});

describe('runtimes run on exactly their Node major', () => {
  it('runs nodejs24.x on Node 24 and, when the operator allows it, the deprecated nodejs20.x on Node 20', async () => {
    const t = await startPlatform({ allowDeprecatedRuntimes: true });
    try {
      const zip = await nodeZip('exports.handler = async () => process.versions.node;');
      for (const [runtime, major] of [
        ['nodejs24.x', '24'],
        ['nodejs20.x', '20'],
      ] as const) {
        const name = runtime.replace('.', '-');
        await t.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime, Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip } }));
        const version = JSON.parse(decode((await t.client.send(new InvokeCommand({ FunctionName: name }))).Payload)) as string;
        assert.equal(version.split('.')[0], major, `${runtime} ran on Node ${version}`);
      }
    } finally {
      await t.stop();
    }
  });
});
