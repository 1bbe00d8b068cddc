import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AwsError, newRequestId, readLimitedBody, type Clock } from '../core/index.js';
import { verifySigV4, type SecretLookup } from '../auth/index.js';
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
}

/** The front door: routing, body limits, SigV4, and AWS's error envelope. No business rules. */
export function createApiServer(options: ApiOptions): Server {
  const routes: Route[] = [
    ...functionRoutes(options.services),
    ...invokeRoutes(options.services),
    ...eventInvokeConfigRoutes(options.services),
    ...selflessRoutes(options.services),
  ];
  const server = createServer((req, res) => {
    void handle(req, res, routes, options);
  });
  // Sync invokes may run for the function's whole timeout (up to 900 s): no server-side request timer.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: readonly Route[], options: ApiOptions): Promise<void> {
  const requestId = newRequestId();
  try {
    const url = parseTarget(req.url);
    const method = req.method ?? 'GET';
    const matched = match(routes, method, url.pathname);
    const host = req.headers.host ?? 'localhost';
    // It goes into URLs we hand back (GetFunction's Code.Location): a host name and port, nothing else.
    if (!HOST.test(host)) throw new AwsError('ValidationException', 'The Host header is not a valid host name and port.');
    const limit = matched?.route.bodyLimit ?? 1024 * 1024;
    const body = await readLimitedBody(req, limit, Number(req.headers['content-length'] ?? 0));
    if (body === undefined) {
      throw new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes for the ${matched?.route.operation ?? 'requested'} operation`);
    }
    if (matched?.route.presigned !== true) {
      await verifySigV4({ method, rawUrl: req.url ?? '/', headers: req.headers, body }, options.lookupSecret, { now: new Date(options.clock.now()) });
    }
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
    if (!(error instanceof AwsError)) options.onError(error);
    const aws = error instanceof AwsError ? error : new AwsError('ServiceException', 'An internal error occurred; see the server log.');
    send(res, requestId, {
      status: aws.status,
      headers: { 'x-amzn-ErrorType': aws.code, ...aws.headers },
      body: aws.toBody(),
    });
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
