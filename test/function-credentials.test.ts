import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { PythonInterpreters } from '../src/runtime/index.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip } from './support/zip.js';

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

/** The same, from a Node function importing the SDK its runtime carries (ESM, nothing bundled). */
const NODE_CALLER = `
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export const handler = async () => {
  const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  const lambda = new LambdaClient({});
  const allowed = JSON.parse(Buffer.from((await lambda.send(new InvokeCommand({ FunctionName: 'b' }))).Payload).toString());
  let denied = null;
  try {
    await lambda.send(new InvokeCommand({ FunctionName: 'c' }));
  } catch (error) {
    denied = { code: error.name, message: error.message };
  }
  return { arn: identity.Arn, allowed, denied };
};
`;

describe("inside a function, an unmodified AWS SDK calls selfless as the function's role", () => {
  let t: TestPlatform;
  let iam: IAMClient;
  let account: string;
  let region: string;
  const roleArn = () => `arn:aws:iam::${account}:role/invoker`;
  const create = (name: string, runtime: string, handler: string, files: Record<string, string>) =>
    makeZip(files).then((zip) =>
      t.client.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as never, Handler: handler, Role: roleArn(), Timeout: 30, Code: { ZipFile: zip } }),
      ),
    );
  /** The caller's answer: it is the role's session, may invoke b and is denied c with AWS's words. */
  const assertCaller = async (caller: string) => {
    const answer = await t.client.send(new InvokeCommand({ FunctionName: caller }));
    assert.equal(answer.FunctionError, undefined, decode(answer.Payload));
    const result = JSON.parse(decode(answer.Payload)) as { arn: string; allowed: string; denied: { code: string; message: string } | null };
    const session = `arn:aws:sts::${account}:assumed-role/invoker/${caller}`;
    assert.equal(result.arn, session);
    assert.equal(result.allowed, 'from b');
    assert.deepEqual(result.denied, {
      code: 'AccessDeniedException',
      message: `User: ${session} is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:${region}:${account}:function:c because no identity-based policy allows the lambda:InvokeFunction action`,
    });
  };

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
    for (const name of ['b', 'c']) await create(name, 'nodejs22.x', 'index.handler', { 'index.js': `exports.handler = async () => 'from ${name}';` });
  });
  after(async () => {
    iam?.destroy();
    await t?.stop();
  });

  it(
    'boto3 is the assumed role (arn:aws:sts::…:assumed-role/ROLE/FUNCTION), may invoke b and is denied c',
    { skip: pythonVersion === undefined && 'no Python with boto3 here' },
    async () => {
      await create('py-caller', `python${pythonVersion}`, 'app.handler', { 'app.py': CALLER });
      await assertCaller('py-caller');
    },
  );

  it('the AWS SDK for JavaScript v3 the nodejs runtime carries, imported unbundled, does the same', async () => {
    await create('node-caller', 'nodejs22.x', 'index.handler', { 'index.mjs': NODE_CALLER });
    await assertCaller('node-caller');
  });

  it('require() finds the runtime SDK too, and a function bundling its own copy gets its own', async () => {
    await create('node-cjs', 'nodejs22.x', 'index.handler', {
      'index.js': `exports.handler = async () => ({ s3: typeof require('@aws-sdk/client-s3').S3Client, dynamo: typeof require('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient });`,
    });
    const cjs = await t.client.send(new InvokeCommand({ FunctionName: 'node-cjs' }));
    assert.deepEqual(JSON.parse(decode(cjs.Payload)), { s3: 'function', dynamo: 'function' });
    await create('bundled', 'nodejs22.x', 'index.handler', {
      'index.mjs': `import { STSClient } from '@aws-sdk/client-sts';\nimport { createRequire } from 'node:module';\nexport const handler = async () => ({ imported: STSClient, required: createRequire(import.meta.url)('@aws-sdk/client-sts').STSClient });`,
      'node_modules/@aws-sdk/client-sts/package.json': JSON.stringify({
        name: '@aws-sdk/client-sts',
        version: '0.0.1',
        main: 'index.js',
        exports: { import: './index.mjs', require: './index.js' },
      }),
      'node_modules/@aws-sdk/client-sts/index.js': `exports.STSClient = 'bundled (cjs)';`,
      'node_modules/@aws-sdk/client-sts/index.mjs': `export const STSClient = 'bundled (esm)';`,
    });
    const bundled = await t.client.send(new InvokeCommand({ FunctionName: 'bundled' }));
    assert.deepEqual(JSON.parse(decode(bundled.Payload)), { imported: 'bundled (esm)', required: 'bundled (cjs)' });
  });

  it("a package neither the function nor the runtime has fails to import with Node's own error", async () => {
    await create('missing', 'nodejs22.x', 'index.handler', { 'index.mjs': `import 'left-pad-nowhere';\nexport const handler = async () => 1;` });
    const answer = await t.client.send(new InvokeCommand({ FunctionName: 'missing' }));
    assert.equal(answer.FunctionError, 'Unhandled');
    const error = JSON.parse(decode(answer.Payload)) as { errorType: string; errorMessage: string };
    // As AWS's runtime client answers an ES module's missing package: Node's error, as it is.
    assert.equal(error.errorType, 'Error');
    assert.match(error.errorMessage, /^Cannot find package 'left-pad-nowhere' imported from .*index\.mjs/);
  });
});
