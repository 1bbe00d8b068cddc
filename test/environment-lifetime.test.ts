import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ManualScheduler } from '../src/core/index.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, nodeZip } from './support/zip.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

interface Seen {
  /** Made once per environment (a sandbox's pid namespace gives every runtime the same pid). */
  readonly pid: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

describe('an environment is retired before its role credentials expire, and the next one has fresh ones', () => {
  let t: TestPlatform;
  const time = new ManualScheduler();
  // Clients sign with the real clock; the platform's has moved on: tell them by how much.
  const offset = () => Math.round((time.now() - Date.now()) / 1000);
  const invoke = async (): Promise<Seen> => {
    const client = new LambdaClient({ endpoint: t.platform.url, region: t.platform.config.region, credentials: t.platform.rootKey, maxAttempts: 1 });
    client.config.systemClockOffset = offset() * 1000;
    try {
      const answer = await client.send(new InvokeCommand({ FunctionName: 'aged' }));
      assert.equal(answer.FunctionError, undefined, decode(answer.Payload));
      return JSON.parse(decode(answer.Payload)) as Seen;
    } finally {
      client.destroy();
    }
  };
  const callerOf = async (seen: Seen) => {
    const sts = new STSClient({ endpoint: t.platform.url, region: t.platform.config.region, credentials: seen, maxAttempts: 1 });
    sts.config.systemClockOffset = offset() * 1000;
    try {
      return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    } finally {
      sts.destroy();
    }
  };

  before(async () => {
    // Idle environments would be reaped long before: only the lifetime retires this one.
    t = await startPlatform({ idleTimeoutMs: 48 * HOUR }, {}, { clock: time });
    const zip = await nodeZip(
      'const id = require("node:crypto").randomUUID();\nexports.handler = async () => ({ pid: id, accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY, sessionToken: process.env.AWS_SESSION_TOKEN });',
    );
    await t.client.send(
      new CreateFunctionCommand({ FunctionName: 'aged', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip } }),
    );
  });
  after(() => t.stop());

  it('keeps it warm for 11 hours, then starts another with a new session that outlives the first', async () => {
    const first = await invoke();
    time.advance(11 * HOUR - MINUTE);
    const warm = await invoke();
    assert.equal(warm.pid, first.pid, 'still the same environment');
    assert.equal(warm.sessionToken, first.sessionToken);

    time.advance(2 * MINUTE);
    const fresh = await invoke();
    assert.notEqual(fresh.pid, first.pid, 'retired at 11 hours');
    assert.notEqual(fresh.sessionToken, first.sessionToken);

    // Past the first session's 12 hours: it is refused, the new one is good.
    time.advance(HOUR);
    await assert.rejects(callerOf(first), { name: 'ExpiredToken' }); // STS's code for it, as on AWS
    assert.equal(await callerOf(fresh), `arn:aws:sts::${t.platform.config.accountId}:assumed-role/test/aged`);
  });
});
