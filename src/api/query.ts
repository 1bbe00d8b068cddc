import { AwsError } from '../core/index.js';
import type { RequestContext } from './http.js';

/**
 * The AWS Query protocol (IAM, STS, CloudWatch): parameters as a form (`Action=CreateRole&RoleName=…`,
 * lists as `Tags.member.1.Key`), answers and errors as XML in the service's namespace.
 */
export const QUERY_NAMESPACES: Readonly<Record<string, string>> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  monitoring: 'http://monitoring.amazonaws.com/doc/2010-08-01/',
};

/** The request's parameters: the form body of a POST, or the query string of a GET. */
export function queryParams(ctx: RequestContext): URLSearchParams {
  return ctx.body.length > 0 ? new URLSearchParams(ctx.body.toString('utf8')) : ctx.query;
}

/** A required parameter; IAM words a missing one as a ValidationError on the member. */
export function requiredParam(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

/** `Name.member.N` (or `Name.member.N.Field`) entries, in order of N. */
export function memberList(params: URLSearchParams, name: string): Array<Record<string, string>> {
  const items = new Map<number, Record<string, string>>();
  const prefix = `${name}.member.`;
  for (const [key, value] of params) {
    if (!key.startsWith(prefix)) continue;
    const [index, ...field] = key.slice(prefix.length).split('.');
    const n = Number(index);
    if (!Number.isInteger(n) || n < 1) continue;
    const item = items.get(n) ?? {};
    item[field.join('.')] = value;
    items.set(n, item);
  }
  return [...items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

/**
 * A value an XML answer holds: text, a structure of named members, a list (each item a `<member>`), or a
 * map (each pair an `<entry><key>…</key><value>…</value></entry>`).
 */
export type XmlValue =
  string | number | boolean | Date | undefined | readonly XmlValue[] | ReadonlyMap<string, XmlValue> | { readonly [name: string]: XmlValue };

/** `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata><RequestId>…` as the Query protocol answers. */
export function queryReply(service: string, action: string, result: Record<string, XmlValue> | undefined, requestId: string) {
  const inner = result === undefined ? '' : element(`${action}Result`, result);
  const xml = `<${action}Response xmlns="${QUERY_NAMESPACES[service]}">${inner}${element('ResponseMetadata', { RequestId: requestId })}</${action}Response>`;
  return { status: 200, headers: { 'Content-Type': 'text/xml' }, body: Buffer.from(xml) };
}

/** SigV4 and front-door errors under the names the Query services give them. */
const QUERY_CODES: Readonly<Record<string, string>> = {
  InvalidSignatureException: 'SignatureDoesNotMatch',
  UnrecognizedClientException: 'InvalidClientTokenId',
  IncompleteSignatureException: 'IncompleteSignature',
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  AccessDeniedException: 'AccessDenied',
  ExpiredTokenException: 'ExpiredToken',
  UnknownOperationException: 'InvalidAction',
  ValidationException: 'ValidationError',
  ServiceException: 'ServiceFailure',
};

/** The code the Query protocol gives an error: its own name for the SigV4 and front-door ones. */
export function queryCode(error: AwsError): string {
  return QUERY_CODES[error.code] ?? error.code;
}

/** An error as the Query protocol sends it: `<ErrorResponse><Error><Type>Sender</Type><Code>…`. */
export function queryError(service: string, error: AwsError, requestId: string, code = queryCode(error)): Buffer {
  const body = {
    Type: error.fault === 'User' ? 'Sender' : 'Receiver',
    Code: code,
    Message: error.message,
  };
  return Buffer.from(`<ErrorResponse xmlns="${QUERY_NAMESPACES[service]}">${element('Error', body)}${element('RequestId', requestId)}</ErrorResponse>`);
}

function element(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  return `<${name}>${content(value)}</${name}>`;
}

function content(value: XmlValue): string {
  if (value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item: XmlValue) => element('member', item)).join('');
  if (value instanceof Map) return [...(value as ReadonlyMap<string, XmlValue>)].map(([key, item]) => element('entry', { key, value: item })).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, XmlValue>)
      .map(([name, member]) => element(name, member))
      .join('');
  }
  return escapeXml(String(value));
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
