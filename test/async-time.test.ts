import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ManualScheduler } from '../src/core/index.js';
import { nextEvent } from './support/lifecycle.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

describe("async retries on the platform's scheduler", () => {
  let t: TestPlatform;
  const time = new ManualScheduler();
  const mine = (event: { platformId: string; functionName: string }) => event.platformId === t.platform.id && event.functionName === 'flaky';

  before(async () => {
    t = await startPlatform({}, {}, { clock: time });
    // Fails on its first run in an environment, succeeds after: the retry finds the same warm environment.
    const zip = await nodeZip("let runs = 0; exports.handler = async () => { runs += 1; if (runs === 1) throw new Error('first run'); return 'ok'; };");
    await t.client.send(
      new CreateFunctionCommand({ FunctionName: 'flaky', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip } }),
    );
  });
  after(() => t.stop());

  it("waits Lambda's real one minute before the first retry, without the test waiting it", async () => {
    const firstOutcome = nextEvent('selfless:queue:settle', mine);
    await t.client.send(new InvokeCommand({ FunctionName: 'flaky', InvocationType: 'Event', Payload: Buffer.from('{}') }));
    assert.equal((await firstOutcome).outcome, 'retry');
    assert.equal(await t.platform.async.depth('flaky'), 1);

    const retried = nextEvent('selfless:queue:settle', mine);
    time.advance(59_000);
    // Not due yet: the event waits in the queue.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await t.platform.async.depth('flaky'), 1);
    time.advance(1_000);
    assert.equal((await retried).outcome, 'done');
    assert.equal(await t.platform.async.depth('flaky'), 0);
  });
});
