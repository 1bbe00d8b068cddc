import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import type { Platform } from '../src/platform.js';
import { readLogs, usageOf, waitFor } from './support/async.js';
import { startServerProcess, type ServerProcess } from './support/hostile.js';
import { ROLE } from './support/platform.js';
import { decode, makeZip, nodeZip } from './support/zip.js';

/**
 * A function's own Runtime API is the widest door hostile code has into the platform: whatever bytes it
 * sends there must be answered or dropped, never end the server. These run the real server as a
 * separate process, so a crash shows as that process having exited.
 */

/**
 * Raw HTTP/1.1 requests to the environment's Runtime API from inside the handler, each on its own
 * connection: `truncate` sends the head and a part of the promised body, then closes; the answer is the
 * status line, or what happened to the connection.
 */
const PROBER = `
const net = require('node:net');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
function raw(bytes, { truncate = false } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host);
    let answer = '';
    const done = (what) => { socket.destroy(); resolve(what); };
    socket.on('data', (d) => { answer += d.toString('latin1'); const line = answer.split('\\r\\n')[0]; if (answer.includes('\\r\\n')) done(line); });
    socket.on('error', (e) => done('error ' + e.code));
    socket.on('close', () => done(answer ? answer.split('\\r\\n')[0] : 'closed'));
    socket.setTimeout(5000, () => done('no answer'));
    socket.write(bytes, () => { if (truncate) socket.end(); });
  });
}
const post = (path, body, extra = '') => 'POST ' + path + ' HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: ' + Buffer.byteLength(body) + '\\r\\n' + extra + '\\r\\n' + body;
const R = '/2018-06-01/runtime';
exports.handler = async (event, context) => {
  const own = R + '/invocation/' + context.awsRequestId;
  const probes = {
    badEscapeResponse: () => raw(post(R + '/invocation/%E0%A4%A/response', '{}')),
    badEscapeError: () => raw(post(R + '/invocation/%E0%A4%A/error', '{}')),
    badEscapeNext: () => raw('GET ' + R + '/invocation/%E0%A4%A/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'),
    truncatedOwnResponse: () => raw('POST ' + own + '/response HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\nhello', { truncate: true }),
    truncatedOwnError: () => raw('POST ' + own + '/error HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\nhello', { truncate: true }),
    truncatedInitError: () => raw('POST ' + R + '/init/error HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\nhello', { truncate: true }),
    truncatedOthersResponse: () => raw('POST ' + R + '/invocation/someone-else/response HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\nhello', { truncate: true }),
    wrongMethod: () => raw('DELETE ' + R + '/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'),
    putResponse: () => raw('PUT ' + own + '/response HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\n\\r\\n{}'),
    unknownPath: () => raw('GET /../../etc/passwd HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'),
    hugeHeader: () => raw('GET ' + R + '/invocation/next HTTP/1.1\\r\\nHost: x\\r\\nX-Big: ' + 'a'.repeat(100 * 1024) + '\\r\\n\\r\\n'),
    manyHeaders: () => raw('GET ' + R + '/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n' + 'X-H: 1\\r\\n'.repeat(5000) + '\\r\\n'),
    negativeLength: () => raw('POST ' + own + '/response HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: -5\\r\\n\\r\\n{}'),
    textLength: () => raw('POST ' + own + '/response HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: abc\\r\\n\\r\\n{}'),
    twoLengths: () => raw('POST ' + own + '/response HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\nContent-Length: 7\\r\\n\\r\\n{}'),
    badChunked: () => raw('POST ' + own + '/response HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\n{}\\r\\n0\\r\\n\\r\\n'),
    garbage: () => raw(Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10])),
    nulInPath: () => raw('POST ' + R + '/invocation/a%00b/response HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\n\\r\\n{}'),
    othersResponse: () => raw(post(R + '/invocation/someone-else/response', '"stolen"')),
    secondNext: () => raw('GET ' + R + '/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'),
    assignment: () => raw('GET ' + R + '/selfless/assignment HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'),
    lateInitError: () => raw(post(R + '/init/error', '{}')),
  };
  const results = {};
  for (const [name, probe] of Object.entries(probes)) results[name] = await probe();
  return { event, results };
};
`;

/** What the test helpers that read logs and usage need of a platform, for a server process. */
async function asPlatform(server: ServerProcess): Promise<Platform> {
  const rootKey = JSON.parse(await readFile(join(server.dataDir, 'credentials.json'), 'utf8')) as unknown;
  return { url: server.url, config: { region: 'us-east-1' }, rootKey } as unknown as Platform;
}

const INNOCENT = 'exports.handler = async (event) => ({ innocent: event });';

/**
 * A custom runtime whose answer is still being posted when the function's timeout ends it: the kill closes
 * the connection mid-body. That is an ordinary function's way into the same path, and it used to end the
 * server — and lose the invocation's REPORT and usage record. The post is slowed down (curl
 * --limit-rate) so it is mid-body at the 1 s timeout, whatever the machine's speed.
 */
const SLOW_ANSWER_BOOTSTRAP = `#!/bin/sh
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
head -c 6000000 /dev/zero | tr '\\0' x > /tmp/big
while true; do
  headers=$(mktemp)
  curl -sS -D "$headers" -o /dev/null "$api/invocation/next" || exit 1
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$headers" | cut -d' ' -f2 | tr -d '\\r')
  curl -sS --limit-rate 200k -o /dev/null -X POST --data-binary @/tmp/big "$api/invocation/$id/response"
done
`;

