import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../test/support/sha256.js';

export interface SigningKey {
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Headers for one fixed POST, signed once and replayed: the load generator cannot sign per request
 * without becoming the bottleneck, and the server accepts a signature for minutes, so every autocannon
 * run signs afresh instead.
 */
export function signedPost(url: URL, body: string, key: SigningKey, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return sign('POST', url, key, { 'content-type': 'application/json', ...extra }, body);
}

/** Headers for a GET of selfless's own API (same SigV4 as the Lambda API), e.g. `/selfless/v1/environments`. */
export function signedGet(url: URL, key: SigningKey): Promise<Record<string, string>> {
  return sign('GET', url, key, {});
}

async function sign(method: string, url: URL, key: SigningKey, headers: Record<string, string>, body?: string): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: 'lambda',
    region: key.region,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return signed.headers;
}
