import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { loadConfig } from '../src/core/index.js';
import { readLogs, waitFor } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { signedFetch } from './support/signed-fetch.js';
import { nodeZip } from './support/zip.js';

const MiB = 1024 * 1024;
const bytesOf = (events: readonly { message: string }[]) => events.reduce((n, e) => n + Buffer.byteLength(e.message), 0);

/** Prints `lines` lines of `size` bytes (tagged with the invocation's label), then answers. */
const PRINTER = `exports.handler = async ({ label, lines, size }) => {
  for (let i = 0; i < lines; i += 1) process.stdout.write(label + ':' + i + ':' + 'x'.repeat(size) + '\\n');
  return label;
};`;

describe('function logs are bounded', () => {
  let t: TestPlatform;
  before(async () => {
    // 1 MB per function; a retention long enough not to interfere (its own test below).
    t = await startPlatform({}, { SELFLESS_LOG_MAX_MB_PER_FUNCTION: '1' });
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'printer',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Timeout: 60,
        Code: { ZipFile: await nodeZip(PRINTER) },
      }),
    );
  });
  after(async () => {
    await t?.stop();
  });

  const print = async (label: string, lines: number, size: number) => {
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'printer', Payload: JSON.stringify({ label, lines, size }) }));
    assert.equal(Buffer.from(out.Payload!).toString(), JSON.stringify(label));
    return out.$metadata.requestId!;
  };

  it('keeps at most the cap per function, dropping the oldest events first', async () => {
    await print('first', 3000, 1000); // ~3 MB: three times the cap
    await print('second', 500, 1000); // ~0.5 MB
    // Output may arrive well after its invocation's answer (it drains from the runtime's pipe): wait for the last line.
    const events = await waitFor('the last line of output', async () => {
      const all = await readLogs(t.platform, 'printer');
      return all.some((e) => e.message.startsWith('second:499:')) ? all : undefined;
    });
    assert.ok(bytesOf(events) <= MiB, `${bytesOf(events)} bytes stored, over the 1 MB cap`);
    assert.ok(!events.some((e) => e.message.startsWith('first:0:')), 'the oldest output is still there');
    assert.ok(events.filter((e) => e.message.startsWith('second:')).length === 500, 'newer output is gone');
  });
});

describe('reading big logs', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform();
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'printer',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Timeout: 60,
        Code: { ZipFile: await nodeZip(PRINTER) },
      }),
    );
  });
  after(async () => {
    await t?.stop();
  });
  const print = async (label: string, lines: number, size: number) => {
    await t.client.send(new InvokeCommand({ FunctionName: 'printer', Payload: JSON.stringify({ label, lines, size }) }));
  };

  it('answers reads in pages bounded by bytes, and every page together holds everything', async () => {
    await print('big', 12, 200 * 1024); // 12 lines of 200 KB
    await waitFor('the big lines', async () => ((await readLogs(t.platform, 'printer')).some((e) => e.message.startsWith('big:11:')) ? true : undefined));
    const first = await signedFetch(t.platform, 'GET', '/selfless/v1/functions/printer/logs', { query: { limit: '10000' } });
    assert.equal(first.status, 200);
    const text = await first.text();
    assert.ok(text.length < 1.3 * MiB, `a page of ${text.length} bytes`);
    assert.equal((JSON.parse(text) as { more: boolean }).more, true);
    const all = await readLogs(t.platform, 'printer');
    assert.equal(all.filter((e) => e.message.startsWith('big:')).length, 12);
  });
});

describe('log retention', () => {
  let t: TestPlatform;
  before(async () => {
    // One second, in days: expired events are deleted every second or so.
    t = await startPlatform({}, { SELFLESS_LOG_RETENTION_DAYS: String(1 / 86_400) });
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'short-lived',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip('exports.handler = async () => { console.log("soon gone"); return 1; };') },
      }),
    );
  });
  after(async () => {
    await t?.stop();
  });

  it('deletes events older than the retention period', async () => {
    await t.client.send(new InvokeCommand({ FunctionName: 'short-lived' }));
    await waitFor('the logs to expire', async () => ((await readLogs(t.platform, 'short-lived')).length === 0 ? true : undefined), { timeoutMs: 60_000 });
  });
});

describe('log limits configuration', () => {
  it('refuses values that are not limits', () => {
    assert.throws(() => loadConfig({ SELFLESS_LOG_MAX_MB_PER_FUNCTION: '0' }), /SELFLESS_LOG_MAX_MB_PER_FUNCTION must be at least 1/);
    assert.throws(() => loadConfig({ SELFLESS_LOG_MAX_MB_PER_FUNCTION: 'lots' }), /invalid configuration/);
    assert.throws(() => loadConfig({ SELFLESS_LOG_RETENTION_DAYS: '0' }), /SELFLESS_LOG_RETENTION_DAYS must be more than 0/);
    assert.equal(loadConfig({}).logs.maxBytesPerFunction, 64 * MiB);
  });
});
