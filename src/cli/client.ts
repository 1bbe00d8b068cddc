import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Command } from 'commander';
import { CREDENTIALS_FILE, readKeyFile, type AccessKey } from '../auth/index.js';
import { CliError, describeFailure, EXIT, ServerError, usageError } from './errors.js';

export const DEFAULT_PORT = 8900;
export const DEFAULT_REGION = 'us-east-1';

/** Flags every command that talks to a server accepts. */
export interface ConnectionFlags {
  endpointUrl?: string;
  dataDir?: string;
}

export interface Connection {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AccessKey;
}

export function addConnectionOptions(command: Command): Command {
  return command
    .option('--endpoint-url <url>', `server URL (env SELFLESS_ENDPOINT, default http://127.0.0.1:$SELFLESS_PORT or ${DEFAULT_PORT})`)
    .option('--data-dir <dir>', 'where to find credentials.json when SELFLESS_ACCESS_KEY_ID is unset (env SELFLESS_DATA_DIR, default ./.selfless)');
}

export function resolveEndpoint(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flags.endpointUrl ?? (env.SELFLESS_ENDPOINT || undefined) ?? `http://127.0.0.1:${env.SELFLESS_PORT || DEFAULT_PORT}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`'${raw}' is not a URL; the endpoint looks like http://127.0.0.1:${DEFAULT_PORT}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`the endpoint must be an http:// or https:// URL, got '${raw}'`);
  return url.origin;
}

/**
 * The root key from the environment, else the one `selfless serve` keeps in its data dir, so the CLI
 * on the server's machine needs no setup.
 */
export async function resolveCredentials(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<AccessKey> {
  const accessKeyId = env.SELFLESS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.SELFLESS_SECRET_ACCESS_KEY || undefined;
  if (accessKeyId !== undefined && secretAccessKey !== undefined) return { accessKeyId, secretAccessKey };
  if (accessKeyId !== undefined || secretAccessKey !== undefined) {
    throw new CliError("set both SELFLESS_ACCESS_KEY_ID and SELFLESS_SECRET_ACCESS_KEY, or neither (to use the data dir's credentials.json)", EXIT.unreachable);
  }
  const file = join(resolve(flags.dataDir ?? (env.SELFLESS_DATA_DIR || '.selfless')), CREDENTIALS_FILE);
  let key: AccessKey | undefined;
  try {
    key = await readKeyFile(file);
  } catch (error) {
    throw new CliError(`cannot read credentials from ${file}: ${(error as Error).message}`, EXIT.unreachable);
  }
  if (key === undefined) {
    throw new CliError(
      `no credentials: SELFLESS_ACCESS_KEY_ID / SELFLESS_SECRET_ACCESS_KEY are not set and ${file} does not exist.\n` +
        "Set both variables (`selfless serve` prints them on first start), or point --data-dir / SELFLESS_DATA_DIR at the server's data dir.",
      EXIT.unreachable,
    );
  }
  return key;
}

export async function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const endpoint = resolveEndpoint(flags, env);
  const credentials = await resolveCredentials(flags, env);
  return { endpoint, region: env.SELFLESS_REGION || DEFAULT_REGION, credentials };
}

export function createLambdaClient(connection: Connection): LambdaClient {
  quietNodeVersionWarning();
  return new LambdaClient({
    endpoint: connection.endpoint,
    region: connection.region,
    credentials: connection.credentials,
    // Retrying would hide an unreachable server behind seconds of backoff, and would run an invoke twice.
    maxAttempts: 1,
  });
}

function quietNodeVersionWarning(): void {
  // The SDK warns on Node 20 about its own future releases; selfless pins a version that supports
  // Node 20, so the warning tells a CLI user nothing they can act on, and it would land in the middle
  // of output such as `invoke --log`. Only this CLI process is affected, and an explicit setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** A connection plus the clients built on it, released together. */
export class Session {
  #lambda: LambdaClient | undefined;
  #iam: IAMClient | undefined;
  readonly #signer: SignatureV4;

  constructor(readonly connection: Connection) {
    this.#signer = new SignatureV4({
      service: 'lambda',
      region: connection.region,
      credentials: connection.credentials,
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  get lambda(): LambdaClient {
    return (this.#lambda ??= createLambdaClient(this.connection));
  }

  /** IAM at the same endpoint (selfless routes by the signature's service). */
  get iam(): IAMClient {
    quietNodeVersionWarning();
    const { endpoint, region, credentials } = this.connection;
    return (this.#iam ??= new IAMClient({ endpoint, region, credentials, maxAttempts: 1 }));
  }

  /** GET one of selfless's own `/selfless/v1/...` routes, signed like every Lambda API call. */
  get<T>(path: string, query: Record<string, string> = {}, signal?: AbortSignal): Promise<T> {
    return this.#call<T>('GET', path, query, undefined, signal);
  }

  /** POST a JSON body to one of selfless's own routes. */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.#call<T>('POST', path, {}, JSON.stringify(body));
  }

  async #call<T>(method: 'GET' | 'POST', path: string, query: Record<string, string>, payload: string | undefined, signal?: AbortSignal): Promise<T> {
    const url = new URL(path, this.connection.endpoint);
    const request = new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: { host: url.host, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { body: payload }),
    });
    const signed = await this.#signer.sign(request);
    const search = new URLSearchParams(query).toString();
    const response = await httpSend(method, new URL(`${url.pathname}${search === '' ? '' : `?${search}`}`, url), signed.headers, payload, signal);
    let body: unknown;
    try {
      body = response.text === '' ? undefined : JSON.parse(response.text);
    } catch {
      body = undefined;
    }
    if (response.status < 200 || response.status > 299) {
      const fields = (body ?? {}) as { message?: unknown; Message?: unknown; __type?: unknown };
      const errorType = response.headers['x-amzn-errortype'];
      const code = (typeof errorType === 'string' ? errorType : String(fields.__type ?? `HTTP${response.status}`)).split(':')[0]!;
      const message = typeof fields.message === 'string' ? fields.message : typeof fields.Message === 'string' ? fields.Message : response.text.slice(0, 200);
      throw new ServerError(code, message, response.status);
    }
    if (body === undefined) throw new ServerError('InvalidResponse', `the server answered ${path} with something that is not JSON`, response.status);
    return body as T;
  }

  close(): void {
    this.#lambda?.destroy();
    this.#lambda = undefined;
    this.#iam?.destroy();
    this.#iam = undefined;
  }
}

/**
 * Runs a command's work against the server. Any failure comes out as a CliError carrying its exit
 * code, with the endpoint named when the server could not be reached.
 */
export async function withSession<T>(flags: ConnectionFlags, work: (session: Session) => Promise<T>): Promise<T> {
  const connection = await resolveConnection(flags);
  const session = new Session(connection);
  try {
    return await work(session);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const { message, exitCode } = describeFailure(error, connection.endpoint);
    throw new CliError(message, exitCode);
  } finally {
    session.close();
  }
}

/**
 * node:http rather than fetch: fetch refuses the ports the WHATWG spec calls unsafe (6000, 6665, …),
 * and a self-hosted server may well listen on one of them.
 */
function httpSend(
  method: string,
  url: URL,
  headers: Record<string, string>,
  payload: string | undefined,
  signal?: AbortSignal,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolvePromise, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, ...(signal === undefined ? {} : { signal }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(payload);
  });
}
