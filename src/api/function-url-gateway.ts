import type { IncomingMessage, ServerResponse } from 'node:http';
import { callerOf, checkSigV4Head, type AccessKeyLookup, type Authorize, type Caller, type SecretLookup } from '../auth/index.js';
import type { FunctionUrls } from '../control/index.js';
import { AwsError, BodyTimeoutError, readLimitedBody, type Clock, type FunctionUrlCors, type FunctionUrlRecord, type Partition } from '../core/index.js';
import type { Logger } from '../core/logger.js';
import { MAX_SYNC_PAYLOAD_BYTES, type InvokeService } from '../invoke/index.js';
import { urlEvent } from './function-url-events.js';
import { headerOf } from './http.js';
import { urlResponse, type UrlResponse } from './function-url-responses.js';
import { streamedUrlResponse, type StreamedUrlResponse } from './function-url-streams.js';

/** Whether anyone at all (no signature) may do `action` on `resource`, by the resource's policy alone. */
export type PublicAllowed = (action: string, resource: string, conditionValues: Readonly<Record<string, string>>) => Promise<boolean>;

export interface FunctionUrlGatewayOptions {
  readonly functionUrls: FunctionUrls;
  readonly invoke: InvokeService;
  readonly partition: Partition;
  readonly clock: Clock;
  readonly lookupKey: AccessKeyLookup;
  readonly authorize: Authorize;
  readonly publicAllowed: PublicAllowed;
  readonly bodyTimeoutMs: number;
  readonly log: Logger;
}

const FORBIDDEN = JSON.stringify({
  Message: 'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html',
});
const INVOKE_URL = 'lambda:InvokeFunctionUrl';

/**
 * The data plane of function URLs: a request to `<url-id>.lambda-url.…` is checked (AWS_IAM: SigV4 and
 * IAM; NONE: the function's policy must let anyone invoke the URL), answered itself when it is a CORS
 * preflight, and otherwise becomes a payload 2.0 event for a synchronous invocation whose answer is the
 * HTTP response. Failures answer as Lambda's URLs do: 403 with AWS's body, 502 `Internal Server Error`.
 */
export class FunctionUrlGateway {
  readonly #o: FunctionUrlGatewayOptions;
  readonly #lookupSecret: SecretLookup;

  constructor(options: FunctionUrlGatewayOptions) {
    this.#o = options;
    this.#lookupSecret = (id, token) => options.lookupKey(id, token)?.secretAccessKey;
  }

