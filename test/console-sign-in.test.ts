import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualScheduler } from '../src/core/index.js';
import { startPlatform, type TestPlatform } from './support/platform.js';

describe('console sign-in attempts are limited per address', () => {
  let t: TestPlatform;
  const clock = new ManualScheduler(Date.now());
  before(async () => {
    t = await startPlatform({}, {}, { clock });
  });
  after(() => t.stop());

  const signIn = (secretAccessKey: string) =>
    fetch(`${t.platform.url}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessKeyId: t.platform.rootKey.accessKeyId, secretAccessKey }),
    });

  it('refuses the eleventh sign-in within 15 minutes after ten failures, even with the right key, until the window ends', async () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const failed = await signIn(`wrong-${attempt}`);
      assert.equal(failed.status, 403, `attempt ${attempt}`);
      assert.equal(((await failed.json()) as { __type: string }).__type, 'UnrecognizedClientException');
    }
    const limited = await signIn(t.platform.rootKey.secretAccessKey);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '900');
    assert.deepEqual(await limited.json(), {
      __type: 'TooManyRequestsException',
      message: 'Too many failed sign-ins from this address: try again in 15 minute(s).',
    });
    clock.advance(10 * 60_000);
    assert.equal((await signIn(t.platform.rootKey.secretAccessKey)).status, 429, 'still inside the window');
    clock.advance(5 * 60_000);
    const signedIn = await signIn(t.platform.rootKey.secretAccessKey);
    assert.equal(signedIn.status, 200, 'the window is over');
    assert.equal(((await signedIn.json()) as { signedIn: boolean }).signedIn, true);
  });

  it('starts counting again after a successful sign-in', async () => {
    for (let attempt = 1; attempt <= 9; attempt++) assert.equal((await signIn('wrong')).status, 403);
    assert.equal((await signIn(t.platform.rootKey.secretAccessKey)).status, 200);
    for (let attempt = 1; attempt <= 10; attempt++) assert.equal((await signIn('wrong')).status, 403, `attempt ${attempt} after the success`);
    assert.equal((await signIn(t.platform.rootKey.secretAccessKey)).status, 429);
  });
});
