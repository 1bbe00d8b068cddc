import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { AwsError, invalidParameter } from '../core/index.js';
import type { SourceInspector } from '../control/index.js';
import { arnParts, type SourceClients } from './clients.js';
import type { QueueSource } from './runner.js';

/** SQS's batch calls take ten entries at a time. */
const BATCH_CALL_MAX = 10;

/** The queue an ARN names, as a client and a queue URL (looked up once). */
export class SqsQueue implements QueueSource<Message> {
  readonly #client: SQSClient;
  readonly #arn: string;
  readonly #region: string;
  readonly #name: string;
  readonly #account: string;
  #url: string | undefined;

  constructor(clients: SourceClients, arn: string) {
    const { region, account, resource } = arnParts(arn);
    this.#client = clients.sqs(arn);
    this.#arn = arn;
    this.#region = region;
    this.#name = resource;
    this.#account = account;
  }

  async url(signal?: AbortSignal): Promise<string> {
    this.#url ??= (
      await this.#client.send(new GetQueueUrlCommand({ QueueName: this.#name, QueueOwnerAWSAccountId: this.#account }), { abortSignal: signal })
    ).QueueUrl;
    if (this.#url === undefined) throw new Error(`SQS did not return a URL for ${this.#arn}`);
    return this.#url;
  }

  /** One message (an on-failure record). */
  async send(body: string): Promise<void> {
    await this.#client.send(new SendMessageCommand({ QueueUrl: await this.url(), MessageBody: body }));
  }

  async visibilityTimeout(): Promise<number> {
    const out = await this.#client.send(new GetQueueAttributesCommand({ QueueUrl: await this.url(), AttributeNames: ['VisibilityTimeout'] }));
    return Number(out.Attributes?.VisibilityTimeout ?? 30);
  }

  async receive(max: number, waitSeconds: number, signal: AbortSignal): Promise<Message[]> {
    const out = await this.#client.send(
      new ReceiveMessageCommand({
        QueueUrl: await this.url(signal),
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        // Both names: MessageSystemAttributeNames is current, AttributeNames what older emulators know.
        MessageSystemAttributeNames: ['All'],
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    return out.Messages ?? [];
  }

  async delete(records: readonly Message[]): Promise<void> {
    const url = await this.url();
    for (let i = 0; i < records.length; i += BATCH_CALL_MAX) {
      const entries = records.slice(i, i + BATCH_CALL_MAX).map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle! }));
      const out = await this.#client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: entries }));
      // A failed delete leaves the message to run again: at least once, never lost.
      if (out.Failed !== undefined && out.Failed.length > 0)
        throw new Error(`SQS could not delete ${out.Failed.length} message(s): ${out.Failed[0]?.Message ?? ''}`);
    }
  }

  async release(records: readonly Message[]): Promise<void> {
    if (records.length === 0) return;
    const url = await this.url();
    for (let i = 0; i < records.length; i += BATCH_CALL_MAX) {
      const entries = records.slice(i, i + BATCH_CALL_MAX).map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
      await this.#client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries }));
    }
  }

  id(record: Message): string {
    return record.MessageId ?? '';
  }

  size(record: Message): number {
    return Buffer.byteLength(record.Body ?? '') + Buffer.byteLength(record.ReceiptHandle ?? '');
  }

  /** Lambda's SQS event: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html */
  event(records: readonly Message[]): Buffer {
    return Buffer.from(JSON.stringify({ Records: records.map((m) => this.#record(m)) }));
  }

  /** Filters see the record with its body parsed when it is JSON (else as the string it is). */
  filterable(record: Message): unknown {
    const shaped = this.#record(record);
    try {
      return { ...shaped, body: JSON.parse(shaped.body) as unknown };
    } catch {
      return shaped;
    }
  }

  #record(m: Message) {
    return {
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body ?? '',
      attributes: m.Attributes ?? {},
      messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([name, value]) => [name, messageAttribute(value)])),
      md5OfBody: m.MD5OfBody,
      ...(m.MD5OfMessageAttributes === undefined ? {} : { md5OfMessageAttributes: m.MD5OfMessageAttributes }),
      eventSource: 'aws:sqs',
      eventSourceARN: this.#arn,
      awsRegion: this.#region,
    };
  }
}

/** A message attribute as Lambda shows it: lower-camel names, list members always present, binary as base64. */
function messageAttribute(value: MessageAttributeValue): Record<string, unknown> {
  return {
    ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
    ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    dataType: value.DataType,
  };
}

/** Reads a queue's visibility timeout for CreateEventSourceMapping's check, through the same clients the pollers use. */
export class SqsInspector implements SourceInspector {
  constructor(private readonly clients: SourceClients) {}

  async queueVisibilityTimeout(queueArn: string): Promise<number> {
    try {
      return await new SqsQueue(this.clients, queueArn).visibilityTimeout();
    } catch (error) {
      if (error instanceof AwsError) throw error;
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      throw invalidParameter(`Error occurred while GetQueueAttributes. SQS Error Code: ${name}. SQS Error Message: ${message}`);
    }
  }
}
