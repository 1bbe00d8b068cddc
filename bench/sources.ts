import { performance } from 'node:perf_hooks';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, UpdateEventSourceMappingCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { makeZip } from '../test/support/zip.js';
import { cpuSnapshot } from './cpu.js';
import { get } from './http-client.js';
import { ROLE } from './scenarios.js';
import type { PlatformInfo } from './server.js';
import { signedGet } from './sign.js';

/** An SQS mapping through an echo function, next to moto's own receive-and-delete rate. */
export interface SqsRun {
  readonly messages: number;
  /** Messages per second through the mapping and the function, from enabling it to the queue's end. */
  readonly mappingRate: number;
  /** Messages per second moto itself hands out and deletes to as many pollers (the floor). */
  readonly motoRate: number;
  /** SendMessage to the handler's start, one message at a time. */
  readonly latencyMs: number[];
  /** Platform CPU while the mapping idles (long polls only), ms per second. */
  readonly idleCpuMsPerS: number;
}

const ACCOUNT = '123456789012';
const BATCH = 10;
const POLLERS = 5;
const LATENCY_SAMPLES = 20;
const IDLE_S = 10;
const LAT = 'LATENCY ';
/** Echoes, and logs how long after the send (stamped in the body) it started. */
const HANDLER = `exports.handler = async (event) => {
  for (const r of event.Records) { const sent = Number(r.body); if (sent > 0) console.log(${JSON.stringify(LAT)} + (Date.now() - sent)); }
  return event.Records.length;
};`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function measureSqs(lambda: LambdaClient, platform: PlatformInfo, platformPid: number, motoUrl: string, messages: number): Promise<SqsRun> {
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: motoUrl, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, maxAttempts: 3 });
  try {
    const queue = async (name: string) => (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } }))).QueueUrl!;
    const fill = async (url: string) => {
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < messages; i += BATCH) {
        const entries = Array.from({ length: Math.min(BATCH, messages - i) }, (_, n) => ({ Id: String(n), MessageBody: `m${i + n}` }));
        sends.push(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries })));
        if (sends.length >= 10) await Promise.all(sends.splice(0));
      }
      await Promise.all(sends);
    };
    const left = async (url: string) => {
      const out = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    };

    // The floor: as many pollers as the mapping has, receiving and deleting batches of ten from moto.
    const raw = await queue('bench-raw');
    await fill(raw);
    let started = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: POLLERS }, async () => {
        while (done < messages) {
          const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: raw, MaxNumberOfMessages: BATCH, WaitTimeSeconds: 1 }))).Messages ?? [];
          if (got.length === 0) break;
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: raw, Entries: got.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle! })) }));
          done += got.length;
        }
      }),
    );
    const motoRate = (done / (performance.now() - started)) * 1000;

    // The mapping over a full queue: enabled once the queue is full, timed to the queue's end.
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'sqs-echo',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await makeZip({ 'index.js': HANDLER }) },
      }),
    );
    const full = await queue('bench-mapped');
    await fill(full);
    const arn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
    const { UUID } = await lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: 'sqs-echo', EventSourceArn: arn('bench-mapped'), BatchSize: BATCH, Enabled: false }),
    );
    started = performance.now();
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: true }));
    while ((await left(full)) > 0) await sleep(50);
    const mappingRate = (messages / (performance.now() - started)) * 1000;
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: false }));

    // Latency: one message at a time into an idle mapping (its poller waits in a long poll).
    const idle = await queue('bench-latency');
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'sqs-echo', EventSourceArn: arn('bench-latency'), BatchSize: 1 }));
    await sleep(2000);
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await sqs.send(new SendMessageCommand({ QueueUrl: idle, MessageBody: String(Date.now()) }));
      while ((await left(idle)) > 0) await sleep(20);
      await sleep(100);
    }
    const latencyMs = await latencies(platform, LATENCY_SAMPLES);

    // An idle mapping costs its long polls and nothing more.
    const before = await cpuSnapshot(platformPid);
    await sleep(IDLE_S * 1000);
    const after = await cpuSnapshot(platformPid);
    const idleCpuMsPerS = ((after.server ?? Number.NaN) - (before.server ?? Number.NaN)) / IDLE_S;
    return { messages, mappingRate, motoRate, latencyMs, idleCpuMsPerS };
  } finally {
    sqs.destroy();
  }
}

