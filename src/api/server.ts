import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { AwsError, BodyTimeoutError, newRequestId, readLimitedBody, type Clock } from '../core/index.js';
import type { Logger } from '../core/logger.js';
import {
  callerOf,
  checkSigV4Head,
  sameSecret,
  scopeServiceOf,
  type AccessKeyLookup,
  type Authorize,
  type Caller,
  type SecretLookup,
  type VerifiedCaller,
} from '../auth/index.js';
import { accountRoutes } from './account.js';
import { aliasRoutes } from './aliases.js';
import { CLOUDWATCH_SERVICE, cloudWatchErrorReply, cloudWatchRoutes } from './cloudwatch.js';
import { concurrencyRoutes } from './concurrency.js';
import { eventInvokeConfigRoutes } from './event-invoke-config.js';
import { eventSourceMappingRoutes } from './event-source-mappings.js';
import { eventsRoutes } from './events.js';
import { logsRoutes } from './logs.js';
import { schedulerRoutes } from './scheduler.js';
import { capConnections, UnverifiedBodyBudget, type FrontDoorLimits } from './front-door-limits.js';
import { FunctionUrlGateway } from './function-url-gateway.js';
import { functionUrlTarget } from './function-url-hosts.js';
import { functionUrlRoutes } from './function-urls.js';
import { functionRoutes } from './functions.js';
import { headerOf, type BodyStream, type Reply, type RequestContext, type Route } from './http.js';
import { invokeRoutes } from './invoke.js';
import { permissionRoutes } from './permissions.js';
import { iamRoutes } from './iam.js';
import { validateRequest } from './model-validation.js';
import { QUERY_NAMESPACES, queryError } from './query.js';
import { stsRoutes } from './sts.js';
import { Router } from './router.js';
import { s3NotificationRoutes } from './s3-notifications.js';
import { selflessRoutes } from './selfless.js';
import type { PlatformMetrics } from '../metrics/prometheus.js';
import { CONSOLE_API_PREFIX, ConsoleServer } from '../console/console-server.js';
import { ConsoleSessions } from '../console/sessions.js';
import type { Services } from './services.js';
import { tagRoutes } from './tags.js';
import { versionRoutes } from './versions.js';

export interface ApiOptions {
  readonly services: Services;
  /** The access keys the platform accepts: each one's secret and who it stands for. */
  readonly lookupKey: AccessKeyLookup;
  /** Asked before every signed route runs (IAM's policies: the root key may do anything). */
  readonly authorize: Authorize;
  readonly clock: Clock;
  /** Where failures (a child logger per request, naming its request id) and access lines go. */
  readonly log: Logger;
  /** One info line per request once its response is sent. */
  readonly accessLog: boolean;
  readonly limits: FrontDoorLimits;
  /** Lets `Authorization: Bearer <token>` read /metrics unsigned (a Prometheus scraper). */
  readonly metricsToken?: string;
}

/** A body limit for requests that match no route: they are refused, but only once authenticated. */
const UNMATCHED_BODY_LIMIT = 1024 * 1024;
/** The API a request without a credential scope (a presigned code link), or with one we do not serve, is routed to. */
const DEFAULT_SERVICE = 'lambda';

/** Every API the one port answers, by family; each route says which SigV4 service it belongs to. */
export function allRoutes(services: Services): Route[] {
  return [
    ...functionRoutes(services),
    ...versionRoutes(services),
    ...aliasRoutes(services),
    ...concurrencyRoutes(services),
    ...invokeRoutes(services),
    ...eventInvokeConfigRoutes(services),
    ...eventSourceMappingRoutes(services),
    ...tagRoutes(services),
    ...permissionRoutes(services),
    ...functionUrlRoutes(services),
    ...accountRoutes(services),
    ...selflessRoutes(services),
    ...s3NotificationRoutes(services),
    ...iamRoutes(services),
    ...stsRoutes(services),
    ...eventsRoutes(services),
    ...schedulerRoutes(services),
    ...logsRoutes(services.logGroups, services.liveTails),
    ...cloudWatchRoutes(services),
  ];
}

/**
 * The front door: routing, connection and body limits, SigV4, authorization and AWS's error envelope. No
 * business rules. A request's head is authenticated before any of its body is read, so a caller who
 * cannot sign costs a parsed head and nothing more.
 */
