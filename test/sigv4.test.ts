import { spawn, spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient, ListFunctionsCommand, UntagResourceCommand } from '@aws-sdk/client-lambda';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifySigV4, type IncomingSignedRequest, type SecretLookup } from '../src/auth/sigv4.js';
import { AwsError, type AwsErrorCode } from '../src/core/errors.js';

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const lookup: SecretLookup = (id) => (id === AKID ? SECRET : undefined);
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:my-fn';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

async function rejectsWith(promise: Promise<unknown>, code: AwsErrorCode, message?: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AwsError, `expected an AwsError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (typeof message === 'string') assert.equal(error.message, message);
    else if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

function withHeaders(req: IncomingSignedRequest, changes: Record<string, string | undefined>): IncomingSignedRequest {
  return { ...req, headers: { ...req.headers, ...changes } };
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Signs like a client would, with the SDK's own signer, and returns what the server would receive. */
async function clientSigned(options: {
  method?: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
  date: Date;
  sessionToken?: string;
  signableHeaders?: string[];
  presignExpires?: number;
}): Promise<IncomingSignedRequest> {
  const signer = new SignatureV4({
    service: 'lambda',
    region: 'us-east-1',
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET, ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}) },
    sha256: Hash.bind(null, 'sha256'),
  });
  const request = new HttpRequest({
    method: options.method ?? 'GET',
    hostname: '127.0.0.1',
    port: 9000,
    path: options.path,
    query: options.query ?? {},
    headers: { host: '127.0.0.1:9000', ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const signed =
    options.presignExpires === undefined
      ? await signer.sign(request, {
          signingDate: options.date,
          ...(options.signableHeaders ? { signableHeaders: new Set(options.signableHeaders) } : {}),
        })
      : await signer.presign(request, { signingDate: options.date, expiresIn: options.presignExpires });
  const search = Object.entries(signed.query ?? {})
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value ?? '']).map((v) => `${escape(key)}=${escape(v)}`))
    .join('&');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return {
    method: signed.method,
    rawUrl: search === '' ? signed.path : `${signed.path}?${search}`,
    headers,
    body: bytes(options.body ?? ''),
  };
}

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

/** An HTTP server that records every request and answers `{}`, which lets the SDK calls complete. */
async function startCapture(): Promise<{ url: string; port: number; requests: Captured[]; close: () => Promise<void> }> {
  const requests: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function incoming(captured: Captured): IncomingSignedRequest {
  return { method: captured.method, rawUrl: captured.url, headers: captured.headers, body: captured.body };
}

describe('LAMBDA-FACTS 4.3 test vectors (botocore-computed)', () => {
  const now = new Date('2024-01-01T00:00:00Z');
  const vector1: IncomingSignedRequest = {
    method: 'GET',
    rawUrl: '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/configuration?Qualifier=%24LATEST',
    headers: {
      host: '127.0.0.1:9000',
      'x-amz-date': '20240101T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=1442ce581a95f60d25b4a1031b840bfe5a5d58ffee528fd386a131785c2198ee',
    },
    body: new Uint8Array(),
  };
  const vector2: IncomingSignedRequest = {
    method: 'POST',
    rawUrl: '/2015-03-31/functions/my-fn/invocations',
    headers: {
      host: '127.0.0.1:9000',
      'x-amz-date': '20240101T000000Z',
      'x-amz-invocation-type': 'RequestResponse',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date;x-amz-invocation-type, Signature=6c5cd935b3d8aa8a0779ce491760b47252b3ed22a7f2fba2465d3c5764065c70',
    },
    body: bytes('{"hello": "world"}'),
  };

  test('vector 1 (GET, ARN path, $LATEST qualifier) verifies', async () => {
    assert.deepEqual(await verifySigV4(vector1, lookup, { now }), { accessKeyId: AKID, region: 'us-east-1' });
  });

  test('vector 2 (POST with a JSON body) verifies', async () => {
    assert.deepEqual(await verifySigV4(vector2, lookup, { now }), { accessKeyId: AKID, region: 'us-east-1' });
  });

  test('one changed byte anywhere breaks the signature', async () => {
    const tampered: IncomingSignedRequest[] = [
      { ...vector1, rawUrl: vector1.rawUrl.replace('my-fn', 'my-fo') },
      { ...vector1, rawUrl: vector1.rawUrl.replace('%24LATEST', '%24LATESU') },
      { ...vector1, method: 'PUT' },
      withHeaders(vector1, { host: '127.0.0.1:9001' }),
      withHeaders(vector1, { authorization: String(vector1.headers.authorization).replace(/ee$/, 'ef') }),
      { ...vector2, body: bytes('{"hello": "worle"}') },
      withHeaders(vector2, { 'x-amz-invocation-type': 'Event' }),
    ];
    for (const req of tampered) await rejectsWith(verifySigV4(req, lookup, { now }), 'InvalidSignatureException', MISMATCH);
  });
});

describe('requests captured from @aws-sdk/client-lambda', () => {
  let capture: Awaited<ReturnType<typeof startCapture>>;
  const byPath = new Map<string, Captured>();

  before(async () => {
    capture = await startCapture();
    const client = new LambdaClient({
      endpoint: capture.url,
      region: 'us-east-1',
      credentials: { accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: 'TOKEN' },
      maxAttempts: 1,
    });
    const calls = [
      new GetFunctionConfigurationCommand({ FunctionName: FUNCTION_ARN, Qualifier: '$LATEST' }),
      new InvokeCommand({
        FunctionName: 'my-fn',
        Payload: bytes('{"hello":"world"}'),
        LogType: 'Tail',
        ClientContext: Buffer.from('{"custom":{}}').toString('base64'),
      }),
      new UntagResourceCommand({ Resource: FUNCTION_ARN, TagKeys: ['b key', 'a/k'] }),
      new ListFunctionsCommand({ Marker: 'abc==', MaxItems: 5 }),
    ];
    for (const command of calls) {
      // Only the request matters; whatever the SDK makes of the stub's `{}` answer is irrelevant.
      // The union of command types doesn't fit send()'s overloads, hence the cast.
      await client.send(command as GetFunctionConfigurationCommand).catch(() => undefined);
    }
    client.destroy();
    for (const req of capture.requests) byPath.set(req.url.split('?')[0] ?? '', req);
  });

  after(() => capture.close());

  function captured(path: string): Captured {
    const req = byPath.get(path);
    assert.ok(req, `the SDK sent nothing to ${path}; captured: ${[...byPath.keys()].join(', ')}`);
    return req;
  }

  const arnPath = '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn';
  const cases: Array<[string, string, RegExp]> = [
    ['GetFunctionConfiguration by ARN with Qualifier', `${arnPath}/configuration`, /\?Qualifier=%24LATEST$/],
    ['Invoke with a payload', '/2015-03-31/functions/my-fn/invocations', /invocations$/],
    ['UntagResource with a space and a slash in keys', `/2017-03-31/tags/${arnPath.slice('/2015-03-31/functions/'.length)}`, /tagKeys=b%20key&tagKeys=a%2Fk$/],
    ['ListFunctions with Marker and MaxItems', '/2015-03-31/functions', /\?Marker=abc%3D%3D&MaxItems=5$/],
  ];
  for (const [name, path, urlShape] of cases) {
    test(`${name} verifies`, async () => {
      const req = captured(path);
      assert.match(req.url, urlShape);
      assert.deepEqual(await verifySigV4(incoming(req), lookup, { now: new Date() }), {
        accessKeyId: AKID,
        region: 'us-east-1',
        sessionToken: 'TOKEN',
      });
    });
  }

  test('Invoke signs its content and x-amz-* headers, and a changed payload is caught', async () => {
    const req = captured('/2015-03-31/functions/my-fn/invocations');
    assert.match(String(req.headers.authorization), /SignedHeaders=[^,]*content-type;[^,]*x-amz-client-context;x-amz-content-sha256;x-amz-date;x-amz-log-type/);
    const changed = { ...incoming(req), body: bytes('{"hello":"World"}') };
    await rejectsWith(verifySigV4(changed, lookup, { now: new Date() }), 'InvalidSignatureException', /x-amz-content-sha256/);
  });
});

const BOTOCORE_SCRIPT = `
import json, sys
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session

base, key, secret = sys.argv[1:4]
creds = Credentials(key, secret)
session = URLLib3Session()

body = json.dumps({"FunctionName": "f1", "Runtime": "nodejs20.x", "Handler": "index.handler", "Code": {"ZipFile": "UEsDBBQ="}})
post = AWSRequest(method="POST", url=base + "/2015-03-31/functions", data=body, headers={"Content-Type": "application/json"})
SigV4Auth(creds, "lambda", "eu-west-1").add_auth(post)
session.send(post.prepare())

get = AWSRequest(method="GET", url=base + "/2015-03-31/functions/my-fn/configuration?Qualifier=%24LATEST")
SigV4QueryAuth(creds, "lambda", "eu-west-1", expires=300).add_auth(get)
session.send(get.prepare())

print(json.dumps({"post": dict(post.headers.items()), "presigned": get.url}))
`;

describe('requests signed by botocore', () => {
  const probe = spawnSync('python3', ['-c', 'import botocore; print(botocore.__version__)'], { encoding: 'utf8' });
  const unavailable =
    probe.status === 0
      ? undefined
      : `botocore is not importable by python3, so the botocore subtests are skipped (${(probe.stderr || String(probe.error)).trim()})`;

  test('a POST with a JSON body and a presigned GET verify', { skip: unavailable }, async () => {
    const capture = await startCapture();
    try {
      const child = spawn('python3', ['-c', BOTOCORE_SCRIPT, capture.url, AKID, SECRET], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, `python3 failed: ${stderr}`);
      const printed = JSON.parse(stdout) as { post: Record<string, string>; presigned: string };

      const [post, get] = capture.requests;
      assert.ok(post && get, `expected two requests, captured ${capture.requests.length}`);
      assert.equal(post.headers.authorization, printed.post.Authorization);
      assert.match(String(post.headers.authorization), /SignedHeaders=content-type;host;x-amz-date,/);
      assert.equal(post.headers['x-amz-content-sha256'], undefined);
      assert.deepEqual(await verifySigV4(incoming(post), lookup, { now: new Date() }), { accessKeyId: AKID, region: 'eu-west-1' });

      assert.match(get.url, /X-Amz-Signature=/);
      assert.equal(get.headers.authorization, undefined);
      assert.deepEqual(await verifySigV4(incoming(get), lookup, { now: new Date() }), { accessKeyId: AKID, region: 'eu-west-1' });

      await rejectsWith(
        verifySigV4({ ...incoming(post), body: bytes(new TextDecoder().decode(post.body).replace('f1', 'f2')) }, lookup, { now: new Date() }),
        'InvalidSignatureException',
        MISMATCH,
      );
    } finally {
      await capture.close();
    }
  });
});

describe('what the verifier accepts', () => {
  const date = new Date('2024-01-01T00:00:00Z');

  test('UNSIGNED-PAYLOAD leaves the body out of the signature', async () => {
    const req = await clientSigned({
      method: 'POST',
      path: '/2015-03-31/functions/f/invocations',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      body: 'a',
      date,
    });
    await verifySigV4({ ...req, body: bytes('anything') }, lookup, { now: date });
  });

  test('a normally unsignable header the client chose to sign is part of the signature', async () => {
    const req = await clientSigned({ path: '/2015-03-31/functions', headers: { 'user-agent': 'tool/1.0' }, signableHeaders: ['user-agent'], date });
    assert.match(String(req.headers.authorization), /SignedHeaders=host;user-agent;/);
    await verifySigV4(req, lookup, { now: date });
    await rejectsWith(verifySigV4(withHeaders(req, { 'user-agent': 'tool/2.0' }), lookup, { now: date }), 'InvalidSignatureException', MISMATCH);
  });

  test('unsigned headers may change freely', async () => {
    const req = await clientSigned({ path: '/2015-03-31/functions', date });
    await verifySigV4(withHeaders(req, { 'user-agent': 'other', 'x-forwarded-for': '10.0.0.1' }), lookup, { now: date });
  });

  test('repeated query keys, reserved characters and the session token', async () => {
    const req = await clientSigned({
      path: '/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af',
      query: { tagKeys: ['z', 'a b', "it's/*"], Marker: '~x+y=' },
      date,
      sessionToken: 'SESSION',
    });
    assert.deepEqual(await verifySigV4(req, lookup, { now: date }), { accessKeyId: AKID, region: 'us-east-1', sessionToken: 'SESSION' });
  });

  test('headers are matched case-insensitively and repeated values joined', async () => {
    const req = await clientSigned({ path: '/2015-03-31/functions', headers: { 'x-custom': 'a,b' }, date });
    const { host, ...rest } = req.headers;
    await verifySigV4({ ...req, headers: { ...rest, Host: host, 'x-custom': ['a', ' b '] } }, lookup, { now: date });
  });

  test('a presigned URL from smithy verifies until it expires', async () => {
    const req = await clientSigned({ path: '/2015-03-31/functions/f/configuration', date, presignExpires: 600, sessionToken: 'SESSION' });
    assert.equal(req.headers.authorization, undefined);
    const caller = await verifySigV4(req, lookup, { now: new Date(date.getTime() + 600_000) });
    assert.deepEqual(caller, { accessKeyId: AKID, region: 'us-east-1', sessionToken: 'SESSION' });
    await rejectsWith(
      verifySigV4(req, lookup, { now: new Date(date.getTime() + 601_000) }),
      'InvalidSignatureException',
      'Signature expired: 20240101T000000Z is now earlier than 20240101T000001Z (20240101T001001Z - 10 min.)',
    );
    await rejectsWith(verifySigV4({ ...req, rawUrl: req.rawUrl.replace('/f/', '/g/') }, lookup, { now: date }), 'InvalidSignatureException', MISMATCH);
  });

  test('skew up to the limit is accepted, and the limit is configurable', async () => {
    const req = await clientSigned({ path: '/2015-03-31/functions', date });
    await verifySigV4(req, lookup, { now: new Date(date.getTime() + 300_000) });
    await verifySigV4(req, lookup, { now: new Date(date.getTime() - 300_000) });
    await rejectsWith(
      verifySigV4(req, lookup, { now: new Date(date.getTime() + 61_000), maxSkewMs: 60_000 }),
      'InvalidSignatureException',
      'Signature expired: 20240101T000000Z is now earlier than 20240101T000001Z (20240101T000101Z - 1 min.)',
    );
  });

  test('a service other than lambda can be required', async () => {
    const req = await clientSigned({ path: '/2015-03-31/functions', date });
    await rejectsWith(verifySigV4(req, lookup, { now: date, service: 'execute-api' }), 'IncompleteSignatureException', /correct service: 'execute-api'/);
  });
});

describe('errors', () => {
  const now = new Date('2024-01-01T00:00:00Z');
  let base: IncomingSignedRequest;
  let auth: string;

  before(async () => {
    base = await clientSigned({ method: 'POST', path: '/2015-03-31/functions/f/invocations', body: '{}', date: now });
    auth = String(base.headers.authorization);
  });

  const withAuth = (authorization: string | undefined) => withHeaders(base, { authorization });
  const verify = (req: IncomingSignedRequest, at: Date = now) => verifySigV4(req, lookup, { now: at });

  test('the unmodified request verifies', async () => {
    await verify(base);
  });

  test('an x-amz-* header added after signing (the session token aside)', async () => {
    await rejectsWith(
      verify(withHeaders(base, { 'x-amz-log-type': 'Tail', 'X-Amz-Client-Context': 'e30=' })),
      'InvalidSignatureException',
      'There were headers present in the request which were not signed: x-amz-client-context, x-amz-log-type',
    );
    // Other headers may come unsigned, as SDKs send user-agent and proxies add their own.
    await verify(withHeaders(base, { 'user-agent': 'added/1.0', 'x-forwarded-for': '10.0.0.1' }));
  });

  test('no Authorization header and no presigned query', async () => {
    await rejectsWith(verify(withAuth(undefined)), 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    await rejectsWith(verify(withAuth('')), 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  });

  test('a scheme other than AWS4-HMAC-SHA256', async () => {
    await rejectsWith(
      verify(withAuth('Bearer abc.def')),
      'IncompleteSignatureException',
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc.def",
    );
    await rejectsWith(
      verify(withAuth(auth.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512'))),
      'IncompleteSignatureException',
      /Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'/,
    );
  });

  test('a missing Credential, SignedHeaders or Signature parameter', async () => {
    for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
      const without = auth.replace(new RegExp(`${name}=[^,]*(, )?`), '').replace(/, $/, '');
      await rejectsWith(
        verify(withAuth(without)),
        'IncompleteSignatureException',
        new RegExp(`^Authorization header requires '${name}' parameter\\. Authorization=AWS4-HMAC-SHA256 `),
      );
    }
    await rejectsWith(
      verify(withAuth(auth.replace('Credential=', 'Credential '))),
      'IncompleteSignatureException',
      /not a valid key=value pair \(missing equal-sign\)/,
    );
  });

  test('a malformed credential scope', async () => {
    const scope = (replacement: string) => withAuth(auth.replace(/Credential=[^,]*/, `Credential=${replacement}`));
    await rejectsWith(verify(scope('AKIDEXAMPLE/20240101/us-east-1/lambda')), 'IncompleteSignatureException', /^Credential should be '<access key id>/);
    await rejectsWith(verify(scope('AKIDEXAMPLE/20240101/us-east-1/lambda/aws4_request/x')), 'IncompleteSignatureException', /^Credential should be/);
    await rejectsWith(
      verify(scope('AKIDEXAMPLE/20240101/us-east-1/lambda/aws5_request')),
      'IncompleteSignatureException',
      /valid terminator: 'aws4_request', not 'aws5_request'/,
    );
    await rejectsWith(
      verify(scope('AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request')),
      'IncompleteSignatureException',
      "Credential should be scoped to correct service: 'lambda'. ",
    );
    await rejectsWith(verify(scope('AKIDEXAMPLE/20240101//lambda/aws4_request')), 'IncompleteSignatureException', /valid region/);
    await rejectsWith(
      verify(scope('AKIDEXAMPLE/20240102/us-east-1/lambda/aws4_request')),
      'IncompleteSignatureException',
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240102' != '20240101', from '20240101T000000Z'.",
    );
  });

  test('a missing or malformed x-amz-date', async () => {
    await rejectsWith(
      verify(withHeaders(base, { 'x-amz-date': undefined })),
      'IncompleteSignatureException',
      /requires existence of either a 'X-Amz-Date' or a 'Date' header\. Authorization=/,
    );
    await rejectsWith(
      verify(withHeaders(base, { 'x-amz-date': undefined, date: 'Mon, 01 Jan 2024 00:00:00 GMT' })),
      'IncompleteSignatureException',
      /Only 'X-Amz-Date'/,
    );
    for (const bad of ['2024-01-01T00:00:00Z', '20240230T000000Z', '20240101T000000']) {
      await rejectsWith(
        verify(withHeaders(base, { 'x-amz-date': bad })),
        'IncompleteSignatureException',
        `Date must be in ISO-8601 'basic format'. Got '${bad}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      );
    }
  });

  test('host or x-amz-date left out of SignedHeaders', async () => {
    await rejectsWith(
      verify(withAuth(auth.replace('SignedHeaders=host;', 'SignedHeaders='))),
      'IncompleteSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
    await rejectsWith(
      verify(withAuth(auth.replace(';x-amz-date', ''))),
      'IncompleteSignatureException',
      "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
    );
  });

  test('more query parameters than can be verified cheaply', async () => {
    const many = Array.from({ length: 201 }, (_, i) => `k${i}=v`).join('&');
    await rejectsWith(verify({ ...base, rawUrl: `${base.rawUrl}?${many}` }), 'IncompleteSignatureException', /201 parameters; at most 200/);
  });

  test('an unknown access key', async () => {
    await rejectsWith(
      verify(withAuth(auth.replace('AKIDEXAMPLE/', 'AKIDOTHER/'))),
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  });

  test('clock skew beyond five minutes, either way', async () => {
    const signedAt = new Date('2019-10-18T22:34:13Z');
    const req = await clientSigned({ path: '/2015-03-31/functions', date: signedAt });
    await rejectsWith(
      verify(req, new Date('2019-10-18T22:40:07.250Z')),
      'InvalidSignatureException',
      'Signature expired: 20191018T223413Z is now earlier than 20191018T223507Z (20191018T224007Z - 5 min.)',
    );
    await rejectsWith(
      verify(req, new Date('2019-10-18T22:28:12Z')),
      'InvalidSignatureException',
      'Signature not yet current: 20191018T223413Z is still later than 20191018T223312Z (20191018T222812Z + 5 min.)',
    );
  });

  test('a signature that does not match', async () => {
    const flipped = auth.replace(/.$/, (last) => (last === '0' ? '1' : '0'));
    await rejectsWith(verify(withAuth(flipped)), 'InvalidSignatureException', MISMATCH);
    await rejectsWith(verify(withAuth(auth.replace(/Signature=\w+/, 'Signature=abc'))), 'InvalidSignatureException', MISMATCH);
    await rejectsWith(
      verifySigV4(base, () => 'another secret', { now }),
      'InvalidSignatureException',
      MISMATCH,
    );
    await rejectsWith(verify({ ...base, rawUrl: `${base.rawUrl}?Qualifier=1` }), 'InvalidSignatureException', MISMATCH);
  });

  test('an x-amz-content-sha256 that is not the body hash or is unsupported', async () => {
    await rejectsWith(
      verify({ ...base, body: bytes('{ }') }),
      'InvalidSignatureException',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
    await rejectsWith(
      verify(withHeaders(base, { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' })),
      'InvalidSignatureException',
      /must be UNSIGNED-PAYLOAD/,
    );
  });

  test('presigned URLs: both mechanisms at once, missing parameters, bad expiry', async () => {
    const presigned = await clientSigned({ path: '/2015-03-31/functions', date: now, presignExpires: 60 });
    await rejectsWith(verify(withHeaders(presigned, { authorization: auth })), 'IncompleteSignatureException', /^Only one auth mechanism allowed/);
    await rejectsWith(
      verify({ ...presigned, rawUrl: presigned.rawUrl.replace(/&?X-Amz-Expires=\d+/, '') }),
      'IncompleteSignatureException',
      /^Query-string authentication version 4 requires/,
    );
    await rejectsWith(
      verify({ ...presigned, rawUrl: presigned.rawUrl.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801') }),
      'IncompleteSignatureException',
      /X-Amz-Expires must be/,
    );
    await rejectsWith(
      verify({ ...presigned, rawUrl: presigned.rawUrl.replace(/X-Amz-Algorithm=[^&]+/, 'X-Amz-Algorithm=AWS4-HMAC-SHA1') }),
      'IncompleteSignatureException',
      /X-Amz-Algorithm only supports/,
    );
    await rejectsWith(
      verify({ ...presigned, rawUrl: presigned.rawUrl.replace(/X-Amz-Credential=AKIDEXAMPLE/, 'X-Amz-Credential=AKIDOTHER') }),
      'UnrecognizedClientException',
    );
  });
});
