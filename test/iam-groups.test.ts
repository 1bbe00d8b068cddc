import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeleteUserCommand,
  DetachGroupPolicyCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  PutGroupPolicyCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { rejectsWith } from './support/assertions.js';
import { awsCli } from './support/aws-cli.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const READ_ONLY = 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess';

describe('IAM groups: a user has the policies of the groups it is in', () => {
  let t: TestPlatform;
  let iam: IAMClient;
  let alice: LambdaClient;
  const functionArn = (name: string) => `arn:aws:lambda:${t.platform.config.region}:${t.platform.config.accountId}:function:${name}`;

  before(async () => {
    t = await startPlatform();
    iam = new IAMClient({ region: t.platform.config.region, endpoint: t.platform.url, credentials: t.platform.rootKey, maxAttempts: 1 });
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'report',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip("exports.handler = async () => 'report';") },
      }),
    );
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    alice = new LambdaClient({
      region: t.platform.config.region,
      endpoint: t.platform.url,
      credentials: { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! },
      maxAttempts: 1,
    });
  });
  after(async () => {
    alice?.destroy();
    iam?.destroy();
    await t?.stop();
  });

  it('creates, gets and lists groups with their members; names are unique regardless of case', async () => {
    const { Group } = await iam.send(new CreateGroupCommand({ GroupName: 'Readers', Path: '/team/' }));
    assert.equal(Group?.Arn, `arn:aws:iam::${t.platform.config.accountId}:group/team/Readers`);
    assert.match(Group?.GroupId ?? '', /^AGPA[A-Z2-7]{17}$/);
    await rejectsWith(iam.send(new CreateGroupCommand({ GroupName: 'readers' })), 'EntityAlreadyExistsException', 409);
    await iam.send(new CreateGroupCommand({ GroupName: 'Invokers' }));
    assert.deepEqual(
      (await iam.send(new ListGroupsCommand({}))).Groups?.map((g) => g.GroupName),
      ['Invokers', 'Readers'],
    );
    assert.deepEqual(
      (await iam.send(new ListGroupsCommand({ PathPrefix: '/team/' }))).Groups?.map((g) => g.GroupName),
      ['Readers'],
    );
    await iam.send(new AddUserToGroupCommand({ GroupName: 'Readers', UserName: 'alice' }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'Readers', UserName: 'alice' }));
    const got = await iam.send(new GetGroupCommand({ GroupName: 'readers' }));
    assert.equal(got.Group?.GroupName, 'Readers');
    assert.deepEqual(
      got.Users?.map((u) => u.UserName),
      ['alice'],
      'added twice, a member once',
    );
    assert.deepEqual(
      (await iam.send(new ListGroupsForUserCommand({ UserName: 'alice' }))).Groups?.map((g) => g.GroupName),
      ['Readers'],
    );
    await rejectsWith(
      iam.send(new AddUserToGroupCommand({ GroupName: 'Readers', UserName: 'nobody' })),
      'NoSuchEntityException',
      404,
      'The user with name nobody cannot be found.',
    );
    await rejectsWith(iam.send(new GetGroupCommand({ GroupName: 'nothing' })), 'NoSuchEntityException', 404, 'The group with name nothing cannot be found.');
  });

  it("authorizes a member with its groups' attached and inline policies, and stops when it leaves", async () => {
    await rejectsWith(alice.send(new GetFunctionCommand({ FunctionName: 'report' })), 'AccessDeniedException', 403);
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'Readers', PolicyArn: READ_ONLY }));
    assert.equal((await alice.send(new GetFunctionCommand({ FunctionName: 'report' }))).Configuration?.FunctionName, 'report');
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: READ_ONLY }))).Policy?.AttachmentCount, 1);
    assert.deepEqual(
      (await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'Readers' }))).AttachedPolicies?.map((p) => p.PolicyName),
      ['AWSLambda_ReadOnlyAccess'],
    );

    const invoke = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArn('report') }],
    });
    await iam.send(new PutGroupPolicyCommand({ GroupName: 'Invokers', PolicyName: 'invoke-report', PolicyDocument: invoke }));
    assert.equal(
      decodeURIComponent((await iam.send(new GetGroupPolicyCommand({ GroupName: 'Invokers', PolicyName: 'invoke-report' }))).PolicyDocument!),
      invoke,
    );
    assert.deepEqual((await iam.send(new ListGroupPoliciesCommand({ GroupName: 'Invokers' }))).PolicyNames, ['invoke-report']);
    await rejectsWith(alice.send(new InvokeCommand({ FunctionName: 'report' })), 'AccessDeniedException', 403);
    await iam.send(new AddUserToGroupCommand({ GroupName: 'Invokers', UserName: 'alice' }));
    assert.equal(Buffer.from((await alice.send(new InvokeCommand({ FunctionName: 'report' }))).Payload!).toString(), '"report"');

    // An explicit deny in one group wins over an allow in another.
    const denyList = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'lambda:ListFunctions', Resource: '*' }] });
    await iam.send(new PutGroupPolicyCommand({ GroupName: 'Invokers', PolicyName: 'no-list', PolicyDocument: denyList }));
    await rejectsWith(alice.send(new ListFunctionsCommand({})), 'AccessDeniedException', 403, /with an explicit deny in an identity-based policy/);
    await iam.send(new DeleteGroupPolicyCommand({ GroupName: 'Invokers', PolicyName: 'no-list' }));
    await alice.send(new ListFunctionsCommand({}));

    await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'Invokers', UserName: 'alice' }));
    await rejectsWith(alice.send(new InvokeCommand({ FunctionName: 'report' })), 'AccessDeniedException', 403);
    await rejectsWith(
      iam.send(new RemoveUserFromGroupCommand({ GroupName: 'Invokers', UserName: 'alice' })),
      'NoSuchEntityException',
      404,
      'The user with name alice cannot be found in group Invokers.',
    );
  });

  it('refuses to delete a group with members or policies, or a user still in a group, as IAM does', async () => {
    const membersFirst = 'Cannot delete entity, must remove users from group first.';
    await rejectsWith(iam.send(new DeleteGroupCommand({ GroupName: 'Readers' })), 'DeleteConflictException', 409, membersFirst);
    await rejectsWith(iam.send(new DeleteUserCommand({ UserName: 'alice' })), 'DeleteConflictException', 409, /must/);
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'Readers', UserName: 'alice' }));
    await rejectsWith(iam.send(new DeleteGroupCommand({ GroupName: 'Readers' })), 'DeleteConflictException', 409, /must detach all policies first/);
    await iam.send(new DetachGroupPolicyCommand({ GroupName: 'Readers', PolicyArn: READ_ONLY }));
    await iam.send(new DeleteGroupCommand({ GroupName: 'Readers' }));
    await rejectsWith(iam.send(new GetGroupCommand({ GroupName: 'Readers' })), 'NoSuchEntityException', 404);
  });

  it('works from the AWS CLI: create-group, add-user-to-group, get-group', async () => {
    const aws = awsCli(t.platform);
    assert.equal((await aws('iam', 'create-group', '--group-name', 'cli-group')).Group.GroupName, 'cli-group');
    await aws('iam', 'add-user-to-group', '--group-name', 'cli-group', '--user-name', 'alice');
    const got = await aws('iam', 'get-group', '--group-name', 'cli-group');
    assert.deepEqual(
      got.Users.map((u: { UserName: string }) => u.UserName),
      ['alice'],
    );
  });
});
