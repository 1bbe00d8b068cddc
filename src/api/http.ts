import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Caller } from '../auth/index.js';
import { AwsError, checkRange, validationError } from '../core/index.js';

/** A response body produced a piece at a time (a file, later a function's streamed response). */
export type BodyStream = Readable | AsyncIterable<Uint8Array>;

/** What a route handler answers; the server adds the AWS envelope headers. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Bytes are sent as they are, with their length; a stream is sent as it comes (give its
   * Content-Length in `headers` when it is known); any other object is sent as JSON.
   */
  readonly body?: Buffer | BodyStream | object;
}

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly requestId: string;
  /** Decoded path parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  /** `http://host:port` as the client reached us, for URLs we hand back. */
  readonly origin: string;
  /** Who signed the request; undefined on routes that do not take SigV4 (presigned links) or an unsigned request to a `sigv4-or-own` route. */
  readonly caller: Caller | undefined;
}

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

/**
 * How a route's caller proves who it is: `sigv4` (the front door checks the signature from the head, before
 * the body), `presigned` (the handler checks a signature of its own in the query), `sigv4-or-own` (a
 * request with a SigV4 Authorization header is checked and authorized as `sigv4`; any other is left to
 * the handler's own check, such as a token), `none`.
 */
export type AuthMode = 'sigv4' | 'presigned' | 'sigv4-or-own' | 'none';

export interface Route {
  readonly method: string;
  /** `/2015-03-31/functions/{FunctionName}/code`: `{Name}` segments become `ctx.params.Name`. */
  readonly path: string;
  /** The SigV4 service whose requests it answers, the credential scope's service (`lambda`). */
  readonly service: string;
  /** The AWS operation; error messages name it. */
  readonly operation: string;
  /** The action authorize() is asked about; `${service}:${operation}` unless given. */
  readonly action: string | ((ctx: RequestContext) => string);
  /** The ARN authorize() is asked about; `*` for operations on no one resource. */
  readonly resource: (ctx: RequestContext) => string | Promise<string>;
  readonly auth: AuthMode;
  /**
   * Further authorizations the request needs beyond `action` on `resource`, decided alike and in
   * order: `iam:PassRole` on the role a function is given, as AWS asks it of CreateFunction.
   */
  readonly alsoAuthorize?: (ctx: RequestContext) => ReadonlyArray<{ action: string; resource: string; conditionValues?: Record<string, string> }>;
  /** Largest body this operation accepts. */
  readonly bodyLimit: number;
  readonly handler: Handler;
}

export type RouteOptions = Partial<Pick<Route, 'service' | 'action' | 'resource' | 'auth' | 'bodyLimit' | 'alsoAuthorize'>>;

const DEFAULT_BODY_LIMIT = 1024 * 1024;
const anyResource = () => '*';

export function route(method: string, path: string, operation: string, handler: Handler, options: RouteOptions = {}): Route {
  const service = options.service ?? 'lambda';
  return {
    method,
    path,
    service,
    operation,
    action: options.action ?? `${service}:${operation}`,
    resource: options.resource ?? anyResource,
    auth: options.auth ?? 'sigv4',
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    ...(options.alsoAuthorize === undefined ? {} : { alsoAuthorize: options.alsoAuthorize }),
    handler,
  };
}

/**
 * Deeper than any Lambda API shape nests (a few levels): a body beyond it is refused before it is parsed,
 * since every recursive walk of such a value (validation, error messages, storage) could overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

const parsedBodies = new WeakMap<RequestContext, Record<string, unknown>>();

/**
 * A JSON body as an object, parsed once however often it is asked for (a route's resource and its handler
 * both read it); AWS answers a body that is not JSON with a serialization error.
 */
export function jsonBody(ctx: RequestContext): Record<string, unknown> {
  let parsed = parsedBodies.get(ctx);
  if (parsed === undefined) {
    parsed = parseJsonBody(ctx.body);
    parsedBodies.set(ctx, parsed);
  }
  return parsed;
}

function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
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
      if (c === 0x5c)
        i += 1; // a backslash escapes the next character
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
  return headerOf(ctx.req, name);
}

/** A request header's value (the first, if it came more than once); `name` in lower case. */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
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

/** The `NextMarker` member of a List answer: present only when there is a next page. */
export function nextMarker(marker: string | undefined): { NextMarker?: string } {
  return marker === undefined ? {} : { NextMarker: marker };
}
