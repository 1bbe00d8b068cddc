import { ZipFile } from 'yazl';

export interface ZipEntry {
  readonly content: string | Buffer;
  readonly mode?: number;
}

/** Builds a zip from a map of file names to contents, in memory. */
export function makeZip(files: Record<string, string | Buffer | ZipEntry>): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, value] of Object.entries(files)) {
    const entry: ZipEntry = typeof value === 'string' || Buffer.isBuffer(value) ? { content: value } : value;
    zip.addBuffer(Buffer.from(entry.content), name, { mode: entry.mode ?? 0o100644, mtime: new Date(0) });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** A one-file Node function: `index.js` with the given CommonJS source. */
export const nodeZip = (source: string, name = 'index.js') => makeZip({ [name]: source });

export const decode = (payload: Uint8Array | undefined): string => Buffer.from(payload ?? new Uint8Array()).toString('utf8');
