import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateEventSourceMappingCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { readLogs, waitFor } from '../support/async.js';
import { createStreamedTable, dynamo } from '../support/dynamo.js';
import { motoMissing, startMoto, type Moto } from '../support/moto.js';
import { ROLE, startPlatform, type TestPlatform } from '../support/platform.js';
import { nodeZip } from '../support/zip.js';

const MARKER = 'CHANGES ';
const HANDLER = `exports.handler = async (event) => { console.log(${JSON.stringify(MARKER)} + JSON.stringify(event.Records)); return 'ok'; };`;

describe('DynamoDB Streams event source mappings', { skip: motoMissing() ?? false }, () => {
  let moto: Moto;
  let t: TestPlatform;

  before(async () => {
    moto = await startMoto();
    t = await startPlatform({}, { ...moto.env, AWS_ENDPOINT_URL_DYNAMODB_STREAMS: moto.url });
  });
  after(async () => {
    await t?.stop();
    await moto?.stop();
  });

  it('invokes the function with INSERT, MODIFY and REMOVE records, keys and images per StreamViewType, in order', async () => {
    const streamArn = await createStreamedTable(moto, 'Orders', 'NEW_AND_OLD_IMAGES');
    assert.match(streamArn, /^arn:aws:dynamodb:us-east-1:\d{12}:table\/Orders\/stream\//);
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'on-change',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip(HANDLER) },
      }),
    );
    await assert.rejects(
      t.client.send(
        new CreateEventSourceMappingCommand({
          FunctionName: 'on-change',
          EventSourceArn: streamArn,
          StartingPosition: 'AT_TIMESTAMP',
          StartingPositionTimestamp: new Date(),
        }),
      ),
      // AWS's words for it (test/parity): DynamoDB streams take no AT_TIMESTAMP.
      { name: 'InvalidParameterValueException', message: `Unsupported starting position for arn type: ${streamArn}` },
    );
    const created = await t.client.send(
      new CreateEventSourceMappingCommand({ FunctionName: 'on-change', EventSourceArn: streamArn, StartingPosition: 'TRIM_HORIZON' }),
    );
    assert.equal(created.BatchSize, 100);
    await dynamo(
      moto,
      `db.put_item(TableName='Orders', Item={'Id': {'N': '101'}, 'Status': {'S': 'new'}})
db.update_item(TableName='Orders', Key={'Id': {'N': '101'}}, UpdateExpression='SET #s = :s', ExpressionAttributeNames={'#s': 'Status'}, ExpressionAttributeValues={':s': {'S': 'paid'}})
db.delete_item(TableName='Orders', Key={'Id': {'N': '101'}})`,
    );
    const records = await waitFor('three changes', async () => {
      const all = (await readLogs(t.platform, 'on-change'))
        .filter((e) => e.message.includes(MARKER))
        .flatMap((e) => JSON.parse(e.message.slice(e.message.indexOf(MARKER) + MARKER.length)) as any[]);
      return all.length >= 3 ? all : undefined;
    });
    assert.deepEqual(
      records.map((r) => r.eventName),
      ['INSERT', 'MODIFY', 'REMOVE'],
    );
    const [insert, modify, remove] = records;
    assert.equal(insert.eventSource, 'aws:dynamodb');
    assert.equal(insert.eventSourceARN, streamArn);
    assert.equal(insert.awsRegion, 'us-east-1');
    assert.deepEqual(insert.dynamodb.Keys, { Id: { N: '101' } });
    assert.deepEqual(insert.dynamodb.NewImage, { Id: { N: '101' }, Status: { S: 'new' } });
    assert.equal(insert.dynamodb.OldImage, undefined);
    assert.equal(insert.dynamodb.StreamViewType, 'NEW_AND_OLD_IMAGES');
    assert.deepEqual(modify.dynamodb.OldImage.Status, { S: 'new' });
    assert.deepEqual(modify.dynamodb.NewImage.Status, { S: 'paid' });
    assert.deepEqual(remove.dynamodb.OldImage.Status, { S: 'paid' });
    assert.equal(remove.dynamodb.NewImage, undefined);
    assert.equal(typeof insert.dynamodb.SequenceNumber, 'string');
  });
});
