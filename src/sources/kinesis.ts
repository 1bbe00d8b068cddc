import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { arnParts, type SourceClients } from './clients.js';
import type { Shard, ShardPosition, StreamSource } from './stream-runner.js';

/** A Kinesis data stream, named by its ARN (`arn:aws:kinesis:<region>:<account>:stream/<name>`). */
export class KinesisStream implements StreamSource<_Record> {
  readonly #client: KinesisClient;
  readonly #arn: string;
  readonly #region: string;
  readonly #name: string;

  /** `identity`: the function's execution role, which Lambda's Kinesis records name as invokeIdentityArn. */
  constructor(
    clients: SourceClients,
    arn: string,
    private readonly identity: () => string,
  ) {
    const { region, resource } = arnParts(arn);
    this.#client = clients.kinesis(arn);
    this.#arn = arn;
    this.#region = region;
    this.#name = resource.slice('stream/'.length);
  }

  async shards(signal: AbortSignal): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      // A request with a NextToken names no stream (the token does).
      const out = await this.#client.send(new ListShardsCommand(token === undefined ? { StreamName: this.#name } : { NextToken: token }), {
        abortSignal: signal,
      });
      for (const s of out.Shards ?? []) {
        shards.push({ id: s.ShardId!, parentIds: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => p !== undefined) });
      }
      token = out.NextToken;
    } while (token !== undefined);
    return shards;
  }

  async iterator(shardId: string, position: ShardPosition, signal: AbortSignal): Promise<string> {
    const out = await this.#client.send(
      new GetShardIteratorCommand({
        StreamName: this.#name,
        ShardId: shardId,
        ShardIteratorType: position.type,
        ...(position.type === 'AFTER_SEQUENCE_NUMBER' ? { StartingSequenceNumber: position.sequenceNumber } : {}),
        ...(position.type === 'AT_TIMESTAMP' ? { Timestamp: new Date(position.timestamp) } : {}),
      }),
      { abortSignal: signal },
    );
    if (out.ShardIterator === undefined) throw new Error(`Kinesis returned no iterator for ${shardId}`);
    return out.ShardIterator;
  }

  async read(iterator: string, limit: number, signal: AbortSignal): Promise<{ records: _Record[]; next?: string }> {
    const out = await this.#client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, 10_000) }), { abortSignal: signal });
    return { records: out.Records ?? [], ...(out.NextShardIterator === undefined || out.NextShardIterator === null ? {} : { next: out.NextShardIterator }) };
  }

  sequenceNumber(record: _Record): string {
    return record.SequenceNumber!;
  }

  orderKey(record: _Record): string {
    return record.PartitionKey ?? '';
  }

  /** Data goes base64 into the event (4/3 of its size), beside the record's other members. */
  size(record: _Record): number {
    return Math.ceil(((record.Data?.byteLength ?? 0) * 4) / 3) + (record.PartitionKey?.length ?? 0) + 400;
  }

  arrival(record: _Record): number {
    return record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
  }

  /** Lambda's Kinesis event: https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html */
  event(records: readonly _Record[], shardId: string): Buffer {
    const identity = this.identity();
    return Buffer.from(
      JSON.stringify({
        Records: records.map((r) => ({
          kinesis: this.#kinesis(r, Buffer.from(r.Data ?? new Uint8Array()).toString('base64')),
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${shardId}:${r.SequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: identity,
          awsRegion: this.#region,
          eventSourceARN: this.#arn,
        })),
      }),
    );
  }

  /** Filters see the record's `kinesis` member with its data decoded: parsed when it is JSON, else the text. */
  filterable(record: _Record): unknown {
    const text = Buffer.from(record.Data ?? new Uint8Array()).toString('utf8');
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON: matched as the string it is.
    }
    return this.#kinesis(record, data);
  }

  batchInfo(records: readonly _Record[], shardId: string): Record<string, unknown> {
    const first = records[0];
    const last = records[records.length - 1];
    return {
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: first?.SequenceNumber,
        endSequenceNumber: last?.SequenceNumber,
        approximateArrivalOfFirstRecord: first?.ApproximateArrivalTimestamp?.toISOString(),
        approximateArrivalOfLastRecord: last?.ApproximateArrivalTimestamp?.toISOString(),
        batchSize: records.length,
        streamArn: this.#arn,
      },
    };
  }

  #kinesis(r: _Record, data: unknown) {
    return {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.PartitionKey,
      sequenceNumber: r.SequenceNumber,
      data,
      approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
    };
  }
}
