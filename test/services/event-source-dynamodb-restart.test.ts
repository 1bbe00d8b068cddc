import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateEventSourceMappingCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { readLogs, waitFor } from '../support/async.js';
import { createStreamedTable, dynamo } from '../support/dynamo.js';
import { motoMissing, startMoto, type Moto } from '../support/moto.js';
import { ROLE } from '../support/platform.js';
import { platformOf, startServer, type ServerProcess } from '../support/server-process.js';
import { nodeZip } from '../support/zip.js';

const MARKER = 'CHANGED ';
const ITEMS = 200;
/** Each batch takes 100 ms, so a kill lands while batches are in flight. */
const HANDLER = `exports.handler = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const r of event.Records) console.log(${JSON.stringify(MARKER)} + r.eventName + ' ' + r.dynamodb.Keys.Id.N);
};`;

describe('a DynamoDB Streams mapping across kill -9 and a restart', { skip: motoMissing() ?? false }, () => {
  let moto: Moto;
  let dir: string;
  let server: ServerProcess | undefined;

  before(async () => {
    moto = await startMoto();
    dir = await mkdtemp(join(tmpdir(), 'selfless-dynamodb-restart-'));
  });
  after(async () => {
    await server?.stop('SIGKILL');
    await moto?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const seen = async (s: ServerProcess) =>
    (await readLogs(await platformOf(s), 'on-change'))
      .filter((e) => e.message.includes(MARKER))
      .map((e) => e.message.slice(e.message.indexOf(MARKER) + MARKER.length).trim());

  it('processes every change at least once and in order, none skipped: the checkpoint only moves past what succeeded', async (t) => {
    const dataDir = join(dir, 'data');
    server = await startServer({ dataDir, env: moto.env });
    const client = server.client();
    const streamArn = await createStreamedTable(moto, 'Ledger', 'KEYS_ONLY');
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'on-change',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip(HANDLER) },
      }),
    );
    await client.send(
      new CreateEventSourceMappingCommand({ FunctionName: 'on-change', EventSourceArn: streamArn, StartingPosition: 'TRIM_HORIZON', BatchSize: 5 }),
    );
    client.destroy();
    await dynamo(moto, `for i in range(${ITEMS}): db.put_item(TableName='Ledger', Item={'Id': {'N': str(i)}})`);
    await waitFor('some batches before the kill', async () => ((await seen(server!)).length >= 30 ? true : undefined));
    server.kill('SIGKILL');
    await server.exited;
    server = await startServer({ dataDir, env: moto.env });

    const expected = Array.from({ length: ITEMS }, (_, i) => String(i));
    const lines = await waitFor(
      'every change processed',
      async () => {
        const got = await seen(server!);
        const ids = new Set(got.map((l) => l.split(' ')[1]));
        return expected.every((id) => ids.has(id)) ? got : undefined;
      },
      { timeoutMs: 180_000, everyMs: 250 },
    );
    assert.ok(
      lines.every((l) => l.startsWith('INSERT ')),
      'each record an INSERT',
    );
    const ids = lines.map((l) => l.split(' ')[1]!);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    t.diagnostic(`kill -9 mid-stream: ${ITEMS} changes, ${[...counts.values()].filter((n) => n > 1).length} processed twice (in flight at the kill)`);
    assert.deepEqual([...counts.keys()].sort(), [...expected].sort(), 'every change, nothing else');
    const firsts = ids.filter((id, i) => ids.indexOf(id) === i).map(Number);
    assert.deepEqual(
      firsts,
      [...firsts].sort((a, b) => a - b),
      'first deliveries in the order the table changed',
    );
  });
});
