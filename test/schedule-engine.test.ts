import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualScheduler, timedKey, type EventRuleRecord, type SchedulerScheduleRecord, type TimedRecord } from '../src/core/index.js';
import { ScheduleEngine } from '../src/schedules/index.js';
import { SqliteStore } from '../src/store/index.js';
import { waitFor } from './support/async.js';
import { captureLogger } from './support/platform.js';

const utc = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;
const HOUR = 3_600_000;

function rule(name: string, scheduleExpression: string, activeSince: number, extra: Partial<EventRuleRecord> = {}): EventRuleRecord {
  const target = { id: 't', arn: 'arn:aws:lambda:us-east-1:000000000000:function:f' };
  return { kind: 'rule', name, scheduleExpression, state: 'ENABLED', targets: [target], createdAt: activeSince, activeSince, ...extra };
}

function schedule(name: string, scheduleExpression: string, activeSince: number, extra: Partial<SchedulerScheduleRecord> = {}): SchedulerScheduleRecord {
  return {
    kind: 'schedule',
    name,
    groupName: 'default',
    scheduleExpression,
    timezone: 'UTC',
    state: 'ENABLED',
    flexibleWindow: { mode: 'OFF' },
    target: {
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
      roleArn: 'arn:aws:iam::000000000000:role/r',
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
    },
    actionAfterCompletion: 'NONE',
    createdAt: activeSince,
    modifiedAt: activeSince,
    activeSince,
    ...extra,
  };
}

/** An engine on the store, recording what it delivers and completes. */
function engineOn(store: SqliteStore, clock: ManualScheduler) {
  const delivered: Array<{ key: string; due: string }> = [];
  const completed: string[] = [];
  const logs: string[] = [];
  const engine = new ScheduleEngine({
    store,
    clock,
    deliver: async (record, dueMs) => void delivered.push({ key: timedKey(record), due: new Date(dueMs).toISOString() }),
    completed: async (record) => void completed.push(timedKey(record)),
    log: captureLogger(logs),
  });
  return { engine, delivered, completed, logs };
}

