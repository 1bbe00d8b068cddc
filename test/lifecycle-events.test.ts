import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, DeleteFunctionCommand, InvokeCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { nextEvent } from './support/lifecycle.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

describe('lifecycle events on node:diagnostics_channel', () => {
  let t: TestPlatform;
  const mine = (event: { platformId: string; functionName: string }) => event.platformId === t.platform.id && event.functionName === 'observed';

  before(async () => {
    t = await startPlatform();
    const zip = await nodeZip("exports.handler = async (e) => { if (e.fail) throw new Error('asked to'); return 'ok'; };");
    await t.client.send(
      new CreateFunctionCommand({ FunctionName: 'observed', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip } }),
    );
  });
  after(() => t.stop());

  it('tells of an environment starting, getting ready and running an invocation', async () => {
    const started = nextEvent('selfless:env:start', mine);
    const ready = nextEvent('selfless:env:ready', mine);
    const invokeStart = nextEvent('selfless:invoke:start', mine);
    const invokeEnd = nextEvent('selfless:invoke:end', mine);
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'observed', Payload: Buffer.from('{}') }));
    const requestId = out.$metadata.requestId;
    const [env, readied, begun, ended] = await Promise.all([started, ready, invokeStart, invokeEnd]);
    assert.equal(env.version, '$LATEST');
    assert.equal(readied.environmentId, env.environmentId);
    assert.ok(readied.initMs > 0);
    assert.deepEqual(
      { requestId: begun.requestId, environmentId: begun.environmentId, cold: begun.cold },
      { requestId, environmentId: env.environmentId, cold: true },
    );
    assert.deepEqual({ requestId: ended.requestId, outcome: ended.outcome }, { requestId, outcome: 'success' });
    assert.ok(ended.billedMs >= 1);
  });

  it('tells of an async event entering the queue and of its outcome', async () => {
    const entered = nextEvent('selfless:queue:enqueue', mine);
    const settled = nextEvent('selfless:queue:settle', (e) => mine(e) && e.outcome === 'failed');
    // No retries, so the failure settles at once; no destination, so it goes to the failed-event store.
    await t.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'observed', MaximumRetryAttempts: 0 }));
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'observed', InvocationType: 'Event', Payload: Buffer.from('{"fail":true}') }));
    const requestId = out.$metadata.requestId;
    assert.equal((await entered).requestId, requestId);
    const outcome = await settled;
    assert.deepEqual({ requestId: outcome.requestId, condition: outcome.condition }, { requestId, condition: 'RetriesExhausted' });
  });

  it('tells of environments stopping when their function is deleted', async () => {
    const stopped = nextEvent('selfless:env:stop', mine);
    await t.client.send(new DeleteFunctionCommand({ FunctionName: 'observed' }));
    assert.ok((await stopped).invocations >= 1);
  });
});
