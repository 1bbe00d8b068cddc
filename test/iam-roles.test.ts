import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  CreateUserCommand,
  ListInstanceProfilesForRoleCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagRoleCommand,
  UntagUserCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateFunctionCommand, DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const run = promisify(execFile);
const TRUST_LAMBDA = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

describe('IAM roles and STS over the AWS Query protocol', () => {
  let t: TestPlatform;
  let iam: IAMClient;
  let sts: STSClient;
  const config = () => ({ region: 'us-east-1', endpoint: t.platform.url, credentials: t.platform.rootKey });

  before(async () => {
    t = await startPlatform();
    iam = new IAMClient(config());
    sts = new STSClient(config());
  });
  after(async () => {
    iam?.destroy();
    sts?.destroy();
    await t?.stop();
  });

  it('creates a role and answers it with GetRole, the trust policy URL-encoded as IAM sends it', async () => {
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: 'app-role',
        Path: '/service/',
        AssumeRolePolicyDocument: TRUST_LAMBDA,
        Description: 'runs the app',
        Tags: [{ Key: 'team', Value: 'core' }],
      }),
    );
    assert.equal(Role?.Arn, `arn:aws:iam::${t.platform.config.accountId}:role/service/app-role`);
    assert.match(Role?.RoleId ?? '', /^AROA[A-Z2-7]{17}$/);
    assert.ok(Role?.CreateDate instanceof Date);
    const got = (await iam.send(new GetRoleCommand({ RoleName: 'app-role' }))).Role!;
    assert.equal(got.RoleId, Role?.RoleId);
    assert.equal(decodeURIComponent(got.AssumeRolePolicyDocument!), TRUST_LAMBDA);
    assert.equal(got.Description, 'runs the app');
    assert.equal(got.MaxSessionDuration, 3600);
    assert.deepEqual(got.Tags, [{ Key: 'team', Value: 'core' }]);
  });

  it('answers IAM’s errors in its XML shape: EntityAlreadyExists (any case), NoSuchEntity, MalformedPolicyDocument, ValidationError', async () => {
    await assert.rejects(iam.send(new CreateRoleCommand({ RoleName: 'APP-ROLE', AssumeRolePolicyDocument: TRUST_LAMBDA })), {
      name: 'EntityAlreadyExistsException',
      message: 'Role with name APP-ROLE already exists.',
    });
    await assert.rejects(iam.send(new GetRoleCommand({ RoleName: 'nobody' })), (error: any) => {
      assert.equal(error.name, 'NoSuchEntityException');
      assert.equal(error.message, 'The role with name nobody cannot be found.');
      assert.equal(error.$metadata.httpStatusCode, 404);
      return true;
    });
    await assert.rejects(iam.send(new CreateRoleCommand({ RoleName: 'broken', AssumeRolePolicyDocument: '{"Statement": [' })), {
      name: 'MalformedPolicyDocumentException',
    });
    await assert.rejects(
      iam.send(new CreateRoleCommand({ RoleName: 'no-principal', AssumeRolePolicyDocument: '{"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}' })),
      { name: 'MalformedPolicyDocumentException', message: 'Missing required field Principal' },
    );
    await assert.rejects(iam.send(new CreateRoleCommand({ RoleName: 'bad name', AssumeRolePolicyDocument: TRUST_LAMBDA })), (error: any) => {
      assert.equal(error.name, 'ValidationError');
      assert.match(error.message, /at 'roleName' failed to satisfy constraint/);
      return true;
    });
    // Nothing half-written: the refused roles are not there.
    await assert.rejects(iam.send(new GetRoleCommand({ RoleName: 'broken' })), { name: 'NoSuchEntityException' });
  });

  it('lists roles by name, paginated with Marker, filtered by PathPrefix', async () => {
    for (const name of ['b-role', 'a-role']) await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST_LAMBDA }));
    const first = await iam.send(new ListRolesCommand({ MaxItems: 2 }));
    assert.deepEqual(
      first.Roles?.map((r) => r.RoleName),
      ['a-role', 'app-role'],
    );
    assert.equal(first.IsTruncated, true);
    const rest = await iam.send(new ListRolesCommand({ Marker: first.Marker }));
    assert.deepEqual(
      rest.Roles?.map((r) => r.RoleName),
      ['b-role', 'test'], // `test`: the role the test platform makes for the suite's functions
    );
    assert.equal(rest.IsTruncated, false);
    const service = await iam.send(new ListRolesCommand({ PathPrefix: '/service/' }));
    assert.deepEqual(
      service.Roles?.map((r) => r.RoleName),
      ['app-role'],
    );
  });

  it('replaces a trust policy, and refuses to delete a role a function runs as until the function is gone', async () => {
    const newTrust = JSON.stringify({
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] }, Action: 'sts:AssumeRole' },
    });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'b-role', PolicyDocument: newTrust }));
    assert.equal(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'b-role' }))).Role!.AssumeRolePolicyDocument!), newTrust);
    const arn = (await iam.send(new GetRoleCommand({ RoleName: 'b-role' }))).Role!.Arn!;
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'uses-b',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: arn,
        Code: { ZipFile: await nodeZip('exports.handler = async () => 1;') },
      }),
    );
    await assert.rejects(iam.send(new DeleteRoleCommand({ RoleName: 'b-role' })), (error: any) => {
      assert.equal(error.name, 'DeleteConflictException');
      assert.match(error.message, /uses-b/);
      assert.equal(error.$metadata.httpStatusCode, 409);
      return true;
    });
    await t.client.send(new DeleteFunctionCommand({ FunctionName: 'uses-b' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'b-role' }));
    await assert.rejects(iam.send(new GetRoleCommand({ RoleName: 'b-role' })), { name: 'NoSuchEntityException' });
  });

  it('keeps inline role policies: put, get, list, replace, delete; a role with policies cannot be deleted', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'with-policies', AssumeRolePolicyDocument: TRUST_LAMBDA }));
    const invokeB = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:*:*:function:b' }],
    });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'with-policies', PolicyName: 'invoke-b', PolicyDocument: invokeB }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'with-policies', PolicyName: 'another', PolicyDocument: invokeB }));
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'with-policies', PolicyName: 'invoke-b' }));
    assert.equal(got.RoleName, 'with-policies');
    assert.equal(decodeURIComponent(got.PolicyDocument!), invokeB);
    const page = await iam.send(new ListRolePoliciesCommand({ RoleName: 'with-policies', MaxItems: 1 }));
    assert.deepEqual(page.PolicyNames, ['another']);
    assert.equal(page.IsTruncated, true);
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'with-policies', Marker: page.Marker }))).PolicyNames, ['invoke-b']);
    // An identity policy names resources, not principals.
    await assert.rejects(
      iam.send(
        new PutRolePolicyCommand({
          RoleName: 'with-policies',
          PolicyName: 'bad',
          PolicyDocument: JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' } }),
        }),
      ),
      { name: 'MalformedPolicyDocumentException', message: 'Policy document should not specify a principal.' },
    );
    await assert.rejects(iam.send(new GetRolePolicyCommand({ RoleName: 'with-policies', PolicyName: 'bad' })), {
      name: 'NoSuchEntityException',
      message: 'The role policy with name bad cannot be found.',
    });
    await assert.rejects(iam.send(new DeleteRoleCommand({ RoleName: 'with-policies' })), {
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must delete policies first.',
    });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'with-policies', PolicyName: 'invoke-b' }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'with-policies', PolicyName: 'another' }));
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'with-policies' }))).PolicyNames, []);
    await iam.send(new DeleteRoleCommand({ RoleName: 'with-policies' }));
  });

  it('tags and untags roles and users (keys regardless of case), lists their tags, and has no instance profiles', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'tagged', AssumeRolePolicyDocument: TRUST_LAMBDA, Tags: [{ Key: 'team', Value: 'a' }] }));
    await iam.send(
      new TagRoleCommand({
        RoleName: 'tagged',
        Tags: [
          { Key: 'Team', Value: 'b' },
          { Key: 'env', Value: 'dev' },
        ],
      }),
    );
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged' }))).Tags, [
      { Key: 'Team', Value: 'b' },
      { Key: 'env', Value: 'dev' },
    ]);
    const first = await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged', MaxItems: 1 }));
    assert.equal(first.IsTruncated, true);
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged', Marker: first.Marker }))).Tags, [{ Key: 'env', Value: 'dev' }]);
    await iam.send(new UntagRoleCommand({ RoleName: 'tagged', TagKeys: ['TEAM', 'absent'] }));
    assert.deepEqual((await iam.send(new GetRoleCommand({ RoleName: 'tagged' }))).Role?.Tags, [{ Key: 'env', Value: 'dev' }]);
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: '' }));
    await assert.rejects(iam.send(new TagRoleCommand({ RoleName: 'tagged', Tags: many })), { name: 'LimitExceededException' });

    await iam.send(new CreateUserCommand({ UserName: 'tagged-user' }));
    await iam.send(new TagUserCommand({ UserName: 'tagged-user', Tags: [{ Key: 'owner', Value: 'me' }] }));
    assert.deepEqual((await iam.send(new ListUserTagsCommand({ UserName: 'tagged-user' }))).Tags, [{ Key: 'owner', Value: 'me' }]);
    await iam.send(new UntagUserCommand({ UserName: 'tagged-user', TagKeys: ['owner'] }));
    assert.deepEqual((await iam.send(new ListUserTagsCommand({ UserName: 'tagged-user' }))).Tags, []);
    await assert.rejects(iam.send(new TagUserCommand({ UserName: 'nobody', Tags: [{ Key: 'a', Value: 'b' }] })), { name: 'NoSuchEntityException' });

    const profiles = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'tagged' }));
    assert.deepEqual(profiles.InstanceProfiles, []);
    await assert.rejects(iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'nobody' })), { name: 'NoSuchEntityException' });
  });

  it('keeps roles across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-roles-'));
    try {
      const first = await startPlatform({ dataDir });
      const before = new IAMClient({ region: 'us-east-1', endpoint: first.platform.url, credentials: first.platform.rootKey });
      await before.send(new CreateRoleCommand({ RoleName: 'durable', AssumeRolePolicyDocument: TRUST_LAMBDA }));
      before.destroy();
      await first.stop();
      const again = await startPlatform({ dataDir });
      const reopened = new IAMClient({ region: 'us-east-1', endpoint: again.platform.url, credentials: again.platform.rootKey });
      assert.equal((await reopened.send(new GetRoleCommand({ RoleName: 'durable' }))).Role?.RoleName, 'durable');
      reopened.destroy();
      await again.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('answers sts get-caller-identity with the root principal, and refuses a bad signature in XML', async () => {
    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Account, t.platform.config.accountId);
    assert.equal(me.Arn, `arn:aws:iam::${t.platform.config.accountId}:root`);
    const forged = new IAMClient({ ...config(), credentials: { accessKeyId: t.platform.rootKey.accessKeyId, secretAccessKey: 'wrong' } });
    await assert.rejects(forged.send(new GetRoleCommand({ RoleName: 'app-role' })), (error: any) => {
      assert.equal(error.name, 'SignatureDoesNotMatch');
      assert.equal(error.$metadata.httpStatusCode, 403);
      return true;
    });
    forged.destroy();
  });

  it('works from the AWS CLI unchanged: aws iam create-role / get-role, aws sts get-caller-identity', async (ctx) => {
    const aws = '/usr/bin/aws';
    try {
      await run(aws, ['--version']);
    } catch {
      ctx.skip('AWS CLI v2 not installed (apt-get install -y awscli)');
      return;
    }
    const cli = async (...args: string[]) => {
      const { stdout } = await run(aws, [...args, '--endpoint-url', t.platform.url, '--output', 'json'], {
        env: {
          PATH: process.env.PATH,
          HOME: t.dataDir,
          AWS_ACCESS_KEY_ID: t.platform.rootKey.accessKeyId,
          AWS_SECRET_ACCESS_KEY: t.platform.rootKey.secretAccessKey,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_PAGER: '',
        },
      });
      return JSON.parse(stdout) as Record<string, any>;
    };
    const created = await cli('iam', 'create-role', '--role-name', 'cli-role', '--assume-role-policy-document', TRUST_LAMBDA);
    assert.equal(created.Role.RoleName, 'cli-role');
    const got = await cli('iam', 'get-role', '--role-name', 'cli-role');
    // The CLI decodes the document, as it does for AWS.
    assert.deepEqual(got.Role.AssumeRolePolicyDocument, JSON.parse(TRUST_LAMBDA));
    const me = await cli('sts', 'get-caller-identity');
    assert.equal(me.Arn, `arn:aws:iam::${t.platform.config.accountId}:root`);
  });
});
