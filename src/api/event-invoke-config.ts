import { invalidParameter } from '../core/index.js';
import type { EventInvokeConfigInput } from '../control/index.js';
import { jsonBody, nextMarker, pageParams, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';
import { eventInvokeConfiguration } from './shapes.js';
import { expectLambdaInteger, type Body } from './wire.js';

/** Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s): asynchronous invocation settings. */
export function eventInvokeConfigRoutes(s: Services): Route[] {
  const path = '/2019-09-25/functions/{FunctionName}/event-invoke-config';
  const qualifier = (query: URLSearchParams) => query.get('Qualifier') ?? undefined;
  const resource = functionInPath(s.partition);
  return [
    route(
      'PUT',
      path,
      'PutFunctionEventInvokeConfig',
      async (ctx) => ({
        status: 200,
        body: eventInvokeConfiguration(await s.eventInvokeConfigs.put(ctx.params.FunctionName!, qualifier(ctx.query), configInput(jsonBody(ctx))), s.partition),
      }),
      { resource },
    ),
    route(
      'POST',
      path,
      'UpdateFunctionEventInvokeConfig',
      async (ctx) => ({
        status: 200,
        body: eventInvokeConfiguration(
          await s.eventInvokeConfigs.update(ctx.params.FunctionName!, qualifier(ctx.query), configInput(jsonBody(ctx))),
          s.partition,
        ),
      }),
      { resource },
    ),
    route(
      'GET',
      path,
      'GetFunctionEventInvokeConfig',
      (ctx) => ({ status: 200, body: eventInvokeConfiguration(s.eventInvokeConfigs.get(ctx.params.FunctionName!, qualifier(ctx.query)), s.partition) }),
      { resource },
    ),
    route(
      'DELETE',
      path,
      'DeleteFunctionEventInvokeConfig',
      async (ctx) => {
        await s.eventInvokeConfigs.delete(ctx.params.FunctionName!, qualifier(ctx.query));
        return { status: 204 };
      },
      { resource },
    ),
    route(
      'GET',
      `${path}/list`,
      'ListFunctionEventInvokeConfigs',
      (ctx) => {
        const { marker, maxItems } = pageParams(ctx, 50);
        const page = s.eventInvokeConfigs.list(ctx.params.FunctionName!, marker, maxItems);
        return {
          status: 200,
          body: {
            FunctionEventInvokeConfigs: page.configs.map((c) => eventInvokeConfiguration(c, s.partition)),
            ...nextMarker(page.nextMarker),
          },
        };
      },
      { resource },
    ),
  ];
}

/** Lambda words the type errors of these members its own way ("… must be an integer."). */
function configInput(body: Body): EventInvokeConfigInput {
  const integer = (field: string): number | undefined => (body[field] === undefined ? undefined : expectLambdaInteger(field, body[field]));
  const maximumRetryAttempts = integer('MaximumRetryAttempts');
  const maximumEventAgeInSeconds = integer('MaximumEventAgeInSeconds');
  const config = body.DestinationConfig;
  if (config === undefined) return { maximumRetryAttempts, maximumEventAgeInSeconds };
  if (typeof config !== 'object' || config === null) throw invalidParameter('DestinationConfig must be an object.');
  /** A member given without a Destination (or with '') says "none"; a non-string one fails the ARN pattern as its text. */
  const destination = (member: unknown): string | undefined => {
    if (member === undefined) return undefined;
    const value = typeof member === 'object' && member !== null ? (member as Body).Destination : undefined;
    return value === undefined ? '' : String(value);
  };
  const { OnSuccess, OnFailure } = config as Body;
  return { maximumRetryAttempts, maximumEventAgeInSeconds, destinations: { onSuccess: destination(OnSuccess), onFailure: destination(OnFailure) } };
}