/** The handler's logged latencies (the last `count`). */
async function latencies(platform: PlatformInfo, count: number): Promise<number[]> {
  const found: number[] = [];
  for (let attempt = 0; attempt < 50 && found.length < count; attempt++) {
    found.length = 0;
    const url = new URL('/selfless/v1/functions/sqs-echo/logs', platform.url);
    url.searchParams.set('limit', '10000');
    const { body } = await get(url, await signedGet(url, platform));
    for (const e of (JSON.parse(body) as { events: { message: string }[] }).events) {
      const at = e.message.indexOf(LAT);
      if (at >= 0) found.push(Number(e.message.slice(at + LAT.length)));
    }
    if (found.length < count) await sleep(200);
  }
  return found.slice(-count);
}

/** A Kinesis mapping through a counting function, next to moto's own GetRecords rate. */
export interface KinesisRun {
  readonly records: number;
  /** Records per second through the mapping and the function, from creating it to the last record's batch. */
  readonly mappingRate: number;
  /** Records per second moto hands out to one reader with GetRecords (the floor). */
  readonly motoRate: number;
}

const COUNTED = 'COUNTED ';
/** Logs how many records each batch had. */
const COUNTER = `exports.handler = async (event) => { console.log(${JSON.stringify(COUNTED)} + event.Records.length); };`;

export async function measureKinesis(lambda: LambdaClient, platform: PlatformInfo, motoUrl: string, records: number): Promise<KinesisRun> {
  const kinesis = new KinesisClient({
    region: 'us-east-1',
    endpoint: motoUrl,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: new NodeHttpHandler(),
  });
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'bench-stream', ShardCount: 1 }));
    while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'bench-stream' }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE')
      await sleep(100);
    for (let i = 0; i < records; i += 500) {
      const entries = Array.from({ length: Math.min(500, records - i) }, (_, n) => ({ PartitionKey: `k${n % 16}`, Data: Buffer.from(`record ${i + n}`) }));
      await kinesis.send(new PutRecordsCommand({ StreamName: 'bench-stream', Records: entries }));
    }
    // The floor: one reader draining the shard with GetRecords, as the mapping's reader does.
    const shardId = (await kinesis.send(new ListShardsCommand({ StreamName: 'bench-stream' }))).Shards![0]!.ShardId!;
    let started = performance.now();
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: 'bench-stream', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' })))
      .ShardIterator;
    let read = 0;
    while (read < records && iterator !== undefined) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      read += out.Records?.length ?? 0;
      iterator = out.NextShardIterator;
    }
    const motoRate = (read / (performance.now() - started)) * 1000;

    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'kinesis-counter',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await makeZip({ 'index.js': COUNTER }) },
      }),
    );
    started = performance.now();
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'kinesis-counter',
        EventSourceArn: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/bench-stream`,
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
      }),
    );
    let counted = 0;
    for (const deadline = Date.now() + 300_000; counted < records && Date.now() < deadline;) {
      await sleep(100);
      counted = await countedRecords(platform);
    }
    const mappingRate = (counted / (performance.now() - started)) * 1000;
    return { records, mappingRate, motoRate };
  } finally {
    kinesis.destroy();
  }
}

async function countedRecords(platform: PlatformInfo): Promise<number> {
  const url = new URL('/selfless/v1/functions/kinesis-counter/logs', platform.url);
  url.searchParams.set('limit', '10000');
  const { body } = await get(url, await signedGet(url, platform));
  let total = 0;
  for (const e of (JSON.parse(body) as { events: { message: string }[] }).events) {
    const at = e.message.indexOf(COUNTED);
    if (at >= 0) total += Number(e.message.slice(at + COUNTED.length));
  }
  return total;
}
