import { Readable } from 'node:stream';
import type { ResponseStream } from '../runtime/index.js';
import { responseHead, type UrlResponse } from './function-url-responses.js';

/** What `awslambda.HttpResponseStream.from` gives a stream: a JSON prelude, eight NUL bytes, then the body. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);
/** A prelude is a status and some headers: anything longer is not one. */
const MAX_PRELUDE_BYTES = 256 * 1024;

export interface StreamedUrlResponse {
  readonly head: Omit<UrlResponse, 'body'>;
  /** The body's bytes as the function writes them (what followed the prelude first). */
  readonly body: Readable;
}

/**
 * The HTTP response of a streamed answer, as Lambda's URLs make it: the prelude's status, headers and
 * cookies when the function wrote one (HttpResponseStream.from), else a 200 of the stream's content
 * type. Undefined when the stream ended in an error before any body, or its prelude is no response
 * (both answer 502).
 */
export async function streamedUrlResponse(stream: ResponseStream): Promise<StreamedUrlResponse | undefined> {
  const iterator = (stream.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  if (stream.contentType !== HTTP_INTEGRATION_CONTENT_TYPE) {
    const first = await iterator.next();
    if (first.done === true && (await stream.ended).errorType !== undefined) return undefined;
    const head = { status: 200, headers: { 'content-type': stream.contentType }, cookies: [] };
    return { head, body: rest(first.done === true ? undefined : first.value, iterator) };
  }
  let held = Buffer.alloc(0);
  for (;;) {
    const at = held.indexOf(DELIMITER);
    if (at !== -1) {
      const head = preludeHead(held.subarray(0, at));
      if (head === undefined) return undefined;
      return { head, body: rest(held.subarray(at + DELIMITER.length), iterator) };
    }
    if (held.length > MAX_PRELUDE_BYTES) return undefined;
    const next = await iterator.next();
    if (next.done === true) return undefined;
    held = Buffer.concat([held, next.value]);
  }
}

function preludeHead(bytes: Buffer): Omit<UrlResponse, 'body'> | undefined {
  let prelude: unknown;
  try {
    prelude = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof prelude !== 'object' || prelude === null || Array.isArray(prelude)) return undefined;
  // A prelude may leave the status out: it is then 200, as on Lambda.
  const value = prelude as Record<string, unknown>;
  return responseHead({ ...value, statusCode: value.statusCode ?? 200 });
}

/** The bytes already read, then the rest of the stream, pulled as the client takes them. */
function rest(first: Buffer | undefined, iterator: AsyncIterator<Buffer>): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    try {
      if (first !== undefined && first.length > 0) yield first;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      // A client that went away releases the function's stream (its runtime is then not held by back-pressure).
      await iterator.return?.();
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
