import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type { ResponseStream, StreamEnd } from '../types.js';

/**
 * Lambda's streaming response mode on the Runtime API: the runtime POSTs `/response` with
 * `Lambda-Runtime-Function-Response-Mode: streaming`, chunked, and reports a failure after the first
 * bytes in the trailers `Lambda-Runtime-Function-Error-Type` and `Lambda-Runtime-Function-Error-Body`
 * (base64 of the error's JSON), as AWS's runtime interface clients do.
 */
export const RESPONSE_MODE_HEADER = 'lambda-runtime-function-response-mode';
export const STREAMING = 'streaming';
/** A streamed response's cap (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html). */
export const MAX_STREAMED_RESPONSE_BYTES = 200 * 1024 * 1024;

/** The failure a streamed response's trailers report, if any (read them once the request has ended). */
export function trailerFailure(req: IncomingMessage): { errorType: string; body: Buffer } | undefined {
  const errorType = req.trailers['lambda-runtime-function-error-type'];
  if (errorType === undefined || errorType === '') return undefined;
  const encoded = req.trailers['lambda-runtime-function-error-body'];
  const body = encoded === undefined || encoded === '' ? Buffer.from(JSON.stringify({ errorType, errorMessage: '' })) : Buffer.from(encoded, 'base64');
  return { errorType, body };
}

/** The consumer's side of a streamed response, and the producer's means to feed and end it. */
export interface OpenStream {
  readonly stream: ResponseStream;
  /** The writable side of `stream.body`. */
  readonly sink: PassThrough;
  /** Ends the body (the bytes sent stand) and says how. */
  end(end: StreamEnd): void;
}

export function openStream(contentType: string): OpenStream {
  const body = new PassThrough();
  let resolveEnd!: (end: StreamEnd) => void;
  const ended = new Promise<StreamEnd>((resolve) => (resolveEnd = resolve));
  return {
    stream: { contentType, body, ended },
    sink: body,
    end: (end) => {
      if (!body.destroyed) body.end();
      resolveEnd(end);
    },
  };
}

/**
 * Feeds the runtime's request body into `open`'s body with back-pressure (a slow reader pauses the
 * runtime's upload). Past `limit` bytes, `onOverLimit` is called once and the rest is drained unread; a
 * reader that went away (the body destroyed) has the rest drained too, so the runtime can finish.
 */
export function feed(req: IncomingMessage, open: OpenStream, limit: number, onOverLimit: () => void): void {
  const body = open.sink;
  let size = 0;
  let over = false;
  body.once('close', () => req.resume());
  req.on('data', (chunk: Buffer) => {
    if (over || body.destroyed || body.writableEnded) return;
    size += chunk.length;
    if (size > limit) {
      over = true;
      onOverLimit();
      return;
    }
    if (!body.write(chunk)) {
      req.pause();
      body.once('drain', () => req.resume());
    }
  });
}