describe('hostile Runtime API requests', () => {
  let server: ServerProcess;

  before(async () => {
    server = await startServerProcess();
    await server.client.send(
      new CreateFunctionCommand({
        FunctionName: 'prober',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Timeout: 60,
        Code: { ZipFile: await nodeZip(PROBER) },
      }),
    );
    await server.client.send(
      new CreateFunctionCommand({
        FunctionName: 'innocent',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip(INNOCENT) },
      }),
    );
  });
  after(async () => {
    await server?.stop();
  });

  const assertStillServing = async (what: string) => {
    assert.equal(server.process.exitCode, null, `the server exited after ${what}:\n${server.output().slice(-4000)}`);
    const out = await server.client.send(new InvokeCommand({ FunctionName: 'innocent', Payload: '{"after":1}' }));
    assert.equal(out.FunctionError, undefined);
    assert.equal(decode(out.Payload), '{"innocent":{"after":1}}');
  };

  it('answers or drops malformed requests from inside a function, and the function still answers its own invocation', async () => {
    const out = await server.client.send(new InvokeCommand({ FunctionName: 'prober', Payload: '{"n":1}' }));
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    const { event, results } = JSON.parse(decode(out.Payload)) as { event: unknown; results: Record<string, string> };
    // The truncated posts for its own request id were no answer: the runtime's real one came through.
    assert.deepEqual(event, { n: 1 });
    const status = (name: string) => results[name]!.split(' ')[1];
    assert.equal(status('badEscapeResponse'), '400', results.badEscapeResponse);
    assert.equal(status('badEscapeError'), '400', results.badEscapeError);
    assert.equal(status('othersResponse'), '400', results.othersResponse);
    assert.equal(status('unknownPath'), '404', results.unknownPath);
    assert.equal(status('wrongMethod'), '404', results.wrongMethod);
    assert.equal(status('secondNext'), '403', results.secondNext);
    assert.equal(status('lateInitError'), '403', results.lateInitError);
    assert.match(results.hugeHeader!, /^HTTP\/1\.1 431|^closed|^error/, results.hugeHeader);
    assert.doesNotMatch(results.garbage!, /^HTTP\/1\.1 [25]/, results.garbage);
    for (const name of ['negativeLength', 'textLength', 'twoLengths', 'badChunked'])
      assert.doesNotMatch(results[name]!, /^HTTP\/1\.1 [25]/, `${name}: ${results[name]}`);
    await assertStillServing('the probes');
  });

  it('keeps serving when an Event invoke sends the same requests (no crash, so no crash loop on restart)', async () => {
    const before = await server.client.send(new InvokeCommand({ FunctionName: 'prober', InvocationType: 'Event', Payload: '{"n":2}' }));
    assert.equal(before.StatusCode, 202);
    const platformLike = await asPlatform(server);
    // The event ran to its end: its REPORT line is in the log.
    await waitFor('the REPORT of the Event invoke', async () => {
      const events = await readLogs(platformLike, 'prober');
      return events.filter((e) => e.message.startsWith('REPORT')).length >= 2 ? true : undefined;
    });
    await assertStillServing('an Event invoke of the probes');
  });

  it('answers Sandbox.Timedout when a function times out while it posts a large answer, and keeps its REPORT and usage record', async () => {
    await server.client.send(
      new CreateFunctionCommand({
        FunctionName: 'slow-answer',
        Runtime: 'provided.al2023',
        Handler: 'unused',
        Role: ROLE,
        Timeout: 1,
        Code: { ZipFile: await makeZip({ bootstrap: { content: SLOW_ANSWER_BOOTSTRAP, mode: 0o100755 } }) },
      }),
    );
    const out = await server.client.send(new InvokeCommand({ FunctionName: 'slow-answer', Payload: '{}', LogType: 'Tail' }));
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(decode(out.Payload)).errorType, 'Sandbox.Timedout');
    const tail = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    assert.match(tail, /END RequestId: /);
    assert.match(tail, /REPORT RequestId: .*Status: timeout/);
    const platformLike = await asPlatform(server);
    const usage = await waitFor('the usage record', async () => usageOf(platformLike, 'slow-answer'));
    assert.equal(usage.requests, 1);
    await assertStillServing('a timeout mid-post');
  });

  it('cuts output without newlines into events of at most 256 KB and still answers and reports', async () => {
    const source = "exports.handler = async () => { process.stdout.write('z'.repeat(8 * 1024 * 1024) + '\\n'); return 'done'; };";
    await server.client.send(
      new CreateFunctionCommand({
        FunctionName: 'chatter',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Timeout: 60,
        Code: { ZipFile: await nodeZip(source) },
      }),
    );
    const out = await server.client.send(new InvokeCommand({ FunctionName: 'chatter', Payload: '{}' }));
    assert.equal(decode(out.Payload), '"done"');
    const platformLike = await asPlatform(server);
    const zs = (events: readonly { message: string }[]) => events.reduce((n, e) => n + (/^z+$/.test(e.message) ? e.message.length : 0), 0);
    // The output may still be in the pipe when the answer arrives: wait for all of it (none may be lost).
    const events = await waitFor('the REPORT line and all 8 MB of output', async () => {
      const all = await readLogs(platformLike, 'chatter');
      return all.some((e) => e.message.startsWith('REPORT')) && zs(all) >= 8 * 1024 * 1024 ? all : undefined;
    });
    assert.equal(zs(events), 8 * 1024 * 1024);
    assert.ok(
      events.every((e) => Buffer.byteLength(e.message) <= 256 * 1024),
      'an event is over 256 KB',
    );
    await assertStillServing('8 MB of output without a newline');
  });
});
