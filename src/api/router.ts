import FindMyWay, { type HTTPVersion, type Instance } from 'find-my-way';
import { AwsError } from '../core/index.js';
import type { Route } from './http.js';

export interface Match {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/** Longer than any name or ARN a Lambda path carries (a tag's resource ARN, at most 256). */
const MAX_PARAM_LENGTH = 2048;

/**
 * Routes by the SigV4 service a request is for (the credential scope's, so `lambda`, `iam`, `sts`, … can
 * share the one port), then by method and path, through find-my-way's radix tree.
 */
export class Router {
  readonly #trees = new Map<string, Instance<HTTPVersion.V1>>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      let tree = this.#trees.get(route.service);
      if (tree === undefined) {
        tree = FindMyWay({
          ignoreTrailingSlash: true,
          maxParamLength: MAX_PARAM_LENGTH,
          // A `%` escape that does not decode: find() answers a handle with a null store instead of null.
          onBadUrl: () => undefined,
        });
        this.#trees.set(route.service, tree);
      }
      tree.on(route.method as 'GET', route.path.replace(/\{(\w+)\}/g, ':$1'), () => undefined, { route });
    }
  }

  /** Whether any route answers requests for this SigV4 service. */
  serves(service: string): boolean {
    return this.#trees.has(service);
  }

  /** The route for `method path` (a URL pathname, still percent-encoded) of `service`, if any. */
  find(service: string, method: string, path: string): Match | undefined {
    const tree = this.#trees.get(service);
    const found = tree?.find(method as 'GET', path);
    if (found === undefined || found === null) return undefined;
    if (found.store === null) throw this.#badEscape(service, method, path);
    return { route: (found.store as { route: Route }).route, params: { ...found.params } as Record<string, string> };
  }

  /**
   * AWS's answer to a path segment that is not valid percent-encoded UTF-8, naming the parameter it
   * stands in (found by routing the path with that segment replaced).
   */
  #badEscape(service: string, method: string, path: string): AwsError {
    const segments = path.split('/');
    const bad = segments.findIndex((part) => !decodes(part));
    const raw = segments[bad] ?? path;
    const stand = `selfless-undecodable-${bad}`;
    const found = this.#trees.get(service)?.find(method as 'GET', segments.map((part, i) => (i === bad ? stand : part)).join('/'));
    const name = Object.entries(found?.params ?? {}).find(([, value]) => value === stand)?.[0];
    const field = name === undefined ? 'path' : `${name[0]!.toLowerCase()}${name.slice(1)}`;
    return new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${raw}' at '${field}' failed to satisfy constraint: Member must be valid percent-encoded UTF-8`,
    );
  }
}

function decodes(part: string): boolean {
  try {
    decodeURIComponent(part);
    return true;
  } catch {
    return false;
  }
}
