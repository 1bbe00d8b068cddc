import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iam';
import { startPlatform, type TestPlatform } from './support/platform.js';

const TRUST_LAMBDA = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const BASIC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const doc = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

describe('IAM managed policies: the customer’s and AWS’s, attached to roles', () => {
  let t: TestPlatform;
  let iam: IAMClient;

  before(async () => {
    t = await startPlatform();
    iam = new IAMClient({ region: 'us-east-1', endpoint: t.platform.url, credentials: t.platform.rootKey });
    await iam.send(new CreateRoleCommand({ RoleName: 'worker', AssumeRolePolicyDocument: TRUST_LAMBDA }));
  });
  after(async () => {
    iam?.destroy();
    await t?.stop();
  });

  it('serves AWS’s managed policies Lambda users attach, with their real statements, read-only', async () => {
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: BASIC }));
    assert.equal(Policy?.PolicyName, 'AWSLambdaBasicExecutionRole');
    assert.equal(Policy?.Path, '/service-role/');
    assert.equal(Policy?.DefaultVersionId, 'v1');
    const { PolicyVersion } = await iam.send(new GetPolicyVersionCommand({ PolicyArn: BASIC, VersionId: 'v1' }));
    assert.deepEqual(JSON.parse(decodeURIComponent(PolicyVersion!.Document!)).Statement[0].Action, [
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const aws = await iam.send(new ListPoliciesCommand({ Scope: 'AWS' }));
    assert.deepEqual(aws.Policies?.map((p) => p.PolicyName).sort(), [
      'AWSLambdaBasicExecutionRole',
      'AWSLambdaDynamoDBExecutionRole',
      'AWSLambdaKinesisExecutionRole',
      'AWSLambdaRole',
      'AWSLambdaSQSQueueExecutionRole',
      'AWSLambda_FullAccess',
      'AWSLambda_ReadOnlyAccess',
    ]);
    await assert.rejects(iam.send(new CreatePolicyVersionCommand({ PolicyArn: BASIC, PolicyDocument: doc('s3:*') })), (error: any) => {
      assert.equal(error.$metadata.httpStatusCode, 403);
      return true;
    });
    await assert.rejects(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/NoSuchPolicy' })), {
      name: 'NoSuchEntityException',
      message: 'Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.',
    });
  });

  it('creates a policy, attaches it and AWS’s to a role, and counts attachments; attached policies block DeletePolicy and DeleteRole', async () => {
    const { Policy } = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'invoke-all', PolicyDocument: doc('lambda:InvokeFunction'), Description: 'calls' }),
    );
    assert.equal(Policy?.Arn, `arn:aws:iam::${t.platform.config.accountId}:policy/invoke-all`);
    assert.match(Policy?.PolicyId ?? '', /^ANPA[A-Z2-7]{17}$/);
    assert.equal(Policy?.DefaultVersionId, 'v1');
    await assert.rejects(iam.send(new CreatePolicyCommand({ PolicyName: 'INVOKE-ALL', PolicyDocument: doc('s3:*') })), {
      name: 'EntityAlreadyExistsException',
    });
    await assert.rejects(iam.send(new CreatePolicyCommand({ PolicyName: 'no-resource', PolicyDocument: '{"Statement":{"Effect":"Allow","Action":"s3:*"}}' })), {
      name: 'MalformedPolicyDocumentException',
    });
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'worker', PolicyArn: Policy!.Arn }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'worker', PolicyArn: BASIC }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'worker', PolicyArn: BASIC }));
    await assert.rejects(iam.send(new AttachRolePolicyCommand({ RoleName: 'worker', PolicyArn: 'arn:aws:iam::aws:policy/Nope' })), {
      name: 'NoSuchEntityException',
    });
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'worker' }));
    assert.deepEqual(attached.AttachedPolicies, [
      { PolicyName: 'invoke-all', PolicyArn: Policy!.Arn },
      { PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: BASIC },
    ]);
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'worker', PathPrefix: '/service-role/' }))).AttachedPolicies?.length, 1);
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: Policy!.Arn }))).Policy?.AttachmentCount, 1);
    const onlyAttached = await iam.send(new ListPoliciesCommand({ OnlyAttached: true }));
    // The three source policies are attached to the suite's own role (test/support/roles.ts).
    assert.deepEqual(onlyAttached.Policies?.map((p) => p.PolicyName).sort(), [
      'AWSLambdaBasicExecutionRole',
      'AWSLambdaDynamoDBExecutionRole',
      'AWSLambdaKinesisExecutionRole',
      'AWSLambdaSQSQueueExecutionRole',
      'invoke-all',
    ]);
    await assert.rejects(iam.send(new DeletePolicyCommand({ PolicyArn: Policy!.Arn })), {
      name: 'DeleteConflictException',
      message: 'Cannot delete a policy attached to entities.',
    });
    await assert.rejects(iam.send(new DeleteRoleCommand({ RoleName: 'worker' })), {
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must detach all policies first.',
    });
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'worker', PolicyArn: Policy!.Arn }));
    await assert.rejects(iam.send(new DetachRolePolicyCommand({ RoleName: 'worker', PolicyArn: Policy!.Arn })), { name: 'NoSuchEntityException' });
    await iam.send(new DeletePolicyCommand({ PolicyArn: Policy!.Arn }));
    await assert.rejects(iam.send(new GetPolicyCommand({ PolicyArn: Policy!.Arn })), { name: 'NoSuchEntityException' });
  });

  it('keeps up to five versions of a policy, one the default', async () => {
    const { Policy } = await iam.send(new CreatePolicyCommand({ PolicyName: 'versioned', PolicyDocument: doc('s3:GetObject') }));
    const arn = Policy!.Arn!;
    for (let i = 2; i <= 5; i += 1) {
      const { PolicyVersion } = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(`s3:Get${i}`), SetAsDefault: i === 3 }));
      assert.equal(PolicyVersion?.VersionId, `v${i}`);
    }
    await assert.rejects(iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:Get6') })), (error: any) => {
      assert.equal(error.name, 'LimitExceededException');
      assert.match(error.message, /up to 5 versions/);
      return true;
    });
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId, 'v3');
    const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions!;
    assert.deepEqual(
      versions.map((v) => [v.VersionId, v.IsDefaultVersion]),
      [
        ['v5', false],
        ['v4', false],
        ['v3', true],
        ['v2', false],
        ['v1', false],
      ],
    );
    await assert.rejects(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v3' })), {
      name: 'DeleteConflictException',
      message: 'Cannot delete the default version of a policy.',
    });
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' }));
    const v5 = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' }))).PolicyVersion!;
    assert.equal(v5.IsDefaultVersion, true);
    assert.equal(decodeURIComponent(v5.Document!), doc('s3:Get5'));
    await assert.rejects(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), { name: 'DeleteConflictException', message: /more than one version/ });
    for (const v of ['v1', 'v2', 'v3', 'v4']) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    const { PolicyVersion } = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:Get7') }));
    assert.equal(PolicyVersion?.VersionId, 'v6', 'version numbers are not reused');
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v6' }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
  });
});
