import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Where each source service is and with which credentials: the AWS SDK's own standard configuration,
 * read from the server's environment — `AWS_ENDPOINT_URL_<SERVICE>` (then `AWS_ENDPOINT_URL`) for the
 * endpoint, `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` for credentials, else
 * the SDK's credential chain (shared config and credentials files, profiles). With none of them set,
 * AWS's own endpoints. One client per service and region, reused.
 */
export class SourceClients {
  readonly #sqs = new Map<string, SQSClient>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  sqs(region: string): SQSClient {
    let client = this.#sqs.get(region);
    if (client === undefined) {
      client = new SQSClient({ region, ...this.#common('SQS'), maxAttempts: 1 });
      this.#sqs.set(region, client);
    }
    return client;
  }

  #common(service: string): { endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } {
    const endpoint = this.env[`AWS_ENDPOINT_URL_${service}`] ?? this.env.AWS_ENDPOINT_URL;
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = this.env;
    return {
      ...(endpoint ? { endpoint } : {}),
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
    };
  }

  close(): void {
    for (const client of this.#sqs.values()) client.destroy();
    this.#sqs.clear();
  }
}

/** The parts of a source ARN a client needs. */
export function arnParts(arn: string): { service: string; region: string; account: string; resource: string } {
  const [, , service = '', region = '', account = '', ...rest] = arn.split(':');
  return { service, region, account, resource: rest.join(':') };
}
