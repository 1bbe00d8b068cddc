import { jsonBody, pageParams, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import { publishVersionInput } from './function-inputs.js';
import type { Services } from './services.js';
import { functionConfiguration } from './shapes.js';

/** PublishVersion and ListVersionsByFunction. */
export function versionRoutes(s: Services): Route[] {
  const resource = functionInPath(s.partition);
  return [
    route(
      'POST',
      '/2015-03-31/functions/{FunctionName}/versions',
      'PublishVersion',
      async (ctx) => ({
        status: 201,
        body: functionConfiguration(await s.registry.publish(ctx.params.FunctionName!, publishVersionInput(jsonBody(ctx))), s.partition),
      }),
      { resource },
    ),

    route(
      'GET',
      '/2015-03-31/functions/{FunctionName}/versions',
      'ListVersionsByFunction',
      (ctx) => {
        const { marker, maxItems } = pageParams(ctx, 50);
        const latest = s.registry.require(ctx.params.FunctionName!);
        const all = s.registry.versions(latest.name);
        const start = marker === undefined ? 0 : all.findIndex((r) => (r.version ?? '$LATEST') === marker) + 1;
        const page = start <= 0 && marker !== undefined ? [] : all.slice(start, start + maxItems);
        const more = page.length > 0 && start + maxItems < all.length;
        return {
          status: 200,
          body: {
            // Every entry qualified, $LATEST included.
            Versions: page.map((r) => functionConfiguration(r, s.partition, { forList: true, arnQualifier: r.version ?? '$LATEST' })),
            ...(more ? { NextMarker: page[page.length - 1]!.version ?? '$LATEST' } : {}),
          },
        };
      },
      { resource },
    ),
  ];
}
