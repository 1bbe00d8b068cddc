import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ManualScheduler, publish } from '../src/core/index.js';
import { ACCOUNT_WIDE, durationPercentile, MetricSeries, MINUTE_MS } from '../src/metering/index.js';
import { SqliteStore } from '../src/store/index.js';
import { waitFor } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { signedFetch } from './support/signed-fetch.js';
import { nodeZip } from './support/zip.js';

const START = Date.parse('2026-06-01T10:00:00Z');

describe('metrics by the minute (MetricSeries)', () => {
  let dir: string;
  let store: SqliteStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'selfless-series-'));
    store = new SqliteStore(join(dir, 'selfless.db'));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** What one invocation of `functionName` publishes, as the pool does. */
  function invocation(platformId: string, functionName: string, durationMs: number, { cold = false, outcome = 'success' } = {}) {
    const names = { platformId, requestId: `r-${durationMs}`, functionName, version: '$LATEST', environmentId: 'e' };
    publish('selfless:invoke:start', () => ({ ...names, cold }));
    publish('selfless:invoke:end', () => ({ ...names, outcome, durationMs, billedMs: Math.ceil(durationMs), memorySize: 1024, architecture: 'arm64' }));
  }

  it('counts a minute, writes it once it is over, and reads back percentiles within 1 %', async () => {
    const clock = new ManualScheduler(START);
    const errors: unknown[] = [];
    const series = new MetricSeries(store, { platformId: 'series-a', onError: (e: unknown) => errors.push(e), clock });
    invocation('series-a', 'f', 1000, { cold: true });
    for (let ms = 1; ms < 1000; ms++) invocation('series-a', 'f', ms, { outcome: ms % 100 === 0 ? 'error' : 'success' });
    publish('selfless:invoke:throttle', () => ({ platformId: 'series-a', functionName: 'f', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }));
    // Another platform's events are not this one's.
    invocation('someone-else', 'f', 5);

    const [minute] = await series.read('f', START, START + MINUTE_MS);
    assert.ok(minute, 'the current minute is read from memory before it is written');
    assert.equal(minute.stats.invocations, 1000);
    assert.equal(minute.stats.errors, 9);
    assert.equal(minute.stats.throttles, 1);
    assert.equal(minute.stats.coldStarts, 1);
    assert.equal(minute.stats.concurrencyMax, 1);
    assert.equal(minute.stats.durationMin, 1);
    assert.equal(minute.stats.durationMax, 1000);
    for (const [percent, exact] of [
      [50, 500],
      [90, 900],
      [99, 990],
    ] as const) {
      const read = durationPercentile(minute.stats, percent)!;
      assert.ok(Math.abs(read - exact) / exact <= 0.01, `p${percent} read as ${read}, ${exact} exactly`);
    }
    assert.equal(durationPercentile(minute.stats, 100), 1000);
    // 1000 invocations of 1 GB for 500.5 ms on average, all arm64.
    assert.ok(Math.abs(minute.stats.gbSeconds - 500.5) < 1e-6);
    assert.equal(minute.stats.armGbSeconds, minute.stats.gbSeconds);

    assert.equal((await store.listMetricMinutes('f', START, START + MINUTE_MS)).length, 0, 'nothing written while the minute runs');
    clock.advance(MINUTE_MS + 5_000);
    await waitFor('the minute written', async () => ((await store.listMetricMinutes('f', START, START + MINUTE_MS)).length === 1 ? true : undefined));
    assert.equal(clock.pending, 0, 'with nothing running and nothing pending, no timer is left');
    const account = await series.read(ACCOUNT_WIDE, START, START + MINUTE_MS);
    assert.equal(account[0]?.stats.invocations, 1000, 'every function counts towards the account-wide figures');
    await series.close();
    assert.equal(errors.length, 0);

    // A second writer (a restart, another node) adds a row for the same minute: reads merge them.
    const again = new MetricSeries(store, { platformId: 'series-b', onError: (e: unknown) => errors.push(e), clock: new ManualScheduler(START + 30_000) });
    invocation('series-b', 'f', 2000);
    await again.close();
    const merged = await series.read('f', START, START + MINUTE_MS);
    assert.equal(merged.length, 1);
    assert.equal(merged[0]!.stats.invocations, 1001);
    assert.equal(merged[0]!.stats.durationMax, 2000);
    assert.deepEqual(await series.functionNames(START), ['f']);
  });

  it('keeps an invocation that spans minutes in the concurrency of each, and drops minutes past the retention', async () => {
    const clock = new ManualScheduler(START + 10 * MINUTE_MS);
    const series = new MetricSeries(store, { platformId: 'series-c', onError: (e: unknown) => assert.fail(String(e)), clock, retentionMs: 3 * MINUTE_MS });
    const names = { platformId: 'series-c', requestId: 'long', functionName: 'g', version: '$LATEST', environmentId: 'e' };
    publish('selfless:invoke:start', () => ({ ...names, cold: false }));
    clock.advance(3 * MINUTE_MS);
    publish('selfless:invoke:end', () => ({ ...names, outcome: 'success', durationMs: 180_000, billedMs: 180_000, memorySize: 128, architecture: 'x86_64' }));
    const minutes = await series.read('g', START, START + 20 * MINUTE_MS);
    assert.deepEqual(
      minutes.map((m) => [(m.minuteMs - START) / MINUTE_MS, m.stats.concurrencyMax, m.stats.invocations]),
      [
        [10, 1, 0],
        [11, 1, 0],
        [12, 1, 0],
        [13, 1, 1],
      ],
    );
    clock.advance(10 * MINUTE_MS);
    await series.close();
    assert.deepEqual(await store.listMetricMinutes('g', START, START + 20 * MINUTE_MS), [], 'older than three minutes: dropped');
  });
});

