import { jsonBody, nextMarker, pageParams, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';

/** CreateAlias, ListAliases, GetAlias, UpdateAlias, DeleteAlias. */
export function aliasRoutes(s: Services): Route[] {
  const resource = functionInPath(s.partition);
  const path = '/2015-03-31/functions/{FunctionName}/aliases';
  return [
    route(
      'POST',
      path,
      'CreateAlias',
      async (ctx) => ({
        status: 201,
        body: s.aliases.shape(await s.aliases.create(ctx.params.FunctionName!, jsonBody(ctx))),
      }),
      { resource },
    ),
    route(
      'GET',
      path,
      'ListAliases',
      (ctx) => {
        const { marker, maxItems } = pageParams(ctx, 50);
        const page = s.aliases.list(ctx.params.FunctionName!, ctx.query.get('FunctionVersion') ?? undefined, marker, maxItems);
        return { status: 200, body: { Aliases: page.aliases.map((a) => s.aliases.shape(a)), ...nextMarker(page.nextMarker) } };
      },
      { resource },
    ),
    route(
      'GET',
      `${path}/{Name}`,
      'GetAlias',
      (ctx) => ({
        status: 200,
        body: s.aliases.shape(s.aliases.require(ctx.params.FunctionName!, ctx.params.Name!)),
      }),
      { resource },
    ),
    route(
      'PUT',
      `${path}/{Name}`,
      'UpdateAlias',
      async (ctx) => ({
        status: 200,
        body: s.aliases.shape(await s.aliases.update(ctx.params.FunctionName!, ctx.params.Name!, jsonBody(ctx))),
      }),
      { resource },
    ),
    route(
      'DELETE',
      `${path}/{Name}`,
      'DeleteAlias',
      async (ctx) => {
        await s.aliases.delete(ctx.params.FunctionName!, ctx.params.Name!);
        return { status: 204 };
      },
      { resource },
    ),
  ];
}
