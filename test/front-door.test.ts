import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Platform } from '../src/platform.js';
import { waitFor } from './support/async.js';
import { clientFor, startPlatform, type TestPlatform } from './support/platform.js';
import { Sha256 } from './support/sha256.js';

const CREATE = '/2015-03-31/functions';
const MiB = 1024 * 1024;

/** A raw connection to the API port: writes what the test says, collects what comes back. */
class RawConnection {
  readonly socket: Socket;
  #received = '';
  closed = false;

  constructor(platform: Platform, localAddress = '127.0.0.1') {
    const { port } = new URL(platform.url);
    this.socket = connect({ host: '127.0.0.1', port: Number(port), localAddress });
    this.socket.on('data', (chunk: Buffer) => (this.#received += chunk.toString('latin1')));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }

  async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  get received(): string {
    return this.#received;
  }

  /** The status line and body of the first response, once it has fully arrived. */
  async response(): Promise<{ status: number; headers: string; body: Record<string, unknown> }> {
    return waitFor(
      'a response',
      async () => {
        const end = this.#received.indexOf('\r\n\r\n');
        if (end < 0) return undefined;
        const headers = this.#received.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
        const body = this.#received.slice(end + 4);
        if (body.length < length) return undefined;
        return { status: Number(headers.split(' ')[1]), headers, body: JSON.parse(body.slice(0, length) || '{}') as Record<string, unknown> };
      },
      { timeoutMs: 30_000, everyMs: 20 },
    );
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * The head of a CreateFunction request for `body`, signed with the platform's key (or a key it does not
 * know); with `declareHash`, the body's hash is sent in `x-amz-content-sha256`, as the AWS SDK for JavaScript does.
 */
async function signedHead(platform: Platform, body: Buffer, options: { declareHash?: boolean; accessKeyId?: string; tamper?: boolean } = {}): Promise<string> {
  const url = new URL(platform.url);
  const headers: Record<string, string> = { host: url.host, 'content-type': 'application/json', 'content-length': String(body.length) };
  if (options.declareHash === true) headers['x-amz-content-sha256'] = createHash('sha256').update(body).digest('hex');
  const credentials = { ...platform.rootKey, ...(options.accessKeyId === undefined ? {} : { accessKeyId: options.accessKeyId }) };
  // As botocore (the AWS CLI, boto3) signs: the body's hash is signed but not sent as a header.
  const signer = new SignatureV4({ service: 'lambda', region: platform.config.region, credentials, sha256: Sha256, applyChecksum: false });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: CREATE,
    query: {},
    headers,
    body,
  });
  let lines = Object.entries(signed.headers).map(([name, value]) => `${name}: ${value}`);
  if (options.tamper === true) lines = lines.map((line) => line.replace(/Signature=([0-9a-f])/, (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`));
  return `POST ${CREATE} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A JSON body of `size` bytes (a CreateFunction that would fail validation, were it ever read). */
function bodyOf(size: number): Buffer {
  const prefix = '{"Description":"';
  return Buffer.from(prefix + 'x'.repeat(size - prefix.length - 2) + '"}');
}

describe('the front door authenticates before it reads a body', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform({}, { SELFLESS_BODY_TIMEOUT_MS: '1500' });
  });
  after(async () => {
    await t?.stop();
  });

  it('refuses a request without a signature from its head, with 50 MB of its body never sent', async () => {
    const c = new RawConnection(t.platform);
    await c.open();
    c.socket.write(`POST ${CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${50 * MiB}\r\n\r\n{"FunctionName":`);
    const res = await c.response();
    assert.equal(res.status, 403);
    assert.match(res.headers, /x-amzn-ErrorType: MissingAuthenticationTokenException/i);
    assert.match(res.headers, /connection: close/i);
    await waitFor('the connection to close', async () => (c.closed ? true : undefined), { timeoutMs: 10_000 });
  });

  it('refuses a key it does not know, and a signature that does not match a declared payload hash, the same way', async () => {
    const body = bodyOf(4 * MiB);
    for (const [options, code] of [
      [{ accessKeyId: 'AKIANOTAREALKEY00000' }, 'UnrecognizedClientException'],
      [{ declareHash: true, tamper: true }, 'InvalidSignatureException'],
    ] as const) {
      const c = new RawConnection(t.platform);
      await c.open();
      c.socket.write(await signedHead(t.platform, body, options));
      c.socket.write(body.subarray(0, 1024));
      const res = await c.response();
      assert.equal(res.status, 403, code);
      assert.match(res.headers, new RegExp(`x-amzn-ErrorType: ${code}`, 'i'));
      c.destroy();
    }
  });

  it('answers a body that trickles in slower than the body timeout with 408 RequestTimeoutException', async () => {
    const body = bodyOf(64 * 1024);
    const c = new RawConnection(t.platform);
    await c.open();
    c.socket.write(await signedHead(t.platform, body));
    c.socket.write(body.subarray(0, 100));
    const res = await c.response();
    assert.equal(res.status, 408);
    assert.match(res.headers, /x-amzn-ErrorType: RequestTimeoutException/i);
    assert.match(String(res.body.message), /did not arrive within 1.5 seconds/);
    await waitFor('the connection to close', async () => (c.closed ? true : undefined), { timeoutMs: 10_000 });
  });
});

describe('the front door bounds the bodies it cannot check yet', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform({}, { SELFLESS_MAX_UNVERIFIED_BODY_MB: '1' });
  });
  after(async () => {
    await t?.stop();
  });

  it('holds at most the unverified-body budget of bodies it cannot check yet; a signed-hash body does not count', async () => {
    const body = bodyOf(700 * 1024);
    const first = new RawConnection(t.platform);
    await first.open();
    first.socket.write(await signedHead(t.platform, body));
    first.socket.write(body.subarray(0, 1024));
    // The first holds 700 KB of the 1 MB budget while its body arrives; a second does not fit.
    await waitFor(
      'the first body to be reserved',
      async () => {
        const second = new RawConnection(t.platform);
        await second.open();
        second.socket.write(await signedHead(t.platform, body));
        const res = await second.response();
        second.destroy();
        return res.status === 429 ? res : undefined;
      },
      { timeoutMs: 10_000 },
    );
    // A client that declared its payload hash was checked from its head: its body is no stranger's.
    const declared = new RawConnection(t.platform);
    await declared.open();
    declared.socket.write(await signedHead(t.platform, body, { declareHash: true }));
    declared.socket.write(body);
    const accepted = await declared.response();
    assert.equal(accepted.status, 400, JSON.stringify(accepted.body));
    assert.match(accepted.headers, /x-amzn-ErrorType: (InvalidParameterValueException|ValidationException)/i);
    declared.destroy();
    // The first finishes its body: it is read, checked and answered, and its reservation is given back.
    first.socket.write(body.subarray(1024));
    assert.equal((await first.response()).status, 400);
    first.destroy();
    const again = new RawConnection(t.platform);
    await again.open();
    again.socket.write(await signedHead(t.platform, body));
    again.socket.write(body);
    assert.equal((await again.response()).status, 400);
    again.destroy();
    assert.deepEqual(
      t.logs.filter((line) => line.includes('request failed')),
      [],
    );
  });
});

