import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { PythonInterpreters } from '../src/runtime/index.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip } from './support/zip.js';

const VERSIONS = ['3.10', '3.11', '3.12', '3.13', '3.14'];
const interpreters = new PythonInterpreters(process.env);
const available: string[] = [];
for (const v of VERSIONS) if ((await interpreters.find(v)) !== undefined) available.push(v);
const version = available[0];

describe('python3.x runtimes', () => {
  let t: TestPlatform;
  const runtime = `python${version}` as never;
  const deploy = async (name: string, files: Record<string, string>, handler = 'app.handler') =>
    t.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime, Handler: handler, Role: ROLE, Code: { ZipFile: await makeZip(files) } }));
  const invoke = (name: string, payload: unknown = {}) =>
    t.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }));
  const json = (payload: Uint8Array | undefined) => JSON.parse(decode(payload)) as Record<string, any>;

  before(async () => {
    t = await startPlatform();
  });
  after(() => t.stop());

  it(
    'refuses a Python version this host has no interpreter for',
    { skip: VERSIONS.every((v) => available.includes(v)) ? 'every Python version is installed here' : false },
    async () => {
      const missing = VERSIONS.find((v) => !available.includes(v))!;
      await assert.rejects(
        t.client.send(
          new CreateFunctionCommand({
            FunctionName: 'no-python',
            Runtime: `python${missing}` as never,
            Handler: 'app.handler',
            Role: ROLE,
            Code: { ZipFile: await makeZip({ 'app.py': '' }) },
          }),
        ),
        { name: 'InvalidParameterValueException', message: new RegExp(`needs a Python ${missing.replace('.', '\\.')} interpreter`) },
      );
    },
  );

  it(
    'runs a runtime on the interpreter the operator maps to it, and says so',
    { skip: version === undefined || available.length === VERSIONS.length ? 'needs one installed and one missing Python version' : false },
    async () => {
      const missing = VERSIONS.find((v) => !available.includes(v))!;
      const host = (await interpreters.find(version!))!;
      const mapped = await startPlatform({}, { [`SELFLESS_PYTHON_${missing.replace('.', '_')}`]: host.path });
      try {
        await mapped.client.send(
          new CreateFunctionCommand({
            FunctionName: 'py-mapped',
            Runtime: `python${missing}` as never,
            Handler: 'app.handler',
            Role: ROLE,
            Code: { ZipFile: await makeZip({ 'app.py': 'import sys\ndef handler(e, c):\n    return "%d.%d" % sys.version_info[:2]\n' }) },
          }),
        );
        const out = await mapped.client.send(new InvokeCommand({ FunctionName: 'py-mapped' }));
        assert.equal(JSON.parse(decode(out.Payload)), version);
        assert.ok(
          mapped.logs.some((line) => line.includes(`python${missing} functions run on Python ${version}`)),
          mapped.logs.join('\n'),
        );
      } finally {
        await mapped.stop();
      }
    },
  );

  describe('on the host interpreter', { skip: version === undefined ? 'no python3.10–3.14 interpreter on this host' : false }, () => {
    it('runs a handler in a package with the Lambda context, warm', async () => {
      await deploy(
        'py-echo',
        {
          'pkg/__init__.py': '',
          'pkg/app.py': [
            'import os, sys',
            'calls = 0',
            'def main(event, context):',
            '    global calls',
            '    calls += 1',
            '    print("hello from", context.function_name)',
            '    import logging; logging.getLogger().warning("careful")',
            '    return {"event": event, "calls": calls, "version": "%d.%d" % sys.version_info[:2],',
            '            "request_id": context.aws_request_id, "arn": context.invoked_function_arn,',
            '            "memory": context.memory_limit_in_mb, "remaining": context.get_remaining_time_in_millis(),',
            '            "group": context.log_group_name, "handler_env": os.environ.get("_HANDLER")}',
          ].join('\n'),
        },
        'pkg/app.main',
      );
      const first = await invoke('py-echo', { a: 1 });
      assert.equal(first.FunctionError, undefined, decode(first.Payload));
      const out = json(first.Payload);
      assert.deepEqual(out.event, { a: 1 });
      assert.equal(out.version, version);
      assert.equal(out.request_id, first.$metadata.requestId);
      assert.equal(out.arn, 'arn:aws:lambda:us-east-1:000000000000:function:py-echo');
      assert.equal(String(out.memory), '128');
      assert.ok(out.remaining > 0 && out.remaining <= 3000);
      assert.equal(out.group, '/aws/lambda/py-echo');
      assert.equal(out.handler_env, 'pkg/app.main');
      const tail = Buffer.from(first.LogResult!, 'base64').toString();
      assert.match(tail, /hello from py-echo/);
      assert.match(tail, new RegExp(`\\[WARNING\\]\\t\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${first.$metadata.requestId}\\tcareful`));
      assert.equal(json((await invoke('py-echo')).Payload).calls, 2, 'module state survives: the environment is reused');
    });

    it('reports exceptions as Lambda does: errorType, errorMessage, requestId, stackTrace', async () => {
      await deploy('py-error', { 'app.py': 'def handler(event, context):\n    raise ValueError("bad value")\n' });
      const out = await invoke('py-error');
      assert.equal(out.FunctionError, 'Unhandled');
      const error = json(out.Payload);
      assert.equal(error.errorType, 'ValueError');
      assert.equal(error.errorMessage, 'bad value');
      assert.equal(error.requestId, out.$metadata.requestId);
      assert.ok(Array.isArray(error.stackTrace) && error.stackTrace.some((frame: string) => frame.includes('app.py') && frame.includes('in handler')));
    });

    it('reports init errors with Lambda types', async () => {
      await deploy('py-nomodule', { 'other.py': '' });
      assert.equal(json((await invoke('py-nomodule')).Payload).errorType, 'Runtime.ImportModuleError');
      await deploy('py-nohandler', { 'app.py': 'x = 1\n' });
      assert.equal(json((await invoke('py-nohandler')).Payload).errorType, 'Runtime.HandlerNotFound');
      await deploy('py-syntax', { 'app.py': 'def handler(:\n' });
      assert.equal(json((await invoke('py-syntax')).Payload).errorType, 'Runtime.UserCodeSyntaxError');
    });
  });
});