describe('GET /selfless/v1/functions/{name}/timeline (the console Monitor charts)', () => {
  let t: TestPlatform;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'selfless-timeline-'));
    t = await startPlatform({ dataDir });
    const ZipFile = await nodeZip('exports.handler = async (e) => { if (e.fail) throw new Error("no"); return "ok"; };');
    await t.client.send(new CreateFunctionCommand({ FunctionName: 'charted', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile } }));
  });
  after(async () => {
    await t.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  interface Timeline {
    periodSeconds: number;
    points: Array<{ startMs: number; invocations: number; errors: number; coldStarts: number; p50Ms: number | null; concurrencyMax: number; cost: number }>;
  }
  const read = async (range: string, platform = t.platform) => {
    const response = await signedFetch(platform, 'GET', '/selfless/v1/functions/charted/timeline', { query: { range } });
    assert.equal(response.status, 200);
    return (await response.json()) as Timeline;
  };
  const totals = (timeline: Timeline) => ({
    invocations: timeline.points.reduce((n, p) => n + p.invocations, 0),
    errors: timeline.points.reduce((n, p) => n + p.errors, 0),
  });

  it('answers every period of the range, the invocations in the current one, and keeps them across a restart', async () => {
    for (const fail of [false, false, true])
      await t.client.send(new InvokeCommand({ FunctionName: 'charted', Payload: Buffer.from(JSON.stringify({ fail })) }));
    const hour = await waitFor('the three invocations', async () => {
      const timeline = await read('1h');
      return totals(timeline).invocations === 3 ? timeline : undefined;
    });
    assert.equal(hour.periodSeconds, 60);
    assert.equal(hour.points.length, 60);
    assert.deepEqual(totals(hour), { invocations: 3, errors: 1 });
    const busy = hour.points.filter((p) => p.invocations > 0);
    assert.ok(busy.every((p) => p.p50Ms !== null && p.p50Ms > 0 && p.cost > 0 && p.concurrencyMax >= 1));
    assert.equal(
      busy.reduce((n, p) => n + p.coldStarts, 0),
      1,
    );
    const week = await read('7d');
    assert.equal(week.periodSeconds, 3600);
    assert.equal(week.points.length, 168);
    assert.deepEqual(totals(week), { invocations: 3, errors: 1 });
    assert.equal((await read('24h')).points.length, 96);

    await t.platform.close();
    const restarted = await startPlatform({ dataDir });
    try {
      assert.deepEqual(totals(await read('1h', restarted.platform)), { invocations: 3, errors: 1 }, 'written at shutdown, read after the restart');
    } finally {
      restarted.client.destroy();
      await restarted.platform.destroy();
    }
  });

  it('refuses a range it does not chart, and a function that does not exist', async () => {
    t = await startPlatform({ dataDir });
    const bad = await signedFetch(t.platform, 'GET', '/selfless/v1/functions/charted/timeline', { query: { range: '2h' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.equal(((await bad.json()) as { message: string }).message, "range must be one of 1h, 24h, 7d, got '2h'");
    const missing = await signedFetch(t.platform, 'GET', '/selfless/v1/functions/nothing/timeline');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
  });
});
