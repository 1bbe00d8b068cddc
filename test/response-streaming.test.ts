import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  type InvokeWithResponseStreamCommandOutput,
} from '@aws-sdk/client-lambda';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, nodeZip } from './support/zip.js';

const run = promisify(execFile);

const HANDLERS: Record<string, string> = {
  // Writes a piece, waits, then says when it wrote the second: the reader must have had the first before then.
  paced: `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
    stream.setContentType('text/plain');
    stream.write('first;');
    await new Promise((r) => setTimeout(r, 3000));
    stream.write(String(Date.now()));
    stream.end();
  });`,
  failing: `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
    stream.write('partial');
    await new Promise((r) => setTimeout(r, 50));
    throw new Error('broke midway');
  });`,
  buffered: `exports.handler = async (event) => ({ got: event });`,
  http: `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
    stream = awslambda.HttpResponseStream.from(stream, { statusCode: 201, headers: { 'content-type': 'text/html', 'x-kind': 'streamed' }, cookies: ['a=1', 'b=2'] });
    stream.write('<p>one</p>');
    stream.write('<p>' + event.rawPath + '</p>');
    stream.end();
  });`,
};

async function readEvents(out: InvokeWithResponseStreamCommandOutput, onChunk?: (text: string) => void) {
  const chunks: string[] = [];
  let complete: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } | undefined;
  for await (const event of out.EventStream!) {
    if (event.PayloadChunk !== undefined) {
      const text = decode(event.PayloadChunk.Payload);
      onChunk?.(text);
      chunks.push(text);
    }
    if (event.InvokeComplete !== undefined) complete = event.InvokeComplete;
  }
  return { chunks, complete };
}

describe('response streaming: awslambda.streamifyResponse in the Node runtime, InvokeWithResponseStream, streamed function URLs', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform();
    for (const [name, source] of Object.entries(HANDLERS)) {
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Timeout: 15,
          Role: ROLE,
          Code: { ZipFile: await nodeZip(source) },
        }),
      );
    }
  });
  after(async () => t?.stop());

  it('delivers each piece as the handler writes it, in AWS event-stream frames the SDK reads', async () => {
    const out = await t.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'paced', Payload: Buffer.from('{}') }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.ExecutedVersion, '$LATEST');
    assert.equal(out.ResponseStreamContentType, 'text/plain');
    let firstAt: number | undefined;
    const { chunks, complete } = await readEvents(out, (text) => {
      if (text.startsWith('first')) firstAt ??= Date.now();
    });
    const body = chunks.join('');
    assert.match(body, /^first;\d+$/);
    const secondWrittenAt = Number(body.slice('first;'.length));
    assert.ok(firstAt !== undefined && firstAt < secondWrittenAt, 'the first piece arrived before the handler wrote the second');
    assert.deepEqual(complete, {});
  });

  it('reports an error after some bytes in InvokeComplete, with the log tail when asked', async () => {
    const out = await t.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'failing', LogType: 'Tail' }));
    const { chunks, complete } = await readEvents(out);
    assert.equal(chunks.join(''), 'partial');
    assert.equal(complete?.ErrorCode, 'Error');
    assert.match(complete?.ErrorDetails ?? '', /broke midway/);
    assert.match(Buffer.from(complete?.LogResult ?? '', 'base64').toString(), /REPORT RequestId/);
  });

  it('streams a buffered function as one chunk, answers DryRun, and a plain Invoke collects a stream whole', async () => {
    const out = await t.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'buffered', Payload: Buffer.from('{"a":1}') }));
    const { chunks, complete } = await readEvents(out);
    assert.deepEqual(JSON.parse(chunks.join('')), { got: { a: 1 } });
    assert.deepEqual(complete, {});

    const dry = await t.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'paced', InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);
    await assert.rejects(t.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'missing' })), { name: 'ResourceNotFoundException' });

    const whole = await t.client.send(new InvokeCommand({ FunctionName: 'paced' }));
    assert.match(decode(whole.Payload), /^first;\d+$/);
  });

  it('serves a RESPONSE_STREAM URL: the prelude of HttpResponseStream.from is the status, headers and cookies, the rest goes out chunked', async () => {
    const { FunctionUrl } = await t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'http', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' }));
    await t.client.send(
      new AddPermissionCommand({ FunctionName: 'http', StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }),
    );
    const url = new URL(FunctionUrl!);
    const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: t.platform.port, path: '/page', headers: { host: url.host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers['content-type'], 'text/html');
    assert.equal(answer.headers['x-kind'], 'streamed');
    assert.equal(answer.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(answer.body, '<p>one</p><p>/page</p>');

    // curl sees the same, as a user would.
    const { stdout } = await run('curl', ['-s', `${FunctionUrl}curl`]);
    assert.equal(stdout, '<p>one</p><p>/curl</p>');
  });
});
