import { AwsError } from '../core/index.js';
import { jsonBody, route, type Route } from './http.js';
import { arnInPath } from './resources.js';
import type { Services } from './services.js';

/** TagResource, UntagResource, ListTags: a function's tags, by its ARN. */
export function tagRoutes(s: Services): Route[] {
  const path = '/2017-03-31/tags/{ARN}';
  return [
    route(
      'POST',
      path,
      'TagResource',
      async (ctx) => {
        const body = jsonBody(ctx);
        if (body.Tags === undefined)
          throw new AwsError('ValidationException', "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
        await s.registry.tag(ctx.params.ARN!, body.Tags);
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