export function createApiServer(options: ApiOptions): Server {
  const router = new Router(allRoutes(options.services));
  const budget = new UnverifiedBodyBudget(options.limits.maxUnverifiedBodyBytes);
  const lookupSecret: SecretLookup = (id, token) => options.lookupKey(id, token)?.secretAccessKey;
  const sessions = new ConsoleSessions(options.lookupKey, options.clock);
  const consoleServer = new ConsoleServer(sessions);
  const urls = new FunctionUrlGateway({
    functionUrls: options.services.functionUrls,
    invoke: options.services.invoke,
    partition: options.services.partition,
    clock: options.clock,
    lookupKey: options.lookupKey,
    authorize: options.authorize,
    publicAllowed: options.services.publicAllowed,
    bodyTimeoutMs: options.limits.bodyTimeoutMs,
    log: options.log,
  });
  const server = createServer((req, res) => {
    // A function URL's request (by its host name, or the path form) is the function's, not the API's.
    const url = functionUrlTarget(req.headers.host, req.url ?? '/');
    if (url !== undefined) {
      const requestId = newRequestId();
      if (options.accessLog) logAccess(req, res, requestId, options.log, () => 'FunctionUrl');
      void urls.serve(req, res, url.urlId, url.target, requestId);
      return;
    }
    if (options.metricsToken !== undefined && isMetricsScrape(req, options.metricsToken)) {
      void serveMetrics(options.services.metrics, res);
      return;
    }
    // The web console's page, files and sign-in; its API calls (CONSOLE_API_PREFIX) go through the front door.
    const pathname = (req.url ?? '/').split('?', 1)[0]!;
    if ((pathname === '/console' || pathname.startsWith('/console/')) && !pathname.startsWith(CONSOLE_API_PREFIX)) {
      void consoleServer.serve(req, res, pathname);
      return;
    }
    void handle(req, res, { router, options, budget, lookupSecret, sessions });
  });
  capConnections(server, options.limits);
  // Sync invokes may run for the function's whole timeout (up to 900 s): no server-side request timer.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  return server;
}

/** GET /metrics with the scrape token; anything else about /metrics is signed like any request. */
function isMetricsScrape(req: IncomingMessage, token: string): boolean {
  if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) return false;
  return sameSecret(req.headers.authorization ?? '', `Bearer ${token}`);
}

async function serveMetrics(metrics: PlatformMetrics, res: ServerResponse): Promise<void> {
  try {
    const text = await metrics.text();
    res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(text) }).end(text);
  } catch {
    res.writeHead(500).end();
  }
}

interface FrontDoor {
  readonly router: Router;
  readonly options: ApiOptions;
  readonly budget: UnverifiedBodyBudget;
  readonly lookupSecret: SecretLookup;
  readonly sessions: ConsoleSessions;
}

async function handle(req: IncomingMessage, res: ServerResponse, door: FrontDoor): Promise<void> {
  const { router, options, budget } = door;
  const requestId = newRequestId();
  let reserved = 0;
  let operation: string | undefined;
  /** How the request's protocol words errors, when it is not Lambda's REST-JSON (the Query services' XML, CloudWatch's). */
  let errorReply: ((error: AwsError) => Reply) | undefined;
  if (options.accessLog) logAccess(req, res, requestId, options.log, () => operation);
  try {
    const url = parseTarget(req.url);
    const method = req.method ?? 'GET';
    const head = { method, rawUrl: req.url ?? '/', headers: req.headers };
    // A console call: the API's own path after the prefix, its service named in a header, and its caller
    // the signed-in session's (checked with its CSRF token) instead of a signature.
    const fromConsole = url.pathname.startsWith(CONSOLE_API_PREFIX)
      ? door.sessions.authenticate(req.headers.cookie, headerOf(req, 'x-selfless-csrf'))
      : undefined;
    const pathname = fromConsole === undefined ? url.pathname : `/${url.pathname.slice(CONSOLE_API_PREFIX.length)}`;
    const claimed = fromConsole === undefined ? scopeServiceOf(head) : (headerOf(req, 'x-selfless-service') ?? DEFAULT_SERVICE);
    const service = claimed !== undefined && router.serves(claimed) ? claimed : DEFAULT_SERVICE;
    errorReply = errorReplyFor(service, req, requestId);
    const matched = router.find(service, method, pathname);
    operation = matched?.route.operation;
    const host = req.headers.host ?? 'localhost';
    // It goes into URLs we hand back (GetFunction's Code.Location): a host name and port, nothing else.
    if (!HOST.test(host)) throw new AwsError('ValidationException', 'The Host header is not a valid host name and port.');
    const auth = matched?.route.auth ?? 'sigv4';
    if (fromConsole !== undefined && auth !== 'sigv4' && auth !== 'sigv4-or-own') {
      throw new AwsError('AccessDeniedException', 'The console calls only the signed API routes.');
    }
    const signed = fromConsole === undefined && (auth === 'sigv4' || (auth === 'sigv4-or-own' && /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? '')));
    const pending = signed ? await checkSigV4Head(head, door.lookupSecret, { now: new Date(options.clock.now()), service }) : undefined;
    const limit = matched?.route.bodyLimit ?? UNMATCHED_BODY_LIMIT;
    const tooLarge = () =>
      new AwsError(
        'RequestEntityTooLargeException',
        `Request must be smaller than ${limit} bytes for the ${matched?.route.operation ?? 'requested'} operation`,
      );
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
    const verified = await pending?.verify(body);
    budget.give(reserved);
    reserved = 0;
    if (matched === undefined) throw new AwsError('UnknownOperationException', `Unknown operation: ${method} ${pathname}`);
    const caller = fromConsole ?? (verified === undefined ? undefined : callerBehind(verified, options.lookupKey));
    const ctx: RequestContext = { req, requestId, params: matched.params, query: url.searchParams, body, origin: `http://${host}`, caller };
    const { route } = matched;
    const action = typeof route.action === 'string' ? route.action : route.action(ctx);
    // As AWS does, a request that breaks its operation's model is refused before anything is looked up.
    validateRequest(route, action, ctx);
    if (caller !== undefined) {
      const named = route.resource(ctx);
      const resource = typeof named === 'string' ? named : await named;
      const sourceIp = req.socket.remoteAddress;
      const decided = options.authorize(action, resource, { caller, requestId, sourceIp });
      // A synchronous decision (the root key's) costs the request no extra turn of the event loop.
      if (decided !== undefined) await decided;
      for (const also of route.alsoAuthorize?.(ctx) ?? []) {
        const context = { caller, requestId, sourceIp, ...(also.conditionValues === undefined ? {} : { conditionValues: also.conditionValues }) };
        const more = options.authorize(also.action, also.resource, context);
        if (more !== undefined) await more;
      }
    }
    send(res, requestId, await matched.route.handler(ctx));
  } catch (error) {
    // A client that went away mid-request (a body cut short) is owed nothing, and it is not our bug.
    if (req.destroyed && !(error instanceof AwsError)) return;
    if (!(error instanceof AwsError)) options.log.child({ requestId }).error({ err: error }, 'request failed');
    const aws = error instanceof AwsError ? error : new AwsError('ServiceException', 'An internal error occurred; see the server log.');
    // A refusal before the body was read closes the connection instead of reading the rest for nothing.
    const close: Record<string, string> = req.complete ? {} : { Connection: 'close' };
    if (errorReply !== undefined) {
      const reply = errorReply(aws);
      send(res, requestId, { ...reply, headers: { ...reply.headers, ...aws.headers, ...close } });
      return;
    }
    send(res, requestId, {
      status: aws.status,
      headers: { 'x-amzn-ErrorType': aws.code, ...aws.headers, ...close },
      body: aws.toBody(),
    });
  } finally {
    budget.give(reserved);
  }
}

