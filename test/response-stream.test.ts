import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { waitFor } from './support/async.js';
import { Gate } from './support/gate.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip } from './support/zip.js';

/**
 * A custom runtime (node, from the host's /usr) that answers in Lambda's streaming response mode, as
 * AWS's runtime interface clients do for `awslambda.streamifyResponse`: chunked, with the failure of a
 * stream already under way in the error trailers. `hold` stops it between its two chunks until the test
 * lets it go, so a test can see the first chunk arrive before the function has finished.
 */
const STREAMING_RUNTIME = `
const http = require('node:http');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const base = '/2018-06-01/runtime/invocation/';
const next = () => new Promise((resolve, reject) => {
  http.get({ host, port, path: base + 'next' }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ id: res.headers['lambda-runtime-aws-request-id'], event: JSON.parse(body) }));
  }).on('error', reject);
});
(async () => {
  for (;;) {
    const { id, event } = await next();
    const req = http.request({ host, port, method: 'POST', path: base + id + '/response', headers: {
      'Lambda-Runtime-Function-Response-Mode': event.mode || 'streaming',
      'Transfer-Encoding': 'chunked',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    } });
    const answered = new Promise((resolve) => req.on('response', (res) => res.resume().on('end', resolve)));
    req.on('error', () => undefined);
    req.write('first,');
    if (event.hold) await (await fetch(event.hold)).text();
    req.write('second');
    if (event.fail) {
      const error = { errorType: 'Stream.Failed', errorMessage: event.fail };
      req.addTrailers({ 'Lambda-Runtime-Function-Error-Type': error.errorType, 'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(error)).toString('base64') });
    }
    req.end();
    await answered;
  }
})();
`;

describe("a runtime answering in Lambda's streaming response mode", () => {
  let t: TestPlatform;
  const gate = new Gate();
  const invoke = (payload: unknown) =>
    t.client.send(new InvokeCommand({ FunctionName: 'streams', Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }));

  before(async () => {
    await gate.listen();
    t = await startPlatform();
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'streams',
        Runtime: 'provided.al2023',
        Handler: 'unused',
        Role: ROLE,
        Timeout: 30,
        Code: {
          ZipFile: await makeZip({
            bootstrap: { content: '#!/bin/sh\nexec node "$LAMBDA_TASK_ROOT/runtime.js"\n', mode: 0o100755 },
            'runtime.js': STREAMING_RUNTIME,
          }),
        },
      }),
    );
  });
  after(async () => {
    await t?.stop();
    await gate.close();
  });

  it('is collected whole for Invoke, as Lambda buffers it', async () => {
    const out = await invoke({});
    assert.equal(out.FunctionError, undefined);
    assert.equal(decode(out.Payload), 'first,second');
  });

  it("reports a failure sent in the error trailers as the function's error", async () => {
    const out = await invoke({ fail: 'broke midway' });
    assert.equal(out.FunctionError, 'Unhandled');
    assert.deepEqual(JSON.parse(decode(out.Payload)), { errorType: 'Stream.Failed', errorMessage: 'broke midway' });
    assert.match(Buffer.from(out.LogResult!, 'base64').toString(), /REPORT RequestId: .*Status: error\tError Type: Stream\.Failed/);
  });

  it('refuses a response mode Lambda does not know, with Runtime.InvalidResponseModeHeader', async () => {
    const out = await invoke({ mode: 'sideways' });
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(decode(out.Payload)).errorType, 'Runtime.InvalidResponseModeHeader');
  });

  it('reaches a caller who asks for a stream as it is written, before the function has finished', async () => {
    const hold = gate.url('stream');
    const out = await t.platform.invoke.invokeSync({
      functionName: 'streams',
      payload: Buffer.from(JSON.stringify({ hold })),
      logTail: false,
      streamResponse: true,
    });
    assert.ok(out.stream !== undefined, 'a stream');
    const chunks = out.stream.body[Symbol.asyncIterator]();
    const first = await chunks.next();
    assert.equal(Buffer.from(first.value as Buffer).toString(), 'first,');
    // It cannot have written the rest: that comes after the gate, which is still shut.
    await waitFor('the function at the gate', async () => (gate.held('stream') === 1 ? true : undefined));
    gate.release('stream');
    let rest = '';
    for (let chunk = await chunks.next(); !chunk.done; chunk = await chunks.next()) rest += Buffer.from(chunk.value as Buffer).toString();
    assert.equal(rest, 'second');
    assert.deepEqual(await out.stream.ended, {});
  });

  it('tells a stream reader how a failed stream ended, after the bytes it had sent', async () => {
    const out = await t.platform.invoke.invokeSync({
      functionName: 'streams',
      payload: Buffer.from(JSON.stringify({ fail: 'late' })),
      logTail: false,
      streamResponse: true,
    });
    let text = '';
    for await (const chunk of out.stream!.body) text += Buffer.from(chunk as Buffer).toString();
    assert.equal(text, 'first,second');
    const ended = await out.stream!.ended;
    assert.equal(ended.errorType, 'Stream.Failed');
    assert.deepEqual(JSON.parse(ended.errorBody!.toString()), { errorType: 'Stream.Failed', errorMessage: 'late' });
  });
});
