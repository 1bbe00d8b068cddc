import type { IncomingMessage } from 'node:http';
import type { Caller } from '../auth/index.js';

/**
 * A function URL's request as the event Lambda hands the function: payload format 2.0
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads).
 */

export interface UrlRequest {
  readonly req: IncomingMessage;
  /** The request target the function sees: the path form's prefix already taken off. */
  readonly target: string;
  readonly body: Buffer;
  readonly urlId: string;
  readonly region: string;
  readonly accountId: string;
  /** `host` as the URL is known by (its `<url-id>.lambda-url.<region>.…` name). */
  readonly domainName: string;
  readonly requestId: string;
  readonly nowMs: number;
  /** Who signed it, for an AWS_IAM URL. */
  readonly caller?: Caller;
}

/** Bodies of these types reach the function as text; any other body is base64 with `isBase64Encoded`. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql|[\w.+-]+\+(json|xml)))/i;

/** Headers the URL's own transport owns: the function is told about the client in x-forwarded-*. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

export function urlEvent(request: UrlRequest): Record<string, unknown> {
  const { req } = request;
  const queryAt = request.target.indexOf('?');
  const rawPath = queryAt === -1 ? request.target : request.target.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : request.target.slice(queryAt + 1);
  const headers = joinedHeaders(req);
  const cookieHeader = headers.cookie;
  delete headers.cookie;
  const sourceIp = stripMappedPrefix(req.socket.remoteAddress ?? '127.0.0.1');
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(request.nowMs / 1000).toString(16)}-${request.requestId.replaceAll('-', '').slice(0, 24)}`;
  const cookies = cookieHeader === undefined ? [] : cookieHeader.split(/;\s*/).filter((c) => c !== '');
  const query = queryParameters(rawQueryString);
  const text = request.body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const method = req.method ?? 'GET';
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies.length === 0 ? {} : { cookies }),
    headers,
    ...(query === undefined ? {} : { queryStringParameters: query }),
    requestContext: {
      accountId: request.caller === undefined ? 'anonymous' : request.caller.accountId,
      apiId: request.urlId,
      ...(request.caller === undefined ? {} : { authorizer: { iam: iamAuthorizer(request.caller) } }),
      domainName: request.domainName,
      domainPrefix: request.urlId,
      http: { method, path: rawPath, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: request.requestId,
      routeKey: '$default',
      stage: '$default',
      time: clfTime(request.nowMs),
      timeEpoch: request.nowMs,
    },
    ...(request.body.length === 0 ? {} : { body: request.body.toString(text ? 'utf8' : 'base64') }),
    isBase64Encoded: !text,
  };
  return event;
}

/** Header names lowercased and a repeated header's values joined with commas, as Lambda joins them. */
function joinedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    const value = raw[i + 1]!;
    // Cookies are one list: several Cookie headers join with the separator cookies use.
    headers[name] = headers[name] === undefined ? value : `${headers[name]}${name === 'cookie' ? '; ' : ','}${value}`;
  }
  return headers;
}

/** Decoded query parameters, a repeated key's values joined with commas; undefined when there are none. */
function queryParameters(raw: string): Record<string, string> | undefined {
  if (raw === '') return undefined;
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(raw)) params[name] = params[name] === undefined ? value : `${params[name]},${value}`;
  return Object.keys(params).length === 0 ? undefined : params;
}

function iamAuthorizer(caller: Caller): Record<string, unknown> {
  const { identity } = caller;
  const userId = identity.kind === 'root' ? caller.accountId : identity.kind === 'user' ? identity.userId : `${identity.roleId}:${identity.sessionName}`;
  return {
    accessKey: caller.accessKeyId,
    accountId: caller.accountId,
    callerId: userId,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: caller.principalArn,
    userId,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`: the common log format's time, in UTC. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

function stripMappedPrefix(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
