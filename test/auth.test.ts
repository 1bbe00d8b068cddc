import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { clientFor, startPlatform, type TestPlatform } from './support/platform.js';

describe('every API request must carry a valid SigV4 signature', () => {
  let t: TestPlatform;

  before(async () => {
    t = await startPlatform();
  });
  after(() => t.stop());

  it('generates the root key on first start and keeps it in the data dir with mode 0600', async () => {
    assert.equal(t.platform.rootKeyCreated, true);
    const info = await stat(join(t.dataDir, 'credentials.json'));
    assert.equal(info.mode & 0o777, 0o600);
  });

  it('accepts the root key', async () => {
    const out = await t.client.send(new ListFunctionsCommand({}));
    assert.deepEqual(out.Functions, []);
  });

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const client = clientFor(t.platform, { accessKeyId: 'AKIDUNKNOWNUNKNOWN00' });
    await assert.rejects(client.send(new ListFunctionsCommand({})), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(error.name, 'UnrecognizedClientException');
      assert.equal(error.message, 'The security token included in the request is invalid.');
      assert.equal(error.$metadata?.httpStatusCode, 403);
      return true;
    });
  });

  it('refuses a wrong secret with InvalidSignatureException', async () => {
    const client = clientFor(t.platform, { secretAccessKey: 'wrong-secret-wrong-secret-wrong-secret' });
    await assert.rejects(client.send(new ListFunctionsCommand({})), {
      name: 'InvalidSignatureException',
      message: /^The request signature we calculated does not match the signature you provided/,
    });
  });

  it('refuses a request without authentication', async () => {
    const res = await fetch(`${t.platform.url}/2015-03-31/functions`);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.ok(res.headers.get('x-amzn-requestid'));
  });

  it('refuses a request signed too long ago', async () => {
    const skewed = new LambdaClient({
      endpoint: t.platform.url,
      region: 'us-east-1',
      credentials: t.platform.rootKey,
      maxAttempts: 1,
      systemClockOffset: -10 * 60 * 1000,
    });
    await assert.rejects(skewed.send(new ListFunctionsCommand({})), {
      name: 'InvalidSignatureException',
      message: /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    });
  });
});

describe('configured credentials', () => {
  it('uses SELFLESS_ACCESS_KEY_ID / SELFLESS_SECRET_ACCESS_KEY instead of generating a key', async () => {
    const t = await startPlatform({}, { SELFLESS_ACCESS_KEY_ID: 'AKIDCONFIGUREDKEY001', SELFLESS_SECRET_ACCESS_KEY: 'configured-secret-configured-secret' });
    try {
      assert.equal(t.platform.rootKeyCreated, false);
      assert.equal(t.platform.rootKey.accessKeyId, 'AKIDCONFIGUREDKEY001');
      assert.deepEqual((await t.client.send(new ListFunctionsCommand({}))).Functions, []);
    } finally {
      await t.stop();
    }
  });
});
