import { jsonBody, route, type Route } from './http.js';
import { arnInPath } from './resources.js';
import type { Services } from './services.js';
import { expectStringMap, required } from './wire.js';

/** TagResource, UntagResource, ListTags: a function's tags, by its ARN. */
export function tagRoutes(s: Services): Route[] {
  const path = '/2017-03-31/tags/{ARN}';
  return [
    route(
      'POST',
      path,
      'TagResource',
      async (ctx) => {
        await s.registry.tag(ctx.params.ARN!, expectStringMap('Tags', required(jsonBody(ctx), 'Tags')));
        return { status: 204 };
      },
      { resource: arnInPath },
    ),
    route(
      'DELETE',
      path,
      'UntagResource',
      async (ctx) => {
        await s.registry.untag(ctx.params.ARN!, ctx.query.getAll('tagKeys'));
        return { status: 204 };
      },
      { resource: arnInPath },
    ),
    route('GET', path, 'ListTags', (ctx) => ({ status: 200, body: { Tags: s.registry.listTags(ctx.params.ARN!) } }), { resource: arnInPath }),
  ];
}
