import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListFunctionsCommand,
  ListProvisionedConcurrencyConfigsCommand,
  ListTagsCommand,
} from '@aws-sdk/client-lambda';
import { AwsError } from '../src/core/index.js';
import type { AuthorizationContext } from '../src/auth/index.js';
import { rejectsWith } from './support/assertions.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

interface Asked {
  readonly action: string;
  readonly resource: string;
  readonly context: AuthorizationContext;
}

describe('every signed route asks authorize() before it runs', () => {
  let t: TestPlatform;
  const asked: Asked[] = [];
  const denied = new Set<string>();
  let arn: (qualifier?: string) => string;

  before(async () => {
    t = await startPlatform(
      {},
      {},
      {
        authorize: (action, resource, context) => {
          asked.push({ action, resource, context });
          if (denied.has(action)) {
            throw new AwsError(
              'AccessDeniedException',
              `User: ${context.caller.principalArn} is not authorized to perform: ${action} on resource: ${resource}`,
            );
          }
        },
      },
    );
    // What the test platform asked while making the suite's role is not this test's business.
    asked.length = 0;
    const { region, accountId } = t.platform.config;
    arn = (qualifier) => `arn:aws:lambda:${region}:${accountId}:function:guarded${qualifier === undefined ? '' : `:${qualifier}`}`;
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'guarded',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip('exports.handler = async () => 1;') },
      }),
    );
  });
  after(() => t.stop());

  const last = () => asked[asked.length - 1]!;

  it('names the action and the resource of each operation, and the caller behind the root key', async () => {
    assert.deepEqual({ action: asked[0]!.action, resource: asked[0]!.resource }, { action: 'lambda:CreateFunction', resource: arn() });
    const { caller } = asked[0]!.context;
    assert.equal(caller.accessKeyId, t.platform.rootKey.accessKeyId);
    assert.equal(caller.accountId, t.platform.config.accountId);
    assert.equal(caller.principalArn, `arn:aws:iam::${t.platform.config.accountId}:root`);

    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [() => t.client.send(new ListFunctionsCommand({})), 'lambda:ListFunctions', '*'],
      [() => t.client.send(new GetFunctionCommand({ FunctionName: 'guarded' })), 'lambda:GetFunction', arn()],
      [() => t.client.send(new InvokeCommand({ FunctionName: 'guarded', Qualifier: '$LATEST' })), 'lambda:InvokeFunction', arn('$LATEST')],
      [() => t.client.send(new InvokeCommand({ FunctionName: arn() })), 'lambda:InvokeFunction', arn()],
      [() => t.client.send(new ListTagsCommand({ Resource: arn() })), 'lambda:ListTags', arn()],
      [() => t.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'guarded' })), 'lambda:ListProvisionedConcurrencyConfigs', arn()],
      [
        () => t.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'guarded', Qualifier: '1' })).catch(() => undefined),
        'lambda:GetProvisionedConcurrencyConfig',
        arn('1'),
      ],
    ];
    for (const [call, action, resource] of cases) {
      await call();
      assert.deepEqual({ action: last().action, resource: last().resource }, { action, resource });
    }
  });

  it('answers a denial with its AccessDeniedException (403) and runs nothing', async () => {
    denied.add('lambda:DeleteFunction');
    try {
      await rejectsWith(
        t.client.send(new DeleteFunctionCommand({ FunctionName: 'guarded' })),
        'AccessDeniedException',
        403,
        /not authorized to perform: lambda:DeleteFunction/,
      );
    } finally {
      denied.clear();
    }
    const still = await t.client.send(new GetFunctionCommand({ FunctionName: 'guarded' }));
    assert.equal(still.Configuration?.FunctionName, 'guarded');
  });
});
