import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type _Record, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { arnParts, type SourceClients } from './clients.js';
import type { Shard, ShardPosition, StreamSource } from './stream-runner.js';

/** A DynamoDB table's stream, named by its ARN (`arn:aws:dynamodb:<region>:<account>:table/<T>/stream/<label>`). */
export class DynamoDbStream implements StreamSource<_Record> {
  readonly #client: DynamoDBStreamsClient;
  readonly #arn: string;
  readonly #region: string;

  constructor(clients: SourceClients, arn: string) {
    this.#client = clients.dynamodbStreams(arn);
    this.#arn = arn;
    this.#region = arnParts(arn).region;
  }

  async shards(signal: AbortSignal): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await this.#client.send(
        new DescribeStreamCommand({ StreamArn: this.#arn, ...(start === undefined ? {} : { ExclusiveStartShardId: start }) }),
        {
          abortSignal: signal,
        },
      );
      for (const s of out.StreamDescription?.Shards ?? []) shards.push({ id: s.ShardId!, parentIds: s.ParentShardId === undefined ? [] : [s.ParentShardId] });
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);
    return shards;
  }

  async iterator(shardId: string, position: ShardPosition, signal: AbortSignal): Promise<string> {
    if (position.type === 'AT_TIMESTAMP') throw new Error('DynamoDB Streams have no AT_TIMESTAMP iterator');
    const out = await this.#client.send(
      new GetShardIteratorCommand({
        StreamArn: this.#arn,
        ShardId: shardId,
        ShardIteratorType: position.type,
        ...(position.type === 'AFTER_SEQUENCE_NUMBER' ? { SequenceNumber: position.sequenceNumber } : {}),
      }),
      { abortSignal: signal },
    );
    if (out.ShardIterator === undefined) throw new Error(`DynamoDB Streams returned no iterator for ${shardId}`);
    return out.ShardIterator;
  }

  async read(iterator: string, limit: number, signal: AbortSignal): Promise<{ records: _Record[]; next?: string }> {
    // GetRecords returns at most 1,000 records a call.
    const out = await this.#client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, 1000) }), { abortSignal: signal });
    return { records: out.Records ?? [], ...(out.NextShardIterator === undefined || out.NextShardIterator === null ? {} : { next: out.NextShardIterator }) };
  }

  sequenceNumber(record: _Record): string {
    return record.dynamodb!.SequenceNumber!;
  }

  orderKey(record: _Record): string {
    return JSON.stringify(record.dynamodb?.Keys ?? {});
  }

  size(record: _Record): number {
    return Buffer.byteLength(JSON.stringify(this.#record(record)));
  }

  arrival(record: _Record): number {
    return record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now();
  }

  /** Lambda's DynamoDB Streams event: https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html */
  event(records: readonly _Record[]): Buffer {
    return Buffer.from(JSON.stringify({ Records: records.map((r) => this.#record(r)) }));
  }

  /** Filters see the record as the function does (`{"dynamodb": {"NewImage": {"kind": {"S": ["order"]}}}}`). */
  filterable(record: _Record): unknown {
    return this.#record(record);
  }

  batchInfo(records: readonly _Record[], shardId: string): Record<string, unknown> {
    const first = records[0];
    const last = records[records.length - 1];
    return {
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first?.dynamodb?.SequenceNumber,
        endSequenceNumber: last?.dynamodb?.SequenceNumber,
        approximateArrivalOfFirstRecord: first?.dynamodb?.ApproximateCreationDateTime?.toISOString(),
        approximateArrivalOfLastRecord: last?.dynamodb?.ApproximateCreationDateTime?.toISOString(),
        batchSize: records.length,
        streamArn: this.#arn,
      },
    };
  }

  #record(r: _Record) {
    const d = r.dynamodb ?? {};
    return {
      eventID: r.eventID,
      eventName: r.eventName,
      eventVersion: r.eventVersion ?? '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: r.awsRegion ?? this.#region,
      dynamodb: {
        ...(d.ApproximateCreationDateTime === undefined ? {} : { ApproximateCreationDateTime: d.ApproximateCreationDateTime.getTime() / 1000 }),
        Keys: d.Keys,
        ...(d.NewImage === undefined ? {} : { NewImage: d.NewImage }),
        ...(d.OldImage === undefined ? {} : { OldImage: d.OldImage }),
        SequenceNumber: d.SequenceNumber,
        SizeBytes: d.SizeBytes,
        StreamViewType: d.StreamViewType,
      },
      eventSourceARN: this.#arn,
      ...(r.userIdentity === undefined ? {} : { userIdentity: r.userIdentity }),
    };
  }
}
