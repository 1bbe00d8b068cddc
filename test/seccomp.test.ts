import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip } from './support/zip.js';

/** A shell runtime that tries what the seccomp filter denies and answers with what happened. */
const BOOTSTRAP = `#!/bin/sh
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
while true; do
  h=$(mktemp); curl -sS -D "$h" -o /dev/null "$api/invocation/next"
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$h" | cut -d' ' -f2 | tr -d '\\r')
  unshare -r true 2>/dev/null; userns=$?
  unshare -m true 2>/dev/null; mountns=$?
  seccomp=$(grep '^Seccomp:' /proc/self/status | tr -dc '0-9')
  nnp=$(grep '^NoNewPrivs:' /proc/self/status | tr -dc '0-9')
  curl -sS -o /dev/null -X POST -d "{\\"userns\\":$userns,\\"mountns\\":$mountns,\\"seccomp\\":$seccomp,\\"nnp\\":$nnp}" "$api/invocation/$id/response"
done
`;

describe('seccomp filter in the sandbox', () => {
  let t: TestPlatform;
  let skip: string | false = false;

  before(async () => {
    t = await startPlatform();
    const feature = t.platform.isolation.features.find((f) => f.name === 'seccomp');
    if (!t.platform.isolation.sandboxed) skip = `no sandbox on this host: ${t.platform.isolation.features[0]?.detail}`;
    else if (!feature?.active) skip = `no seccomp filter on this host: ${feature?.detail}`;
  });
  after(() => t.stop());

  it('denies user and mount namespaces; the filter is in force with no new privileges', async (context) => {
    if (skip) return context.skip(skip);
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'probe',
        Runtime: 'provided.al2023',
        Handler: 'x',
        Role: ROLE,
        Code: { ZipFile: await makeZip({ bootstrap: { content: BOOTSTRAP, mode: 0o100755 } }) },
      }),
    );
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'probe' }));
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    const seen = JSON.parse(decode(out.Payload)) as Record<string, number>;
    assert.notEqual(seen.userns, 0, 'unshare -r (a user namespace) must fail');
    assert.notEqual(seen.mountns, 0, 'unshare -m (a mount namespace) must fail');
    assert.equal(seen.seccomp, 2, 'Seccomp: 2 (filter mode) in /proc/self/status');
    assert.equal(seen.nnp, 1, 'NoNewPrivs: 1');
  });
});
