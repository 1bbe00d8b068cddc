import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip } from './support/zip.js';

/**
 * A custom runtime that misbehaves on purpose around its real work: it posts before `/next`, for request
 * ids that are not its own, asks for a second `/next` and posts an init error mid-invocation, then answers
 * correctly and posts its answer a second time. Each refusal's status is reported in the next answer.
 */
const PROBING_RUNTIME = `
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
const post = async (path, body, headers = {}) => (await fetch(api + path, { method: 'POST', body, headers })).status;
const early = await post('/invocation/not-yet/response', '"too early"');
let late;
for (;;) {
  const next = await fetch(api + '/invocation/next');
  const id = next.headers.get('lambda-runtime-aws-request-id');
  const deadline = Number(next.headers.get('lambda-runtime-deadline-ms'));
  const event = await next.json();
  const report = {
    event, early, late,
    wrongId: await post('/invocation/someone-else/response', '"stolen"'),
    wrongIdError: await post('/invocation/someone-else/error', '{}', { 'Lambda-Runtime-Function-Error-Type': 'X' }),
    secondNext: (await fetch(api + '/invocation/next')).status,
    initError: await post('/init/error', '{}'),
    msLeft: deadline - Date.now(),
  };
  await post('/invocation/' + id + '/response', JSON.stringify(report));
  late = await post('/invocation/' + id + '/response', '"again"');
}
`;

const CLI = fileURLToPath(new URL('../../bin/selfless.js', import.meta.url));

describe('execution environment lifecycle', () => {
  let t: TestPlatform;
  const json = (payload: Uint8Array | undefined) => JSON.parse(decode(payload)) as Record<string, unknown>;

  before(async () => {
    t = await startPlatform();
  });
  after(() => t.stop());

  it('Runtime API refuses answers for other request ids, before /next, and twice; the deadline header matches the timeout', async () => {
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'prober',
        Runtime: 'provided.al2023',
        Handler: 'x',
        Role: ROLE,
        Timeout: 5,
        Code: {
          ZipFile: await makeZip({
            bootstrap: { content: '#!/bin/sh\nexec node "$LAMBDA_TASK_ROOT/runtime.mjs"\n', mode: 0o100755 },
            'runtime.mjs': PROBING_RUNTIME,
          }),
        },
      }),
    );
    const first = await t.client.send(new InvokeCommand({ FunctionName: 'prober', Payload: Buffer.from('{"n":1}') }));
    assert.equal(first.FunctionError, undefined, decode(first.Payload));
    const report = json(first.Payload);
    assert.deepEqual(report.event, { n: 1 }, 'the misplaced posts completed nothing: the real answer arrived');
    assert.equal(report.early, 400, 'a response before /next');
    assert.equal(report.wrongId, 400, 'a response for a request id that is not the current one');
    assert.equal(report.wrongIdError, 400, 'an error for a request id that is not the current one');
    assert.equal(report.secondNext, 403, 'a /next while the invocation is unanswered');
    assert.equal(report.initError, 403, 'an init error after init');
    assert.ok(Number(report.msLeft) > 0 && Number(report.msLeft) <= 5000, `deadline ${report.msLeft} ms ahead for a 5 s timeout`);
    const second = json((await t.client.send(new InvokeCommand({ FunctionName: 'prober', Payload: Buffer.from('{"n":2}') }))).Payload);
    assert.deepEqual(second.event, { n: 2 });
    assert.equal(second.late, 400, 'a second answer for a finished request id');
  });

  it('makes MemorySize a hard limit: Runtime.OutOfMemory, REPORT with Max Memory Used, then a fresh environment', async () => {
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'hog',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        MemorySize: 128,
        Timeout: 30,
        // Off the V8 heap (Buffers), so only the environment's memory limit can stop it.
        Code: {
          ZipFile: await makeZip({
            'index.js': [
              'const kept = [];',
              'exports.handler = async (event) => {',
              '  if (!event.hog) return "fine";',
              '  for (;;) { kept.push(Buffer.alloc(16 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 20)); }',
              '};',
            ].join('\n'),
          }),
        },
      }),
    );
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'hog', Payload: Buffer.from('{"hog":true}'), LogType: 'Tail' }));
    assert.equal(out.FunctionError, 'Unhandled');
    const error = json(out.Payload);
    assert.equal(error.errorType, 'Runtime.OutOfMemory', decode(out.Payload));
    assert.equal(error.errorMessage, `RequestId: ${out.$metadata.requestId} Error: Runtime exited with error: signal: killed`);
    const report = Buffer.from(out.LogResult!, 'base64')
      .toString()
      .split('\n')
      .find((line) => line.startsWith('REPORT'));
    assert.match(report ?? '', /Max Memory Used: ([1-9]\d*) MB\t.*Status: error\tError Type: Runtime\.OutOfMemory/);
    assert.equal(JSON.parse(decode((await t.client.send(new InvokeCommand({ FunctionName: 'hog' }))).Payload)), 'fine');
  });

  it('starts managed runtimes through AWS_LAMBDA_EXEC_WRAPPER', async () => {
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'wrapped',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Environment: { Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/var/task/wrapper.sh' } },
        Code: {
          ZipFile: await makeZip({
            'wrapper.sh': { content: '#!/bin/sh\nexport WRAPPED_ARGS="$*"\nexec "$@"\n', mode: 0o100755 },
            'index.js': 'exports.handler = async () => process.env.WRAPPED_ARGS;',
          }),
        },
      }),
    );
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'wrapped' }));
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    assert.match(JSON.parse(decode(out.Payload)) as string, /node .*--max-old-space-size=\d+ .*bootstrap\.mjs$/);
  });

  it('selfless doctor reports isolation features and runtimes', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [CLI, 'doctor'], { timeout: 60_000 }, (error, out) => (error ? reject(error) : resolve(out)));
    });
    if (t.platform.isolation.sandboxed) {
      assert.match(stdout, /^isolation: sandboxed environments$/m);
      assert.match(stdout, /^ {2}ok {2}uids: /m);
      assert.match(stdout, /^ {2}(ok|no) {2}cgroups: /m);
    } else {
      assert.match(stdout, /^isolation: NONE/m);
      assert.match(stdout, /^ {2}no {2}sandbox: \S/m, 'says why');
    }
    assert.match(stdout, /^ {2}ok {2}nodejs22\.x: /m);
    assert.match(stdout, /^ {2}ok {2}provided\.al2023: /m);
  });
});
