import { AwsError } from '../core/index.js';
import { MAX_EVENT_PAYLOAD_BYTES, MAX_INVOKE_ASYNC_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES } from '../invoke/index.js';
import { header, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';

const INVOCATION_TYPES = ['Event', 'RequestResponse', 'DryRun'];

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
          const { executedVersion } = s.invoke.dryRun(name, qualifier);
          return { status: 204, headers: { 'X-Amz-Executed-Version': executedVersion } };
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
