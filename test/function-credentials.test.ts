import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { PythonInterpreters } from '../src/runtime/index.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip, nodeZip } from './support/zip.js';

const run = promisify(execFile);
/** A Python with boto3 importable, as Lambda's python runtimes carry it; the test needs one. */
const interpreters = new PythonInterpreters(process.env);
let pythonVersion: string | undefined;
for (const v of ['3.11', '3.12', '3.13', '3.10']) {
  const found = await interpreters.find(v);
  if (found === undefined) continue;
  const hasBoto3 = await run(found.path, ['-c', 'import boto3']).then(
    () => true,
    () => false,
  );
  if (hasBoto3) {
    pythonVersion = v;
    break;
  }
}

const CALLER = `
import json, boto3, botocore

def handler(event, context):
    identity = boto3.client('sts').get_caller_identity()
    client = boto3.client('lambda')
    allowed = json.loads(client.invoke(FunctionName='b')['Payload'].read())
    try:
        client.invoke(FunctionName='c')
        denied = None
    except botocore.exceptions.ClientError as error:
        denied = {'code': error.response['Error']['Code'], 'message': error.response['Error']['Message']}
    return {'arn': identity['Arn'], 'allowed': allowed, 'denied': denied}
`;

describe(
  "inside a function, an unmodified AWS SDK calls selfless as the function's role",
  { skip: pythonVersion === undefined && 'no Python with boto3 here' },
  () => {
    let t: TestPlatform;
    let iam: IAMClient;
    let account: string;
    let region: string;
    const roleArn = () => `arn:aws:iam::${account}:role/invoker`;

    before(async () => {
      t = await startPlatform();
      ({ accountId: account, region } = t.platform.config);
      iam = new IAMClient({ region, endpoint: t.platform.url, credentials: t.platform.rootKey });
      const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
      await iam.send(new CreateRoleCommand({ RoleName: 'invoker', AssumeRolePolicyDocument: JSON.stringify(trust) }));
      const allowB = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:${region}:${account}:function:b` }],
      };
      await iam.send(new PutRolePolicyCommand({ RoleName: 'invoker', PolicyName: 'invoke-b', PolicyDocument: JSON.stringify(allowB) }));
      for (const name of ['b', 'c']) {
        await t.client.send(
          new CreateFunctionCommand({
            FunctionName: name,
            Runtime: 'nodejs22.x',
            Handler: 'index.handler',
            Role: roleArn(),
            Code: { ZipFile: await nodeZip(`exports.handler = async () => 'from ${name}';`) },
          }),
        );
      }
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: 'py-caller',
          Runtime: `python${pythonVersion}` as never,
          Handler: 'app.handler',
          Role: roleArn(),
          Timeout: 30,
          Code: { ZipFile: await makeZip({ 'app.py': CALLER }) },
        }),
      );
    });
    after(async () => {
      iam?.destroy();
      await t?.stop();
    });

    it('boto3 is the assumed role (arn:aws:sts::…:assumed-role/ROLE/FUNCTION), may invoke b and is denied c', async () => {
      const answer = await t.client.send(new InvokeCommand({ FunctionName: 'py-caller' }));
      assert.equal(answer.FunctionError, undefined, decode(answer.Payload));
      const result = JSON.parse(decode(answer.Payload)) as { arn: string; allowed: string; denied: { code: string; message: string } | null };
      const session = `arn:aws:sts::${account}:assumed-role/invoker/py-caller`;
      assert.equal(result.arn, session);
      assert.equal(result.allowed, 'from b');
      assert.deepEqual(result.denied, {
        code: 'AccessDeniedException',
        message: `User: ${session} is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:${region}:${account}:function:c because no identity-based policy allows the lambda:InvokeFunction action`,
      });
    });
  },
);
