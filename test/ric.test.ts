import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip, type ZipEntry } from './support/zip.js';

/**
 * AWS's own Node runtime interface client (npm `aws-lambda-ric`, pinned in test/fixtures/ric/package-lock.json),
 * unmodified, as the `bootstrap` of a provided.al2023 function: it drives our Runtime API with its native client
 * (aws-lambda-cpp over libcurl) for next / response / error, and with node:http for init/error.
 */
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/ric/', import.meta.url));
const INSTALL = 'npm ci --prefix test/fixtures/ric';
const RIC = join(FIXTURE, 'node_modules', 'aws-lambda-ric');
const installed = existsSync(join(RIC, 'rapid-client.node'));

/**
 * What goes into the zip: the ric and its runtime dependency. Its other declared dependencies, node-gyp and
 * node-addon-api, only build rapid-client.node at install time (which is why AWS bundles neither at runtime).
 */
const PACKAGES = ['aws-lambda-ric', '@aws/lambda-invoke-store'];

/**
 * The ric reads _HANDLER and LAMBDA_TASK_ROOT itself. `node` comes from PATH (/usr/bin in a sandbox that shows only
 * /usr, /etc, /tmp), and nothing is written next to the code, which may be mounted read-only at /var/task.
 */
const BOOTSTRAP = `#!/bin/sh
exec node "$LAMBDA_TASK_ROOT/node_modules/aws-lambda-ric/index.mjs"
`;

const HANDLER = `exports.handler = async (event, context) => {
  if (event && event.fail) throw new TypeError('handler failed: ' + event.fail);
  console.log('hello from the ric', JSON.stringify(event));
  return {
    event,
    awsRequestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    remaining: context.getRemainingTimeInMillis(),
    env: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  };
};
`;

async function packageFiles(): Promise<Record<string, ZipEntry>> {
  const files: Record<string, ZipEntry> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files[relative(FIXTURE, path)] = { content: await readFile(path), mode: (await stat(path)).mode };
    }
  };
  for (const name of PACKAGES) await walk(join(FIXTURE, 'node_modules', name));
  return files;
}

