import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AwsError, BodyTimeoutError, newRequestId, readLimitedBody, type Clock } from '../core/index.js';
import { checkSigV4Head, type SecretLookup } from '../auth/index.js';
import { capConnections, UnverifiedBodyBudget, type FrontDoorLimits } from './front-door-limits.js';
import { eventInvokeConfigRoutes } from './event-invoke-config.js';
import { functionRoutes } from './functions.js';
import type { Reply, RequestContext, Route } from './http.js';
import { invokeRoutes } from './invoke.js';
import { selflessRoutes } from './selfless.js';
import type { Services } from './services.js';

export interface ApiOptions {
  readonly services: Services;
  readonly lookupSecret: SecretLookup;
  readonly clock: Clock;
  readonly onError: (error: unknown) => void;
  readonly limits: FrontDoorLimits;
}

/** A body limit for requests that match no route: they are refused, but only once authenticated. */
const UNMATCHED_BODY_LIMIT = 1024 * 1024;

/**
 * The front door: routing, connection and body limits, SigV4, and AWS's error envelope. No business
 * rules. A request's head is authenticated before any of its body is read, so a caller who cannot sign
 * costs a parsed head and nothing more.
 */
export function createApiServer(options: ApiOptions): Server {
  const routes: Route[] = [
    ...functionRoutes(options.services),
    ...invokeRoutes(options.services),
    ...eventInvokeConfigRoutes(options.services),
    ...selflessRoutes(options.services),
  ];
  const budget = new UnverifiedBodyBudget(options.limits.maxUnverifiedBodyBytes);
  const server = createServer((req, res) => {
    void handle(req, res, routes, options, budget);
  });
  capConnections(server, options.limits);
  // Sync invokes may run for the function's whole timeout (up to 900 s): no server-side request timer.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: readonly Route[], options: ApiOptions, budget: UnverifiedBodyBudget): Promise<void> {
  const requestId = newRequestId();
  let reserved = 0;
  try {
    const url = parseTarget(req.url);
    const method = req.method ?? 'GET';
    const matched = match(routes, method, url.pathname);
    const host = req.headers.host ?? 'localhost';
    // It goes into URLs we hand back (GetFunction's Code.Location): a host name and port, nothing else.
    if (!HOST.test(host)) throw new AwsError('ValidationException', 'The Host header is not a valid host name and port.');
    const pending =
      matched?.route.presigned === true
        ? undefined
        : await checkSigV4Head({ method, rawUrl: req.url ?? '/', headers: req.headers }, options.lookupSecret, { now: new Date(options.clock.now()) });
    const limit = matched?.route.bodyLimit ?? UNMATCHED_BODY_LIMIT;
    const tooLarge = () => new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes for the ${matched?.route.operation ?? 'requested'} operation`);
    const declared = Number(req.headers['content-length'] ?? 0);
    // Until the signature matches, the bytes held count against a shared budget. (A body over the
    // limit is drained, not held, so that the caller reads the 413.)
    if (pending !== undefined && !pending.signatureChecked) {
      const chunked = req.headers['transfer-encoding'] !== undefined;
      const bytes = declared > limit ? 0 : declared > 0 ? declared : chunked ? limit : 0;
      if (!budget.take(bytes)) {
        throw new AwsError('TooManyRequestsException', 'Too many request bodies are arriving at once; retry later.', {
          extra: { Reason: 'CallerRateLimitExceeded' },
          headers: { 'Retry-After': '1' },
        });
      }
      reserved = bytes;
    }
    const body = await readBody(req, limit, declared, options.limits.bodyTimeoutMs);
    if (body === undefined) throw tooLarge();
    await pending?.verify(body);
    budget.give(reserved);
    reserved = 0;
    if (matched === undefined) throw new AwsError('UnknownOperationException', `Unknown operation: ${method} ${url.pathname}`);
    const ctx: RequestContext = {
      req,
      requestId,
      method,
      path: url.pathname,
      params: matched.params,
      query: url.searchParams,
      body,
      origin: `http://${host}`,
    };
    send(res, requestId, await matched.route.handler(ctx));
  } catch (error) {
    // A client that went away mid-request (a body cut short) is owed nothing, and it is not our bug.
    if (req.destroyed && !(error instanceof AwsError)) return;
    if (!(error instanceof AwsError)) options.onError(error);
    const aws = error instanceof AwsError ? error : new AwsError('ServiceException', 'An internal error occurred; see the server log.');
    // A refusal before the body was read closes the connection instead of reading the rest for nothing.
    const close: Record<string, string> = req.complete ? {} : { Connection: 'close' };
    send(res, requestId, {
      status: aws.status,
      headers: { 'x-amzn-ErrorType': aws.code, ...aws.headers, ...close },
      body: aws.toBody(),
    });
  } finally {
    budget.give(reserved);
  }
}

/** The body, or undefined past `limit`; one that trickles in slower than the timeout is a 408. */
async function readBody(req: IncomingMessage, limit: number, declared: number, timeoutMs: number): Promise<Buffer | undefined> {
  try {
    return await readLimitedBody(req, limit, declared, timeoutMs);
  } catch (error) {
    if (error instanceof BodyTimeoutError) {
      throw new AwsError('RequestTimeoutException', `The request body did not arrive within ${timeoutMs / 1000} seconds.`);
    }
    throw error;
  }
}

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The request target as a URL; one that does not parse is the caller's error, not ours. */
function parseTarget(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    throw new AwsError('ValidationException', 'The request target is not a valid URL path.');
  }
}

function match(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m === null) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      const raw = m[i + 1]!;
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        throw new AwsError('ValidationException', `1 validation error detected: Value '${raw}' at '${name[0]!.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must be valid percent-encoded UTF-8`);
      }
    });
    return { route, params };
  }
  return undefined;
}

function send(res: ServerResponse, requestId: string, reply: Reply): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { 'x-amzn-RequestId': requestId, ...reply.headers };
  if (reply.stream !== undefined) {
    const stream = reply.stream;
    res.writeHead(reply.status, headers);
    // A stream that fails midway (a file read error) cuts the response short; the client sees a body
    // shorter than Content-Length. The client leaving early must release the stream.
    stream.once('error', () => res.destroy());
    res.once('close', () => stream.destroy());
    stream.pipe(res);
    return;
  }
  let data: Buffer | undefined;
  if (Buffer.isBuffer(reply.body)) data = reply.body;
  else if (reply.body !== undefined) {
    data = Buffer.from(JSON.stringify(reply.body));
    headers['Content-Type'] = 'application/json';
  }
  headers['Content-Length'] = data?.length ?? 0;
  res.writeHead(reply.status, headers);
  res.end(data);
}
