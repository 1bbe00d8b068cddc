import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
  type EventSourceMappingConfiguration,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readLogs, waitFor } from '../support/async.js';
import { MOTO_ACCOUNT, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { ROLE, startPlatform, type TestPlatform } from '../support/platform.js';
import { nodeZip } from '../support/zip.js';

const MARKER = 'BATCH ';
/** Logs each batch's message bodies; a body `fail` fails the batch, `partial:<id…>` reports those items as failed. */
const HANDLER = `exports.handler = async (event) => {
  const bodies = event.Records.map((r) => r.body);
  console.log(${JSON.stringify(MARKER)} + JSON.stringify({ bodies, ids: event.Records.map((r) => r.messageId), first: event.Records[0] }));
  if (bodies.includes('fail')) throw new Error('asked to fail');
  const partial = event.Records.filter((r) => r.body.startsWith('partial'));
  if (partial.length > 0) return { batchItemFailures: partial.map((r) => ({ itemIdentifier: r.messageId })) };
  if (bodies.includes('malformed')) return { batchItemFailures: [{ itemIdentifier: 'no-such-id' }] };
  return 'ok';
};`;

const missing = motoMissing();
const run = promisify(execFile);
/** The AWS CLI v2 (Debian's awscli package; `.ci/run` installs it). */
const AWS_CLI = '/usr/bin/aws';

describe('SQS event source mappings', { skip: missing ?? false }, () => {
  let moto: Moto;
  let t: TestPlatform;
  let sqs: SQSClient;
  const queueArn = (name: string) => `arn:aws:sqs:us-east-1:${MOTO_ACCOUNT}:${name}`;
  const createQueue = async (name: string, visibility = 30) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibility) } }))).QueueUrl!;
  const deploy = async (name: string, timeout = 3) =>
    t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Timeout: timeout,
        Code: { ZipFile: await nodeZip(HANDLER) },
      }),
    );
  const batches = async (name: string) =>
    (await readLogs(t.platform, name))
      .filter((e) => e.message.includes(MARKER))
      .map((e) => JSON.parse(e.message.slice(e.message.indexOf(MARKER) + MARKER.length)) as { bodies: string[]; ids: string[]; first: any });
  const bodiesSeen = async (name: string) => (await batches(name)).flatMap((b) => b.bodies);
  const mapping = (uuid: string) => t.client.send(new GetEventSourceMappingCommand({ UUID: uuid }));
  const inState = (uuid: string, state: string) =>
    waitFor(`mapping ${uuid} ${state}`, async () => {
      const m = await mapping(uuid);
      return m.State === state ? m : undefined;
    });
  const visible = async (url: string) => {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };

  before(async () => {
    moto = await startMoto();
    sqs = new SQSClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    t = await startPlatform({}, moto.env);
  });
  after(async () => {
    await t?.stop();
    sqs?.destroy();
    await moto?.stop();
  });

  it('creates a mapping (202, Creating), which becomes Enabled and invokes the function with each batch in Lambda’s SQS shape, deleting what succeeded', async () => {
    const url = await createQueue('orders');
    await deploy('consumer');
    const created = await t.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: queueArn('orders'), BatchSize: 5 }));
    assert.equal(created.$metadata.httpStatusCode, 202);
    assert.equal(created.State, 'Creating');
    assert.equal(created.StateTransitionReason, 'USER_INITIATED');
    assert.equal(created.BatchSize, 5);
    assert.equal(created.MaximumBatchingWindowInSeconds, 0);
    assert.equal(created.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:consumer');
    assert.deepEqual(created.FunctionResponseTypes, []);
    assert.match(created.EventSourceMappingArn ?? '', /^arn:aws:lambda:us-east-1:000000000000:event-source-mapping:[0-9a-f-]{36}$/);
    assert.ok(created.LastModified instanceof Date);
    await inState(created.UUID!, 'Enabled');

    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } } }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: ['two', 'three'].map((body, i) => ({ Id: String(i), MessageBody: body })) }));
    const seen = await waitFor('three messages', async () => ((await bodiesSeen('consumer')).length >= 3 ? bodiesSeen('consumer') : undefined));
    assert.deepEqual([...seen].sort(), ['one', 'three', 'two']);
    const record = (await batches('consumer')).find((b) => b.bodies.includes('one'))!.first;
    assert.equal(record.eventSource, 'aws:sqs');
    assert.equal(record.eventSourceARN, queueArn('orders'));
    assert.equal(record.awsRegion, 'us-east-1');
    assert.equal(typeof record.receiptHandle, 'string');
    assert.equal(record.attributes.ApproximateReceiveCount, '1');
    assert.equal(typeof record.attributes.SentTimestamp, 'string');
    assert.deepEqual(record.messageAttributes.kind, { stringValue: 'order', stringListValues: [], binaryListValues: [], dataType: 'String' });
    assert.equal(typeof record.md5OfBody, 'string');
    await waitFor('the queue emptied', async () => ((await visible(url)) === 0 ? true : undefined));
    await waitFor('LastProcessingResult OK', async () => ((await mapping(created.UUID!)).LastProcessingResult === 'OK' ? true : undefined));
  });

  it('lists by function and by source, updates (Updating, then Enabled), disables and deletes (Deleting, then gone)', async () => {
    await createQueue('listed');
    await deploy('lister');
    const { UUID } = await t.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'lister', EventSourceArn: queueArn('listed') }));
    const byFunction = await t.client.send(new ListEventSourceMappingsCommand({ FunctionName: 'lister' }));
    assert.deepEqual(
      byFunction.EventSourceMappings?.map((m) => m.UUID),
      [UUID],
    );
    const bySource = await t.client.send(new ListEventSourceMappingsCommand({ EventSourceArn: queueArn('listed') }));
    assert.deepEqual(
      bySource.EventSourceMappings?.map((m) => m.UUID),
      [UUID],
    );
    await inState(UUID!, 'Enabled');
    const updated = await t.client.send(new UpdateEventSourceMappingCommand({ UUID, BatchSize: 20, MaximumBatchingWindowInSeconds: 1 }));
    assert.equal(updated.$metadata.httpStatusCode, 202);
    assert.equal(updated.State, 'Updating');
    assert.equal((await inState(UUID!, 'Enabled')).BatchSize, 20);
    const disabling = await t.client.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: false }));
    assert.equal(disabling.State, 'Disabling');
    await inState(UUID!, 'Disabled');
    const deleting = await t.client.send(new DeleteEventSourceMappingCommand({ UUID }));
    assert.equal(deleting.$metadata.httpStatusCode, 202);
    assert.equal(deleting.State, 'Deleting');
    await waitFor('the mapping gone', async () => {
      try {
        await mapping(UUID!);
        return undefined;
      } catch (error) {
        return (error as Error).name === 'ResourceNotFoundException' ? true : undefined;
      }
    });
  });

  it('refuses what Lambda refuses, with its errors', async () => {
    await createQueue('short-visibility', 5);
    await createQueue('checked');
    await deploy('validated', 10);
    const create = (input: Partial<CreateEventSourceMappingCommandInput>) =>
      t.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'validated', EventSourceArn: queueArn('checked'), ...input }));
    await assert.rejects(create({ EventSourceArn: queueArn('short-visibility') }), {
      name: 'InvalidParameterValueException',
      message: 'Queue visibility timeout: 5 seconds is less than Function timeout: 10 seconds',
    });
    await assert.rejects(create({ BatchSize: 100 }), {
      name: 'InvalidParameterValueException',
      message: 'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10',
    });
    await assert.rejects(create({ BatchSize: 20_000, MaximumBatchingWindowInSeconds: 1 }), { name: 'ValidationException' });
    // AWS's own answer here: a 400, not a 404.
    await assert.rejects(create({ FunctionName: 'no-such-function' }), { name: 'InvalidParameterValueException', message: 'Function does not exist' });
    await assert.rejects(create({ EventSourceArn: 'arn:aws:sns:us-east-1:123456789012:topic' }), {
      name: 'InvalidParameterValueException',
      message: 'Unrecognized event source, must be kinesis, dynamodb stream or sqs.',
    });
    await assert.rejects(create({ EventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/c/abc' }), {
      name: 'InvalidParameterValueException',
      message: 'Event sources of type kafka are not supported by selfless yet.',
    });
    await assert.rejects(create({ StartingPosition: 'LATEST' as const }), {
      name: 'InvalidParameterValueException',
      message: 'StartingPosition is not valid for SQS event sources.',
    });
    await assert.rejects(create({ FilterCriteria: { Filters: [{ Pattern: '{"body":{"a":"b"}}' }] } }), {
      name: 'InvalidParameterValueException',
      message: /^Invalid filter pattern definition/,
    });
    await assert.rejects(create({ FunctionResponseTypes: ['Everything' as 'ReportBatchItemFailures'] }), { name: 'ValidationException' });
    await assert.rejects(create({ ScalingConfig: { MaximumConcurrency: 1 } }), { name: 'ValidationException' });
    await assert.rejects(
      create({ EventSourceArn: `arn:aws:sqs:us-east-1:${MOTO_ACCOUNT}:no-such-queue` }),
      (error: Error) => error.name === 'InvalidParameterValueException' && /GetQueueAttributes/.test(error.message),
    );
    const { UUID } = await create({});
    await assert.rejects(create({}), {
      name: 'ResourceConflictException',
      message: `An event source mapping with SQS arn (" ${queueArn('checked')} ") and function (" validated ") already exists. Please update or delete the existing mapping with UUID ${UUID}`,
    });
    await assert.rejects(t.client.send(new GetEventSourceMappingCommand({ UUID: '00000000-0000-0000-0000-000000000000' })), {
      name: 'ResourceNotFoundException',
    });
  });

  it('leaves a failed batch in the queue to come back after the visibility timeout, and deletes only what ReportBatchItemFailures does not name', async () => {
    const url = await createQueue('flaky', 2);
    await deploy('flaky', 1);
    const { UUID } = await t.client.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'flaky',
        EventSourceArn: queueArn('flaky'),
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    await inState(UUID!, 'Enabled');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'fail' }));
    // Received again and again: the queue's own redrive policy is what bounds it.
    await waitFor('the failing message delivered twice', async () => ((await bodiesSeen('flaky')).filter((b) => b === 'fail').length >= 2 ? true : undefined));
    const again = (await batches('flaky')).filter((b) => b.bodies[0] === 'fail');
    assert.equal(again[0]!.ids[0], again[1]!.ids[0], 'the same message');
    assert.equal(again[1]!.first.attributes.ApproximateReceiveCount, '2');
    await waitFor('PROBLEM reported', async () => ((await mapping(UUID!)).LastProcessingResult === 'PROBLEM: Function call failed' ? true : undefined));
    await t.client.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: false }));
    await inState(UUID!, 'Disabled');
  });

  it('with ReportBatchItemFailures: the items named stay, the rest is deleted; a malformed response keeps the whole batch', async () => {
    const url = await createQueue('partial', 30);
    await deploy('partial');
    const { UUID } = await t.client.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'partial',
        EventSourceArn: queueArn('partial'),
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 2,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    await inState(UUID!, 'Enabled');
    await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: ['ok-1', 'partial-1', 'ok-2'].map((body, i) => ({ Id: String(i), MessageBody: body })) }),
    );
    await waitFor('the batch', async () => ((await bodiesSeen('partial')).includes('partial-1') ? true : undefined));
    // The named item is not deleted: it is still in the queue (in flight until its visibility timeout).
    await waitFor('only the named item left', async () => ((await visible(url)) === 1 ? true : undefined));
    await t.client.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: false }));
    await inState(UUID!, 'Disabled');

    const url2 = await createQueue('malformed', 30);
    const { UUID: second } = await t.client.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'partial',
        EventSourceArn: queueArn('malformed'),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    await inState(second!, 'Enabled');
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url2, Entries: ['fine', 'malformed'].map((body, i) => ({ Id: String(i), MessageBody: body })) }));
    await waitFor('the malformed answer', async () => ((await bodiesSeen('partial')).includes('malformed') ? true : undefined));
    await waitFor('PROBLEM reported', async () => ((await mapping(second!)).LastProcessingResult?.startsWith('PROBLEM: Function response') ? true : undefined));
    assert.equal(await visible(url2), 2, 'nothing deleted');
    await t.client.send(new DeleteEventSourceMappingCommand({ UUID: second }));
  });

  it('reports a source that is down, backs off, and recovers on its own when it returns', async () => {
    const url = await createQueue('outage');
    await deploy('outage');
    const { UUID } = await t.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'outage', EventSourceArn: queueArn('outage') }));
    await inState(UUID!, 'Enabled');
    await moto.stop();
    const problem = await waitFor('PROBLEM while the source is down', async () => {
      const result = (await mapping(UUID!)).LastProcessingResult;
      return result?.startsWith('PROBLEM') ? result : undefined;
    });
    assert.match(problem, /PROBLEM: /);
    await moto.restart();
    // moto starts empty: the queue is made again under the same name (and URL).
    assert.equal(await createQueue('outage'), url);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'after the outage' }));
    await waitFor('the message after the outage', async () => ((await bodiesSeen('outage')).includes('after the outage') ? true : undefined));
  });

  it('deletes a function’s mappings with it, and stops polling them', async () => {
    await createQueue('orphan');
    await deploy('short-lived');
    const { UUID } = await t.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'short-lived', EventSourceArn: queueArn('orphan') }));
    await inState(UUID!, 'Enabled');
    await t.client.send(new DeleteFunctionCommand({ FunctionName: 'short-lived' }));
    await assert.rejects(mapping(UUID!), { name: 'ResourceNotFoundException' });
    const listed: EventSourceMappingConfiguration[] = (await t.client.send(new ListEventSourceMappingsCommand({ EventSourceArn: queueArn('orphan') })))
      .EventSourceMappings!;
    assert.deepEqual(listed, []);
  });

  it('works from the AWS CLI unchanged: create-event-source-mapping, get, list, delete', async (ctx) => {
    try {
      await run(AWS_CLI, ['--version']);
    } catch {
      ctx.skip('AWS CLI v2 not installed (apt-get install -y awscli)');
      return;
    }
    const cli = async (...args: string[]) => {
      const { stdout } = await run(AWS_CLI, ['lambda', ...args, '--endpoint-url', t.platform.url, '--output', 'json'], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ACCESS_KEY_ID: t.platform.rootKey.accessKeyId,
          AWS_SECRET_ACCESS_KEY: t.platform.rootKey.secretAccessKey,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_PAGER: '',
        },
      });
      return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, any>);
    };
    const url = await createQueue('from-cli');
    await deploy('cli-consumer');
    const created = await cli(
      'create-event-source-mapping',
      '--function-name',
      'cli-consumer',
      '--event-source-arn',
      queueArn('from-cli'),
      '--batch-size',
      '5',
    );
    assert.equal(created.State, 'Creating');
    assert.equal(created.BatchSize, 5);
    assert.equal(typeof created.LastModified, 'string', 'the CLI prints the epoch-seconds timestamp as a date');
    await inState(created.UUID, 'Enabled');
    const got = await cli('get-event-source-mapping', '--uuid', created.UUID);
    assert.equal(got.State, 'Enabled');
    const listed = await cli('list-event-source-mappings', '--function-name', 'cli-consumer');
    assert.deepEqual(
      listed.EventSourceMappings.map((m: { UUID: string }) => m.UUID),
      [created.UUID],
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'via the cli' }));
    await waitFor('the message', async () => ((await bodiesSeen('cli-consumer')).includes('via the cli') ? true : undefined));
    assert.equal((await cli('delete-event-source-mapping', '--uuid', created.UUID)).State, 'Deleting');
  });

  it('receives a new object of an S3 bucket through the bucket’s notification to SQS (the AWS pattern)', async () => {
    await createQueue('uploads');
    await deploy('on-upload');
    const { UUID } = await t.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'on-upload', EventSourceArn: queueArn('uploads') }));
    await inState(UUID!, 'Enabled');
    // boto3, a second real AWS client, sets the bucket up and uploads: moto's S3 notifies the queue.
    await run('python3', [
      '-c',
      `import boto3, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')
s3.create_bucket(Bucket='photos')
s3.put_bucket_notification_configuration(Bucket='photos', NotificationConfiguration={'QueueConfigurations': [{'QueueArn': sys.argv[2], 'Events': ['s3:ObjectCreated:*']}]})
s3.put_object(Bucket='photos', Key='holiday/beach day.jpg', Body=b'jpeg bytes')`,
      moto.url,
      queueArn('uploads'),
    ]);
    const notification = await waitFor('the S3 notification', async () => {
      const bodies = (await bodiesSeen('on-upload')).map((b) => JSON.parse(b) as { Records?: any[] });
      return bodies.find((b) => b.Records?.[0]?.eventSource === 'aws:s3');
    });
    const record = notification.Records![0];
    assert.match(record.eventName, /^ObjectCreated:/);
    assert.equal(record.s3.bucket.name, 'photos');
    // S3 URL-encodes the key in notifications (a space as +).
    assert.equal(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')), 'holiday/beach day.jpg');
    assert.equal(record.s3.object.size, 10);
  });

  it('applies FilterCriteria to each message, deleting those no filter matches unseen, as Lambda does', async () => {
    const url = await createQueue('filtered');
    await deploy('picky');
    const created = await t.client.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'picky',
        EventSourceArn: queueArn('filtered'),
        FilterCriteria: {
          Filters: [{ Pattern: JSON.stringify({ body: { kind: ['keep'], size: [{ numeric: ['>', 10] }] } }) }, { Pattern: '{"body":["plain keep"]}' }],
        },
      }),
    );
    assert.deepEqual(created.FilterCriteria, {
      Filters: [{ Pattern: JSON.stringify({ body: { kind: ['keep'], size: [{ numeric: ['>', 10] }] } }) }, { Pattern: '{"body":["plain keep"]}' }],
    });
    await inState(created.UUID!, 'Enabled');
    const bodies = [
      JSON.stringify({ kind: 'keep', size: 11 }),
      JSON.stringify({ kind: 'keep', size: 3 }),
      JSON.stringify({ kind: 'drop', size: 50 }),
      'plain keep',
      'plain drop',
    ];
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })) }));
    await waitFor('the queue emptied', async () => ((await visible(url)) === 0 ? true : undefined));
    const seen = await waitFor('the matching two', async () => ((await bodiesSeen('picky')).length >= 2 ? bodiesSeen('picky') : undefined));
    assert.deepEqual(seen.sort(), ['plain keep', JSON.stringify({ kind: 'keep', size: 11 })]);
  });

  it('reaches a queue through a per-source override in sources.json when the server’s environment points nowhere', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-sources-'));
    await writeFile(
      join(dataDir, 'sources.json'),
      JSON.stringify({
        sources: [
          { match: 'arn:aws:sqs:us-east-1:*:elsewhere-*', endpoint: 'http://127.0.0.1:9', accessKeyId: 'wrong', secretAccessKey: 'wrong' },
          { match: `arn:aws:sqs:us-east-1:${MOTO_ACCOUNT}:*`, endpoint: moto.url, accessKeyId: 'testing', secretAccessKey: 'testing' },
        ],
      }),
    );
    // No AWS_* variables at all: without the file, the queue would be looked for on AWS itself.
    const other = await startPlatform({ dataDir });
    try {
      const url = await createQueue('overridden');
      await other.client.send(
        new CreateFunctionCommand({
          FunctionName: 'o',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await nodeZip(HANDLER) },
        }),
      );
      const { UUID } = await other.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'o', EventSourceArn: queueArn('overridden') }));
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'through the override' }));
      await waitFor('the message', async () => {
        const logs = await readLogs(other.platform, 'o');
        return logs.some((e) => e.message.includes('through the override')) ? true : undefined;
      });
      await other.client.send(new DeleteEventSourceMappingCommand({ UUID }));
    } finally {
      await other.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a sources.json that does not parse, saying why', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-sources-'));
    try {
      await writeFile(join(dataDir, 'sources.json'), JSON.stringify({ sources: [{ match: 'arn:aws:sqs:*', endpoint: 'not a url' }] }));
      await assert.rejects(startPlatform({ dataDir }), /sources\.json: sources\.0\.endpoint: /);
      await writeFile(join(dataDir, 'sources.json'), JSON.stringify({ sources: [{ match: 'arn:aws:sqs:*', accessKeyId: 'only-half' }] }));
      await assert.rejects(startPlatform({ dataDir }), /accessKeyId and secretAccessKey go together/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('is polled by one process at a time: a second server on the same data dir leaves it alone, and takes over when the first stops', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-owner-'));
    const first = await startPlatform({ dataDir }, moto.env);
    let second: TestPlatform | undefined;
    try {
      const url = await createQueue('owned');
      await first.client.send(
        new CreateFunctionCommand({
          FunctionName: 'owned',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await nodeZip(HANDLER) },
        }),
      );
      const { UUID } = await first.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'owned', EventSourceArn: queueArn('owned') }));
      await waitFor('the first polling', async () => (first.platform.sources.polling(UUID!) ? true : undefined));
      second = await startPlatform({ dataDir }, moto.env);
      // The second has the mapping too (same data dir), and leaves it to the first.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(second.platform.sources.polling(UUID!), false);
      assert.match(second.logs.join('\n'), /another selfless process on this data dir polls this event source mapping/);
      await first.stop();
      await waitFor('the second taking over', async () => (second!.platform.sources.polling(UUID!) ? true : undefined), { timeoutMs: 60_000 });
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'after the hand-over' }));
      await waitFor('the message', async () =>
        (await readLogs(second!.platform, 'owned')).some((e) => e.message.includes('after the hand-over')) ? true : undefined,
      );
    } finally {
      await first.stop().catch(() => undefined);
      await second?.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
