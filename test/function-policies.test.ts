import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetPolicyCommand,
  InvokeCommand,
  LambdaClient,
  PublishVersionCommand,
  RemovePermissionCommand,
} from '@aws-sdk/client-lambda';
import { rejectsWith } from './support/assertions.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const run = promisify(execFile);

describe("functions' resource-based policies: AddPermission, GetPolicy, RemovePermission, and what they grant", () => {
  let t: TestPlatform;
  let iam: IAMClient;
  let account: string;
  let region: string;
  const clients: LambdaClient[] = [];
  const arn = (name: string, qualifier?: string) => `arn:aws:lambda:${region}:${account}:function:${name}${qualifier === undefined ? '' : `:${qualifier}`}`;
  const policyOf = async (name: string, qualifier?: string) => {
    const answer = await t.client.send(new GetPolicyCommand({ FunctionName: name, ...(qualifier === undefined ? {} : { Qualifier: qualifier }) }));
    return {
      policy: JSON.parse(answer.Policy ?? '{}') as { Version: string; Id: string; Statement: Array<Record<string, unknown>> },
      revisionId: answer.RevisionId,
    };
  };
  const create = async (name: string) =>
    t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip(`exports.handler = async () => '${name}';`) },
      }),
    );

  before(async () => {
    t = await startPlatform();
    ({ accountId: account, region } = t.platform.config);
    iam = new IAMClient({ region, endpoint: t.platform.url, credentials: t.platform.rootKey });
    await create('target');
  });
  after(async () => {
    for (const client of clients) client.destroy();
    iam?.destroy();
    await t?.stop();
  });

  it("writes Lambda's statement format: service principals with SourceArn and SourceAccount, accounts as their root", async () => {
    const added = await t.client.send(
      new AddPermissionCommand({
        FunctionName: 'target',
        StatementId: 's3-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceArn: 'arn:aws:s3:::uploads',
        SourceAccount: account,
      }),
    );
    const statement = {
      Sid: 's3-invoke',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: arn('target'),
      Condition: { StringEquals: { 'AWS:SourceAccount': account }, ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::uploads' } },
    };
    assert.deepEqual(JSON.parse(added.Statement ?? '{}'), statement);
    await t.client.send(
      new AddPermissionCommand({ FunctionName: 'target', StatementId: 'other-account', Action: 'lambda:GetFunction', Principal: '111122223333' }),
    );
    const { policy, revisionId } = await policyOf('target');
    assert.equal(policy.Version, '2012-10-17');
    assert.equal(policy.Id, 'default');
    assert.deepEqual(policy.Statement[0], statement);
    assert.deepEqual(policy.Statement[1]?.Principal, { AWS: 'arn:aws:iam::111122223333:root' });
    assert.match(revisionId ?? '', /^[0-9a-f-]{36}$/);
  });

  it("refuses what Lambda refuses: a taken statement id, a stale RevisionId, a bad principal or action, a qualifier that doesn't exist", async () => {
    await rejectsWith(
      t.client.send(
        new AddPermissionCommand({ FunctionName: 'target', StatementId: 's3-invoke', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com' }),
      ),
      'ResourceConflictException',
      409,
      'The statement id (s3-invoke) provided already exists. Please provide a new statement id, or remove the existing statement.',
    );
    await rejectsWith(
      t.client.send(
        new AddPermissionCommand({ FunctionName: 'target', StatementId: 'x', Action: 'lambda:InvokeFunction', Principal: '*', RevisionId: 'stale' }),
      ),
      'PreconditionFailedException',
      412,
    );
    await rejectsWith(
      t.client.send(new AddPermissionCommand({ FunctionName: 'target', StatementId: 'x', Action: 'lambda:InvokeFunction', Principal: 'not-a-principal' })),
      'InvalidParameterValueException',
      400,
      'The provided principal was invalid. Please check the principal and try again.',
    );
    await rejectsWith(
      t.client.send(new AddPermissionCommand({ FunctionName: 'target', StatementId: 'x', Action: 's3:GetObject', Principal: '*' })),
      'ValidationException',
      400,
    );
    await rejectsWith(
      t.client.send(new AddPermissionCommand({ FunctionName: 'target', StatementId: 'x', Action: 'lambda:InvokeFunction', Principal: '*', Qualifier: 'nope' })),
      'ResourceNotFoundException',
      404,
    );
    await rejectsWith(
      t.client.send(new AddPermissionCommand({ FunctionName: 'missing', StatementId: 'x', Action: 'lambda:*', Principal: '*' })),
      'ResourceNotFoundException',
      404,
    );
    await rejectsWith(
      t.client.send(new RemovePermissionCommand({ FunctionName: 'target', StatementId: 'never' })),
      'ResourceNotFoundException',
      404,
      'Statement never is not found in resource policy.',
    );
  });

  it('keeps one policy per version and alias, removed with them; removing the last statement removes the policy', async () => {
    await create('layered');
    const { Version } = await t.client.send(new PublishVersionCommand({ FunctionName: 'layered' }));
    await t.client.send(new CreateAliasCommand({ FunctionName: 'layered', Name: 'live', FunctionVersion: Version }));
    await t.client.send(
      new AddPermissionCommand({ FunctionName: 'layered', Qualifier: 'live', StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: '*' }),
    );
    await t.client.send(new AddPermissionCommand({ FunctionName: `layered:${Version}`, StatementId: 'v', Action: 'lambda:InvokeFunction', Principal: '*' }));
    assert.equal((await policyOf('layered', 'live')).policy.Statement[0]?.Resource, arn('layered', 'live'));
    assert.equal((await policyOf('layered', Version)).policy.Statement[0]?.Sid, 'v');
    await rejectsWith(
      t.client.send(new GetPolicyCommand({ FunctionName: 'layered' })),
      'ResourceNotFoundException',
      404,
      'The resource you requested does not exist.',
    );
    const { revisionId } = await policyOf('layered', Version);
    await t.client.send(new RemovePermissionCommand({ FunctionName: 'layered', Qualifier: Version, StatementId: 'v', RevisionId: revisionId }));
    await rejectsWith(t.client.send(new GetPolicyCommand({ FunctionName: 'layered', Qualifier: Version })), 'ResourceNotFoundException', 404);
    await t.client.send(new DeleteAliasCommand({ FunctionName: 'layered', Name: 'live' }));
    await t.client.send(new CreateAliasCommand({ FunctionName: 'layered', Name: 'live', FunctionVersion: Version }));
    await rejectsWith(t.client.send(new GetPolicyCommand({ FunctionName: 'layered', Qualifier: 'live' })), 'ResourceNotFoundException', 404);
    await t.client.send(new AddPermissionCommand({ FunctionName: 'layered', StatementId: 'u', Action: 'lambda:InvokeFunction', Principal: '*' }));
    await t.client.send(new DeleteFunctionCommand({ FunctionName: 'layered' }));
    await create('layered');
    await rejectsWith(t.client.send(new GetPolicyCommand({ FunctionName: 'layered' })), 'ResourceNotFoundException', 404);
  });

  it("a statement naming a user lets it invoke without identity policies; one naming the account only delegates to the account's policies", async () => {
    await create('shared');
    await iam.send(new CreateUserCommand({ UserName: 'caller' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'caller' }));
    const asCaller = new LambdaClient({
      region,
      endpoint: t.platform.url,
      credentials: { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! },
      maxAttempts: 1,
    });
    clients.push(asCaller);
    const invoke = () => asCaller.send(new InvokeCommand({ FunctionName: 'shared' }));
    await rejectsWith(invoke(), 'AccessDeniedException', 403, /because no identity-based policy allows the lambda:InvokeFunction action/);
    await t.client.send(new AddPermissionCommand({ FunctionName: 'shared', StatementId: 'account', Action: 'lambda:InvokeFunction', Principal: account }));
    await rejectsWith(invoke(), 'AccessDeniedException', 403);
    const userArn = `arn:aws:iam::${account}:user/caller`;
    await t.client.send(new AddPermissionCommand({ FunctionName: 'shared', StatementId: 'user', Action: 'lambda:InvokeFunction', Principal: userArn }));
    assert.equal(Buffer.from((await invoke()).Payload ?? []).toString(), '"shared"');
    // The grant is for the unqualified ARN only, as Lambda's are.
    await rejectsWith(asCaller.send(new InvokeCommand({ FunctionName: 'shared', Qualifier: '$LATEST' })), 'AccessDeniedException', 403);
    await t.client.send(new RemovePermissionCommand({ FunctionName: 'shared', StatementId: 'user' }));
    await rejectsWith(invoke(), 'AccessDeniedException', 403);
  });

  it('the AWS CLI sequence Terraform also runs: create role, attach policy, create function, add permission, get policy', async () => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: t.platform.rootKey.accessKeyId,
      AWS_SECRET_ACCESS_KEY: t.platform.rootKey.secretAccessKey,
      AWS_DEFAULT_REGION: region,
      AWS_PAGER: '',
    };
    const aws = async (...args: string[]) =>
      JSON.parse((await run('/usr/bin/aws', ['--endpoint-url', t.platform.url, '--output', 'json', ...args], { env })).stdout || '{}') as Record<
        string,
        unknown
      >;
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const role = (await aws('iam', 'create-role', '--role-name', 'cli-fn', '--assume-role-policy-document', trust)).Role as { Arn: string };
    await aws('iam', 'attach-role-policy', '--role-name', 'cli-fn', '--policy-arn', 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
    const dir = await mkdtemp(join(tmpdir(), 'selfless-cli-'));
    try {
      await writeFile(join(dir, 'fn.zip'), await nodeZip("exports.handler = async () => 'cli';"));
      await aws(
        'lambda',
        'create-function',
        '--function-name',
        'cli-fn',
        '--runtime',
        'nodejs22.x',
        '--handler',
        'index.handler',
        '--role',
        role.Arn,
        '--zip-file',
        `fileb://${join(dir, 'fn.zip')}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const added = await aws(
      'lambda',
      'add-permission',
      '--function-name',
      'cli-fn',
      '--statement-id',
      'events',
      '--action',
      'lambda:InvokeFunction',
      '--principal',
      'events.amazonaws.com',
      '--source-arn',
      `arn:aws:events:${region}:${account}:rule/nightly`,
    );
    assert.equal((JSON.parse(added.Statement as string) as { Sid: string }).Sid, 'events');
    const got = await aws('lambda', 'get-policy', '--function-name', 'cli-fn');
    const policy = JSON.parse(got.Policy as string) as { Statement: Array<{ Sid: string; Principal: unknown }> };
    assert.deepEqual(policy.Statement[0], {
      Sid: 'events',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: arn('cli-fn'),
      Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:events:${region}:${account}:rule/nightly` } },
    });
    await aws('lambda', 'remove-permission', '--function-name', 'cli-fn', '--statement-id', 'events');
    await assert.rejects(aws('lambda', 'get-policy', '--function-name', 'cli-fn'), /ResourceNotFoundException/);
  });
});
