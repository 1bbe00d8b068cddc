import { jsonBody, route, type Route } from './http.js';
import { arnInPath } from './resources.js';
import type { Services } from './services.js';
import { expectStringMap, required } from './wire.js';

/** TagResource, UntagResource, ListTags: a function's tags, by its ARN. */
export function tagRoutes(s: Services): Route[] {
  const path = '/2017-03-31/tags/{Resource}';
  return [
    route(
      'POST',
      path,
      'TagResource',
      async (ctx) => {
        await s.registry.tag(ctx.params.Resource!, expectStringMap('Tags', required(jsonBody(ctx), 'Tags')));
        return { status: 204 };
      },
      { resource: arnInPath },
    ),
    route(
      'DELETE',
      path,
      'UntagResource',
      async (ctx) => {
        await s.registry.untag(ctx.params.Resource!, ctx.query.getAll('tagKeys'));
        return { status: 204 };
      },
      { resource: arnInPath },
    ),
    route('GET', path, 'ListTags', (ctx) => ({ status: 200, body: { Tags: s.registry.listTags(ctx.params.Resource!) } }), { resource: arnInPath }),
  ];
}
