import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { AwsError, checkRange, validationError } from '../core/index.js';

/** What a route handler answers; the server adds the AWS envelope headers. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** An object is sent as JSON; bytes are sent as they are. */
  readonly body?: Buffer | object;
  /** A large body streamed from disk. */
  readonly stream?: Readable;
}

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  /** Decoded path parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  /** `http://host:port` as the client reached us, for URLs we hand back. */
  readonly origin: string;
}

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: Handler;
  /** Largest body this operation accepts. */
  readonly bodyLimit: number;
  /** Whether the route verifies SigV4 itself (presigned URLs) instead of the front door. */
  readonly presigned?: boolean;
  /** The AWS operation name, where an error message names it. */
  readonly operation?: string;
}

/** `/2015-03-31/functions/{FunctionName}/code` → a matcher with named segments. */
export function route(method: string, template: string, handler: Handler, options: { bodyLimit?: number; presigned?: boolean; operation?: string } = {}): Route {
  const names: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { method, pattern: new RegExp(`^${source}/?$`), names, handler, bodyLimit: options.bodyLimit ?? 1024 * 1024, ...options };
}

/**
 * Deeper than any Lambda API shape nests (a few levels): a body beyond it is refused before it is parsed,
 * since every recursive walk of such a value (validation, error messages, storage) could overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/** A JSON body as an object; AWS answers a body that is not JSON with a serialization error. */
export function jsonBody(ctx: RequestContext): Record<string, unknown> {
  if (ctx.body.length === 0) return {};
  const text = ctx.body.toString('utf8');
  if (jsonDepthOver(text, MAX_JSON_DEPTH)) {
    throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json: the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Whether JSON text nests arrays/objects deeper than `max`: one pass, brackets inside strings skipped. */
export function jsonDepthOver(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Marker/MaxItems of the List operations; pages are capped as AWS caps them. */
export function pageParams(ctx: RequestContext, cap: number): { marker?: string; maxItems: number } {
  const marker = ctx.query.get('Marker') ?? undefined;
  const raw = ctx.query.get('MaxItems');
  let maxItems = cap;
  if (raw !== null) {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw validationError('maxItems', raw, 'Member must be an integer');
    maxItems = Math.min(checkRange('maxItems', n, 1, 10_000), cap);
  }
  return marker === undefined ? { maxItems } : { marker, maxItems };
}
