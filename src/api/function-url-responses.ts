/**
 * A function's answer as the HTTP response of its URL, as Lambda maps it
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-response-payload): an object
 * with `statusCode` is a response (its headers, cookies and body); anything else is a 200 whose JSON
 * body is the answer itself.
 */

export interface UrlResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

/** Headers the server's own transport sets: a function's copies would contradict the body sent. */
const TRANSPORT_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/** The response for a buffered answer; undefined when the answer cannot be one (Lambda answers those 502). */
export function urlResponse(payload: Buffer): UrlResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'statusCode' in value) {
    return structured(value as Record<string, unknown>);
  }
  const body = typeof value === 'string' ? value : JSON.stringify(value);
  return { status: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) };
}

/** The status, headers and cookies of a prelude or a structured answer; undefined when they do not make a response. */
export function responseHead(value: Record<string, unknown>): Omit<UrlResponse, 'body'> | undefined {
  const status = value.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const headers: Record<string, string> = {};
  if (typeof value.headers === 'object' && value.headers !== null) {
    for (const [name, header] of Object.entries(value.headers)) {
      if (header === undefined || header === null) continue;
      const key = name.toLowerCase();
      if (TRANSPORT_HEADERS.has(key)) continue;
      headers[key] = typeof header === 'string' ? header : String(header as string | number | boolean);
    }
  }
  const cookies = Array.isArray(value.cookies) ? value.cookies.filter((c): c is string => typeof c === 'string') : [];
  return { status, headers, cookies };
}

function structured(value: Record<string, unknown>): UrlResponse | undefined {
  const head = responseHead(value);
  if (head === undefined) return undefined;
  const raw = value.body;
  const text = raw === undefined || raw === null ? '' : typeof raw === 'string' ? raw : JSON.stringify(raw);
  const body = value.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text);
  const headers = { ...head.headers };
  headers['content-type'] ??= 'application/json';
  return { ...head, headers, body };
}
