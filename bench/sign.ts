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
export async function signedPost(url: URL, body: string, key: SigningKey): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: 'lambda',
    region: key.region,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  return signed.headers;
}
