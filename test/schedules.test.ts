import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AddPermissionCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { ManualScheduler } from '../src/core/index.js';
import { readLogs, waitFor } from './support/async.js';
import { awsCli } from './support/aws-cli.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { signedFetch } from './support/signed-fetch.js';
import { nodeZip } from './support/zip.js';

const ACCOUNT = '000000000000';
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
/** Logs each event it gets on one line. */
const RECORDER = "exports.handler = async (event) => { console.log('EVENT ' + JSON.stringify(event)); return 'ok'; };";

/** The events a recorder function has logged, oldest first. */
async function recorded(t: TestPlatform, name: string): Promise<any[]> {
  return (await readLogs(t.platform, name)).flatMap((e) => {
    const at = e.message.indexOf('\tEVENT ');
    return at < 0 ? [] : [JSON.parse(e.message.slice(at + '\tEVENT '.length))];
  });
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('schedules: EventBridge rules and Scheduler', () => {
  let t: TestPlatform;
  let events: EventBridgeClient;
  let scheduler: SchedulerClient;
  let schedulerRole: string;
  let untrustingRole: string;
  // The server checks signatures against this clock (within 5 minutes of the signer's): it starts 3
  // minutes behind, so the 5 minutes the tests move it on keep it within reach of real time.
  const time = new ManualScheduler(Date.now() - 3 * 60_000);

  const deploy = async (name: string) => {
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip(RECORDER) },
      }),
    );
  };
  const allowEvents = (name: string, rule: string) =>
    t.client.send(
      new AddPermissionCommand({
        FunctionName: name,
        StatementId: `events-${rule}`,
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/${rule}`,
      }),
    );
  /** Moves the platform's clock on, in steps a function run fits between. */
  const advance = async (ms: number) => {
    time.advance(ms);
    await new Promise((resolve) => setTimeout(resolve, 50));
  };

  before(async () => {
    t = await startPlatform({}, {}, { clock: time });
    const endpoint = { endpoint: t.platform.url, region: 'us-east-1', credentials: t.platform.rootKey, maxAttempts: 1 };
    events = new EventBridgeClient(endpoint);
    scheduler = new SchedulerClient(endpoint);
    const iam = new IAMClient(endpoint);
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    schedulerRole = (await iam.send(new CreateRoleCommand({ RoleName: 'scheduler', AssumeRolePolicyDocument: trust }))).Role!.Arn!;
    const invoke = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn('job') }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'scheduler', PolicyName: 'invoke-job', PolicyDocument: invoke }));
    // Allowed to invoke, but trusting Lambda only: Scheduler cannot act as it.
    const lambdaTrust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    untrustingRole = (await iam.send(new CreateRoleCommand({ RoleName: 'not-for-scheduler', AssumeRolePolicyDocument: lambdaTrust }))).Role!.Arn!;
    const invokeAny = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'not-for-scheduler', PolicyName: 'invoke-any', PolicyDocument: invokeAny }));
    iam.destroy();
    for (const name of ['ticker', 'shaped', 'unpermitted', 'job']) await deploy(name);
  });
  after(async () => {
    events.destroy();
    scheduler.destroy();
    await t.stop();
  });

  it('manages a scheduled rule and its targets as EventBridge does', async () => {
    const { RuleArn } = await events.send(new PutRuleCommand({ Name: 'nightly', ScheduleExpression: 'cron(0 3 * * ? *)', Description: 'backups' }));
    assert.equal(RuleArn, `arn:aws:events:us-east-1:${ACCOUNT}:rule/nightly`);
    const described = await events.send(new DescribeRuleCommand({ Name: 'nightly' }));
    assert.equal(described.ScheduleExpression, 'cron(0 3 * * ? *)');
    assert.equal(described.State, 'ENABLED');
    assert.equal(described.Description, 'backups');
    assert.equal(described.EventBusName, 'default');

    const put = await events.send(new PutTargetsCommand({ Rule: 'nightly', Targets: [{ Id: 'one', Arn: fnArn('ticker'), Input: '{"job":"backup"}' }] }));
    assert.equal(put.FailedEntryCount, 0);
    const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: 'nightly' }));
    assert.deepEqual(Targets, [{ Id: 'one', Arn: fnArn('ticker'), Input: '{"job":"backup"}' }]);
    await events.send(new DisableRuleCommand({ Name: 'nightly' }));
    assert.equal((await events.send(new DescribeRuleCommand({ Name: 'nightly' }))).State, 'DISABLED');
    assert.deepEqual(
      (await events.send(new ListRulesCommand({ NamePrefix: 'night' }))).Rules?.map((r) => r.Name),
      ['nightly'],
    );

    const refused = await errorOf(events.send(new DeleteRuleCommand({ Name: 'nightly' })));
    assert.equal(refused.name, 'ValidationException');
    assert.equal(refused.message, "Rule can't be deleted since it has targets.");
    const removed = await events.send(new RemoveTargetsCommand({ Rule: 'nightly', Ids: ['one', 'ghost'] }));
    assert.equal(removed.FailedEntryCount, 1);
    assert.equal(removed.FailedEntries?.[0]?.TargetId, 'ghost');
    await events.send(new DeleteRuleCommand({ Name: 'nightly' }));
    const gone = await errorOf(events.send(new DescribeRuleCommand({ Name: 'nightly' })));
    assert.equal(gone.name, 'ResourceNotFoundException');
    assert.equal(gone.message, 'Rule nightly does not exist on EventBus default.');
    assert.equal(gone.$metadata?.httpStatusCode, 400);
  });

  it('refuses what it cannot run, with the error a user sees', async () => {
    const bad = await errorOf(events.send(new PutRuleCommand({ Name: 'bad', ScheduleExpression: 'cron(0 3 * * * *)' })));
    assert.equal(bad.name, 'ValidationException');
    assert.equal(bad.message, 'Parameter ScheduleExpression is not valid.');
    const pattern = await errorOf(events.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":["aws.ec2"]}' })));
    assert.equal(pattern.name, 'ValidationException');
    assert.match(pattern.message, /EventPattern is not supported/);
    const bus = await errorOf(events.send(new PutRuleCommand({ Name: 'bad', ScheduleExpression: 'rate(1 hour)', EventBusName: 'orders' })));
    assert.equal(bus.name, 'ResourceNotFoundException');
    await events.send(new PutRuleCommand({ Name: 'crowded', ScheduleExpression: 'rate(1 hour)' }));
    const notLambda = await errorOf(
      events.send(new PutTargetsCommand({ Rule: 'crowded', Targets: [{ Id: 'q', Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:queue` }] })),
    );
    assert.equal(notLambda.name, 'ValidationException');
    const six = Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: fnArn('ticker') }));
    const tooMany = await errorOf(events.send(new PutTargetsCommand({ Rule: 'crowded', Targets: six })));
    assert.equal(tooMany.name, 'LimitExceededException');
    assert.equal((await events.send(new ListTargetsByRuleCommand({ Rule: 'crowded' }))).Targets?.length, 0);
    await events.send(new DeleteRuleCommand({ Name: 'crowded' }));
  });

  it('delivers a rate rule on time as an asynchronous invocation with the Scheduled Event shape', async () => {
    await events.send(new PutRuleCommand({ Name: 'every-minute', ScheduleExpression: 'rate(1 minute)' }));
    await allowEvents('ticker', 'every-minute');
    await events.send(new PutTargetsCommand({ Rule: 'every-minute', Targets: [{ Id: 'ticker', Arn: fnArn('ticker') }] }));
    const due = time.now() + 60_000;
    await advance(60_000);
    const [event] = await waitFor('the scheduled event', async () => ((await recorded(t, 'ticker')).length > 0 ? recorded(t, 'ticker') : undefined));
    assert.deepEqual(Object.keys(event).sort(), ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']);
    assert.equal(event['detail-type'], 'Scheduled Event');
    assert.equal(event.source, 'aws.events');
    assert.equal(event.account, ACCOUNT);
    assert.equal(event.region, 'us-east-1');
    assert.deepEqual(event.resources, [`arn:aws:events:us-east-1:${ACCOUNT}:rule/every-minute`]);
    assert.deepEqual(event.detail, {});
    assert.equal(event.time, new Date(Math.floor(due / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
    const history = await waitFor('the run in the history', async () => {
      const { invocations } = (await (await signedFetch(t.platform, 'GET', '/selfless/v1/functions/ticker/history')).json()) as {
        invocations: Array<{ trigger: string }>;
      };
      return invocations.length > 0 ? invocations : undefined;
    });
    assert.equal(history[0]!.trigger, 'schedule', 'the history says a schedule started it');
    await events.send(new RemoveTargetsCommand({ Rule: 'every-minute', Ids: ['ticker'] }));
    await events.send(new DeleteRuleCommand({ Name: 'every-minute' }));
  });

  it('sends InputPath and InputTransformer results, and nothing to a function that does not allow EventBridge', async () => {
    await events.send(new PutRuleCommand({ Name: 'shaping', ScheduleExpression: 'rate(1 minute)' }));
    await allowEvents('shaped', 'shaping');
    await events.send(
      new PutTargetsCommand({
        Rule: 'shaping',
        Targets: [
          { Id: 'path', Arn: fnArn('shaped'), InputPath: '$.resources' },
          {
            Id: 'transformed',
            Arn: fnArn('shaped'),
            InputTransformer: { InputPathsMap: { kind: '$.detail-type' }, InputTemplate: '{"kind": <kind>, "rule": "<aws.events.rule-name>"}' },
          },
          { Id: 'refused', Arn: fnArn('unpermitted') },
        ],
      }),
    );
    await advance(60_000);
    const got = await waitFor('both shaped events', async () => {
      const all = await recorded(t, 'shaped');
      return all.length >= 2 ? all : undefined;
    });
    assert.deepEqual(
      got.map((e) => JSON.stringify(e)).sort(),
      [JSON.stringify({ kind: 'Scheduled Event', rule: 'shaping' }), JSON.stringify([`arn:aws:events:us-east-1:${ACCOUNT}:rule/shaping`])].sort(),
    );
    await waitFor('the refusal in the log', async () => t.logs.find((line) => line.includes('target refused') && line.includes('not delivered')));
    assert.deepEqual(await recorded(t, 'unpermitted'), []);
    await events.send(new RemoveTargetsCommand({ Rule: 'shaping', Ids: ['path', 'transformed', 'refused'] }));
    await events.send(new DeleteRuleCommand({ Name: 'shaping' }));
  });

  it('runs a Scheduler schedule through its role with its Input, and deletes a one-time schedule after it ran', async () => {
    const input = '{"run": "<aws.scheduler.scheduled-time>", "attempt": "<aws.scheduler.attempt-number>"}';
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'minutely',
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: fnArn('job'), RoleArn: schedulerRole, Input: input },
      }),
    );
    const got = await scheduler.send(new GetScheduleCommand({ Name: 'minutely' }));
    assert.equal(got.Arn, `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/minutely`);
    assert.equal(got.ScheduleExpressionTimezone, 'UTC');
    assert.deepEqual(got.Target?.RetryPolicy, { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 });
    assert.ok(got.CreationDate instanceof Date);
    const due = time.now() + 60_000;
    await advance(60_000);
    const [event] = await waitFor('the schedule run', async () => ((await recorded(t, 'job')).length > 0 ? recorded(t, 'job') : undefined));
    assert.deepEqual(event, { run: new Date(Math.floor(due / 1000) * 1000).toISOString().replace('.000Z', 'Z'), attempt: '1' });
    await scheduler.send(new DeleteScheduleCommand({ Name: 'minutely' }));

    const at = new Date(Math.ceil((time.now() + 60_000) / 1000) * 1000).toISOString().slice(0, 19);
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'once',
        ScheduleExpression: `at(${at})`,
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: { Arn: fnArn('job'), RoleArn: schedulerRole },
      }),
    );
    await advance(61_000);
    await waitFor('the one-time run', async () => ((await recorded(t, 'job')).length === 2 ? true : undefined));
    assert.deepEqual((await recorded(t, 'job'))[1], {});
    await waitFor('the completed schedule to go', async () =>
      (await scheduler.send(new ListSchedulesCommand({}))).Schedules?.length === 0 ? true : undefined,
    );
    const missing = await errorOf(scheduler.send(new GetScheduleCommand({ Name: 'once' })));
    assert.equal(missing.name, 'ResourceNotFoundException');
    assert.equal(missing.message, 'Schedule once does not exist.');
  });

  it('sends nothing through a role that does not trust Scheduler', async () => {
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'untrusted',
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: fnArn('unpermitted'), RoleArn: untrustingRole },
      }),
    );
    await advance(60_000);
    await waitFor('the refusal in the log', async () => t.logs.find((line) => line.includes('schedule default/untrusted') && line.includes('not delivered')));
    assert.deepEqual(await recorded(t, 'unpermitted'), []);
    await scheduler.send(new DeleteScheduleCommand({ Name: 'untrusted' }));
  });

  it('refuses Scheduler input as Scheduler does', async () => {
    const base = { FlexibleTimeWindow: { Mode: 'OFF' as const }, Target: { Arn: fnArn('job'), RoleArn: schedulerRole } };
    await scheduler.send(
      new CreateScheduleCommand({ Name: 'dup', ScheduleExpression: 'cron(0 9 ? * MON *)', ScheduleExpressionTimezone: 'Europe/Paris', ...base }),
    );
    const dup = await errorOf(scheduler.send(new CreateScheduleCommand({ Name: 'dup', ScheduleExpression: 'rate(1 hour)', ...base })));
    assert.equal(dup.name, 'ConflictException');
    assert.equal(dup.$metadata?.httpStatusCode, 409);
    const group = await errorOf(scheduler.send(new CreateScheduleCommand({ Name: 'g', GroupName: 'team', ScheduleExpression: 'rate(1 hour)', ...base })));
    assert.equal(group.name, 'ResourceNotFoundException');
    assert.equal(group.message, 'Schedule group team does not exist.');
    const flexible = await errorOf(
      scheduler.send(new CreateScheduleCommand({ Name: 'f', ScheduleExpression: 'rate(1 hour)', ...base, FlexibleTimeWindow: { Mode: 'FLEXIBLE' } })),
    );
    assert.equal(flexible.name, 'ValidationException');
    const zone = await errorOf(
      scheduler.send(new CreateScheduleCommand({ Name: 'z', ScheduleExpression: 'rate(1 hour)', ScheduleExpressionTimezone: 'Mars/Olympus', ...base })),
    );
    assert.equal(zone.name, 'ValidationException');
    const expression = await errorOf(scheduler.send(new CreateScheduleCommand({ Name: 'e', ScheduleExpression: 'rate(1 hours)', ...base })));
    assert.equal(expression.name, 'ValidationException');
    const missing = await errorOf(scheduler.send(new UpdateScheduleCommand({ Name: 'nope', ScheduleExpression: 'rate(1 hour)', ...base })));
    assert.equal(missing.name, 'ResourceNotFoundException');
    await scheduler.send(new UpdateScheduleCommand({ Name: 'dup', ScheduleExpression: 'rate(2 hours)', State: 'DISABLED', ...base }));
    const updated = await scheduler.send(new GetScheduleCommand({ Name: 'dup' }));
    assert.equal(updated.State, 'DISABLED');
    assert.equal(updated.ScheduleExpressionTimezone, 'UTC');

    // selfless's own view of the schedules: what `selfless schedule ls` prints.
    await events.send(new PutRuleCommand({ Name: 'hourly', ScheduleExpression: 'cron(0 * * * ? *)' }));
    const res = await signedFetch(t.platform, 'GET', '/selfless/v1/schedules', { query: { next: '2' } });
    const { schedules } = (await res.json()) as { schedules: Array<{ name: string; state: string; nextRuns: string[] }> };
    const hourly = schedules.find((s) => s.name === 'hourly')!;
    assert.equal(hourly.nextRuns.length, 2);
    assert.equal(new Date(hourly.nextRuns[1]!).getTime() - new Date(hourly.nextRuns[0]!).getTime(), 3_600_000);
    assert.match(hourly.nextRuns[0]!, /:00:00\.000Z$/);
    assert.deepEqual(schedules.find((s) => s.name === 'dup')?.nextRuns, []);
    await events.send(new DeleteRuleCommand({ Name: 'hourly' }));
    await scheduler.send(new DeleteScheduleCommand({ Name: 'dup' }));
  });

  it('works from the AWS CLI: aws events and aws scheduler', async () => {
    const aws = awsCli(t.platform);
    const { RuleArn } = await aws('events', 'put-rule', '--name', 'cli-rule', '--schedule-expression', 'rate(5 minutes)');
    assert.equal(RuleArn, `arn:aws:events:us-east-1:${ACCOUNT}:rule/cli-rule`);
    await aws('events', 'put-targets', '--rule', 'cli-rule', '--targets', `Id=1,Arn=${fnArn('ticker')}`);
    assert.equal((await aws('events', 'list-targets-by-rule', '--rule', 'cli-rule')).Targets[0].Arn, fnArn('ticker'));
    await aws('events', 'remove-targets', '--rule', 'cli-rule', '--ids', '1');
    await aws('events', 'delete-rule', '--name', 'cli-rule');
    const refused = await aws('events', 'put-rule', '--name', 'cli-bad', '--schedule-expression', 'rate(5 minute)').catch((error: { stderr: string }) => error);
    assert.match((refused as { stderr: string }).stderr, /ValidationException.*Parameter ScheduleExpression is not valid\./);

    const { ScheduleArn } = await aws(
      'scheduler',
      'create-schedule',
      '--name',
      'cli-schedule',
      '--schedule-expression',
      'cron(30 8 * * ? *)',
      '--flexible-time-window',
      'Mode=FLEXIBLE,MaximumWindowInMinutes=10',
      '--target',
      JSON.stringify({ Arn: fnArn('job'), RoleArn: schedulerRole, RetryPolicy: { MaximumRetryAttempts: 3 } }),
    );
    assert.equal(ScheduleArn, `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/cli-schedule`);
    const got = await aws('scheduler', 'get-schedule', '--name', 'cli-schedule');
    assert.deepEqual(got.FlexibleTimeWindow, { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 });
    assert.deepEqual(got.Target.RetryPolicy, { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 86400 });
    assert.equal((await aws('scheduler', 'list-schedules')).Schedules[0].Name, 'cli-schedule');
    await aws('scheduler', 'delete-schedule', '--name', 'cli-schedule');
  });
});