/** The error envelope of a service whose protocol is not Lambda's: undefined for Lambda's and the AWS JSON 1.1 ones. */
function errorReplyFor(service: string, req: IncomingMessage, requestId: string): ((error: AwsError) => Reply) | undefined {
  if (service === CLOUDWATCH_SERVICE) return (error) => cloudWatchErrorReply(req, error, requestId);
  if (QUERY_NAMESPACES[service] !== undefined) {
    return (error) => ({ status: error.status, headers: { 'Content-Type': 'text/xml' }, body: queryError(service, error, requestId) });
  }
  return undefined;
}

/**
 * The access line, written when the response has gone out (or the connection closed first): no query
 * string, which may hold a presigned link's signature.
 */
function logAccess(req: IncomingMessage, res: ServerResponse, requestId: string, log: Logger, operation: () => string | undefined): void {
  const started = performance.now();
  res.once('close', () => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const ms = (performance.now() - started).toFixed(1);
    const op = operation();
    log.info(
      { requestId, ...(op === undefined ? {} : { operation: op }), ...(res.writableFinished ? {} : { aborted: true }) },
      `${req.method} ${path} ${res.statusCode} ${ms} ms`,
    );
  });
}

/** Who a verified signature stands for; a key removed since its head was checked no longer stands for anyone. */
function callerBehind(verified: VerifiedCaller, lookupKey: AccessKeyLookup): Caller {
  const key = lookupKey(verified.accessKeyId, verified.sessionToken);
  if (key === undefined) throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  return callerOf(verified, key);
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

function send(res: ServerResponse, requestId: string, reply: Reply): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { 'x-amzn-RequestId': requestId, ...reply.headers };
  const body = reply.body;
  if (isBodyStream(body)) {
    res.writeHead(reply.status, headers);
    sendStream(res, body);
    return;
  }
  let data: Buffer | undefined;
  if (Buffer.isBuffer(body)) data = body;
  else if (body !== undefined) {
    data = Buffer.from(JSON.stringify(body));
    headers['Content-Type'] = 'application/json';
  }
  headers['Content-Length'] = data?.length ?? 0;
  res.writeHead(reply.status, headers);
  res.end(data);
}

function isBodyStream(body: Reply['body']): body is BodyStream {
  return body instanceof Readable || (typeof body === 'object' && body !== null && !Buffer.isBuffer(body) && Symbol.asyncIterator in body);
}

/**
 * A body that fails midway (a file read error, a runtime that dies mid-stream) cuts the response short:
 * the client sees a body shorter than its Content-Length, or a chunked body without its end. The client
 * leaving early releases the stream.
 */
function sendStream(res: ServerResponse, body: BodyStream): void {
  const stream = body instanceof Readable ? body : Readable.from(body, { objectMode: false });
  stream.once('error', () => res.destroy());
  res.once('close', () => stream.destroy());
  stream.pipe(res);
}
