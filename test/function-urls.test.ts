import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  ListFunctionUrlConfigsCommand,
  PublishVersionCommand,
  UpdateFunctionUrlConfigCommand,
} from '@aws-sdk/client-lambda';
import { SignatureV4 } from '@smithy/signature-v4';
import { rejectsWith } from './support/assertions.js';
import { awsCli } from './support/aws-cli.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { Sha256 } from './support/sha256.js';
import { nodeZip } from './support/zip.js';

const run = promisify(execFile);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request to the platform's port with any Host header (fetch will not send one of its own choosing). */
function call(
  port: number,
  options: { method?: string; path?: string; host: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { host: options.host, ...(body === undefined ? {} : { 'content-length': String(body.length) }), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Echoes the event it was given, or answers what the event's body asks for. */
const ECHO = `exports.handler = async (event) => {
  if (event.rawPath === '/answer') return JSON.parse(event.body);
  if (event.rawPath === '/throw') throw new Error('boom');
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'x-echo': 'yes' }, body: JSON.stringify(event) };
};`;

describe('function URLs: the configuration API and requests served as payload 2.0 events', () => {
  let t: TestPlatform;
  let port: number;
  let region: string;
  let account: string;
  const hostOf = (url: string) => new URL(url).host;
  const makePublic = (name: string, qualifier?: string) =>
    t.client.send(
      new AddPermissionCommand({
        FunctionName: name,
        ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
        StatementId: 'public-url',
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
      }),
    );

  before(async () => {
    t = await startPlatform();
    port = t.platform.port;
    ({ region, accountId: account } = t.platform.config);
    for (const name of ['echo', 'other']) {
      await t.client.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await nodeZip(ECHO) } }),
      );
    }
  });
  after(async () => t?.stop());

  it('creates, gets, updates, lists and deletes a URL configuration with Lambda shapes', async () => {
    const created = await t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'other', AuthType: 'AWS_IAM' }));
    assert.equal(created.$metadata.httpStatusCode, 201);
    assert.match(created.FunctionUrl ?? '', new RegExp(`^http://[a-z0-9]{32}\\.lambda-url\\.${region}\\.localhost:${port}/$`));
    assert.equal(created.FunctionArn, `arn:aws:lambda:${region}:${account}:function:other`);
    assert.equal(created.AuthType, 'AWS_IAM');
    // AWS's create answer names InvokeMode only when the request gave it; the configuration has it.
    assert.equal(created.InvokeMode, undefined);
    assert.match(String(created.CreationTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    await rejectsWith(
      t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'other', AuthType: 'NONE' })),
      'ResourceConflictException',
      409,
      /FunctionUrlConfig exists/,
    );

    const updated = await t.client.send(
      new UpdateFunctionUrlConfigCommand({ FunctionName: 'other', AuthType: 'NONE', Cors: { AllowOrigins: ['https://example.com'], MaxAge: 60 } }),
    );
    assert.equal(updated.AuthType, 'NONE');
    assert.deepEqual(updated.Cors, { AllowOrigins: ['https://example.com'], MaxAge: 60 });
    assert.equal(updated.FunctionUrl, created.FunctionUrl);

    const got = await t.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'other' }));
    assert.equal(got.FunctionUrl, created.FunctionUrl);
    assert.ok(got.LastModifiedTime !== undefined);

    const listed = await t.client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'other' }));
    assert.deepEqual(
      listed.FunctionUrlConfigs?.map((c) => c.FunctionUrl),
      [created.FunctionUrl],
    );

    await t.client.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'other' }));
    await rejectsWith(t.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'other' })), 'ResourceNotFoundException', 404, /does not exist/);
    // The URL no longer answers.
    const gone = await call(port, { host: hostOf(created.FunctionUrl!) });
    assert.equal(gone.status, 403);
  });

  it('refuses what Lambda refuses', async () => {
    await rejectsWith(t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'nope', AuthType: 'NONE' })), 'ResourceNotFoundException');
    await rejectsWith(
      t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'BASIC' as 'NONE' })),
      'ValidationException',
      400,
      /Value 'BASIC' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: \[NONE, AWS_IAM\]/,
    );
    await rejectsWith(
      t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'NONE', InvokeMode: 'FAST' as 'BUFFERED' })),
      'ValidationException',
      400,
      /at 'invokeMode'/,
    );
    await rejectsWith(
      t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'NONE', Qualifier: '1' })),
      'ValidationException',
      400,
      /at 'qualifier'/,
    );
    await rejectsWith(
      t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'NONE', Qualifier: 'missing' })),
      'ResourceNotFoundException',
    );
    await rejectsWith(
      t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'NONE', Cors: { MaxAge: 100_000 } })),
      'ValidationException',
      400,
      /at 'cors.maxAge'/,
    );
    await rejectsWith(t.client.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'NONE' })), 'ResourceNotFoundException');
    await rejectsWith(t.client.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'echo' })), 'ResourceNotFoundException');
  });

  it('serves a public URL only once the function policy lets anyone invoke it, as a payload 2.0 event', async () => {
    const { FunctionUrl } = await t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'NONE' }));
    const host = hostOf(FunctionUrl!);
    const refused = await call(port, { host, path: '/hello' });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['x-amzn-errortype'], 'AccessDeniedException');
    assert.match(JSON.parse(refused.body.toString()).Message, /^Forbidden\. For troubleshooting Function URL authorization issues/);

    await makePublic('echo');
    const answer = await call(port, {
      host,
      method: 'POST',
      path: '/my/path?b=2&a=1&a=3',
      headers: { 'content-type': 'text/plain', cookie: 'c1=v1; c2=v2', 'x-multi': 'one', 'user-agent': 'tester/1' },
      body: 'Hello from client!',
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-echo'], 'yes');
    const event = JSON.parse(answer.body.toString()) as Record<string, any>;
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, '$default');
    assert.equal(event.rawPath, '/my/path');
    assert.equal(event.rawQueryString, 'b=2&a=1&a=3');
    assert.deepEqual(event.queryStringParameters, { b: '2', a: '1,3' });
    assert.deepEqual(event.cookies, ['c1=v1', 'c2=v2']);
    assert.equal(event.headers.cookie, undefined);
    assert.equal(event.headers['x-multi'], 'one');
    assert.equal(event.headers['user-agent'], 'tester/1');
    assert.equal(event.body, 'Hello from client!');
    assert.equal(event.isBase64Encoded, false);
    const ctx = event.requestContext;
    assert.equal(ctx.http.method, 'POST');
    assert.equal(ctx.http.path, '/my/path');
    assert.equal(ctx.http.sourceIp, '127.0.0.1');
    assert.equal(ctx.http.userAgent, 'tester/1');
    assert.equal(ctx.domainPrefix, host.split('.')[0]);
    assert.equal(ctx.apiId, host.split('.')[0]);
    assert.equal(ctx.authorizer, undefined);
    assert.match(ctx.time, /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    assert.equal(typeof ctx.timeEpoch, 'number');

    // The path form reaches the same URL, and the function sees the path without the prefix.
    const byPath = await call(port, { host: `127.0.0.1:${port}`, path: `/lambda-url/${host.split('.')[0]}/x/y?q=1` });
    assert.equal(byPath.status, 200);
    assert.equal(JSON.parse(byPath.body.toString()).rawPath, '/x/y');
  });

  it('maps the function answer to HTTP as Lambda does', async () => {
    const { FunctionUrl } = await t.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }));
    const host = hostOf(FunctionUrl!);
    const answer = (value: unknown) =>
      call(port, { host, method: 'POST', path: '/answer', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

    const inferred = await answer({ hello: 'world' });
    assert.equal(inferred.status, 200);
    assert.equal(inferred.headers['content-type'], 'application/json');
    assert.equal(inferred.body.toString(), '{"hello":"world"}');
    assert.equal((await answer('hello')).body.toString(), 'hello');
    assert.equal((await answer([1, true])).body.toString(), '[1,true]');

    const structured = await answer({ statusCode: 201, headers: { 'x-a': 'b', 'content-type': 'text/plain' }, cookies: ['s=1; Path=/', 't=2'], body: 'made' });
    assert.equal(structured.status, 201);
    assert.equal(structured.headers['x-a'], 'b');
    assert.equal(structured.headers['content-type'], 'text/plain');
    assert.deepEqual(structured.headers['set-cookie'], ['s=1; Path=/', 't=2']);
    assert.equal(structured.body.toString(), 'made');

    const binary = Buffer.from([0, 1, 2, 250, 255]);
    const decoded = await answer({
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: binary.toString('base64'),
      isBase64Encoded: true,
    });
    assert.deepEqual(decoded.body, binary);

    const redirect = await answer({ statusCode: 302, headers: { location: '/elsewhere' } });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, '/elsewhere');

    const failed = await call(port, { host, path: '/throw' });
    assert.equal(failed.status, 502);
    assert.equal(failed.body.toString(), 'Internal Server Error');
  });

  it('hands a binary request body to the function as base64', async () => {
    const { FunctionUrl } = await t.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }));
    const bytes = Buffer.from([0xff, 0x00, 0x10, 0x80]);
    const answer = await call(port, {
      host: hostOf(FunctionUrl!),
      method: 'PUT',
      path: '/upload',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    const event = JSON.parse(answer.body.toString()) as { body: string; isBase64Encoded: boolean };
    assert.equal(event.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(event.body, 'base64'), bytes);
  });

  it('answers CORS preflights from the configuration without invoking, and adds CORS headers to responses', async () => {
    await t.client.send(
      new UpdateFunctionUrlConfigCommand({
        FunctionName: 'echo',
        Cors: { AllowOrigins: ['https://app.example'], AllowMethods: ['GET', 'POST'], AllowHeaders: ['x-custom'], ExposeHeaders: ['x-echo'], MaxAge: 300 },
      }),
    );
    const { FunctionUrl } = await t.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }));
    const host = hostOf(FunctionUrl!);
    const preflight = await call(port, {
      host,
      method: 'OPTIONS',
      path: '/throw', // would be a 502 if the function ran
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(preflight.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(preflight.headers['access-control-allow-headers'], 'x-custom');
    assert.equal(preflight.headers['access-control-max-age'], '300');

    const simple = await call(port, { host, path: '/', headers: { origin: 'https://app.example' } });
    assert.equal(simple.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(simple.headers['access-control-expose-headers'], 'x-echo');
    const stranger = await call(port, { host, path: '/', headers: { origin: 'https://evil.example' } });
    assert.equal(stranger.headers['access-control-allow-origin'], undefined);
  });

  it('AWS_IAM URLs take SigV4 for service lambda and pass the caller in requestContext.authorizer.iam', async () => {
    await t.client.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'AWS_IAM' }));
    const { FunctionUrl } = await t.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }));
    const url = new URL(FunctionUrl!);
    const unsigned = await call(port, { host: url.host, path: '/' });
    assert.equal(unsigned.status, 403);

    const signer = new SignatureV4({ service: 'lambda', region, credentials: t.platform.rootKey, sha256: Sha256 });
    const body = '{"x":1}';
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port,
      path: '/signed',
      query: { a: 'b' },
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    });
    const answer = await call(port, { host: url.host, method: 'POST', path: '/signed?a=b', headers: signed.headers, body });
    assert.equal(answer.status, 200, answer.body.toString());
    const event = JSON.parse(answer.body.toString()) as Record<string, any>;
    assert.equal(event.requestContext.authorizer.iam.accessKey, t.platform.rootKey.accessKeyId);
    assert.equal(event.requestContext.authorizer.iam.accountId, account);
    assert.equal(event.requestContext.accountId, account);

    const tampered = await call(port, { host: url.host, method: 'POST', path: '/signed?a=b', headers: signed.headers, body: '{"x":2}' });
    assert.equal(tampered.status, 403);
  });

  it('serves an alias URL with the alias, and deleting the alias or the function deletes its URL', async () => {
    const { Version } = await t.client.send(new PublishVersionCommand({ FunctionName: 'other' }));
    await t.client.send(new CreateAliasCommand({ FunctionName: 'other', Name: 'live', FunctionVersion: Version }));
    const created = await t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'other', Qualifier: 'live', AuthType: 'NONE' }));
    assert.equal(created.FunctionArn, `arn:aws:lambda:${region}:${account}:function:other:live`);
    await makePublic('other', 'live');
    const answer = await call(port, { host: hostOf(created.FunctionUrl!), path: '/' });
    assert.equal(answer.status, 200);

    await t.client.send(new DeleteAliasCommand({ FunctionName: 'other', Name: 'live' }));
    await rejectsWith(t.client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'missing' })), 'ResourceNotFoundException');
    assert.deepEqual((await t.client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'other' }))).FunctionUrlConfigs, []);

    const { FunctionUrl } = await t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'other', AuthType: 'NONE' }));
    await t.client.send(new DeleteFunctionCommand({ FunctionName: 'other' }));
    assert.equal((await call(port, { host: hostOf(FunctionUrl!) })).status, 403);
  });

  it('works with the AWS CLI, and the FunctionUrl it prints is one curl reaches as it is', async () => {
    const aws = awsCli(t.platform);
    await t.client.send(
      new CreateFunctionCommand({ FunctionName: 'cli', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await nodeZip(ECHO) } }),
    );
    const created = await aws('lambda', 'create-function-url-config', '--function-name', 'cli', '--auth-type', 'NONE', '--cors', 'AllowOrigins=*,MaxAge=10');
    assert.equal(created.AuthType, 'NONE');
    assert.deepEqual(created.Cors, { AllowOrigins: ['*'], MaxAge: 10 });
    await aws(
      'lambda',
      'add-permission',
      '--function-name',
      'cli',
      '--statement-id',
      'url',
      '--action',
      'lambda:InvokeFunctionUrl',
      '--principal',
      '*',
      '--function-url-auth-type',
      'NONE',
    );
    const { stdout } = await run('curl', ['-s', '-i', `${created.FunctionUrl}hello?name=curl`]);
    assert.match(stdout, /^HTTP\/1\.1 200 OK/);
    const event = JSON.parse(stdout.slice(stdout.indexOf('\r\n\r\n') + 4)) as { rawPath: string; queryStringParameters: Record<string, string> };
    assert.equal(event.rawPath, '/hello');
    assert.deepEqual(event.queryStringParameters, { name: 'curl' });
    const listed = await aws('lambda', 'list-function-url-configs', '--function-name', 'cli');
    assert.equal(listed.FunctionUrlConfigs.length, 1);
    await aws('lambda', 'delete-function-url-config', '--function-name', 'cli');
    await assert.rejects(aws('lambda', 'get-function-url-config', '--function-name', 'cli'), /ResourceNotFoundException/);
  });
});
