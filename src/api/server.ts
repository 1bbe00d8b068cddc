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
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const matched = match(routes, method, url.pathname);
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
      origin: `http://${req.headers.host ?? 'localhost'}`,
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

function match(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m === null) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1]!);
    });
    return { route, params };
  }
  return undefined;
}

function send(res: ServerResponse, requestId: string, reply: Reply): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { 'x-amzn-RequestId': requestId, ...reply.headers };
  if (reply.stream !== undefined) {
    res.writeHead(reply.status, headers);
    reply.stream.pipe(res);
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
