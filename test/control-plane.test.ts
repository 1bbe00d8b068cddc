import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  ListTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  paginateListFunctions,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const ARN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

describe('control plane through @aws-sdk/client-lambda', () => {
  let t: TestPlatform;
  let zip: Buffer;
  const create = (input: Partial<CreateFunctionCommandInput> & { FunctionName: string }) =>
    t.client.send(new CreateFunctionCommand({ Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip }, ...input }));

  before(async () => {
    t = await startPlatform();
    zip = await nodeZip('exports.handler = async (event) => event;');
  });
  after(() => t.stop());

  it('creates a function and returns its configuration as AWS does', async () => {
    const out = await create({
      FunctionName: 'cp-basic',
      Description: 'hello',
      MemorySize: 256,
      Timeout: 7,
      Environment: { Variables: { AA: '1' } },
      Tags: { team: 'x' },
    });
    assert.equal(out.$metadata.httpStatusCode, 201);
    assert.equal(out.FunctionName, 'cp-basic');
    assert.equal(out.FunctionArn, ARN('cp-basic'));
    assert.equal(out.Runtime, 'nodejs22.x');
    assert.equal(out.Role, ROLE);
    assert.equal(out.Handler, 'index.handler');
    assert.equal(out.CodeSize, zip.length);
    assert.equal(out.CodeSha256, createHash('sha256').update(zip).digest('base64'));
    assert.equal(out.Description, 'hello');
    assert.equal(out.Timeout, 7);
    assert.equal(out.MemorySize, 256);
    assert.match(out.LastModified ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    assert.equal(out.Version, '$LATEST');
    assert.deepEqual(out.Environment, { Variables: { AA: '1' } });
    // AWS's create answer: Pending, being created (selfless is done already; a read says Active).
    assert.equal(out.State, 'Pending');
    assert.equal(out.StateReason, 'The function is being created.');
    assert.equal(out.StateReasonCode, 'Creating');
    assert.equal(out.LastUpdateStatus, undefined);
    const read = await t.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'cp-basic' }));
    assert.equal(read.State, 'Active');
    assert.equal(read.LastUpdateStatus, 'Successful');
    assert.equal(out.PackageType, 'Zip');
    assert.deepEqual(out.Architectures, ['x86_64']);
    assert.deepEqual(out.EphemeralStorage, { Size: 512 });
    assert.deepEqual(out.TracingConfig, { Mode: 'PassThrough' });
    assert.deepEqual(out.SnapStart, { ApplyOn: 'None', OptimizationStatus: 'Off' });
    assert.deepEqual(out.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/cp-basic' });
    assert.match(out.RuntimeVersionConfig?.RuntimeVersionArn ?? '', /^arn:aws:lambda:us-east-1::runtime:[0-9a-f]+$/);
    assert.match(out.RevisionId ?? '', /^[0-9a-f-]{36}$/);
  });

  it('applies the defaults and omits Environment when never set', async () => {
    const out = await create({ FunctionName: 'cp-defaults' });
    assert.equal(out.MemorySize, 128);
    assert.equal(out.Timeout, 3);
    assert.equal(out.Description, '');
    assert.equal('Environment' in out, false);
  });

  it('gets a function by name, partial ARN and full ARN, with a code link that downloads the zip', async () => {
    for (const name of ['cp-basic', '000000000000:function:cp-basic', ARN('cp-basic'), `${ARN('cp-basic')}:$LATEST`]) {
      const out = await t.client.send(new GetFunctionCommand({ FunctionName: name }));
      assert.equal(out.Configuration?.FunctionName, 'cp-basic');
      assert.deepEqual(out.Tags, { team: 'x' });
      assert.equal(out.Code?.RepositoryType, 'S3');
      assert.equal('Concurrency' in out, false);
    }
    const { Code } = await t.client.send(new GetFunctionCommand({ FunctionName: 'cp-basic' }));
    const download = await fetch(Code!.Location!);
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), zip);
    const forged = await fetch(Code!.Location!.replace(/Signature=[0-9a-f]{4}/, 'Signature=0000'));
    assert.equal(forged.status, 403);
    const config = await t.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'cp-basic', Qualifier: '$LATEST' }));
    assert.equal(config.FunctionName, 'cp-basic');
    assert.equal((await t.client.send(new GetFunctionCommand({ FunctionName: 'cp-defaults' }))).Tags, undefined);
  });

  it('lists functions with Marker/MaxItems pagination', async () => {
    for (const n of [1, 2, 3, 4, 5]) await create({ FunctionName: `cp-page-${n}` });
    const first = await t.client.send(new ListFunctionsCommand({ MaxItems: 2 }));
    assert.equal(first.Functions?.length, 2);
    assert.ok(first.NextMarker);
    assert.equal(first.Functions?.[0]?.State, undefined, 'list omits State as AWS does');
    const names: string[] = [];
    for await (const page of paginateListFunctions({ client: t.client, pageSize: 2 }, {})) {
      names.push(...(page.Functions ?? []).map((f) => f.FunctionName!));
    }
    assert.deepEqual(names, [...names].sort());
    for (const n of [1, 2, 3, 4, 5]) assert.ok(names.includes(`cp-page-${n}`));
    assert.equal(new Set(names).size, names.length, 'no function twice across pages');
  });

  it('updates code and configuration, with a new RevisionId each time and the RevisionId precondition', async () => {
    const before = await t.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'cp-defaults' }));
    const newZip = await nodeZip('exports.handler = async () => "v2";');
    const code = await t.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'cp-defaults', ZipFile: newZip, RevisionId: before.RevisionId }));
    assert.equal(code.CodeSha256, createHash('sha256').update(newZip).digest('base64'));
    assert.notEqual(code.RevisionId, before.RevisionId);
    const config = await t.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'cp-defaults',
        MemorySize: 512,
        Timeout: 30,
        Description: 'd',
        Environment: { Variables: { BB: '2' } },
      }),
    );
    assert.equal(config.MemorySize, 512);
    assert.equal(config.Timeout, 30);
    assert.deepEqual(config.Environment, { Variables: { BB: '2' } });
    assert.notEqual(config.RevisionId, code.RevisionId);
    await assert.rejects(
      t.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cp-defaults', MemorySize: 256, RevisionId: before.RevisionId })),
      { name: 'PreconditionFailedException', message: /does not match the latest Revision Id/ },
    );
  });

  it('tags, untags and lists tags on the function ARN only', async () => {
    await t.client.send(new TagResourceCommand({ Resource: ARN('cp-defaults'), Tags: { a: '1', 'b key': '2', 'c/k': '3' } }));
    await t.client.send(new UntagResourceCommand({ Resource: ARN('cp-defaults'), TagKeys: ['b key', 'c/k'] }));
    assert.deepEqual((await t.client.send(new ListTagsCommand({ Resource: ARN('cp-defaults') }))).Tags, { a: '1' });
    await assert.rejects(t.client.send(new TagResourceCommand({ Resource: `${ARN('cp-defaults')}:1`, Tags: { a: '1' } })), {
      name: 'InvalidParameterValueException',
      message: /Tags on function aliases and versions are not supported/,
    });
  });

  it('reports account settings', async () => {
    const out = await t.client.send(new GetAccountSettingsCommand({}));
    assert.equal(out.AccountLimit?.CodeSizeZipped, 52_428_800);
    assert.equal(out.AccountLimit?.CodeSizeUnzipped, 262_144_000);
    assert.ok((out.AccountUsage?.FunctionCount ?? 0) >= 7);
    assert.ok((out.AccountUsage?.TotalCodeSize ?? 0) > 0);
  });

  it('deletes a function and its code when nothing else uses it', async () => {
    const unique = await nodeZip('exports.handler = async () => "only mine";');
    const created = await create({ FunctionName: 'cp-delete', Code: { ZipFile: unique } });
    const sha = Buffer.from(created.CodeSha256!, 'base64').toString('hex');
    assert.ok((await readdir(join(t.dataDir, 'code'))).includes(sha));
    const out = await t.client.send(new DeleteFunctionCommand({ FunctionName: 'cp-delete' }));
    assert.equal(out.$metadata.httpStatusCode, 204);
    assert.equal(
      (await readdir(join(t.dataDir, 'code'))).some((f) => f.startsWith(sha)),
      false,
    );
    await assert.rejects(t.client.send(new GetFunctionCommand({ FunctionName: 'cp-delete' })), {
      name: 'ResourceNotFoundException',
      message: `Function not found: ${ARN('cp-delete')}`,
    });
  });
});
