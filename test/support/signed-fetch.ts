import { Sha256 } from './sha256.js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Platform } from '../../src/platform.js';

/** Sends a raw request signed with the platform's root key, for bodies and headers the SDK would never send. */
export async function signedFetch(
  platform: Platform,
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string>; query?: Record<string, string> } = {},
): Promise<Response> {
  const url = new URL(path, platform.url);
  const signer = new SignatureV4({ service: 'lambda', region: platform.config.region, credentials: platform.rootKey, sha256: Sha256 });
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: options.query ?? {},
    headers: { host: url.host, ...(options.headers ?? {}) },
    ...(body === undefined ? {} : { body }),
  });
  const search = new URLSearchParams(options.query ?? {}).toString();
  return fetch(`${platform.url}${url.pathname}${search ? `?${search}` : ''}`, {
    method,
    headers: signed.headers,
    ...(body === undefined ? {} : { body }),
  });
}
