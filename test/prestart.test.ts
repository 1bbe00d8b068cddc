import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { PythonInterpreters } from '../src/runtime/index.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip } from './support/zip.js';

const python = (await new PythonInterpreters(process.env).find('3.11')) ?? (await new PythonInterpreters(process.env).find('3.12'));

const readyFor = (t: TestPlatform, runtime: string, count = 1) => t.platform.pool.prestartedRuntimes().some((p) => p.runtime === runtime && p.ready >= count);

/** Polls until `check` holds (background work: a pre-started runtime becoming ready, a reaper's round). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(check(), what);
}

describe('pre-started generic runtimes', () => {
  let t: TestPlatform;
  const json = (payload: Uint8Array | undefined) => JSON.parse(decode(payload)) as Record<string, any>;
  const create = async (name: string, runtime: string, handler: string, files: Record<string, string>, variables: Record<string, string> = {}) =>
    t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: runtime as never,
        Handler: handler,
        Role: ROLE,
        Environment: { Variables: variables },
        Code: { ZipFile: await makeZip(files) },
      }),
    );

  before(async () => {
    t = await startPlatform();
  });
  after(() => t.stop());

  const NODE_FILES = {
    'lib/index.js': [
      'const { readdirSync } = require("node:fs");',
      'const helper = require("helper");',
      'exports.main = async (event, context) => ({',
      '  event, helper: helper(), secret: process.env.SECRET, name: context.functionName, cwd: process.cwd(),',
      '  task: process.env.LAMBDA_TASK_ROOT, stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME, files: readdirSync(process.env.LAMBDA_TASK_ROOT).sort(),',
      '  prestartedFlag: process.env.SELFLESS_PRESTARTED ?? null,',
      '});',
    ].join('\n'),
  };

  it('gives a new Node function a runtime started before it existed, with its own code, variables and modules', async () => {
    const before = t.platform.pool.stats().prestartHits;
    await create(
      'first',
      'nodejs22.x',
      'lib/index.main',
      { ...NODE_FILES, 'node_modules/helper/index.js': 'module.exports = () => "first";' },
      { SECRET: 'one' },
    );
    assert.equal(json((await t.client.send(new InvokeCommand({ FunctionName: 'first' }))).Payload).secret, 'one');
    // The first cold start of this configuration leaves a generic runtime ready for the next one.
    await eventually(() => readyFor(t, 'nodejs22.x'), 'a runtime is pre-started after the first cold start');

    await create(
      'second',
      'nodejs22.x',
      'lib/index.main',
      { ...NODE_FILES, 'node_modules/helper/index.js': 'module.exports = () => "second";', 'only-second.txt': 'x' },
      { SECRET: 'two' },
    );
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'second', Payload: Buffer.from('{"k":2}') }));
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    assert.equal(t.platform.pool.stats().prestartHits, before + 1, 'the cold start was served by the pre-started runtime');
    const body = json(out.Payload);
    assert.deepEqual(body.event, { k: 2 });
    assert.equal(body.helper, 'second', "its own node_modules, not the first function's");
    assert.equal(body.secret, 'two');
    assert.equal(body.name, 'second');
    assert.equal(body.cwd, body.task);
    assert.deepEqual(body.files, ['lib', 'node_modules', 'only-second.txt'], 'its own code, and nothing else, at its task root');
    assert.equal(body.prestartedFlag, null);
    if (t.platform.isolation.sandboxed) assert.equal(body.task, '/var/task');
    // It keeps serving warm.
    assert.equal(json((await t.client.send(new InvokeCommand({ FunctionName: 'second' }))).Payload).stream, body.stream);
  });

  it('reports init errors of a function given a pre-started runtime as Lambda does, and inits it once', async () => {
    // Two ready: a second init of the same invocation (which there must not be) would take the other one.
    await eventually(() => readyFor(t, 'nodejs22.x', 2), 'two runtimes are pre-started');
    const hits = t.platform.pool.stats().prestartHits;
    await create('broken', 'nodejs22.x', 'index.handler', { 'index.js': 'exports.handler = async () => {' });
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'broken' }));
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(json(out.Payload).errorType, 'Runtime.UserCodeSyntaxError');
    assert.equal(t.platform.pool.stats().prestartHits, hits + 1, 'one init for the one invocation, not a second after the first failed');
  });

  it('does the same for Python', { skip: python === undefined ? 'no python3.11 or 3.12 on this host' : false }, async () => {
    const runtime = `python${python!.version}`;
    const files = {
      'pkg/__init__.py': '',
      'pkg/app.py':
        'import os\ndef handler(event, context):\n    return {"secret": os.environ.get("SECRET"), "cwd": os.getcwd(), "files": sorted(os.listdir(".")), "name": context.function_name}\n',
    };
    await create('py-first', runtime, 'pkg/app.handler', files, { SECRET: 'p1' });
    assert.equal(json((await t.client.send(new InvokeCommand({ FunctionName: 'py-first' }))).Payload).secret, 'p1');
    await eventually(() => readyFor(t, runtime), 'a Python runtime is pre-started');
    const hits = t.platform.pool.stats().prestartHits;
    await create('py-second', runtime, 'pkg/app.handler', { ...files, 'extra.txt': '' }, { SECRET: 'p2' });
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'py-second' }));
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    assert.equal(t.platform.pool.stats().prestartHits, hits + 1);
    assert.deepEqual(json(out.Payload), { secret: 'p2', cwd: json(out.Payload).cwd, files: ['extra.txt', 'pkg'], name: 'py-second' });
  });
});

describe('pre-started runtimes and an idle platform', () => {
  it('are stopped after the idle timeout like any environment', async () => {
    const t = await startPlatform({ idleTimeoutMs: 300 });
    try {
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: 'f',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => 1;' }) },
        }),
      );
      await t.client.send(new InvokeCommand({ FunctionName: 'f' }));
      await eventually(() => t.platform.pool.stats().prestarted === 0 && t.platform.pool.stats().environments === 0, 'nothing left running');
    } finally {
      await t.stop();
    }
  });

  it('come two at a time when a start leaves none, so new functions arriving back to back each find one ready', { timeout: 60_000 }, async () => {
    const t = await startPlatform();
    try {
      for (const name of ['a', 'b', 'c']) {
        await t.client.send(
          new CreateFunctionCommand({
            FunctionName: name,
            Runtime: 'nodejs22.x',
            Handler: 'index.handler',
            Role: ROLE,
            Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => 1;' }) },
          }),
        );
      }
      const node = () => t.platform.pool.prestartedRuntimes().find((p) => p.runtime === 'nodejs22.x');
      await t.client.send(new InvokeCommand({ FunctionName: 'a' }));
      await eventually(() => node()?.ready === 2 && node()?.starting === 0, 'two runtimes are pre-started after the first cold start');
      const hits = t.platform.pool.stats().prestartHits;
      // No pause: a replacement started by the first of these cannot have booted by the second.
      await t.client.send(new InvokeCommand({ FunctionName: 'b' }));
      await t.client.send(new InvokeCommand({ FunctionName: 'c' }));
      assert.equal(t.platform.pool.stats().prestartHits, hits + 2, 'both cold starts were served by pre-started runtimes');
    } finally {
      await t.stop();
    }
  });

  it('are not started when turned off (SELFLESS_PRESTART=0)', async () => {
    const t = await startPlatform({}, { SELFLESS_PRESTART: '0' });
    try {
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: 'f',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => 1;' }) },
        }),
      );
      await t.client.send(new InvokeCommand({ FunctionName: 'f' }));
      // A pre-start begins with the cold start that calls for it, and counts from then (starting or ready).
      assert.equal(t.platform.pool.stats().prestarted, 0);
    } finally {
      await t.stop();
    }
  });
});
