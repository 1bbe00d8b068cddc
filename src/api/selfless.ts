import { open } from 'node:fs/promises';
import { AwsError, functionArn, invalidParameter, parseFunctionName } from '../core/index.js';
import { timeline, TIMELINE_RANGES, type TimelineRange } from '../metering/index.js';
import { jsonBody, route, type Handler, type RequestContext, type Route, type RouteOptions } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';

const intParam = (query: URLSearchParams, name: string, fallback: number): number => {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new AwsError('ValidationException', `${name} must be a non-negative integer, got '${raw}'`);
  return n;
};

/**
 * selfless's own API, beside Lambda's (logs, usage, environments, code downloads). Same SigV4
 * authentication as the Lambda API, except code links, which are presigned.
 */
export function selflessRoutes(s: Services): Route[] {
  // Signed as Lambda requests are (the CLI's client is Lambda's), authorized as selfless's own actions.
  const own = (method: string, path: string, operation: string, handler: Handler, options: RouteOptions = {}) =>
    route(method, path, operation, handler, { action: `selfless:${operation}`, ...options });
  const resource = functionInPath(s.partition);
  /** The function the path names, which must exist. */
  const existingFunction = (ctx: RequestContext): string => {
    const { name } = parseFunctionName(ctx.params.FunctionName!, s.partition);
    if (s.registry.cached(name) === undefined) throw s.registry.notFound(name);
    return name;
  };
  return [
    own(
      'GET',
      '/selfless/v1/functions/{FunctionName}/logs',
      'GetFunctionLogs',
      async (ctx) => {
        const name = existingFunction(ctx);
        const { events, more } = await s.logs.read(name, {
          afterId: intParam(ctx.query, 'afterId', 0),
          sinceMs: intParam(ctx.query, 'sinceMs', 0),
          limit: Math.min(intParam(ctx.query, 'limit', 1000), 10_000),
        });
        // A page is bounded by bytes as well as by count: `more` says that the next one (afterId = the last
        // id) has events already.
        return { status: 200, body: { events: events.map(({ id, timeMs, stream, message }) => ({ id, timeMs, stream, message })), more } };
      },
      { resource },
    ),

    // The invocation history (beyond Lambda), newest first.
    own(
      'GET',
      '/selfless/v1/functions/{FunctionName}/history',
      'GetFunctionHistory',
      async (ctx) => {
        const { name } = parseFunctionName(ctx.params.FunctionName!, s.partition);
        const invocations = await s.history.list(name, {
          sinceMs: intParam(ctx.query, 'sinceMs', 0),
          errorsOnly: ctx.query.get('errors') === 'true',
          limit: Math.min(intParam(ctx.query, 'limit', 100), 1000),
        });
        return { status: 200, body: { invocations } };
      },
      { resource },
    ),

    // A function's figures over the last hour, day or week, period by period (the console's Monitor charts).
    own(
      'GET',
      '/selfless/v1/functions/{FunctionName}/timeline',
      'GetFunctionTimeline',
      async (ctx) => {
        const name = existingFunction(ctx);
        const range = ctx.query.get('range') ?? '1h';
        if (!Object.hasOwn(TIMELINE_RANGES, range)) {
          throw new AwsError('ValidationException', `range must be one of ${Object.keys(TIMELINE_RANGES).join(', ')}, got '${range}'`);
        }
        const { periodMs, points } = await timeline(s.series, s.prices, name, range as TimelineRange, s.clock.now());
        return { status: 200, body: { functionName: name, range, periodSeconds: periodMs / 1000, points } };
      },
      { resource },
    ),

    // Sends a captured invocation's event again, to the version that ran it; answered like an Invoke, as JSON.
    own(
      'POST',
      '/selfless/v1/invocations/{RequestId}/replay',
      'ReplayInvocation',
      async (ctx) => {
        const requestId = ctx.params.RequestId!;
        const found = await s.history.find(requestId);
        if (found === undefined) throw new AwsError('ResourceNotFoundException', `No invocation ${requestId} is in the history.`);
        const payload = found.openPayload();
        if (payload === undefined) {
          throw invalidParameter(
            `Invocation ${requestId} was recorded without its event: start the server with SELFLESS_HISTORY_PAYLOADS=1 to capture events.`,
          );
        }
        const { functionName, version } = found.record;
        const out = await s.invoke.invokeSync({
          functionName,
          qualifier: version === '$LATEST' ? undefined : version,
          payload,
          logTail: false,
          requestId: ctx.requestId,
        });
        return {
          status: 200,
          body: {
            requestId: out.requestId,
            replayOf: requestId,
            functionName,
            executedVersion: out.executedVersion,
            ...(out.functionError === undefined ? {} : { functionError: out.functionError }),
            payload: out.payload.toString('utf8'),
          },
        };
      },
      {
        // Authorized on the function that ran it (anything else, unknown ids included, on every resource).
        resource: async (ctx) => {
          const found = await s.history.find(ctx.params.RequestId!);
          return found === undefined ? '*' : functionArn(s.partition, found.record.functionName);
        },
      },
    ),

    // Prometheus's text format; a scraper without SigV4 uses the scrape token instead (see server.ts).
    own('GET', '/metrics', 'GetMetrics', async () => ({
      status: 200,
      headers: { 'Content-Type': s.metrics.contentType },
      body: Buffer.from(await s.metrics.text()),
    })),

    own('GET', '/selfless/v1/usage', 'GetUsage', async (ctx) => ({
      status: 200,
      body: { functions: await s.usage.report(intParam(ctx.query, 'sinceMs', 0), ctx.query.get('byDay') === 'true') },
    })),

    // The failed-event store (beyond Lambda): async events that failed for good with no on-failure destination.
    own(
      'GET',
      '/selfless/v1/functions/{FunctionName}/failed-events',
      'ListFailedEvents',
      async (ctx) => {
        const { name } = parseFunctionName(ctx.params.FunctionName!, s.partition);
        const failed = await s.async.listFailed(name, Math.min(intParam(ctx.query, 'limit', 1000), 10_000));
        return {
          status: 200,
          body: {
            // Events still queued for it (waiting, retrying or running), beside those that failed for good.
            queued: await s.async.depth(name),
            events: failed.map(({ event, condition, failedAt }) => ({
              requestId: event.id,
              condition,
              failedAt,
              enqueuedAt: event.enqueuedAt,
              approximateInvokeCount: event.attempts,
              lastError: event.lastError ?? null,
              payload: event.payload.toString('utf8'),
            })),
          },
        };
      },
      { resource },
    ),

    own(
      'POST',
      '/selfless/v1/functions/{FunctionName}/failed-events/redrive',
      'RedriveFailedEvents',
      async (ctx) => {
        const name = existingFunction(ctx);
        const body = jsonBody(ctx);
        const ids =
          body.all === true
            ? 'all'
            : Array.isArray(body.requestIds) && body.requestIds.every((id) => typeof id === 'string')
              ? (body.requestIds as string[])
              : undefined;
        if (ids === undefined) throw new AwsError('InvalidParameterValueException', 'Give "all": true or "requestIds": ["..."].');
        const redriven = await s.async.redrive(name, ids);
        return { status: 200, body: { redriven } };
      },
      { resource },
    ),

    own('GET', '/selfless/v1/environments', 'ListEnvironments', () => {
      const functions = s.registry.list(undefined, Number.MAX_SAFE_INTEGER).functions.map((r) => ({
        functionName: r.name,
        ...s.pool.stats(r.name),
        // Each version has its own environments: warm, busy and provisioned per version.
        versions: Object.fromEntries(s.registry.versions(r.name).map((v) => [v.version ?? '$LATEST', s.pool.stats(r.name, v.version ?? '$LATEST')])),
      }));
      return { status: 200, body: { total: s.pool.stats(), functions } };
    }),

    // Every scheduled rule and Scheduler schedule, with its last and next runs (`selfless schedule ls`).
    own('GET', '/selfless/v1/schedules', 'ListSchedules', (ctx) => {
      const count = Math.min(intParam(ctx.query, 'next', 3), 100);
      const schedules = s.scheduleEngine.overview(count).map(({ record, lastFireMs, nextRuns }) => ({
        kind: record.kind,
        name: record.name,
        ...(record.kind === 'schedule' ? { groupName: record.groupName, timezone: record.timezone } : {}),
        arn: record.kind === 'rule' ? s.rules.arnOf(record.name) : s.schedules.arnOf(record),
        scheduleExpression: record.scheduleExpression,
        state: record.state,
        targets: record.kind === 'rule' ? record.targets.map((t) => t.arn) : [record.target.arn],
        lastFire: lastFireMs === undefined ? null : new Date(lastFireMs).toISOString(),
        nextRuns: nextRuns.map((ms) => new Date(ms).toISOString()),
      }));
      return { status: 200, body: { schedules } };
    }),

    own(
      'GET',
      '/selfless/code/{file}',
      'GetCodePackage',
      async (ctx) => {
        const match = /^([0-9a-f]{64})\.zip$/.exec(ctx.params.file!);
        if (!match) throw new AwsError('ResourceNotFoundException', 'No such code package.');
        const sha256 = match[1]!;
        s.codeLinks.verify(sha256, ctx.query);
        // Opened before it is measured and streamed: an open descriptor survives the package's removal (an
        // UpdateFunctionCode meanwhile), where a path looked up twice may be gone the second time.
        const file = await open(s.code.zipPath(sha256), 'r').catch(() => undefined);
        if (file === undefined) throw new AwsError('ResourceNotFoundException', 'No such code package.');
        let size: number;
        try {
          size = (await file.stat()).size;
        } catch (error) {
          await file.close();
          throw error;
        }
        return {
          status: 200,
          headers: { 'Content-Type': 'application/zip', 'Content-Length': String(size) },
          body: file.createReadStream({ autoClose: true }),
        };
      },
      { auth: 'presigned' },
    ),
  ];
}
