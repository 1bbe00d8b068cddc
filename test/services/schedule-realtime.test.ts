import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { readLogs, waitFor } from '../support/async.js';
import { ROLE, startPlatform, type TestPlatform } from '../support/platform.js';
import { nodeZip } from '../support/zip.js';

// On the system clock: the one test that proves a rule fires in real time (it takes about a minute).
describe('a rate(1 minute) rule on the real clock', () => {
  let t: TestPlatform;
  let events: EventBridgeClient;
  before(async () => {
    t = await startPlatform();
    events = new EventBridgeClient({ endpoint: t.platform.url, region: 'us-east-1', credentials: t.platform.rootKey, maxAttempts: 1 });
    const code = await nodeZip("exports.handler = async (event) => { console.log('FIRED ' + event.time); };");
    await t.client.send(
      new CreateFunctionCommand({ FunctionName: 'minutely', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: code } }),
    );
    await t.client.send(
      new AddPermissionCommand({ FunctionName: 'minutely', StatementId: 'events', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' }),
    );
  });
  after(async () => {
    events.destroy();
    await t.stop();
  });

  it('fires within its minute', async () => {
    const created = Date.now();
    await events.send(new PutRuleCommand({ Name: 'minutely', ScheduleExpression: 'rate(1 minute)' }));
    await events.send(new PutTargetsCommand({ Rule: 'minutely', Targets: [{ Id: 'f', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:minutely' }] }));
    const line = await waitFor('the first run', async () => (await readLogs(t.platform, 'minutely')).find((e) => e.message.includes('FIRED ')), {
      timeoutMs: 150_000,
      everyMs: 500,
    });
    const fired = Date.parse(line.message.slice(line.message.indexOf('FIRED ') + 6));
    // The run is due one period after the rule was created: its event says so, to the second.
    assert.ok(Math.abs(fired - (created + 60_000)) <= 2000, `fired at ${new Date(fired).toISOString()}, rule created at ${new Date(created).toISOString()}`);
    assert.ok(line.timeMs - created < 120_000, 'delivered within the minute after it was due');
    await events.send(new RemoveTargetsCommand({ Rule: 'minutely', Ids: ['f'] }));
    await events.send(new DeleteRuleCommand({ Name: 'minutely' }));
  });
});