  async serve(req: IncomingMessage, res: ServerResponse, urlId: string, target: string, requestId: string): Promise<void> {
    const headers: Record<string, string> = { 'x-amzn-RequestId': requestId };
    try {
      const record = this.#o.functionUrls.byId(urlId);
      if (record === undefined) return void forbidden(req, res, headers);
      const origin = headerOf(req, 'origin');
      if (record.cors !== undefined && req.method === 'OPTIONS' && origin !== undefined && headerOf(req, 'access-control-request-method') !== undefined) {
        return void send(res, 200, { ...headers, ...preflightHeaders(record.cors, origin) }, Buffer.alloc(0));
      }
      Object.assign(headers, record.cors === undefined || origin === undefined ? {} : corsHeaders(record.cors, origin));
      const functionArn = this.#o.functionUrls.functionArnOf(record);
      const admitted = await this.#admit(req, record, functionArn, requestId);
      if (admitted === undefined) return void forbidden(req, res, headers);
      const { body, caller } = admitted;
      const host = headerOf(req, 'host') ?? `${urlId}.lambda-url.${this.#o.partition.region}.localhost`;
      const event = urlEvent({
        req,
        target,
        body,
        urlId,
        region: this.#o.partition.region,
        accountId: this.#o.partition.accountId,
        domainName: host.replace(/:\d+$/, ''),
        requestId,
        nowMs: this.#o.clock.now(),
        ...(caller === undefined ? {} : { caller }),
      });
      const out = await this.#o.invoke.invokeSync({
        functionName: record.functionName,
        qualifier: record.qualifier === '' ? undefined : record.qualifier,
        payload: Buffer.from(JSON.stringify(event)),
        logTail: false,
        requestId,
        streamResponse: record.invokeMode === 'RESPONSE_STREAM',
        trigger: 'url',
      });
      if (out.stream !== undefined) {
        const streamedResponse = await streamedUrlResponse(out.stream);
        if (streamedResponse === undefined) return void badGateway(res, headers);
        return streamed(res, headers, streamedResponse);
      }
      const response = out.functionError === undefined ? urlResponse(out.payload) : undefined;
      if (response === undefined) return void badGateway(res, headers);
      reply(res, headers, response);
    } catch (error) {
      this.#fail(req, res, headers, error, requestId);
    }
  }

  /**
   * The body and who sent it, when the request may invoke the URL; undefined when it may not. A public
   * URL's policy is asked before the body is read; a signature is checked from the head, then over the body.
   */
  async #admit(
    req: IncomingMessage,
    record: FunctionUrlRecord,
    functionArn: string,
    requestId: string,
  ): Promise<{ body: Buffer; caller?: Caller } | undefined> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (record.authType === 'NONE') {
      const allowed = await this.#o.publicAllowed(INVOKE_URL, functionArn, { 'lambda:FunctionUrlAuthType': 'NONE' });
      return allowed ? { body: await this.#readBody(req, declared) } : undefined;
    }
    const head = { method: req.method ?? 'GET', rawUrl: req.url ?? '/', headers: req.headers };
    try {
      const pending = await checkSigV4Head(head, this.#lookupSecret, { now: new Date(this.#o.clock.now()), service: 'lambda' });
      const body = await this.#readBody(req, declared);
      const verified = await pending.verify(body);
      const key = this.#o.lookupKey(verified.accessKeyId, verified.sessionToken);
      if (key === undefined) return undefined;
      const caller = callerOf(verified, key);
      const context = { caller, requestId, sourceIp: req.socket.remoteAddress, conditionValues: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } };
      const decided = this.#o.authorize(INVOKE_URL, functionArn, context);
      if (decided !== undefined) await decided;
      return { body, caller };
    } catch (error) {
      // Any refusal of the signature or by IAM is the URL's one answer: 403 Forbidden.
      if (error instanceof AwsError && error.status === 403) return undefined;
      throw error;
    }
  }

  async #readBody(req: IncomingMessage, declared: number): Promise<Buffer> {
    try {
      const body = await readLimitedBody(req, MAX_SYNC_PAYLOAD_BYTES, declared, this.#o.bodyTimeoutMs);
      if (body === undefined) {
        throw new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`);
      }
      return body;
    } catch (error) {
      if (error instanceof BodyTimeoutError) throw new AwsError('RequestTimeoutException', 'The request body did not arrive in time.');
      throw error;
    }
  }

  #fail(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>, error: unknown, requestId: string): void {
    if (req.destroyed && !(error instanceof AwsError)) return;
    if (!(error instanceof AwsError)) {
      this.#o.log.child({ requestId }).error({ err: error }, 'function URL request failed');
      return void badGateway(res, headers);
    }
    // The function's own errors (not found since, throttled, too large) answer as the URL's HTTP errors do.
    const status = error.code === 'ResourceNotFoundException' ? 403 : error.status;
    if (status === 403) return void forbidden(req, res, headers);
    const close: Record<string, string> = req.complete ? {} : { Connection: 'close' };
    send(
      res,
      status,
      { ...headers, ...close, 'Content-Type': 'application/json', 'x-amzn-ErrorType': error.code },
      Buffer.from(JSON.stringify({ Message: error.message })),
    );
  }
}

function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: Buffer): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...headers, 'Content-Length': body.length });
  res.end(body);
}

function forbidden(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void {
  // Refused before its body was read: the connection is closed rather than the rest read for nothing.
  const close: Record<string, string> = req.complete ? {} : { Connection: 'close' };
  send(res, 403, { ...headers, ...close, 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'AccessDeniedException' }, Buffer.from(FORBIDDEN));
}

function badGateway(res: ServerResponse, headers: Record<string, string>): void {
  send(res, 502, { ...headers, 'Content-Type': 'application/json' }, Buffer.from('Internal Server Error'));
}

function reply(res: ServerResponse, base: Record<string, string>, response: UrlResponse): void {
  const headers: Record<string, string | string[]> = { ...response.headers, ...base };
  if (response.cookies.length > 0) headers['set-cookie'] = [...response.cookies];
  send(res, response.status, headers, response.body);
}

/** A streamed answer goes out chunked, each piece as the function writes it. */
function streamed(res: ServerResponse, base: Record<string, string>, response: StreamedUrlResponse): void {
  const headers: Record<string, string | string[]> = { ...response.head.headers, ...base };
  if (response.head.cookies.length > 0) headers['set-cookie'] = [...response.head.cookies];
  res.writeHead(response.head.status, headers);
  const { body } = response;
  body.once('error', () => res.destroy());
  res.once('close', () => body.destroy());
  body.pipe(res);
}

function originAllowed(cors: FunctionUrlCors, origin: string): string | undefined {
  const origins = cors.allowOrigins ?? [];
  if (origins.includes('*')) return cors.allowCredentials === true ? origin : '*';
  return origins.some((o) => o.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}

/** The CORS headers every response carries for an allowed origin. */
function corsHeaders(cors: FunctionUrlCors, origin: string): Record<string, string> {
  const allowed = originAllowed(cors, origin);
  if (allowed === undefined) return {};
  return {
    'Access-Control-Allow-Origin': allowed,
    ...(cors.allowCredentials === true ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
    ...(cors.exposeHeaders === undefined || cors.exposeHeaders.length === 0 ? {} : { 'Access-Control-Expose-Headers': cors.exposeHeaders.join(',') }),
    Vary: 'Origin',
  };
}

/** A preflight's answer, from the URL's configuration alone: the function is not invoked. */
function preflightHeaders(cors: FunctionUrlCors, origin: string): Record<string, string> {
  const allowed = originAllowed(cors, origin);
  if (allowed === undefined) return {};
  return {
    'Access-Control-Allow-Origin': allowed,
    ...(cors.allowCredentials === true ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
    ...(cors.allowMethods === undefined || cors.allowMethods.length === 0 ? {} : { 'Access-Control-Allow-Methods': cors.allowMethods.join(',') }),
    ...(cors.allowHeaders === undefined || cors.allowHeaders.length === 0 ? {} : { 'Access-Control-Allow-Headers': cors.allowHeaders.join(',') }),
    ...(cors.maxAge === undefined ? {} : { 'Access-Control-Max-Age': String(cors.maxAge) }),
    Vary: 'Origin',
  };
}
