import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { LAMBDA_TRUST_POLICY } from '../src/auth/index.js';
import { awsCli } from './support/aws-cli.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { decode, nodeZip } from './support/zip.js';

const CANNOT_ASSUME = 'The role defined for the function cannot be assumed by Lambda.';
const trust = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

describe('a function runs as a role that exists and trusts Lambda, as CreateFunction checks', () => {
  let t: TestPlatform;
  let iam: IAMClient;
  let account: string;
  const roleArn = (name: string) => `arn:aws:iam::${account}:role/${name}`;
  const create = async (name: string, role: string) =>
    t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: role,
        Code: { ZipFile: await nodeZip('exports.handler = async () => Boolean(process.env.AWS_SESSION_TOKEN);') },
      }),
    );
  const refused = (error: any) => {
    assert.equal(error.name, 'InvalidParameterValueException');
    assert.equal(error.message, CANNOT_ASSUME);
    assert.equal(error.$metadata.httpStatusCode, 400);
    return true;
  };

  before(async () => {
    t = await startPlatform();
    account = t.platform.config.accountId;
    iam = new IAMClient({ endpoint: t.platform.url, region: t.platform.config.region, credentials: t.platform.rootKey });
    await iam.send(new CreateRoleCommand({ RoleName: 'lambda-role', AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }));
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'ec2-role',
        AssumeRolePolicyDocument: trust({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }),
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'denies-lambda',
        AssumeRolePolicyDocument: trust(
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          { Effect: 'Deny', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ),
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'this-account-only',
        Path: '/service-role/',
        AssumeRolePolicyDocument: trust({
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      }),
    );
  });
  after(async () => {
    iam.destroy();
    await t.stop();
  });

  it('refuses a role IAM does not hold, or one whose trust policy does not let Lambda assume it, and creates nothing', async () => {
    for (const role of [roleArn('missing'), roleArn('ec2-role'), roleArn('denies-lambda'), `arn:aws:iam::${account}:role/other-path/lambda-role`]) {
      await assert.rejects(create('refused', role), refused, role);
    }
    await assert.rejects(t.client.send(new GetFunctionCommand({ FunctionName: 'refused' })), { name: 'ResourceNotFoundException' });
  });

  it('accepts a role that trusts lambda.amazonaws.com, with its path and with conditions on the source account', async () => {
    assert.equal((await create('plain', roleArn('lambda-role'))).Role, roleArn('lambda-role'));
    const withPath = `arn:aws:iam::${account}:role/service-role/this-account-only`;
    assert.equal((await create('conditional', withPath)).Role, withPath);
    const { Payload } = await t.client.send(new InvokeCommand({ FunctionName: 'conditional' }));
    assert.equal(decode(Payload), 'true', 'the function runs with its role credentials');
  });

  it('checks the role UpdateFunctionConfiguration gives, and leaves the function as it was when it refuses', async () => {
    await assert.rejects(t.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'plain', Role: roleArn('ec2-role') })), refused);
    assert.equal((await t.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'plain' }))).Role, roleArn('lambda-role'));
    const moved = await t.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'plain', Role: roleArn('test') }));
    assert.equal(moved.Role, roleArn('test'));
  });

  it('asks iam:PassRole (passed to lambda.amazonaws.com) of a user who gives a function a role, as AWS does', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'deployer' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'deployer' }));
    const lambdaOnly = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:UpdateFunctionConfiguration'], Resource: '*' }],
    };
    await iam.send(new PutUserPolicyCommand({ UserName: 'deployer', PolicyName: 'lambda-only', PolicyDocument: JSON.stringify(lambdaOnly) }));
    const deployer = new LambdaClient({
      endpoint: t.platform.url,
      region: t.platform.config.region,
      credentials: { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! },
      maxAttempts: 1,
    });
    try {
      const createAs = async (name: string) =>
        deployer.send(
          new CreateFunctionCommand({
            FunctionName: name,
            Runtime: 'nodejs22.x',
            Handler: 'index.handler',
            Role: roleArn('lambda-role'),
            Code: { ZipFile: await nodeZip('exports.handler = async () => 1;') },
          }),
        );
      await assert.rejects(createAs('passed'), (error: any) => {
        assert.equal(error.name, 'AccessDeniedException');
        assert.equal(
          error.message,
          `User: arn:aws:iam::${account}:user/deployer is not authorized to perform: iam:PassRole on resource: ${roleArn('lambda-role')} because no identity-based policy allows the iam:PassRole action`,
        );
        return true;
      });
      await assert.rejects(t.client.send(new GetFunctionCommand({ FunctionName: 'passed' })), { name: 'ResourceNotFoundException' });
      // Changing other settings passes no role; giving one does.
      await deployer.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'plain', Timeout: 5 }));
      await assert.rejects(deployer.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'plain', Role: roleArn('lambda-role') })), {
        name: 'AccessDeniedException',
      });
      // AWSLambda_FullAccess allows iam:PassRole where iam:PassedToService is lambda.amazonaws.com.
      await iam.send(new AttachUserPolicyCommand({ UserName: 'deployer', PolicyArn: 'arn:aws:iam::aws:policy/AWSLambda_FullAccess' }));
      assert.equal((await createAs('passed')).Role, roleArn('lambda-role'));
    } finally {
      deployer.destroy();
    }
  });

  it('answers the AWS CLI with the same error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-roles-'));
    try {
      await writeFile(join(dir, 'fn.zip'), await nodeZip('exports.handler = async () => 1;'));
      const args = ['lambda', 'create-function', '--function-name', 'cli', '--runtime', 'nodejs22.x', '--handler', 'index.handler'];
      args.push('--role', roleArn('missing'), '--zip-file', `fileb://${join(dir, 'fn.zip')}`);
      await assert.rejects(awsCli(t.platform)(...args), (error: any) => {
        assert.match(
          error.stderr,
          /An error occurred \(InvalidParameterValueException\) when calling the CreateFunction operation: The role defined for the function cannot be assumed by Lambda\./,
        );
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('upgrading a data dir whose functions name roles IAM does not hold', () => {
  it('creates those roles, trusting Lambda, says so in the log, and the functions keep running with credentials', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-roles-upgrade-'));
    try {
      const first = await startPlatform({ dataDir });
      const iam = new IAMClient({ endpoint: first.platform.url, region: first.platform.config.region, credentials: first.platform.rootKey });
      const { Role } = await iam.send(new CreateRoleCommand({ RoleName: 'legacy', Path: '/old/', AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }));
      iam.destroy();
      await first.client.send(
        new CreateFunctionCommand({
          FunctionName: 'old',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: Role!.Arn!,
          Code: { ZipFile: await nodeZip('exports.handler = async () => Boolean(process.env.AWS_SESSION_TOKEN);') },
        }),
      );
      await first.stop();
      // A data dir from before roles were checked: the function names a role IAM never held.
      const db = new Database(join(dataDir, 'selfless.db'));
      assert.equal(db.prepare("DELETE FROM iam_roles WHERE name = 'legacy'").run().changes, 1);
      db.close();

      const second = await startPlatform({ dataDir });
      try {
        assert.ok(
          second.logs.some((line) => line.includes('created it, trusting lambda.amazonaws.com') && line.includes(Role!.Arn!)),
          second.logs.join('\n'),
        );
        const iam2 = new IAMClient({ endpoint: second.platform.url, region: second.platform.config.region, credentials: second.platform.rootKey });
        const adopted = (await iam2.send(new GetRoleCommand({ RoleName: 'legacy' }))).Role!;
        iam2.destroy();
        assert.equal(adopted.Arn, Role!.Arn);
        assert.deepEqual(JSON.parse(decodeURIComponent(adopted.AssumeRolePolicyDocument!)), JSON.parse(LAMBDA_TRUST_POLICY));
        const { Payload } = await second.client.send(new InvokeCommand({ FunctionName: 'old' }));
        assert.equal(decode(Payload), 'true');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
