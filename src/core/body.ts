import type { Readable } from 'node:stream';

/** The body did not arrive within its time; what was read of it is dropped and the stream paused. */
export class BodyTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the request body did not arrive within ${timeoutMs} ms`);
  }
}

/**
 * Reads a request body of at most `limit` bytes. A larger body is drained and dropped (undefined), so
 * the sender still reads our refusal instead of a reset connection, and memory stays bounded. With
 * `timeoutMs`, a body still incomplete after that long rejects with BodyTimeoutError (a sender
 * trickling bytes cannot hold a buffer and a connection for ever).
 */
export function readLimitedBody(body: Readable, limit: number, declaredLength = 0, timeoutMs = 0): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = declaredLength > limit;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            body.removeListener('data', onData);
            body.pause();
            chunks.length = 0;
            reject(new BodyTimeoutError(timeoutMs));
          }, timeoutMs)
        : undefined;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    };
    body.on('data', onData);
    body.once('end', () => {
      clearTimeout(timer);
      resolve(over ? undefined : Buffer.concat(chunks, size));
    });
    body.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