describe('the front door caps connections', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform({}, { SELFLESS_MAX_CONNECTIONS: '5', SELFLESS_MAX_CONNECTIONS_PER_IP: '3' });
  });
  after(async () => {
    await t?.stop();
  });

  const closedAtOnce = async (c: RawConnection) => {
    await waitFor('the connection over the cap to be closed', async () => (c.closed ? true : undefined), { timeoutMs: 10_000 });
    assert.equal(c.received, '', 'it was closed without an answer');
  };

  it('closes a connection over the per-address cap, and one over the total, before reading it', async () => {
    t.client.destroy(); // its pooled sockets would count too; a fresh client calls at the end
    const held: RawConnection[] = [];
    for (let i = 0; i < 3; i += 1) {
      const c = new RawConnection(t.platform, '127.0.0.1');
      await c.open();
      held.push(c);
    }
    const fourth = new RawConnection(t.platform, '127.0.0.1');
    fourth.socket.write('GET /2015-03-31/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await closedAtOnce(fourth);
    for (let i = 0; i < 2; i += 1) {
      const c = new RawConnection(t.platform, '127.0.0.2');
      await c.open();
      held.push(c);
    }
    const sixth = new RawConnection(t.platform, '127.0.0.3');
    sixth.socket.write('GET /2015-03-31/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await closedAtOnce(sixth);
    // Held connections are still served.
    held[0]!.socket.write('GET /2015-03-31/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal((await held[0]!.response()).status, 403);
    for (const c of held) c.destroy();
    // Once they are gone, callers get in again.
    await waitFor(
      'a call to get in',
      async () => {
        try {
          const client = clientFor(t.platform);
          try {
            return await client.send(new ListFunctionsCommand({}));
          } finally {
            client.destroy();
          }
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 10_000 },
    );
  });
});
