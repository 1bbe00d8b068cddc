import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  GetEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readLogs, waitFor } from '../support/async.js';
import { MOTO_ACCOUNT, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { ROLE, startPlatform, type TestPlatform } from '../support/platform.js';
import { signedFetch } from '../support/signed-fetch.js';
import { nodeZip } from '../support/zip.js';

const MARKER = 'BATCH ';
/** Logs each batch (data decoded, sequence numbers, shard); data `poison` fails the batch. */
const HANDLER = `exports.handler = async (event) => {
  const records = event.Records.map((r) => ({ data: Buffer.from(r.kinesis.data, 'base64').toString(), seq: r.kinesis.sequenceNumber, shard: r.eventID.split(':')[0], key: r.kinesis.partitionKey }));
  console.log(${JSON.stringify(MARKER)} + JSON.stringify({ records, first: event.Records[0] }));
  if (records.some((r) => r.data === 'poison')) throw new Error('poisoned');
  return 'ok';
};`;
/** Like HANDLER, but each batch takes half a second and notes when it ran. */
const SLOW = `exports.handler = async (event) => {
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const records = event.Records.map((r) => ({ data: Buffer.from(r.kinesis.data, 'base64').toString(), seq: r.kinesis.sequenceNumber, shard: r.eventID.split(':')[0], key: r.kinesis.partitionKey }));
  console.log(${JSON.stringify(MARKER)} + JSON.stringify({ records, start, end: Date.now() }));
  return 'ok';
};`;
const SINK = `exports.handler = async (event) => { console.log(${JSON.stringify(MARKER)} + JSON.stringify(event)); return 'noted'; };`;

interface Batch {
  readonly records: Array<{ data: string; seq: string; shard: string; key: string }>;
  readonly first: any;
  readonly start: number;
  readonly end: number;
}

describe('Kinesis event source mappings', { skip: motoMissing() ?? false }, () => {
  let moto: Moto;
  let t: TestPlatform;
  let kinesis: KinesisClient;
  let dataDir: string;
  const arn = (name: string) => `arn:aws:kinesis:us-east-1:${MOTO_ACCOUNT}:stream/${name}`;
  const createStream = async (name: string, shards: number) => {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    await waitFor('the stream active', async () =>
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined,
    );
  };
  const put = (stream: string, items: Array<[key: string, data: string]>) =>
    kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: items.map(([key, data]) => ({ PartitionKey: key, Data: Buffer.from(data) })) }));
  const deploy = async (client: LambdaClient, name: string, source = HANDLER) =>
    client.send(
      new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await nodeZip(source) } }),
    );
  const batches = async (platform: TestPlatform, name: string): Promise<Batch[]> =>
    (await readLogs(platform.platform, name))
      .filter((e) => e.message.includes(MARKER))
      .map((e) => JSON.parse(e.message.slice(e.message.indexOf(MARKER) + MARKER.length)) as Batch);
  const seen = async (platform: TestPlatform, name: string) => (await batches(platform, name)).flatMap((b) => b.records);
  const mapping = (input: Partial<CreateEventSourceMappingCommandInput> & { FunctionName: string; EventSourceArn: string }) =>
    t.client.send(new CreateEventSourceMappingCommand({ StartingPosition: 'TRIM_HORIZON', BatchSize: 10, ...input }));
  const state = (uuid: string) => t.client.send(new GetEventSourceMappingCommand({ UUID: uuid }));

  before(async () => {
    moto = await startMoto();
    kinesis = new KinesisClient({
      region: 'us-east-1',
      endpoint: moto.url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      requestHandler: new NodeHttpHandler(),
    });
    dataDir = await mkdtemp(join(tmpdir(), 'selfless-kinesis-'));
    t = await startPlatform({ dataDir }, moto.env);
  });
  after(async () => {
    await t?.stop();
    kinesis?.destroy();
    await moto?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads every shard from TRIM_HORIZON, in order per shard, in Lambda’s Kinesis shape, and resumes from its checkpoints after a restart', async () => {
    await createStream('clicks', 2);
    await deploy(t.client, 'reader');
    const created = await mapping({ FunctionName: 'reader', EventSourceArn: arn('clicks') });
    assert.equal(created.State, 'Creating');
    assert.equal(created.StartingPosition, 'TRIM_HORIZON');
    assert.equal(created.BatchSize, 10);
    assert.equal(created.MaximumRetryAttempts, -1);
    assert.equal(created.MaximumRecordAgeInSeconds, -1);
    assert.equal(created.ParallelizationFactor, 1);
    assert.equal(created.BisectBatchOnFunctionError, false);
    assert.deepEqual(created.DestinationConfig, { OnFailure: {} });
    assert.equal(created.LastProcessingResult, 'No records processed');
    const items = Array.from({ length: 30 }, (_, i): [string, string] => [`key-${i % 3}`, `click-${String(i).padStart(2, '0')}`]);
    await put('clicks', items);
    const all = await waitFor('30 records', async () => {
      const got = await seen(t, 'reader');
      return got.length >= 30 ? got : undefined;
    });
    assert.deepEqual(all.map((r) => r.data).sort(), items.map(([, d]) => d).sort());
    // Per shard, records arrive in the order they were written (by sequence number).
    const byShard = new Map<string, bigint[]>();
    for (const r of all) byShard.set(r.shard, [...(byShard.get(r.shard) ?? []), BigInt(r.seq)]);
    for (const [shard, seqs] of byShard)
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => (a < b ? -1 : 1)),
        `order in ${shard}`,
      );
    const first = (await batches(t, 'reader'))[0]!.first;
    assert.equal(first.eventSource, 'aws:kinesis');
    assert.equal(first.eventVersion, '1.0');
    assert.equal(first.eventName, 'aws:kinesis:record');
    assert.equal(first.eventSourceARN, arn('clicks'));
    assert.equal(first.invokeIdentityArn, ROLE);
    assert.equal(first.kinesis.kinesisSchemaVersion, '1.0');
    assert.equal(typeof first.kinesis.approximateArrivalTimestamp, 'number');
    assert.match(first.eventID, /^shardId-\d+:\d+$/);
    // The mapping's batches and their iterator age, as Prometheus sees them.
    const metrics = await (await signedFetch(t.platform, 'GET', '/metrics')).text();
    const ok = new RegExp(`^selfless_mapping_batches_total\\{function_name="reader",uuid="${created.UUID}",result="ok"\\} (\\d+)$`, 'm').exec(metrics);
    assert.ok(ok !== null && Number(ok[1]) >= 3, metrics);
    assert.match(metrics, new RegExp(`^selfless_mapping_iterator_age_seconds\\{function_name="reader",uuid="${created.UUID}"\\} [\\d.e-]+$`, 'm'));

    // A restart on the same data dir: only what came after the checkpoints is read.
    await t.stop();
    await put('clicks', [
      ['key-0', 'after-1'],
      ['key-1', 'after-2'],
    ]);
    t = await startPlatform({ dataDir }, moto.env);
    const later = await waitFor('the two new records', async () => {
      const got = await seen(t, 'reader');
      return got.filter((r) => r.data.startsWith('after-')).length >= 2 ? got : undefined;
    });
    // The function's log keeps the first run's batches: each record from before appears once, not twice.
    assert.equal(later.filter((r) => r.data.startsWith('click-')).length, 30, 'nothing from before the checkpoint again');
  });

  it('starts at LATEST when asked: what was in the stream before is not read', async () => {
    await createStream('fresh', 1);
    await put('fresh', [['k', 'before']]);
    await deploy(t.client, 'latest');
    const { UUID } = await mapping({ FunctionName: 'latest', EventSourceArn: arn('fresh'), StartingPosition: 'LATEST' });
    await waitFor('the reader polling', async () => ((await state(UUID!)).State === 'Enabled' ? true : undefined));
    // Its iterator is taken when the reader starts; give it a poll.
    await waitFor('a first poll', async () => ((await state(UUID!)).LastProcessingResult === 'No records processed' ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await put('fresh', [['k', 'after']]);
    const got = await waitFor('the new record', async () => {
      const records = await seen(t, 'latest');
      return records.some((r) => r.data === 'after') ? records : undefined;
    });
    assert.deepEqual(
      got.map((r) => r.data),
      ['after'],
    );
  });

  it('bounds a poison record by MaximumRetryAttempts, sends the batch’s place to the on-failure function, and moves on', async () => {
    await createStream('poisoned', 1);
    await deploy(t.client, 'fragile');
    await deploy(t.client, 'dead-letters', SINK);
    const { UUID } = await mapping({
      FunctionName: 'fragile',
      EventSourceArn: arn('poisoned'),
      MaximumRetryAttempts: 1,
      BatchSize: 1,
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:lambda:us-east-1:000000000000:function:dead-letters' } },
    });
    assert.equal((await state(UUID!)).DestinationConfig?.OnFailure?.Destination, 'arn:aws:lambda:us-east-1:000000000000:function:dead-letters');
    await put('poisoned', [
      ['k', 'fine-1'],
      ['k', 'poison'],
      ['k', 'fine-2'],
    ]);
    const record = await waitFor('the on-failure record', async () => {
      const notes = (await readLogs(t.platform, 'dead-letters')).filter((e) => e.message.includes(MARKER));
      return notes.length > 0 ? (JSON.parse(notes[0]!.message.slice(notes[0]!.message.indexOf(MARKER) + MARKER.length)) as any) : undefined;
    });
    assert.equal(record.requestContext.condition, 'RetryAttemptsExhausted');
    assert.equal(record.requestContext.approximateInvokeCount, 2);
    assert.equal(record.requestContext.functionArn, 'arn:aws:lambda:us-east-1:000000000000:function:fragile');
    assert.equal(record.responseContext.functionError, 'Unhandled');
    assert.equal(record.version, '1.0');
    assert.equal(record.KinesisBatchInfo.batchSize, 1);
    assert.equal(record.KinesisBatchInfo.streamArn, arn('poisoned'));
    assert.equal(record.KinesisBatchInfo.startSequenceNumber, record.KinesisBatchInfo.endSequenceNumber);
    const got = await waitFor('the record after the poison', async () => {
      const records = await seen(t, 'fragile');
      return records.some((r) => r.data === 'fine-2') ? records : undefined;
    });
    assert.deepEqual(
      got.map((r) => r.data),
      ['fine-1', 'poison', 'poison', 'fine-2'],
      'tried twice (one retry), then the shard moved on, in order',
    );
  });

  it('sends a batch that failed for good to an SQS on-failure destination, once the role may send there', async () => {
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'stream-failures' }));
      const queueArn = `arn:aws:sqs:us-east-1:${MOTO_ACCOUNT}:stream-failures`;
      await createStream('to-queue', 1);
      await deploy(t.client, 'queue-fragile');
      const input = {
        FunctionName: 'queue-fragile',
        EventSourceArn: arn('to-queue'),
        MaximumRetryAttempts: 0,
        BatchSize: 1,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      };
      await assert.rejects(mapping(input), {
        name: 'InvalidParameterValueException',
        message: 'The function execution role does not have permissions to call SendMessage on SQS',
      });
      const iam = new IAMClient({ region: 'us-east-1', endpoint: t.platform.url, credentials: t.platform.rootKey });
      const send = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn }] };
      await iam.send(new PutRolePolicyCommand({ RoleName: 'test', PolicyName: 'send-failures', PolicyDocument: JSON.stringify(send) }));
      iam.destroy();
      const { UUID } = await mapping(input);
      assert.equal((await state(UUID!)).DestinationConfig?.OnFailure?.Destination, queueArn);
      await put('to-queue', [['k', 'poison']]);
      const message = await waitFor(
        'the on-failure message',
        async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }))).Messages?.[0],
      );
      const record = JSON.parse(message.Body!) as any;
      assert.equal(record.requestContext.condition, 'RetryAttemptsExhausted');
      assert.equal(record.requestContext.functionArn, 'arn:aws:lambda:us-east-1:000000000000:function:queue-fragile');
      assert.equal(record.KinesisBatchInfo.streamArn, arn('to-queue'));
      assert.equal(record.KinesisBatchInfo.batchSize, 1);
    } finally {
      sqs.destroy();
    }
  });

  it('reads one shard with several batches at once under ParallelizationFactor, in order per partition key', async () => {
    await createStream('busy', 1);
    await deploy(t.client, 'parallel', SLOW);
    const { UUID } = await mapping({ FunctionName: 'parallel', EventSourceArn: arn('busy'), ParallelizationFactor: 4, BatchSize: 2 });
    assert.equal((await state(UUID!)).ParallelizationFactor, 4);
    const keys = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    const items = Array.from({ length: 36 }, (_, i): [string, string] => [keys[i % keys.length]!, `${keys[i % keys.length]}-${String(i).padStart(2, '0')}`]);
    await put('busy', items);
    const got = await waitFor('36 records', async () => {
      const all = await batches(t, 'parallel');
      return all.flatMap((b) => b.records).length >= 36 ? all : undefined;
    });
    const records = got.flatMap((b) => b.records);
    assert.deepEqual(records.map((r) => r.data).sort(), items.map(([, d]) => d).sort(), 'each record once');
    assert.ok(
      got.every((b) => b.records.length <= 2),
      'no batch above BatchSize',
    );
    for (const key of keys) {
      const mine = got.flatMap((b) => b.records.map((r) => ({ ...r, start: b.start }))).filter((r) => r.key === key);
      const inOrder = [...mine].sort((a, b) => a.start - b.start || (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
      assert.deepEqual(
        inOrder.map((r) => r.data),
        items.filter(([k]) => k === key).map(([, d]) => d),
        `records of ${key} handled in the order they were written`,
      );
    }
    // Lanes run at the same time: some two batches of the one shard overlapped.
    const overlapped = got.some((a, i) => got.some((b, j) => i !== j && a.start < b.end && b.start < a.end));
    assert.ok(overlapped, 'batches of one shard ran concurrently');
  });

  it('gathers records for MaximumBatchingWindowInSeconds before invoking', async () => {
    await createStream('trickle', 1);
    await deploy(t.client, 'patient');
    await mapping({ FunctionName: 'patient', EventSourceArn: arn('trickle'), BatchSize: 10, MaximumBatchingWindowInSeconds: 5 });
    for (const data of ['drip-1', 'drip-2', 'drip-3']) {
      await put('trickle', [['k', data]]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const got = await waitFor('the three records', async () => {
      const all = await batches(t, 'patient');
      return all.flatMap((b) => b.records).length >= 3 ? all : undefined;
    });
    assert.deepEqual(
      got.map((b) => b.records.map((r) => r.data)),
      [['drip-1', 'drip-2', 'drip-3']],
      'one batch, not three',
    );
  });

  it('reports a stream that is down, backs off, and recovers on its own when it returns', async () => {
    await createStream('outage', 1);
    await deploy(t.client, 'outage');
    const { UUID } = await mapping({ FunctionName: 'outage', EventSourceArn: arn('outage') });
    await waitFor('a first poll', async () => ((await state(UUID!)).LastProcessingResult === 'No records processed' ? true : undefined));
    await moto.stop();
    const problem = await waitFor('PROBLEM while the source is down', async () => {
      const result = (await state(UUID!)).LastProcessingResult;
      return result?.startsWith('PROBLEM') ? result : undefined;
    });
    assert.match(problem, /^PROBLEM: /);
    assert.equal((await state(UUID!)).State, 'Enabled', 'the mapping stays enabled');
    // moto comes back empty: the stream is made again under the same name (and ARN).
    await moto.restart();
    await createStream('outage', 1);
    await put('outage', [['k', 'after the outage']]);
    await waitFor('the record after the outage', async () => ((await seen(t, 'outage')).some((r) => r.data === 'after the outage') ? true : undefined), {
      timeoutMs: 120_000,
    });
  });

  it('refuses what Lambda refuses for streams', async () => {
    await createStream('checked', 1);
    await deploy(t.client, 'checker');
    await assert.rejects(
      t.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'checker', EventSourceArn: arn('checked') })),
      (error: Error) => error.name === 'InvalidParameterValueException' && /Value null at 'startingPosition'/.test(error.message),
    );
    await assert.rejects(mapping({ FunctionName: 'checker', EventSourceArn: arn('checked'), MaximumRetryAttempts: 20_000 }), { name: 'ValidationException' });
    await assert.rejects(mapping({ FunctionName: 'checker', EventSourceArn: arn('checked'), StartingPosition: 'AT_TIMESTAMP' }), {
      name: 'InvalidParameterValueException',
    });
    await assert.rejects(
      mapping({
        FunctionName: 'checker',
        EventSourceArn: arn('checked'),
        DestinationConfig: { OnFailure: { Destination: 'arn:aws:sns:us-east-1:123456789012:alerts' } },
      }),
      { name: 'InvalidParameterValueException', message: /On-failure destinations of type sns are not supported by selfless yet/ },
    );
    await assert.rejects(
      mapping({
        FunctionName: 'checker',
        EventSourceArn: arn('checked'),
        DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:dlq.fifo' } },
      }),
      { name: 'InvalidParameterValueException', message: /must be standard queues/ },
    );
    await assert.rejects(
      mapping({
        FunctionName: 'checker',
        EventSourceArn: arn('checked'),
        DestinationConfig: { OnFailure: { Destination: 'arn:aws:lambda:us-east-1:000000000000:function:checker' } },
      }),
      { name: 'InvalidParameterValueException', message: "You can't specify the function as a destination for itself." },
    );
    await assert.rejects(mapping({ FunctionName: 'checker', EventSourceArn: arn('checked'), ParallelizationFactor: 11 }), { name: 'ValidationException' });
  });
});
