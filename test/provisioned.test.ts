import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListProvisionedConcurrencyConfigsCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { nextEvent } from './support/lifecycle.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip } from './support/zip.js';

async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(what);
}

describe('provisioned concurrency', () => {
  let t: TestPlatform;
  const create = async (name: string, memory = 128) =>
    t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Publish: true,
        MemorySize: memory,
        Code: {
          ZipFile: await makeZip({
            'index.js': 'exports.handler = async () => ({ version: process.env.AWS_LAMBDA_FUNCTION_VERSION, stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME });',
          }),
        },
      }),
    );
  const status = (name: string, qualifier: string) => t.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: qualifier }));

  before(async () => {
    // A short idle timeout: anything not provisioned is reaped quickly.
    t = await startPlatform({ idleTimeoutMs: 200 });
  });
  after(() => t.stop());

  it('starts the environments ahead of time (IN_PROGRESS, then READY), serves from them without a cold start, never reaps them', async () => {
    await create('warm');
    await t.client.send(new CreateAliasCommand({ FunctionName: 'warm', Name: 'live', FunctionVersion: '1' }));
    const put = await t.client.send(
      new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'warm', Qualifier: 'live', ProvisionedConcurrentExecutions: 2 }),
    );
    assert.equal(put.$metadata.httpStatusCode, 202);
    assert.equal(put.RequestedProvisionedConcurrentExecutions, 2);
    assert.ok(put.Status === 'IN_PROGRESS' || put.Status === 'READY');
    await eventually(async () => (await status('warm', 'live')).Status === 'READY', 'the provisioned environments become ready');
    const ready = await status('warm', 'live');
    assert.equal(ready.AllocatedProvisionedConcurrentExecutions, 2);
    assert.equal(ready.AvailableProvisionedConcurrentExecutions, 2);
    assert.equal(t.platform.pool.stats('warm').provisioned, 2);

    const out = await t.client.send(new InvokeCommand({ FunctionName: 'warm', Qualifier: 'live', LogType: 'Tail' }));
    assert.equal(out.ExecutedVersion, '1');
    assert.equal(JSON.parse(decode(out.Payload)).version, '1');
    const report = Buffer.from(out.LogResult!, 'base64')
      .toString()
      .split('\n')
      .find((line) => line.startsWith('REPORT'));
    assert.ok(report !== undefined && !report.includes('Init Duration'), `no Init Duration on a provisioned environment: ${report}`);

    // An ordinary environment of the function ($LATEST), reaped after the idle timeout: by then the
    // reaper has looked at the provisioned ones too, and left them.
    const reaped = nextEvent('selfless:env:stop', (e) => e.platformId === t.platform.id && e.functionName === 'warm' && e.version === '$LATEST');
    await t.client.send(new InvokeCommand({ FunctionName: 'warm' }));
    await reaped;
    assert.equal(t.platform.pool.stats('warm').provisioned, 2);
    assert.equal((await status('warm', 'live')).Status, 'READY');

    const listed = await t.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'warm' }));
    assert.deepEqual(
      listed.ProvisionedConcurrencyConfigs?.map((c) => [c.FunctionArn, c.RequestedProvisionedConcurrentExecutions]),
      [['arn:aws:lambda:us-east-1:000000000000:function:warm:live', 2]],
    );

    await t.client.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: 'warm', Qualifier: 'live' }));
    await assert.rejects(status('warm', 'live'), { name: 'ProvisionedConcurrencyConfigNotFoundException' });
    await eventually(() => t.platform.pool.stats('warm').environments === 0, 'once deleted, the environments are reaped like any other');
  });

  it('goes with the alias it was configured on', async () => {
    await create('gone');
    await t.client.send(new CreateAliasCommand({ FunctionName: 'gone', Name: 'live', FunctionVersion: '1' }));
    await t.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'gone', Qualifier: 'live', ProvisionedConcurrentExecutions: 1 }));
    await eventually(async () => (await status('gone', 'live')).Status === 'READY', 'ready');
    await t.client.send(new DeleteAliasCommand({ FunctionName: 'gone', Name: 'live' }));
    const listed = await t.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'gone' }));
    assert.deepEqual(listed.ProvisionedConcurrencyConfigs ?? [], []);
    await eventually(() => t.platform.pool.stats('gone').environments === 0, 'its environments are reaped');
  });

  it("follows its alias to another version: that version's environments start, the old version's are let go", async () => {
    await create('moving');
    await t.client.send(
      new UpdateFunctionCodeCommand({
        FunctionName: 'moving',
        Publish: true,
        ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => ({ version: process.env.AWS_LAMBDA_FUNCTION_VERSION, second: true });' }),
      }),
    );
    await t.client.send(new CreateAliasCommand({ FunctionName: 'moving', Name: 'live', FunctionVersion: '1' }));
    await t.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'moving', Qualifier: 'live', ProvisionedConcurrentExecutions: 1 }));
    await eventually(async () => (await status('moving', 'live')).Status === 'READY', 'version 1 is provisioned');
    assert.equal(t.platform.pool.stats('moving', '1').provisioned, 1);

    await t.client.send(new UpdateAliasCommand({ FunctionName: 'moving', Name: 'live', FunctionVersion: '2' }));
    await eventually(
      async () => (await status('moving', 'live')).Status === 'READY' && t.platform.pool.stats('moving', '2').provisioned === 1,
      'version 2 is provisioned',
    );
    assert.equal(t.platform.pool.stats('moving', '1').provisioned, 0, 'version 1 keeps none');
    await eventually(() => t.platform.pool.stats('moving', '1').environments === 0, "version 1's environment is reaped like any other");
    assert.equal(t.platform.pool.stats('moving', '2').provisioned, 1, "and version 2's is kept past the idle timeout");

    const out = await t.client.send(new InvokeCommand({ FunctionName: 'moving', Qualifier: 'live', LogType: 'Tail' }));
    assert.equal(out.ExecutedVersion, '2');
    assert.deepEqual(JSON.parse(decode(out.Payload)), { version: '2', second: true });
    const report = Buffer.from(out.LogResult!, 'base64')
      .toString()
      .split('\n')
      .find((line) => line.startsWith('REPORT'));
    assert.ok(report !== undefined && !report.includes('Init Duration'), `served by the provisioned environment: ${report}`);
  });

  it("keeps what an alias's configuration asks for on its version, refuses a second one there, and lets the surplus go when lowered", async () => {
    await create('sized');
    await t.client.send(new CreateAliasCommand({ FunctionName: 'sized', Name: 'live', FunctionVersion: '1' }));
    await t.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'sized', Qualifier: 'live', ProvisionedConcurrentExecutions: 2 }));
    await eventually(
      async () => (await status('sized', 'live')).Status === 'READY' && t.platform.pool.stats('sized', '1').provisioned === 2,
      'two environments for version 1',
    );
    // A version is provisioned through its aliases or by itself, never both (AWS's 409s).
    await assert.rejects(
      t.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'sized', Qualifier: '1', ProvisionedConcurrentExecutions: 1 })),
      { name: 'ResourceConflictException', message: 'Version is pointed by a Provisioned Concurrency alias' },
    );

    await t.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'sized', Qualifier: 'live', ProvisionedConcurrentExecutions: 1 }));
    assert.equal(t.platform.pool.stats('sized', '1').provisioned, 1);
    await eventually(() => t.platform.pool.stats('sized', '1').environments === 1, 'the surplus environment is reaped');
    assert.equal((await status('sized', 'live')).Status, 'READY');
    await t.client.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: 'sized', Qualifier: 'live' }));
    assert.equal(t.platform.pool.stats('sized', '1').provisioned, 0, 'nothing holds version 1 any more');
  });

  it('refuses what Lambda refuses, and what the host cannot hold', async () => {
    await create('limits');
    const put = (input: Partial<ConstructorParameters<typeof PutProvisionedConcurrencyConfigCommand>[0]>) =>
      t.client.send(
        new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'limits', Qualifier: '1', ProvisionedConcurrentExecutions: 1, ...input } as never),
      );
    await assert.rejects(put({ Qualifier: '$LATEST' }), {
      name: 'InvalidParameterValueException',
      message: 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.',
    });
    await assert.rejects(put({ Qualifier: '7' }), { name: 'ResourceNotFoundException' });
    await assert.rejects(put({ ProvisionedConcurrentExecutions: 0 }), { name: 'ValidationException' });
    await assert.rejects(put({ FunctionName: 'nope' }), { name: 'ResourceNotFoundException' });
    await assert.rejects(status('limits', '1'), { name: 'ProvisionedConcurrencyConfigNotFoundException' });
    // More environments than the host's memory holds.
    const tooMany = Math.ceil(totalmem() / (1024 * 1024) / 128) + 1;
    await assert.rejects(put({ ProvisionedConcurrentExecutions: tooMany }), { name: 'InvalidParameterValueException', message: /this host has \d+ MB/ });
    // More than the function's reserved concurrency.
    await t.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'limits', ReservedConcurrentExecutions: 1 }));
    await assert.rejects(put({ ProvisionedConcurrentExecutions: 2 }), { name: 'InvalidParameterValueException', message: /reservedConcurrentExecution/ });
    assert.equal(t.platform.pool.stats('limits').environments, 0, 'nothing was started for a refused request');
  });
});