/** Until the function's async queue holds nothing: every event run and acknowledged. */
const settled = (t: TestPlatform) => waitFor('the queue to settle', async () => ((await t.platform.async.depth('tick')) === 0 ? true : undefined));

describe('schedules across a restart', () => {
  it('sends the run missed while stopped once, and never one already sent', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-restart-'));
    // Two minutes behind real time: the restart at +3.5 minutes stays within the signatures' 5 minutes.
    const start = Date.now() - 2 * 60_000;
    const clock = new ManualScheduler(start);
    const first = await startPlatform({ dataDir }, {}, { clock });
    const endpoint = { endpoint: first.platform.url, region: 'us-east-1', credentials: first.platform.rootKey, maxAttempts: 1 };
    const events = new EventBridgeClient(endpoint);
    await first.client.send(
      new CreateFunctionCommand({
        FunctionName: 'tick',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip(RECORDER) },
      }),
    );
    await first.client.send(
      new AddPermissionCommand({ FunctionName: 'tick', StatementId: 'events', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' }),
    );
    await events.send(new PutRuleCommand({ Name: 'tick', ScheduleExpression: 'rate(1 minute)' }));
    await events.send(new PutTargetsCommand({ Rule: 'tick', Targets: [{ Id: 'tick', Arn: fnArn('tick') }] }));
    events.destroy();
    clock.advance(60_000);
    await waitFor('the first run', async () => ((await recorded(first, 'tick')).length === 1 ? true : undefined));
    // Stopped only once the event is settled in the queue: a destroy before that would run it again at
    // the next start (at-least-once, as Lambda's async invocation), which is not the schedule firing twice.
    await settled(first);
    await first.stop();

    // Down for the runs of +2 and +3 minutes: started again at +3.5, the +3 one is sent, once.
    const times: string[] = [];
    for (const attempt of [1, 2]) {
      const again = await startPlatform({ dataDir }, {}, { clock: new ManualScheduler(start + 210_000) });
      const got = await waitFor('the missed run', async () => {
        const all = await recorded(again, 'tick');
        return all.length >= 2 ? all : undefined;
      });
      // A second restart at the same moment: nothing more.
      if (attempt === 2) await new Promise((resolve) => setTimeout(resolve, 500));
      times.splice(0, times.length, ...(await recorded(again, 'tick')).map((e) => e.time as string));
      await settled(again);
      await again.stop();
      assert.equal(got.length, 2);
    }
    const at = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    assert.deepEqual(times, [at(start + 60_000), at(start + 180_000)]);
    await rm(dataDir, { recursive: true, force: true });
  });
});
