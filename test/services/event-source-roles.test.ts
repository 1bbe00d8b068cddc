import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LAMBDA_TRUST_POLICY } from '../../src/auth/index.js';
import { MOTO_ACCOUNT, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { nodeZip } from '../support/zip.js';

const missing = motoMissing();
const SQS_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole';

describe('an event source mapping needs a function role that may read the source, as Lambda checks', { skip: missing ?? false }, () => {
  let moto: Moto;
  let t: TestPlatform;
  let iam: IAMClient;
  const queueArn = `arn:aws:sqs:us-east-1:${MOTO_ACCOUNT}:jobs`;
  // Refused before the stream is ever asked: it need not exist.
  const streamArn = `arn:aws:kinesis:us-east-1:${MOTO_ACCOUNT}:stream/clicks`;
  const refused = (message: string) => (error: any) => {
    assert.equal(error.name, 'InvalidParameterValueException');
    assert.equal(error.message, message);
    assert.equal(error.$metadata.httpStatusCode, 400);
    return true;
  };
  /** A role trusting Lambda and the function that runs as it (named alike). */
  const roleAndFunction = async (name: string) => {
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }));
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: `arn:aws:iam::${t.platform.config.accountId}:role/${name}`,
        Code: { ZipFile: await nodeZip('exports.handler = async () => 1;') },
      }),
    );
  };
  const mapQueue = (functionName: string) =>
    t.client.send(new CreateEventSourceMappingCommand({ FunctionName: functionName, EventSourceArn: queueArn, Enabled: false }));

  before(async () => {
    moto = await startMoto();
    const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: moto.url, credentials });
    await sqs.send(new CreateQueueCommand({ QueueName: 'jobs' }));
    sqs.destroy();
    t = await startPlatform({}, moto.env);
    iam = new IAMClient({ endpoint: t.platform.url, region: t.platform.config.region, credentials: t.platform.rootKey });
    await roleAndFunction('bare');
    await roleAndFunction('reader');
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'reader', PolicyArn: SQS_POLICY }));
  });
  after(async () => {
    iam?.destroy();
    await t?.stop();
    await moto?.stop();
  });

  it('refuses a role with no policy for the source, in the words Lambda uses for queues and for streams', async () => {
    await assert.rejects(mapQueue('bare'), refused('The function execution role does not have permissions to call ReceiveMessage on SQS'));
    await assert.rejects(
      t.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'bare', EventSourceArn: streamArn, StartingPosition: 'LATEST' })),
      refused(
        `Cannot access stream ${streamArn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.`,
      ),
    );
  });

  it('names the first action a partial policy lacks, and an explicit deny wins over the managed policy', async () => {
    const receiveOnly = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:GetQueueAttributes'], Resource: queueArn }],
    };
    await iam.send(new PutRolePolicyCommand({ RoleName: 'bare', PolicyName: 'receive', PolicyDocument: JSON.stringify(receiveOnly) }));
    await assert.rejects(mapQueue('bare'), refused('The function execution role does not have permissions to call DeleteMessage on SQS'));

    await roleAndFunction('denied');
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'denied', PolicyArn: SQS_POLICY }));
    const deny = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'sqs:GetQueueAttributes', Resource: '*' }] };
    await iam.send(new PutRolePolicyCommand({ RoleName: 'denied', PolicyName: 'deny', PolicyDocument: JSON.stringify(deny) }));
    await assert.rejects(mapQueue('denied'), refused('The function execution role does not have permissions to call GetQueueAttributes on SQS'));
  });

  it('maps a function whose role may read the queue, and checks the role again when the mapping moves to another function', async () => {
    const created = await mapQueue('reader');
    assert.equal(created.$metadata.httpStatusCode, 202);
    await assert.rejects(
      t.client.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, FunctionName: 'bare' })),
      refused('The function execution role does not have permissions to call DeleteMessage on SQS'),
    );
  });
});
