import { AwsError } from '../core/index.js';
import { MAX_EVENT_PAYLOAD_BYTES, MAX_INVOKE_ASYNC_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES } from '../invoke/index.js';
import type { SyncInvokeOutput } from '../invoke/index.js';
import { eventMessage } from './event-stream.js';
import { header, route, type Reply, type RequestContext, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';

const INVOCATION_TYPES = ['Event', 'RequestResponse', 'DryRun'];
const STREAMING_INVOCATION_TYPES = ['RequestResponse', 'DryRun'];

function enumHeader(ctx: RequestContext, name: string, field: string, allowed: readonly string[], fallback: string): string {
  const value = header(ctx, name) ?? fallback;
  if (!allowed.includes(value)) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value;
}

/** Invoke (sync, Event, DryRun) and InvokeAsync, https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html */
export function invokeRoutes(s: Services): Route[] {
  const resource = functionInPath(s.partition);
  return [
    route(
      'POST',
      '/2015-03-31/functions/{FunctionName}/invocations',
      'InvokeFunction',
      async (ctx) => {
        const type = header(ctx, 'x-amz-invocation-type') ?? 'RequestResponse';
        if (!INVOCATION_TYPES.includes(type)) {
          throw new AwsError(
            'ValidationException',
            `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [${INVOCATION_TYPES.join(', ')}]`,
          );
        }
        const logType = header(ctx, 'x-amz-log-type') ?? 'None';
        if (logType !== 'None' && logType !== 'Tail') {
          throw new AwsError(
            'ValidationException',
            `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]`,
          );
        }
        const name = ctx.params.FunctionName!;
        const qualifier = ctx.query.get('Qualifier') ?? undefined;
        if (type === 'DryRun') {
          // It checks what an invoke would (the caller, the target) and, as on AWS, names no version.
          s.invoke.dryRun(name, qualifier);
          return { status: 204 };
        }
        if (type === 'Event') {
          await s.async.enqueue({
            functionName: name,
            qualifier,
            payload: ctx.body,
            requestId: ctx.requestId,
            limit: MAX_EVENT_PAYLOAD_BYTES,
            operation: 'Event',
          });
          return { status: 202 };
        }
        const out = await s.invoke.invokeSync({
          functionName: name,
          qualifier,
          payload: ctx.body,
          logTail: logType === 'Tail',
          clientContext: header(ctx, 'x-amz-client-context'),
          requestId: ctx.requestId,
        });
        const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': out.executedVersion };
        if (out.functionError !== undefined) headers['X-Amz-Function-Error'] = out.functionError;
        if (out.logResult !== undefined) headers['X-Amz-Log-Result'] = out.logResult;
        return { status: 200, headers, body: out.payload };
      },
      { bodyLimit: MAX_SYNC_PAYLOAD_BYTES, resource },
    ),

    // https://docs.aws.amazon.com/lambda/latest/dg/API_InvokeWithResponseStream.html: the answer as AWS's
    // event stream, a PayloadChunk per piece as the function writes it, then InvokeComplete.
    route(
      'POST',
      '/2021-11-15/functions/{FunctionName}/response-streaming-invocations',
      'InvokeWithResponseStream',
      async (ctx): Promise<Reply> => {
        const type = enumHeader(ctx, 'x-amz-invocation-type', 'invocationType', STREAMING_INVOCATION_TYPES, 'RequestResponse');
        const logType = enumHeader(ctx, 'x-amz-log-type', 'logType', ['None', 'Tail'], 'None');
        const name = ctx.params.FunctionName!;
        const qualifier = ctx.query.get('Qualifier') ?? undefined;
        if (type === 'DryRun') {
          // It checks what an invoke would (the caller, the target) and, as on AWS, names no version.
          s.invoke.dryRun(name, qualifier);
          return { status: 204 };
        }
        const out = await s.invoke.invokeSync({
          functionName: name,
          qualifier,
          payload: ctx.body,
          logTail: logType === 'Tail',
          clientContext: header(ctx, 'x-amz-client-context'),
          requestId: ctx.requestId,
          streamResponse: true,
        });
        const contentType = out.stream?.contentType ?? 'application/json';
        return { status: 200, headers: { 'Content-Type': contentType, 'X-Amz-Executed-Version': out.executedVersion }, body: streamEvents(out) };
      },
      { bodyLimit: MAX_SYNC_PAYLOAD_BYTES, resource, action: 'lambda:InvokeFunction' },
    ),

    // The deprecated InvokeAsync API: https://docs.aws.amazon.com/lambda/latest/dg/API_InvokeAsync.html
    route(
      'POST',
      '/2014-11-13/functions/{FunctionName}/invoke-async',
      'InvokeAsync',
      async (ctx) => {
        await s.async.enqueue({
          functionName: ctx.params.FunctionName!,
          payload: ctx.body,
          requestId: ctx.requestId,
          limit: MAX_INVOKE_ASYNC_PAYLOAD_BYTES,
          operation: 'InvokeAsync',
        });
        return { status: 202, body: { Status: 202 } };
      },
      { bodyLimit: MAX_SYNC_PAYLOAD_BYTES, resource },
    ),
  ];
}

/** The answer's events: its bytes in PayloadChunks as they come, then InvokeComplete with how it ended. */
async function* streamEvents(out: SyncInvokeOutput): AsyncGenerator<Uint8Array> {
  let failure: { errorType: string; details: string } | undefined;
  if (out.stream === undefined) {
    if (out.payload.length > 0) yield eventMessage('PayloadChunk', 'application/octet-stream', out.payload);
    if (out.functionError !== undefined) failure = { errorType: errorTypeOf(out.payload), details: out.payload.toString('utf8') };
  } else {
    for await (const chunk of out.stream.body as AsyncIterable<Buffer>) yield eventMessage('PayloadChunk', 'application/octet-stream', chunk);
    const end = await out.stream.ended;
    if (end.errorType !== undefined) failure = { errorType: end.errorType, details: end.errorBody?.toString('utf8') ?? '' };
  }
  const logResult = out.logResult ?? (await out.streamLogResult);
  const complete = {
    ...(failure === undefined ? {} : { ErrorCode: failure.errorType, ErrorDetails: failure.details }),
    ...(logResult === undefined ? {} : { LogResult: logResult }),
  };
  yield eventMessage('InvokeComplete', 'application/json', Buffer.from(JSON.stringify(complete)));
}

function errorTypeOf(payload: Buffer): string {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { errorType?: unknown };
    return typeof parsed.errorType === 'string' ? parsed.errorType : 'Unhandled';
  } catch {
    return 'Unhandled';
  }
}
