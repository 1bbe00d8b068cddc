import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip } from './support/zip.js';

/** A custom runtime in shell: drives the Runtime API with curl, as AWS's tutorial bootstrap does. */
const SHELL_BOOTSTRAP = `#!/bin/sh
set -eu
inits=1
while true; do
  headers=$(mktemp)
  event=$(curl -sS -D "$headers" "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next")
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$headers" | cut -d' ' -f2 | tr -d '\\r')
  rm -f "$headers"
  echo "handling $id"
  case "$event" in
    *fail*) curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Custom.Failure' \\
              -d '{"errorMessage":"asked to fail","errorType":"Custom.Failure"}' \\
              "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/$id/error" ;;
    *) curl -sS -o /dev/null -X POST -d "{\\"event\\":$event,\\"handler\\":\\"$_HANDLER\\",\\"fn\\":\\"$AWS_LAMBDA_FUNCTION_NAME\\",\\"inits\\":$inits}" \\
         "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/$id/response" ;;
  esac
done
`;

describe('provided.al2023 / provided.al2: the bootstrap in the zip drives the Runtime API', () => {
  let t: TestPlatform;
  const create = async (name: string, runtime: 'provided.al2023' | 'provided.al2', files: Parameters<typeof makeZip>[0]) =>
    t.client.send(
      new CreateFunctionCommand({ FunctionName: name, Runtime: runtime, Handler: 'function.handler', Role: ROLE, Code: { ZipFile: await makeZip(files) } }),
    );
  const invoke = (name: string, payload: unknown) =>
    t.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }));

  before(async () => {
    t = await startPlatform();
  });
  after(() => t.stop());

  for (const runtime of ['provided.al2023', 'provided.al2'] as const) {
    it(`runs a shell bootstrap with curl on ${runtime}, warm, with Lambda's environment`, async () => {
      const name = `shell-${runtime.replace('.', '-')}`;
      await create(name, runtime, { bootstrap: { content: SHELL_BOOTSTRAP, mode: 0o100755 } });
      const first = await invoke(name, { n: 1 });
      assert.equal(first.FunctionError, undefined);
      assert.deepEqual(JSON.parse(decode(first.Payload)), { event: { n: 1 }, handler: 'function.handler', fn: name, inits: 1 });
      assert.match(Buffer.from(first.LogResult!, 'base64').toString(), new RegExp(`handling ${first.$metadata.requestId}`));
      const second = await invoke(name, { n: 2 });
      assert.deepEqual(JSON.parse(decode(second.Payload)).event, { n: 2 });
      assert.equal(t.platform.pool.stats(name).environments, 1, 'the same environment served both');
      const failed = await invoke(name, 'please fail');
      assert.equal(failed.FunctionError, 'Unhandled');
      assert.deepEqual(JSON.parse(decode(failed.Payload)), { errorMessage: 'asked to fail', errorType: 'Custom.Failure' });
    });
  }

  it('reports a bootstrap that is missing or not executable as Runtime.InvalidEntrypoint', async () => {
    await create('no-bootstrap', 'provided.al2023', { 'other.sh': 'echo' });
    const missing = await invoke('no-bootstrap', {});
    assert.equal(missing.FunctionError, 'Unhandled');
    assert.deepEqual(JSON.parse(decode(missing.Payload)), {
      errorType: 'Runtime.InvalidEntrypoint',
      errorMessage: `Error: fork/exec ${await codePath(t, 'no-bootstrap')}/bootstrap: no such file or directory`,
    });
    await create('not-executable', 'provided.al2023', { bootstrap: { content: SHELL_BOOTSTRAP, mode: 0o100644 } });
    const denied = JSON.parse(decode((await invoke('not-executable', {})).Payload));
    assert.equal(denied.errorType, 'Runtime.InvalidEntrypoint');
    assert.match(denied.errorMessage, /permission denied$/);
  });
});

/** Where the environment sees the function's code: Lambda's /var/task in a sandbox, the code store's folder otherwise. */
async function codePath(t: TestPlatform, name: string): Promise<string> {
  if (t.platform.isolation.sandboxed) return '/var/task';
  const { GetFunctionCommand } = await import('@aws-sdk/client-lambda');
  const out = await t.client.send(new GetFunctionCommand({ FunctionName: name }));
  return `${t.dataDir}/code/${Buffer.from(out.Configuration!.CodeSha256!, 'base64').toString('hex')}`;
}