/** Lets the engine's store writes and replanning run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('the schedule engine', () => {
  let dir: string;
  let store: SqliteStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'selfless-schedules-'));
    store = new SqliteStore(join(dir, 'selfless.db'));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const put = async (engine: ScheduleEngine, record: TimedRecord) => {
    await store.putTimed(record);
    engine.upsert(record);
  };

  it('fires a cron rule at its times, day after day, and never twice across a restart', async () => {
    const start = utc('2026-01-01T00:00:00Z');
    const clock = new ManualScheduler(start);
    const first = engineOn(store, clock);
    await put(first.engine, rule('daily', 'cron(0 10 * * ? *)', start));
    clock.advance(10 * HOUR - 1);
    await settle();
    assert.equal(first.delivered.length, 0);
    clock.advance(1);
    await waitFor('the first run', async () => first.delivered.length === 1 || undefined);
    clock.advance(DAY);
    await waitFor('the second run', async () => first.delivered.length === 2 || undefined);
    assert.deepEqual(
      first.delivered.map((d) => d.due),
      ['2026-01-01T10:00:00.000Z', '2026-01-02T10:00:00.000Z'],
    );
    await first.engine.close();

    // The same moment, a new process: the run is recorded as fired, so it is not sent again.
    const second = engineOn(store, clock);
    await second.engine.start();
    await settle();
    assert.equal(second.delivered.length, 0);
    assert.deepEqual(
      second.engine.upcoming(rule('daily', 'cron(0 10 * * ? *)', start), 2).map((ms) => new Date(ms).toISOString()),
      ['2026-01-03T10:00:00.000Z', '2026-01-04T10:00:00.000Z'],
    );
    await second.engine.close();
  });

  it('sends the latest run missed while stopped once at start, and skips the older ones', async () => {
    // Stopped since the run of 2 January: started again on 5 January at 12:00.
    const clock = new ManualScheduler(utc('2026-01-05T12:00:00Z'));
    const { engine, delivered, logs } = engineOn(store, clock);
    await engine.start();
    await waitFor('the missed run', async () => delivered.length === 1 || undefined);
    await settle();
    assert.deepEqual(delivered, [{ key: 'rule/default/daily', due: '2026-01-05T10:00:00.000Z' }]);
    assert.equal(logs.length, 0, logs.join('\n'));
    await engine.close();
  });

  it('skips a missed run older than its maximum event age', async () => {
    const start = utc('2026-02-01T00:00:00Z');
    const record = rule('short-lived', 'rate(1 hour)', start, {
      targets: [{ id: 't', arn: 'arn:aws:lambda:us-east-1:000000000000:function:f', retryPolicy: { maximumEventAgeInSeconds: 60 } }],
    });
    await store.putTimed(record);
    // The 03:00 run is 30 minutes old at the start: past its 60 s age.
    const clock = new ManualScheduler(utc('2026-02-01T03:30:00Z'));
    const { engine, delivered, logs } = engineOn(store, clock);
    const mine = () => delivered.filter((d) => d.key === 'rule/default/short-lived').map((d) => d.due);
    await engine.start();
    await settle();
    assert.deepEqual(mine(), []);
    assert.match(logs.join('\n'), /older than its maximum event age: skipped/);
    clock.advance(30 * 60_000);
    await waitFor('the next run on time', async () => mine().length === 1 || undefined);
    assert.deepEqual(mine(), ['2026-02-01T04:00:00.000Z']);
    await engine.close();
  });

  it('gives a run to one of two engines sharing the store', async () => {
    const start = utc('2026-03-01T00:00:00Z');
    const clock = new ManualScheduler(start);
    const a = engineOn(store, clock);
    const b = engineOn(store, clock);
    const record = rule('shared', 'rate(5 minutes)', start);
    await store.putTimed(record);
    a.engine.upsert(record);
    b.engine.upsert(record);
    clock.advance(5 * 60_000);
    await waitFor('the run', async () => a.delivered.length + b.delivered.length >= 1 || undefined);
    await settle();
    assert.equal(a.delivered.length + b.delivered.length, 1);
    clock.advance(5 * 60_000);
    await waitFor('the next run', async () => a.delivered.length + b.delivered.length >= 2 || undefined);
    await settle();
    assert.equal(a.delivered.length + b.delivered.length, 2);
    await Promise.all([a.engine.close(), b.engine.close()]);
  });

  it('runs an at() schedule once and completes it when it deletes after completion', async () => {
    const start = utc('2026-04-01T00:00:00Z');
    const clock = new ManualScheduler(start);
    const { engine, delivered, completed } = engineOn(store, clock);
    await put(engine, schedule('once', 'at(2026-04-01T09:30:00)', start, { actionAfterCompletion: 'DELETE', timezone: 'Europe/Paris' }));
    assert.deepEqual(
      engine.upcoming(schedule('once', 'at(2026-04-01T09:30:00)', start, { timezone: 'Europe/Paris' }), 3).map((ms) => new Date(ms).toISOString()),
      ['2026-04-01T07:30:00.000Z'],
    );
    clock.advance(7.5 * HOUR);
    await waitFor('the completion', async () => completed.length === 1 || undefined);
    assert.deepEqual(delivered, [{ key: 'schedule/default/once', due: '2026-04-01T07:30:00.000Z' }]);
    assert.deepEqual(completed, ['schedule/default/once']);
    await engine.close();
  });

  it('does not run a disabled schedule, and owes nothing for its time off', async () => {
    const start = utc('2026-05-01T00:00:00Z');
    const clock = new ManualScheduler(start);
    const { engine, delivered } = engineOn(store, clock);
    await put(engine, schedule('paused', 'rate(10 minutes)', start, { state: 'DISABLED' }));
    clock.advance(HOUR);
    await settle();
    assert.equal(delivered.length, 0);
    await put(engine, schedule('paused', 'rate(10 minutes)', clock.now(), { state: 'ENABLED' }));
    await settle();
    assert.equal(delivered.length, 0);
    clock.advance(10 * 60_000);
    await waitFor('the first run after enabling', async () => delivered.length === 1 || undefined);
    assert.deepEqual(
      delivered.map((d) => d.due),
      ['2026-05-01T01:10:00.000Z'],
    );
    await engine.close();
  });

  it('sends a run within its flexible window, and not after the EndDate', async () => {
    const start = utc('2026-06-01T00:00:00Z');
    const clock = new ManualScheduler(start);
    const { engine, delivered } = engineOn(store, clock);
    const record = schedule('flexible', 'rate(1 hour)', start, {
      flexibleWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: 15 },
      endDate: start + 90 * 60_000,
    });
    await put(engine, record);
    clock.advance(HOUR + 15 * 60_000);
    await waitFor('the run', async () => delivered.length === 1 || undefined);
    assert.deepEqual(
      delivered.map((d) => d.due),
      ['2026-06-01T01:00:00.000Z'],
    );
    assert.deepEqual(engine.upcoming(record, 3), []);
    clock.advance(2 * HOUR);
    await settle();
    assert.equal(delivered.length, 1);
    await engine.close();
  });

  it('waits out a timer that wakes early (Node caps delays at about 24.8 days)', async () => {
    const start = utc('2026-07-01T00:00:00Z');
    const clock = new ManualScheduler(start);
    // A clock whose timers wake after an hour at the most, as Node's wake after 2^31 - 1 ms.
    const capped = {
      now: () => clock.now(),
      setTimeout: (cb: () => void, ms: number) => clock.setTimeout(cb, Math.min(ms, HOUR)),
      setInterval: clock.setInterval.bind(clock),
    };
    const delivered: string[] = [];
    const engine = new ScheduleEngine({
      store,
      clock: capped,
      deliver: async (_record, dueMs) => void delivered.push(new Date(dueMs).toISOString()),
      completed: async () => undefined,
      log: captureLogger([]),
    });
    await put(engine, schedule('far', 'at(2026-07-01T03:30:00)', start));
    for (let hour = 1; hour <= 3; hour += 1) {
      clock.advance(HOUR);
      await settle();
      assert.equal(delivered.length, 0, `nothing by hour ${hour}`);
    }
    clock.advance(HOUR / 2);
    await waitFor('the run on time', async () => delivered.length === 1 || undefined);
    assert.deepEqual(delivered, ['2026-07-01T03:30:00.000Z']);
    await engine.close();
  });
});
