import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, type CreateFunctionCommandInput } from '@aws-sdk/client-lambda';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { signedFetch } from './support/signed-fetch.js';
import { nodeZip } from './support/zip.js';

describe('bad input gets Lambda error types and leaves nothing behind', () => {
  let t: TestPlatform;
  let zip: Buffer;
  const base = (): CreateFunctionCommandInput => ({
    FunctionName: 'bad-input',
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Role: ROLE,
    Code: { ZipFile: zip },
  });

  before(async () => {
    t = await startPlatform();
    zip = await nodeZip('exports.handler = async (e) => e;');
    await t.client.send(new CreateFunctionCommand({ ...base(), FunctionName: 'exists' }));
  });
  after(() => t.stop());

  const table: Array<[string, Partial<CreateFunctionCommandInput> | (() => Partial<CreateFunctionCommandInput>), string, RegExp, number]> = [
    [
      'bad name',
      { FunctionName: 'bad name!' },
      'ValidationException',
      /at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern/,
      400,
    ],
    // AWS's own wording, but as an InvalidParameterValueException (its recordings show it so).
    ['name over 64', { FunctionName: 'x'.repeat(65) }, 'InvalidParameterValueException', /Member must have length less than or equal to 64/, 400],
    [
      'memory too low',
      { MemorySize: 100 },
      'ValidationException',
      /Value '100' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128/,
      400,
    ],
    ['memory too high', { MemorySize: 10_241 }, 'ValidationException', /Member must have value less than or equal to 10240/, 400],
    ['timeout zero', { Timeout: 0 }, 'ValidationException', /at 'timeout'.*greater than or equal to 1/, 400],
    ['timeout over 900', { Timeout: 901 }, 'ValidationException', /at 'timeout'.*less than or equal to 900/, 400],
    [
      'environment over 4 KB',
      { Environment: { Variables: { BIG: 'x'.repeat(4100) } } },
      'InvalidParameterValueException',
      /exceeded the 4KB limit. String measured: \{"BIG"/,
      400,
    ],
    [
      'reserved environment key',
      { Environment: { Variables: { AWS_REGION: 'x' } } },
      'InvalidParameterValueException',
      /Reserved keys used in this request: AWS_REGION/,
      400,
    ],
    [
      'not a zip',
      { Code: { ZipFile: Buffer.from('definitely not a zip') } },
      'InvalidParameterValueException',
      /^Could not unzip uploaded file. Please check your file, then try to upload again.$/,
      400,
    ],
    ['existing name', { FunctionName: 'exists' }, 'ResourceConflictException', /^Function already exist: exists$/, 409],
    [
      'unknown runtime',
      { Runtime: 'cobol85' as never },
      // Lambda's own check, not the model's: AWS answers it so (test/parity).
      'InvalidParameterValueException',
      /^Value cobol85 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: \[.*\] or be a valid ARN$/,
      400,
    ],
    ['unsupported runtime', { Runtime: 'java21' }, 'InvalidParameterValueException', /java21 is not supported by selfless yet/, 400],
    [
      'deprecated runtime',
      { Runtime: 'nodejs20.x' },
      'InvalidParameterValueException',
      /^The runtime parameter of nodejs20.x is no longer supported for creating or updating AWS Lambda functions/,
      400,
    ],
    ['retired runtime', { Runtime: 'nodejs16.x' }, 'InvalidParameterValueException', /nodejs16.x is no longer supported/, 400],
    [
      'layers',
      { Layers: ['arn:aws:lambda:us-east-1:000000000000:layer:l:1'] },
      'InvalidParameterValueException',
      /Layers is not supported by selfless yet/,
      400,
    ],
    [
      'vpc',
      { VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] } },
      'InvalidParameterValueException',
      /VpcConfig is not supported by selfless yet/,
      400,
    ],
    [
      'container image',
      { PackageType: 'Image', Code: { ImageUri: '1.dkr.ecr/x:1' } },
      'InvalidParameterValueException',
      /container images\) is not supported/,
      400,
    ],
    [
      'other architecture',
      { Architectures: [process.arch === 'arm64' ? 'x86_64' : 'arm64'] },
      'InvalidParameterValueException',
      /is not supported on this host yet/,
      400,
    ],
    ['bad role', { Role: 'not-a-role' }, 'ValidationException', /at 'role' failed to satisfy constraint/, 400],
    ['tracing active', { TracingConfig: { Mode: 'Active' } }, 'InvalidParameterValueException', /X-Ray\) is not supported/, 400],
  ];

  for (const [what, change, name, message, status] of table) {
    it(`refuses ${what} with ${name}`, async () => {
      const before = await readdir(join(t.dataDir, 'code'));
      const input = { ...base(), ...(typeof change === 'function' ? change() : change) };
      await assert.rejects(t.client.send(new CreateFunctionCommand(input)), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, name);
        assert.match(error.message, message);
        assert.equal(error.$metadata?.httpStatusCode, status);
        return true;
      });
      assert.deepEqual(await readdir(join(t.dataDir, 'code')), before, 'no code package left behind');
      if (input.FunctionName !== 'exists') {
        await assert.rejects(t.client.send(new GetFunctionCommand({ FunctionName: 'bad-input' })), { name: 'ResourceNotFoundException' });
      }
    });
  }

  it('answers a body that is not JSON with InvalidRequestContentException', async () => {
    const res = await signedFetch(t.platform, 'POST', '/2015-03-31/functions', { body: '{"FunctionName": ', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.Type, 'User');
    assert.match(String(body.message), /Could not parse request body into json/);
  });

  it('answers a missing function with ResourceNotFoundException naming its ARN', async () => {
    // An invoke names what it looked for: $LATEST when no qualifier was given, as AWS does.
    await assert.rejects(t.client.send(new InvokeCommand({ FunctionName: 'nope' })), {
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope:$LATEST',
    });
    await assert.rejects(t.client.send(new InvokeCommand({ FunctionName: 'exists', Qualifier: '7' })), {
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:exists:7',
    });
  });

  it('refuses an invoke payload that is not JSON', async () => {
    await assert.rejects(t.client.send(new InvokeCommand({ FunctionName: 'exists', Payload: Buffer.from('{nope') })), {
      name: 'InvalidRequestContentException',
      message: /^Could not parse request body into json: Could not parse payload into json: /,
    });
  });

  it('refuses an invoke payload over 6 MB with 413 RequestEntityTooLargeException', async () => {
    const payload = Buffer.from(JSON.stringify({ x: 'y'.repeat(6_291_456) }));
    await assert.rejects(
      t.client.send(new InvokeCommand({ FunctionName: 'exists', Payload: payload })),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, 'RequestEntityTooLargeException');
        assert.equal(error.message, 'Request must be smaller than 6291456 bytes for the InvokeFunction operation');
        assert.equal(error.$metadata?.httpStatusCode, 413);
        return true;
      },
    );
  });

  it("refuses Event payloads over 1 MB with Lambda's 413, and queues nothing", async () => {
    const payload = Buffer.from(JSON.stringify({ pad: 'x'.repeat(1_048_576) }));
    await assert.rejects(
      t.client.send(new InvokeCommand({ FunctionName: 'exists', InvocationType: 'Event', Payload: payload })),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, 'RequestEntityTooLargeException');
        assert.equal(error.message, `${payload.length} byte payload is too large for the Event invocation type (limit 1048576 bytes)`);
        assert.equal(error.$metadata?.httpStatusCode, 413);
        return true;
      },
    );
    await assert.rejects(t.client.send(new InvokeCommand({ FunctionName: 'exists', InvocationType: 'Event', Payload: Buffer.from('{not json') })), {
      name: 'InvalidRequestContentException',
    });
    assert.equal(await t.platform.async.depth('exists'), 0);
  });

  it('answers DryRun with 204 and runs nothing', async () => {
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'exists', InvocationType: 'DryRun' }));
    assert.equal(out.StatusCode, 204);
    assert.equal(out.ExecutedVersion, undefined, 'AWS names no version for a DryRun');
    assert.equal(t.platform.pool.stats('exists').environments, 0);
  });

  /** No request may end as a logged 500 with a stack trace: the platform's log stays free of failures. */
  const noRequestFailures = () =>
    assert.deepEqual(
      t.logs.filter((line) => line.includes('request failed')),
      [],
    );

  it('answers a 100,000-level nested JSON body with 400 InvalidRequestContentException, not a 500', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const field of ['Description', 'Environment', 'Tags', 'FunctionName']) {
      const body = `{"FunctionName":"deep","Runtime":"nodejs22.x","Role":"${ROLE}","Handler":"i.h","Code":{"ZipFile":""},"${field}":${deep}}`;
      const res = await signedFetch(t.platform, 'POST', '/2015-03-31/functions', { body, headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 400, field);
      assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidRequestContentException', field);
    }
    noRequestFailures();
  });

  it('answers a value of the wrong type nested within the limit with a 400 that shows it', async () => {
    const nested = '['.repeat(60) + ']'.repeat(60);
    const body = `{"FunctionName":"nested","Runtime":"nodejs22.x","Role":"${ROLE}","Handler":"i.h","Code":{"ZipFile":""},"Environment":${nested}}`;
    const res = await signedFetch(t.platform, 'POST', '/2015-03-31/functions', { body, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    noRequestFailures();
  });

  it('answers a malformed % escape in the path with 400 ValidationException, not a 500', async () => {
    for (const path of ['/2015-03-31/functions/%E0%A4%A', '/2015-03-31/functions/%E0%A4%A/invocations', '/2015-03-31/functions/%/configuration']) {
      const method = path.endsWith('invocations') ? 'POST' : 'GET';
      const res = await signedFetch(t.platform, method, path, method === 'POST' ? { body: '{}' } : {});
      assert.equal(res.status, 400, path);
      assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException', path);
    }
    noRequestFailures();
  });

  it('answers a Host header that is not a host and port with a 400', async () => {
    const { request } = await import('node:http');
    const url = new URL(t.platform.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/2015-03-31/functions', headers: { host: 'evil.example/"><script>' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once('error', reject);
      req.end();
    });
    assert.equal(status, 400);
    noRequestFailures();
  });
});
