import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { overrideFor, type SourceOverride } from './overrides.js';

/**
 * Where each source service is and with which credentials: the AWS SDK's own standard configuration,
 * read from the server's environment — `AWS_ENDPOINT_URL_<SERVICE>` (then `AWS_ENDPOINT_URL`) for the
 * endpoint, `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` for credentials, else
 * the SDK's credential chain (shared config and credentials files, profiles) — with what a matching
 * override (overrides.ts) sets on top. With none of them, AWS's own endpoints. One client per service,
 * region and override, reused.
 */
export class SourceClients {
  readonly #sqs = new Map<string, SQSClient>();
  readonly #kinesis = new Map<string, KinesisClient>();
  readonly #dynamodbStreams = new Map<string, DynamoDBStreamsClient>();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly overrides: readonly SourceOverride[] = [],
  ) {}

  /** The SQS client for the queue an ARN names. */
  sqs(arn: string): SQSClient {
    return this.#client(this.#sqs, arn, 'SQS', (config) => new SQSClient(config));
  }

  /**
   * The Kinesis client for the stream an ARN names. HTTP/1.1: the client's default is HTTP/2 (for
   * SubscribeToShard, which the poller does not use), and Kinesis-compatible servers (LocalStack, moto)
   * speak HTTP/1.1.
   */
  kinesis(arn: string): KinesisClient {
    return this.#client(this.#kinesis, arn, 'KINESIS', (config) => new KinesisClient({ ...config, requestHandler: new NodeHttpHandler() }));
  }

  /** The DynamoDB Streams client for the stream an ARN names. */
  dynamodbStreams(arn: string): DynamoDBStreamsClient {
    return this.#client(this.#dynamodbStreams, arn, 'DYNAMODB_STREAMS', (config) => new DynamoDBStreamsClient(config));
  }

  /** One client per region and override: made on first use, kept in `cache`. */
  #client<C>(cache: Map<string, C>, arn: string, service: string, make: (config: ClientConfig) => C): C {
    const { region } = arnParts(arn);
    const found = overrideFor(this.overrides, arn);
    const key = `${region}|${found?.index ?? '-'}`;
    let client = cache.get(key);
    if (client === undefined) {
      // No retries inside the client: the pollers retry, with their own back-off and reporting.
      client = make({ region, ...this.#config(service, found?.override), maxAttempts: 1 });
      cache.set(key, client);
    }
    return client;
  }

  #config(service: string, override: SourceOverride | undefined) {
    const endpoint = override?.endpoint ?? this.env[`AWS_ENDPOINT_URL_${service}`] ?? this.env.AWS_ENDPOINT_URL;
    if (override?.profile !== undefined) return { ...(endpoint ? { endpoint } : {}), profile: override.profile };
    const keys =
      override?.accessKeyId !== undefined
        ? { accessKeyId: override.accessKeyId, secretAccessKey: override.secretAccessKey!, sessionToken: override.sessionToken }
        : { accessKeyId: this.env.AWS_ACCESS_KEY_ID, secretAccessKey: this.env.AWS_SECRET_ACCESS_KEY, sessionToken: this.env.AWS_SESSION_TOKEN };
    const { accessKeyId, secretAccessKey, sessionToken } = keys;
    return {
      ...(endpoint ? { endpoint } : {}),
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
    };
  }

  close(): void {
    for (const client of [...this.#sqs.values(), ...this.#kinesis.values(), ...this.#dynamodbStreams.values()]) client.destroy();
    this.#sqs.clear();
    this.#kinesis.clear();
    this.#dynamodbStreams.clear();
  }
}

interface ClientConfig {
  region: string;
  maxAttempts: number;
  endpoint?: string;
  profile?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** The parts of a source ARN a client needs. */
export function arnParts(arn: string): { service: string; region: string; account: string; resource: string } {
  const [, , service = '', region = '', account = '', ...rest] = arn.split(':');
  return { service, region, account, resource: rest.join(':') };
}
