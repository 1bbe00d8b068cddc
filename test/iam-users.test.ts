import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
  GetPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { rejectsWith } from './support/assertions.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

interface Key {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const READ_ONLY = 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess';
const allow = (action: string | string[], resource: string | string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
const deny = (action: string, resource: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: resource }] });

describe('IAM users and access keys: keys sign requests, and what they may do is what their policies allow', () => {
  let t: TestPlatform;
  let iam: IAMClient;
  const clients: Array<{ destroy(): void }> = [];
  const as = (key: Key) => ({ region: 'us-east-1', endpoint: t.platform.url, credentials: key, maxAttempts: 1 });
  const lambdaAs = (key: Key) => {
    const client = new LambdaClient(as(key));
    clients.push(client);
    return client;
  };
  const iamAs = (key: Key) => {
    const client = new IAMClient(as(key));
    clients.push(client);
    return client;
  };
  const functionArn = (name: string, qualifier?: string) =>
    `arn:aws:lambda:${t.platform.config.region}:${t.platform.config.accountId}:function:${name}${qualifier === undefined ? '' : `:${qualifier}`}`;
  const userArn = (name: string) => `arn:aws:iam::${t.platform.config.accountId}:user/${name}`;
  const newUserKey = async (userName: string): Promise<Key> => {
    await iam.send(new CreateUserCommand({ UserName: userName }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  };

  before(async () => {
    t = await startPlatform();
    iam = new IAMClient(as(t.platform.rootKey));
    for (const name of ['open', 'closed']) {
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await nodeZip(`exports.handler = async () => '${name}';`) },
        }),
      );
    }
  });
  after(async () => {
    for (const client of clients) client.destroy();
    iam?.destroy();
    await t?.stop();
  });

  it('creates, gets, lists and deletes users; names are unique regardless of case', async () => {
    const { User } = await iam.send(new CreateUserCommand({ UserName: 'Carol', Path: '/staff/', Tags: [{ Key: 'team', Value: 'ops' }] }));
    assert.equal(User?.Arn, `arn:aws:iam::${t.platform.config.accountId}:user/staff/Carol`);
    assert.match(User?.UserId ?? '', /^AIDA[A-Z2-7]{17}$/);
    await rejectsWith(iam.send(new CreateUserCommand({ UserName: 'carol' })), 'EntityAlreadyExistsException', 409, 'User with name carol already exists.');
    const got = await iam.send(new GetUserCommand({ UserName: 'CAROL' }));
    assert.equal(got.User?.UserName, 'Carol');
    assert.deepEqual(got.User?.Tags, [{ Key: 'team', Value: 'ops' }]);
    const listed = await iam.send(new ListUsersCommand({ PathPrefix: '/staff/' }));
    assert.deepEqual(
      listed.Users?.map((u) => u.UserName),
      ['Carol'],
    );
    await iam.send(new DeleteUserCommand({ UserName: 'Carol' }));
    await rejectsWith(iam.send(new GetUserCommand({ UserName: 'Carol' })), 'NoSuchEntityException', 404, 'The user with name Carol cannot be found.');
    await rejectsWith(iam.send(new CreateUserCommand({ UserName: 'bad name' })), 'ValidationError', 400);
  });

  it('shows a secret once, at creation; two keys per user; the secret is not in the data dir as written', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'dave' }));
    const first = (await iam.send(new CreateAccessKeyCommand({ UserName: 'dave' }))).AccessKey!;
    assert.match(first.AccessKeyId ?? '', /^AKIA[A-Z2-7]{16}$/);
    assert.equal(first.Status, 'Active');
    assert.ok((first.SecretAccessKey ?? '').length >= 40);
    await iam.send(new CreateAccessKeyCommand({ UserName: 'dave' }));
    await rejectsWith(
      iam.send(new CreateAccessKeyCommand({ UserName: 'dave' })),
      'LimitExceededException',
      409,
      'Cannot exceed quota for AccessKeysPerUser: 2',
    );
    const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: 'dave' }));
    assert.equal(AccessKeyMetadata?.length, 2);
    assert.equal(AccessKeyMetadata?.[0]?.AccessKeyId, first.AccessKeyId);
    assert.ok(AccessKeyMetadata?.every((k) => !('SecretAccessKey' in k)));
    for (const file of await readdir(t.dataDir)) {
      if (!file.startsWith('selfless.db')) continue;
      const bytes = await readFile(join(t.dataDir, file));
      assert.equal(bytes.includes(first.SecretAccessKey!), false, `${file} holds the secret as written`);
    }
    await rejectsWith(
      iam.send(new DeleteUserCommand({ UserName: 'dave' })),
      'DeleteConflictException',
      409,
      'Cannot delete entity, must delete access keys first.',
    );
    for (const k of AccessKeyMetadata ?? []) await iam.send(new DeleteAccessKeyCommand({ UserName: 'dave', AccessKeyId: k.AccessKeyId }));
    await iam.send(new DeleteUserCommand({ UserName: 'dave' }));
  });

  it('a user key signs: STS names the user; without policies every Lambda call is denied with AWS wording', async () => {
    const key = await newUserKey('erin');
    const sts = new STSClient(as(key));
    clients.push(sts);
    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, userArn('erin'));
    assert.equal(me.Account, t.platform.config.accountId);
    assert.match(me.UserId ?? '', /^AIDA/);
    const self = await iamAs(key)
      .send(new GetUserCommand({}))
      .catch((error: Error) => error);
    // GetUser on oneself still needs iam:GetUser, as on AWS.
    assert.equal((self as Error).name, 'AccessDenied');
    await rejectsWith(
      lambdaAs(key).send(new GetFunctionCommand({ FunctionName: 'open' })),
      'AccessDeniedException',
      403,
      `User: ${userArn('erin')} is not authorized to perform: lambda:GetFunction on resource: ${functionArn('open')} because no identity-based policy allows the lambda:GetFunction action`,
    );
    await rejectsWith(lambdaAs(key).send(new ListFunctionsCommand({})), 'AccessDeniedException', 403, /lambda:ListFunctions on resource: \*/);
  });

  it('allows what an attached managed policy allows, and stops when it is detached', async () => {
    const key = await newUserKey('frank');
    await iam.send(new AttachUserPolicyCommand({ UserName: 'frank', PolicyArn: READ_ONLY }));
    const { AttachedPolicies } = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'frank' }));
    assert.deepEqual(
      AttachedPolicies?.map((p) => p.PolicyName),
      ['AWSLambda_ReadOnlyAccess'],
    );
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: READ_ONLY }))).Policy?.AttachmentCount, 1);
    const lambda = lambdaAs(key);
    const listed = await lambda.send(new ListFunctionsCommand({}));
    assert.ok(listed.Functions?.some((f) => f.FunctionName === 'open'));
    await rejectsWith(lambda.send(new InvokeCommand({ FunctionName: 'open' })), 'AccessDeniedException', 403, /lambda:InvokeFunction/);
    await rejectsWith(iam.send(new DeleteUserCommand({ UserName: 'frank' })), 'DeleteConflictException', 409);
    await iam.send(new DetachUserPolicyCommand({ UserName: 'frank', PolicyArn: READ_ONLY }));
    await rejectsWith(lambda.send(new ListFunctionsCommand({})), 'AccessDeniedException', 403);
  });

  it('an inline policy scoped to one function allows it, not another, and a qualified ARN needs its own match', async () => {
    const key = await newUserKey('grace');
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'grace', PolicyName: 'invoke-open', PolicyDocument: allow('lambda:InvokeFunction', functionArn('open')) }),
    );
    assert.deepEqual((await iam.send(new ListUserPoliciesCommand({ UserName: 'grace' }))).PolicyNames, ['invoke-open']);
    const got = await iam.send(new GetUserPolicyCommand({ UserName: 'grace', PolicyName: 'invoke-open' }));
    assert.equal(decodeURIComponent(got.PolicyDocument ?? ''), allow('lambda:InvokeFunction', functionArn('open')));
    const lambda = lambdaAs(key);
    const answer = await lambda.send(new InvokeCommand({ FunctionName: 'open' }));
    assert.equal(Buffer.from(answer.Payload ?? []).toString(), '"open"');
    await rejectsWith(
      lambda.send(new InvokeCommand({ FunctionName: 'closed' })),
      'AccessDeniedException',
      403,
      new RegExp(`on resource: ${functionArn('closed')} `),
    );
    await rejectsWith(
      lambda.send(new InvokeCommand({ FunctionName: 'open', Qualifier: '$LATEST' })),
      'AccessDeniedException',
      403,
      new RegExp(`on resource: ${functionArn('open', '\\$LATEST')} `),
    );
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'grace', PolicyName: 'invoke-open', PolicyDocument: allow('lambda:InvokeFunction', `${functionArn('open')}*`) }),
    );
    await lambda.send(new InvokeCommand({ FunctionName: 'open', Qualifier: '$LATEST' }));
  });

  it('an explicit deny wins over an allow, and says where it came from', async () => {
    const key = await newUserKey('heidi');
    await iam.send(new AttachUserPolicyCommand({ UserName: 'heidi', PolicyArn: READ_ONLY }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'heidi', PolicyName: 'not-closed', PolicyDocument: deny('lambda:Get*', functionArn('closed')) }));
    const lambda = lambdaAs(key);
    await lambda.send(new GetFunctionCommand({ FunctionName: 'open' }));
    await rejectsWith(
      lambda.send(new GetFunctionCommand({ FunctionName: 'closed' })),
      'AccessDeniedException',
      403,
      `User: ${userArn('heidi')} is not authorized to perform: lambda:GetFunction on resource: ${functionArn('closed')} with an explicit deny in an identity-based policy`,
    );
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'heidi', PolicyName: 'not-closed' }));
    await lambda.send(new GetFunctionCommand({ FunctionName: 'closed' }));
  });

  it('IAM itself is authorized: a user may manage only what its policy names, and IAM answers AccessDenied in XML', async () => {
    const key = await newUserKey('ivan');
    const asIvan = iamAs(key);
    await rejectsWith(
      asIvan.send(new CreateUserCommand({ UserName: 'mallory' })),
      'AccessDenied',
      403,
      /iam:CreateUser on resource: arn:aws:iam::\d{12}:user\/mallory/,
    );
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'ivan', PolicyName: 'own-keys', PolicyDocument: allow('iam:*AccessKey*', userArn('${aws:username}')) }),
    );
    // Without UserName the key operations act on the caller, and its own ARN is the resource.
    const created = await asIvan.send(new CreateAccessKeyCommand({}));
    assert.equal(created.AccessKey?.UserName, 'ivan');
    assert.equal((await asIvan.send(new ListAccessKeysCommand({}))).AccessKeyMetadata?.length, 2);
    await rejectsWith(asIvan.send(new ListAccessKeysCommand({ UserName: 'grace' })), 'AccessDenied', 403);
    await asIvan.send(new DeleteAccessKeyCommand({ AccessKeyId: created.AccessKey!.AccessKeyId! }));
    await rejectsWith(
      asIvan.send(new CreateRoleCommand({ RoleName: 'escalate', AssumeRolePolicyDocument: allow('sts:AssumeRole', '*') })),
      'AccessDenied',
      403,
    );
  });

  it('an inactive or deleted key no longer signs; a session token with a long-term key is refused', async () => {
    const key = await newUserKey('judy');
    await iam.send(new AttachUserPolicyCommand({ UserName: 'judy', PolicyArn: READ_ONLY }));
    const lambda = lambdaAs(key);
    await lambda.send(new ListFunctionsCommand({}));
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'judy', AccessKeyId: key.accessKeyId, Status: 'Inactive' }));
    await rejectsWith(lambda.send(new ListFunctionsCommand({})), 'UnrecognizedClientException', 403, 'The security token included in the request is invalid.');
    assert.equal((await iam.send(new ListAccessKeysCommand({ UserName: 'judy' }))).AccessKeyMetadata?.[0]?.Status, 'Inactive');
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'judy', AccessKeyId: key.accessKeyId, Status: 'Active' }));
    await lambda.send(new ListFunctionsCommand({}));
    await rejectsWith(lambdaAs({ ...key, sessionToken: 'made-up' }).send(new ListFunctionsCommand({})), 'UnrecognizedClientException', 403);
    await rejectsWith(
      iam.send(new UpdateAccessKeyCommand({ UserName: 'judy', AccessKeyId: key.accessKeyId, Status: 'Paused' as 'Active' })),
      'ValidationError',
      400,
    );
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'judy', AccessKeyId: key.accessKeyId }));
    await rejectsWith(lambda.send(new ListFunctionsCommand({})), 'UnrecognizedClientException', 403);
    await rejectsWith(
      iam.send(new DeleteAccessKeyCommand({ UserName: 'judy', AccessKeyId: key.accessKeyId })),
      'NoSuchEntityException',
      404,
      `The Access Key with id ${key.accessKeyId} cannot be found.`,
    );
  });
});

describe('IAM users across a restart', () => {
  it('keys created before a restart still sign after it, with the same permissions', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-users-'));
    const first = await startPlatform({ dataDir });
    const config = (key: Key) => ({ region: 'us-east-1', endpoint: first.platform.url, credentials: key, maxAttempts: 1 });
    const iam = new IAMClient(config(first.platform.rootKey));
    await iam.send(new CreateUserCommand({ UserName: 'kept' }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'kept', PolicyArn: READ_ONLY }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'kept' }));
    iam.destroy();
    await first.platform.close();
    // The root key is kept in the data dir, so the second start seals and opens with the same one.
    const second = await startPlatform({ dataDir });
    try {
      const key = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
      const lambda = new LambdaClient({ region: 'us-east-1', endpoint: second.platform.url, credentials: key, maxAttempts: 1 });
      assert.deepEqual((await lambda.send(new ListFunctionsCommand({}))).Functions, []);
      lambda.destroy();
    } finally {
      await second.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
