import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifySigV4, type IncomingSignedRequest } from '../src/auth/index.js';

// Compiled to dist/test/, so the repository root is two levels up.
const SUITE = fileURLToPath(new URL('../../test/fixtures/aws-sigv4-test-suite/', import.meta.url));
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SIGNED_AT = new Date('2015-08-30T12:36:00Z');
const lookup = (accessKeyId: string) => (accessKeyId === 'AKIDEXAMPLE' ? SECRET : undefined);
/**
 * Cases no request can bring to the verifier: Node's HTTP parser refuses a header folded over several
 * lines (obs-fold, obsolete since RFC 7230) with 400 before anything reads it.
 */
const UNRECEIVABLE = new Set(['get-header-value-multiline']);

/** A `.sreq` file read as an HTTP server hands a request over: method, raw target, headers by name (repeats kept), body. */
function parseSignedRequest(text: string): IncomingSignedRequest {
  const blank = text.indexOf('\n\n');
  const lines = (blank < 0 ? text : text.slice(0, blank)).split('\n');
  const requestLine = lines.shift()!;
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    (headers[line.slice(0, colon).toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
  }
  return {
    method: requestLine.slice(0, requestLine.indexOf(' ')),
    rawUrl: requestLine.slice(requestLine.indexOf(' ') + 1, requestLine.lastIndexOf(' ')),
    headers,
    body: Buffer.from(blank < 0 ? '' : text.slice(blank + 2)),
  };
}

const cases = readdirSync(SUITE)
  .filter((file) => file.endsWith('.sreq'))
  .map((file) => ({ name: file.slice(0, -'.sreq'.length), request: parseSignedRequest(readFileSync(join(SUITE, file), 'utf8')) }))
  .filter(({ name }) => !UNRECEIVABLE.has(name));

describe("AWS's SigV4 test suite: every signed request verifies, and only as signed, only in time", () => {
  const verify = (request: IncomingSignedRequest, now = SIGNED_AT) => verifySigV4(request, lookup, { now, service: 'service' });

  it('has the whole suite to check (30 receivable cases)', () => {
    assert.equal(cases.length, 30);
  });

  for (const { name, request } of cases) {
    it(name, async () => {
      assert.deepEqual(await verify(request), { accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1', ...sessionOf(request) });

      // One changed character of the signature, or of the signed date, and it no longer verifies.
      const authorization = String(request.headers.authorization);
      const flipped = authorization.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
      await assert.rejects(verify({ ...request, headers: { ...request.headers, authorization: flipped } }), { name: 'InvalidSignatureException' });
      await assert.rejects(verify({ ...request, headers: { ...request.headers, 'x-amz-date': '20150830T123601Z' } }), { name: 'InvalidSignatureException' });
      if (request.body.length > 0) {
        await assert.rejects(verify({ ...request, body: Buffer.concat([request.body, Buffer.from('x')]) }), { name: 'InvalidSignatureException' });
      }

      // Five minutes either way is Lambda's allowed skew, in AWS's words beyond it.
      assert.ok(await verify(request, new Date(SIGNED_AT.getTime() + 5 * 60_000)));
      await assert.rejects(verify(request, new Date(SIGNED_AT.getTime() + 5 * 60_000 + 1000)), {
        name: 'InvalidSignatureException',
        message: 'Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)',
      });
      await assert.rejects(verify(request, new Date(SIGNED_AT.getTime() - 5 * 60_000 - 1000)), {
        name: 'InvalidSignatureException',
        message: /^Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z \(20150830T123059Z \+ 5 min\.\)$/,
      });
    });
  }
});

function sessionOf(request: IncomingSignedRequest): { sessionToken?: string } {
  const token = request.headers['x-amz-security-token'];
  return token === undefined ? {} : { sessionToken: String(token) };
}
