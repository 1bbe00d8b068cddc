import { jsonBody, pageParams, route, type Route } from './http.js';
import type { Services } from './services.js';

/** Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s): asynchronous invocation settings. */
export function eventInvokeConfigRoutes(s: Services): Route[] {
  const path = '/2019-09-25/functions/{FunctionName}/event-invoke-config';
  const qualifier = (query: URLSearchParams) => query.get('Qualifier') ?? undefined;
  return [
    route('PUT', path, async (ctx) => ({ status: 200, body: s.eventInvokeConfigs.shape(await s.eventInvokeConfigs.put(ctx.params.FunctionName!, qualifier(ctx.query), jsonBody(ctx))) })),
    route('POST', path, async (ctx) => ({ status: 200, body: s.eventInvokeConfigs.shape(await s.eventInvokeConfigs.update(ctx.params.FunctionName!, qualifier(ctx.query), jsonBody(ctx))) })),
    route('GET', path, (ctx) => ({ status: 200, body: s.eventInvokeConfigs.shape(s.eventInvokeConfigs.get(ctx.params.FunctionName!, qualifier(ctx.query))) })),
    route('DELETE', path, async (ctx) => {
      await s.eventInvokeConfigs.delete(ctx.params.FunctionName!, qualifier(ctx.query));
      return { status: 204 };
    }),
    route('GET', `${path}/list`, (ctx) => {
      const { marker, maxItems } = pageParams(ctx, 50);
      const page = s.eventInvokeConfigs.list(ctx.params.FunctionName!, marker, maxItems);
      return {
        status: 200,
        body: {
          FunctionEventInvokeConfigs: page.configs.map((c) => s.eventInvokeConfigs.shape(c)),
          ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }),
        },
      };
    }),
  ];
}
