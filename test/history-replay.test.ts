import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { waitFor } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { signedFetch } from './support/signed-fetch.js';
import { decode, nodeZip } from './support/zip.js';

describe('payload capture (SELFLESS_HISTORY_PAYLOADS=1) and replay', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform({}, { SELFLESS_HISTORY_PAYLOADS: '1' });
    const ZipFile = await nodeZip('exports.handler = async (e) => ({ echoed: e, at: Date.now() });');
    await t.client.send(new CreateFunctionCommand({ FunctionName: 'echo', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile } }));
  });
  after(() => t.stop());

  it('replays a captured invocation with its event, stored encrypted, never in plain text', async () => {
    const marker = `secret-${randomUUID()}`;
    const first = await t.client.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify({ marker })) }));
    const requestId = first.$metadata.requestId!;
    const record = await waitFor('the captured record', async () => {
      const response = await signedFetch(t.platform, 'GET', '/selfless/v1/functions/echo/history');
      const { invocations } = (await response.json()) as { invocations: Array<{ requestId: string; captured: boolean }> };
      return invocations.find((r) => r.requestId === requestId);
    });
    assert.equal(record.captured, true);

    const replayed = await signedFetch(t.platform, 'POST', `/selfless/v1/invocations/${requestId}/replay`, {
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(replayed.status, 200);
    const body = (await replayed.json()) as { requestId: string; replayOf: string; executedVersion: string; payload: string };
    assert.equal(body.replayOf, requestId);
    assert.notEqual(body.requestId, requestId, 'a new invocation');
    assert.equal(body.executedVersion, '$LATEST');
    assert.deepEqual((JSON.parse(body.payload) as { echoed: unknown }).echoed, (JSON.parse(decode(first.Payload)) as { echoed: unknown }).echoed);

    await t.platform.destroy();
    for (const file of readdirSync(t.dataDir).filter((f) => f.includes('.db'))) {
      assert.ok(!readFileSync(join(t.dataDir, file)).includes(marker), `${file} holds the event in plain text`);
    }
  });

  it('answers ResourceNotFoundException for a request id it never saw', async () => {
    const t2 = await startPlatform();
    try {
      const response = await signedFetch(t2.platform, 'POST', '/selfless/v1/invocations/no-such-request/replay', { body: '{}' });
      assert.equal(response.status, 404);
      assert.match(await response.text(), /No invocation no-such-request is in the history\./);
    } finally {
      await t2.stop();
    }
  });
});