describe(
  "provided.al2023 with AWS's Node runtime interface client (aws-lambda-ric) as the bootstrap",
  {
    skip: installed ? false : `the aws-lambda-ric fixture is not installed (no ${relative(process.cwd(), RIC) || RIC}/rapid-client.node): run \`${INSTALL}\``,
  },
  () => {
    let t: TestPlatform;
    let ric: Record<string, ZipEntry>;
    const create = async (name: string, files: Record<string, string | ZipEntry>, handler = 'index.handler') =>
      t.client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'provided.al2023',
          Handler: handler,
          Role: ROLE,
          Timeout: 10,
          MemorySize: 256,
          Code: { ZipFile: await makeZip({ bootstrap: { content: BOOTSTRAP, mode: 0o100755 }, ...ric, ...files }) },
        }),
      );
    const invoke = (name: string, payload: unknown) =>
      t.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }));
    const json = (payload: Uint8Array | undefined) => JSON.parse(decode(payload));
    const log = (result: { LogResult?: string }) => Buffer.from(result.LogResult ?? '', 'base64').toString();

    before(async () => {
      t = await startPlatform();
      ric = await packageFiles();
    });
    after(() => t?.stop());

    it("passes invocations through: payload, context from the Runtime API headers, console in Lambda's format, warm reuse", async () => {
      await create('ric-echo', { 'index.js': HANDLER });
      const first = await invoke('ric-echo', { n: 1, nested: { s: 'é' } });
      assert.equal(first.StatusCode, 200);
      assert.equal(first.FunctionError, undefined, decode(first.Payload));
      const body = json(first.Payload);
      assert.deepEqual(body.event, { n: 1, nested: { s: 'é' } });
      assert.equal(body.awsRequestId, first.$metadata.requestId);
      assert.equal(body.functionName, 'ric-echo');
      assert.equal(body.functionVersion, '$LATEST');
      assert.equal(body.invokedFunctionArn, `arn:aws:lambda:${t.platform.config.region}:000000000000:function:ric-echo`);
      assert.equal(body.memoryLimitInMB, '256');
      assert.equal(body.logGroupName, '/aws/lambda/ric-echo');
      assert.equal(typeof body.logStreamName, 'string');
      assert.ok(body.remaining > 0 && body.remaining <= 10_000, `getRemainingTimeInMillis() from Lambda-Runtime-Deadline-Ms: ${body.remaining}`);
      // The ric patches console: `<ISO time>\t<request id>\tINFO\t<message>`.
      assert.match(log(first), new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${first.$metadata.requestId}\\tINFO\\thello from the ric \\{"n":1`));

      const second = await invoke('ric-echo', { n: 2 });
      const again = json(second.Payload);
      assert.deepEqual(again.event, { n: 2 });
      assert.equal(again.awsRequestId, second.$metadata.requestId);
      assert.equal(again.env, body.env, 'the same ric environment served both invocations');
      assert.equal(t.platform.pool.stats('ric-echo').environments, 1);
    });

    it("reports a handler that throws as FunctionError Unhandled with the ric's errorType / errorMessage / trace", async () => {
      await create('ric-throws', { 'index.js': HANDLER });
      const failed = await invoke('ric-throws', { fail: 'on purpose' });
      assert.equal(failed.StatusCode, 200);
      assert.equal(failed.FunctionError, 'Unhandled');
      const error = json(failed.Payload);
      assert.deepEqual(Object.keys(error).sort(), ['errorMessage', 'errorType', 'trace']);
      assert.equal(error.errorType, 'TypeError');
      assert.equal(error.errorMessage, 'handler failed: on purpose');
      assert.ok(Array.isArray(error.trace) && String(error.trace[0]) === 'TypeError: handler failed: on purpose', JSON.stringify(error.trace));
      assert.match(log(failed), /\tERROR\tInvoke Error/);
      // The environment survives a handler error, as on AWS.
      const ok = await invoke('ric-throws', { n: 3 });
      assert.equal(ok.FunctionError, undefined);
      assert.deepEqual(json(ok.Payload).event, { n: 3 });
    });

    it("streams an awslambda.streamifyResponse handler's answer in Lambda's response mode: whole for Invoke, the error trailers as its error", async () => {
      await create('ric-streams', {
        'index.js': `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('part one,');
  await new Promise((resolve) => setTimeout(resolve, 10));
  if (event.fail) throw new RangeError('stream broke: ' + event.fail);
  responseStream.write('part two');
  responseStream.end();
});`,
      });
      const whole = await invoke('ric-streams', {});
      assert.equal(whole.FunctionError, undefined, decode(whole.Payload));
      assert.equal(decode(whole.Payload), 'part one,part two');

      const broken = await invoke('ric-streams', { fail: 'midway' });
      assert.equal(broken.FunctionError, 'Unhandled');
      const error = json(broken.Payload);
      assert.equal(error.errorType, 'RangeError');
      assert.equal(error.errorMessage, 'stream broke: midway');

      const streamed = await t.platform.invoke.invokeSync({ functionName: 'ric-streams', payload: Buffer.from('{}'), logTail: false, streamResponse: true });
      let text = '';
      for await (const chunk of streamed.stream!.body) text += Buffer.from(chunk as Buffer).toString();
      assert.equal(text, 'part one,part two');
      assert.deepEqual(await streamed.stream!.ended, {});
    });

    it('reports init errors the ric posts to /runtime/init/error with its own types', async () => {
      // Same type as our Node runtime (Runtime.ImportModuleError); the ric's message is String(the require error):
      // "Error: Cannot find module 'index'" plus Node's "Require stack:" lines.
      await create('ric-nomodule', { 'other.js': '' });
      const missing = await invoke('ric-nomodule', {});
      assert.equal(missing.StatusCode, 200);
      assert.equal(missing.FunctionError, 'Unhandled');
      const error = json(missing.Payload);
      assert.equal(error.errorType, 'Runtime.ImportModuleError');
      assert.match(error.errorMessage, /^Error: Cannot find module 'index'/);
      assert.ok(Array.isArray(error.trace));
      // Init is retried on the next invocation, and fails the same way.
      assert.equal(json((await invoke('ric-nomodule', {})).Payload).errorType, 'Runtime.ImportModuleError');

      await create('ric-noexport', { 'index.js': 'exports.other = async () => 1;' });
      const noExport = json((await invoke('ric-noexport', {})).Payload);
      assert.deepEqual(
        { errorType: noExport.errorType, errorMessage: noExport.errorMessage },
        { errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.handler is undefined or not exported' },
      );
    });
  },
);
