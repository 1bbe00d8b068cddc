import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_PRICES, type UsageRecord } from '../src/core/index.js';
import { UsageMeter } from '../src/metering/index.js';
import { SqliteStore } from '../src/store/index.js';

const usage = (over: Partial<UsageRecord>): UsageRecord => ({
  requestId: 'r',
  functionName: 'f',
  version: '$LATEST',
  startMs: 1_000,
  durationMs: 1,
  billedMs: 1,
  memoryMb: 128,
  architecture: 'x86_64',
  initMs: 0,
  cold: false,
  outcome: 'success',
  ...over,
});

describe('usage metering', () => {
  it('adds up requests, GB-seconds and cost at the configured prices', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-meter-'));
    const store = new SqliteStore(join(dir, 'selfless.db'));
    try {
      const meter = new UsageMeter(store, DEFAULT_PRICES, (e) => assert.fail(String(e)));
      meter.record(usage({ requestId: 'a', billedMs: 100, memoryMb: 128, cold: true, initMs: 50 }));
      meter.record(usage({ requestId: 'b', billedMs: 1000, memoryMb: 1024, outcome: 'timeout' }));
      meter.record(usage({ requestId: 'c', functionName: 'g', billedMs: 2000, memoryMb: 2048, architecture: 'arm64' }));
      meter.record(usage({ requestId: 'old', startMs: 10 }));
      const [f, g] = await meter.report(500);
      assert.equal(f?.functionName, 'f');
      assert.equal(f?.requests, 2);
      assert.equal(f?.errors, 1);
      assert.equal(f?.coldStarts, 1);
      assert.equal(f?.billedMs, 1100);
      assert.ok(Math.abs(f!.gbSeconds - (0.1 * 0.125 + 1 * 1)) < 1e-12);
      assert.ok(Math.abs(f!.cost - (1.0125 * DEFAULT_PRICES.x86GbSecond + (2 / 1e6) * DEFAULT_PRICES.perMillionRequests)) < 1e-15);
      assert.ok(Math.abs(g!.cost - (4 * DEFAULT_PRICES.armGbSecond + (1 / 1e6) * DEFAULT_PRICES.perMillionRequests)) < 1e-15);
      assert.equal((await meter.report(0)).find((r) => r.functionName === 'f')?.requests, 3, 'the since filter applies');
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
