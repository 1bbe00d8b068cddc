import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readLogs, waitFor } from '../support/async.js';
import { MOTO_ACCOUNT, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { ROLE } from '../support/platform.js';
import { platformOf, startServer, type ServerProcess } from '../support/server-process.js';
import { nodeZip } from '../support/zip.js';

const MARKER = 'GOT ';
const MESSAGES = 300;
/** Slow enough that a kill lands mid-batch: each batch takes 100 ms. */
const HANDLER = `exports.handler = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const r of event.Records) console.log(${JSON.stringify(MARKER)} + r.body);
};`;

describe('an SQS mapping across kill -9 and a restart', { skip: motoMissing() ?? false }, () => {
  let moto: Moto;
  let dir: string;
  let server: ServerProcess | undefined;
  let sqs: SQSClient;

  before(async () => {
    moto = await startMoto();
    dir = await mkdtemp(join(tmpdir(), 'selfless-esm-restart-'));
    sqs = new SQSClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  after(async () => {
    await server?.stop('SIGKILL');
    sqs?.destroy();
    await moto?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const seen = async (s: ServerProcess) =>
    (await readLogs(await platformOf(s), 'worker'))
      .filter((e) => e.message.includes(MARKER))
      .map((e) => e.message.slice(e.message.indexOf(MARKER) + MARKER.length).trim());

  it('processes every message at least once, none lost: what was received but not deleted comes back', async (t) => {
    const dataDir = join(dir, 'data');
    server = await startServer({ dataDir, env: moto.env });
    const client = server.client();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '3' } }));
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'worker',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Timeout: 3,
        Code: { ZipFile: await nodeZip(HANDLER) },
      }),
    );
    const { UUID } = await client.send(
      new CreateEventSourceMappingCommand({ FunctionName: 'worker', EventSourceArn: `arn:aws:sqs:us-east-1:${MOTO_ACCOUNT}:work`, BatchSize: 10 }),
    );
    client.destroy();
    const bodies = Array.from({ length: MESSAGES }, (_, i) => `m-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: bodies.slice(i, i + 10).map((body, n) => ({ Id: String(n), MessageBody: body })) }));
    }
    await waitFor('a few batches before the kill', async () => ((await seen(server!)).length >= 30 ? true : undefined));
    server.kill('SIGKILL');
    await server.exited;
    const before = new Set(await seen((server = await startServer({ dataDir, env: moto.env }))));

    const all = await waitFor(
      'every message processed',
      async () => {
        const got = await seen(server!);
        return bodies.every((b) => got.includes(b)) ? got : undefined;
      },
      { timeoutMs: 180_000, everyMs: 250 },
    );
    const counts = new Map<string, number>();
    for (const body of all) counts.set(body, (counts.get(body) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([b]) => b);
    t.diagnostic(`kill -9 mid-stream: ${before.size} messages processed before the kill, ${MESSAGES} in all, ${twice.length} of them twice or more`);
    assert.deepEqual([...counts.keys()].sort(), bodies);
    await waitFor('the queue emptied', async () => {
      const out = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(out.Attributes?.ApproximateNumberOfMessages) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible) === 0 ? true : undefined;
    });
    const again = server.client();
    try {
      assert.equal((await again.send(new GetEventSourceMappingCommand({ UUID }))).State, 'Enabled', 'the mapping resumed after the restart');
    } finally {
      again.destroy();
    }
  });
});
