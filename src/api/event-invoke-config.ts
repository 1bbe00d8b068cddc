import { jsonBody, nextMarker, pageParams, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';

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
        body: s.eventInvokeConfigs.shape(await s.eventInvokeConfigs.put(ctx.params.FunctionName!, qualifier(ctx.query), jsonBody(ctx))),
      }),
      { resource },
    ),
    route(
      'POST',
      path,
      'UpdateFunctionEventInvokeConfig',
      async (ctx) => ({
        status: 200,
        body: s.eventInvokeConfigs.shape(await s.eventInvokeConfigs.update(ctx.params.FunctionName!, qualifier(ctx.query), jsonBody(ctx))),
      }),
      { resource },
    ),
    route(
      'GET',
      path,
      'GetFunctionEventInvokeConfig',
      (ctx) => ({ status: 200, body: s.eventInvokeConfigs.shape(s.eventInvokeConfigs.get(ctx.params.FunctionName!, qualifier(ctx.query))) }),
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
            FunctionEventInvokeConfigs: page.configs.map((c) => s.eventInvokeConfigs.shape(c)),
            ...nextMarker(page.nextMarker),
          },
        };
      },
      { resource },
    ),
  ];
}
