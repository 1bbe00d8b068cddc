import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export const CREDENTIALS_FILE = 'credentials.json';

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomKeyId(): string {
  const bytes = randomBytes(16);
  let id = 'AKSL';
  for (const byte of bytes) id += KEY_ALPHABET[byte % KEY_ALPHABET.length];
  return id;
}

/**
 * The root access key: from configuration when given, else the one kept in the data dir, else a new
 * one written there (mode 0600) on first start. `created` tells the caller to show it once.
 */
export async function loadRootKey(dataDir: string, configured: Partial<AccessKey>): Promise<{ key: AccessKey; created: boolean }> {
  if (configured.accessKeyId !== undefined && configured.secretAccessKey !== undefined) {
    return { key: { accessKeyId: configured.accessKeyId, secretAccessKey: configured.secretAccessKey }, created: false };
  }
  const file = join(dataDir, CREDENTIALS_FILE);
  const existing = await readKeyFile(file);
  if (existing !== undefined) return { key: existing, created: false };
  const key: AccessKey = { accessKeyId: randomKeyId(), secretAccessKey: randomBytes(30).toString('base64') };
  // `wx` fails if another process wrote the file meanwhile; then theirs is the key.
  try {
    await writeFile(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const other = await readKeyFile(file);
    if (other !== undefined) return { key: other, created: false };
    throw error;
  }
  await chmod(file, 0o600);
  return { key, created: true };
}

/** Reads a credentials file written by `loadRootKey`; undefined when absent. */
export async function readKeyFile(file: string): Promise<AccessKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<AccessKey>;
  if (typeof parsed.accessKeyId !== 'string' || typeof parsed.secretAccessKey !== 'string') {
    throw new Error(`${file} does not hold an accessKeyId and a secretAccessKey`);
  }
  return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
}
