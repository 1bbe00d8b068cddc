import type { IncomingMessage } from 'node:http';
import { AwsError } from '../core/index.js';
import type { Doc } from './cloudwatch-input.js';
import { metricOperations, type MetricOperation, type MetricReads } from './cloudwatch-metrics.js';
import { headerOf, jsonBody, route, type Reply, type RequestContext, type Route } from './http.js';
import { queryCode, queryError, queryParams, queryReply, type XmlValue } from './query.js';

/**
 * CloudWatch's metrics API (SigV4 service `monitoring`) on `POST /`, in the two protocols the clients
 * here speak: AWS JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`; the SDK for
 * JavaScript v3 and boto3) and the Query protocol (`Action=<Operation>&Version=2010-08-01`, XML answers;
 * the AWS CLI v2 of Debian 12, whose model predates the JSON one). The service is awsQueryCompatible:
 * a JSON error names its shape in `__type` and its Query code in `x-amzn-query-error: Code;Sender`.
 * Smithy RPC v2 CBOR, which the model also lists, no client here sends.
 */
export const CLOUDWATCH_SERVICE = 'monitoring';
const TARGET_PREFIX = 'GraniteServiceVersion20100801.';
const JSON_TYPE = 'application/x-amz-json-1.0';
const VERSION = '2010-08-01';

/** The Query codes of CloudWatch's error shapes (its model's `awsQueryError` traits). */
const QUERY_CODES: Readonly<Record<string, string>> = {
  InvalidParameterValueException: 'InvalidParameterValue',
  MissingRequiredParameterException: 'MissingParameter',
  InvalidParameterCombinationException: 'InvalidParameterCombination',
  ServiceException: 'InternalServiceError',
};
/** Our codes CloudWatch's model names otherwise. */
const SHAPES: Readonly<Record<string, string>> = { ServiceException: 'InternalServiceFault' };

type Protocol = 'json' | 'query';

/** JSON when the request names its operation in X-Amz-Target; a form (or a query string) otherwise. */
function protocolOf(req: IncomingMessage): Protocol {
  return headerOf(req, 'x-amz-target') !== undefined ? 'json' : 'query';
}

function operationOf(ctx: RequestContext): string {
  if (protocolOf(ctx.req) === 'query') return queryParams(ctx).get('Action') ?? '';
  const target = headerOf(ctx.req, 'x-amz-target') ?? '';
  return target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
}

export function cloudWatchRoutes(s: MetricReads): Route[] {
  const operations = metricOperations(s);
  const handler = async (ctx: RequestContext): Promise<Reply> => {
    const protocol = protocolOf(ctx.req);
    const name = operationOf(ctx);
    const operation: MetricOperation | undefined = Object.hasOwn(operations, name) ? operations[name] : undefined;
    if (operation === undefined) {
      if (protocol === 'query') throw new AwsError('InvalidAction', `Could not find operation ${name} for version ${VERSION}`);
      throw new AwsError('UnknownOperationException', `selfless does not serve the CloudWatch operation ${name}.`);
    }
    if (protocol === 'json') {
      const output = await operation(jsonBody(ctx));
      return { status: 200, headers: { 'Content-Type': JSON_TYPE }, body: Buffer.from(JSON.stringify(output, jsonValue)) };
    }
    const output = await operation(fromQuery(queryParams(ctx)));
    return queryReply(CLOUDWATCH_SERVICE, name, output as Record<string, XmlValue>, ctx.requestId);
  };
  // AWS authorizes these reads as cloudwatch:<Operation> on every resource (they name no ARN).
  const options = { service: CLOUDWATCH_SERVICE, action: (ctx: RequestContext) => `cloudwatch:${operationOf(ctx)}` };
  return [route('POST', '/', 'CloudWatch', handler, options), route('GET', '/', 'CloudWatch', handler, options)];
}

/**
 * Any error of a CloudWatch request, the front door's own (a signature refused) included, in the
 * protocol the request spoke.
 */
export function cloudWatchErrorReply(req: IncomingMessage, error: AwsError, requestId: string): Reply {
  const code = QUERY_CODES[error.code] ?? queryCode(error);
  if (protocolOf(req) === 'query') {
    return { status: error.status, headers: { 'Content-Type': 'text/xml' }, body: queryError(CLOUDWATCH_SERVICE, error, requestId, code) };
  }
  const fault = error.fault === 'User' ? 'Sender' : 'Receiver';
  return {
    status: error.status,
    headers: { 'Content-Type': JSON_TYPE, 'x-amzn-query-error': `${code};${fault}` },
    body: Buffer.from(JSON.stringify({ __type: SHAPES[error.code] ?? error.code, message: error.message })),
  };
}

/** AWS JSON 1.0's forms: timestamps as epoch seconds, maps as objects. */
function jsonValue(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Date) return raw.getTime() / 1000;
  if (raw instanceof Map) return Object.fromEntries(raw);
  return value;
}

/** Most items a Query list may name (`Name.member.N`): far above any CloudWatch list's limit. */
const MAX_QUERY_INDEX = 10_000;

/** A list is gathered by index first (its items may come in any order), and made an array at the end. */
type Node = Doc | Map<number, unknown>;

/**
 * A Query request's parameters as the document AWS JSON would carry: `A.B` nests, `Name.member.N` is
 * item N of the list Name (kept in order of N). Values stay strings; the readers convert them.
 */
export function fromQuery(params: URLSearchParams): Doc {
  const root: Doc = Object.create(null) as Doc;
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const steps: Array<string | number> = [];
    const parts = key.split('.');
    for (let i = 0; i < parts.length; i += 1) {
      const n = parts[i] === 'member' && i + 1 < parts.length ? Number(parts[i + 1]) : Number.NaN;
      if (Number.isInteger(n) && n >= 1) {
        if (n > MAX_QUERY_INDEX) throw new AwsError('InvalidParameterValueException', `The parameter ${key} names an item past ${MAX_QUERY_INDEX}.`);
        steps.push(n);
        i += 1;
      } else steps.push(parts[i]!);
    }
    put(root, steps, value);
  }
  return arrays(root) as Doc;
}

function put(node: Node, steps: ReadonlyArray<string | number>, value: string): void {
  const [step, ...rest] = steps;
  const get = (): unknown => (node instanceof Map ? node.get(step as number) : node[step as string]);
  const set = (v: unknown) => (node instanceof Map ? node.set(step as number, v) : (node[step as string] = v));
  if (rest.length === 0) {
    set(value);
    return;
  }
  const list = typeof rest[0] === 'number';
  let child = get();
  const fits = list ? child instanceof Map : typeof child === 'object' && child !== null && !(child instanceof Map);
  if (!fits) set((child = list ? new Map<number, unknown>() : Object.create(null)));
  put(child as Node, rest, value);
}

function arrays(value: unknown): unknown {
  if (value instanceof Map) return [...(value as Map<number, unknown>)].sort((a, b) => a[0] - b[0]).map(([, item]) => arrays(item));
  if (typeof value === 'object' && value !== null) {
    const doc = value as Doc;
    for (const key of Object.keys(doc)) doc[key] = arrays(doc[key]);
  }
  return value;
}
