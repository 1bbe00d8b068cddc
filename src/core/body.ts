import type { Readable } from 'node:stream';

/**
 * Reads a request body of at most `limit` bytes. A larger body is drained and dropped (undefined), so
 * the sender still reads our refusal instead of a reset connection, and memory stays bounded.
 */
export function readLimitedBody(body: Readable, limit: number, declaredLength = 0): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = declaredLength > limit;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    body.once('end', () => resolve(over ? undefined : Buffer.concat(chunks, size)));
    body.once('error', reject);
  });
}
