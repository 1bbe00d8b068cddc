import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { waitFor } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { signedFetch } from './support/signed-fetch.js';
import { nodeZip } from './support/zip.js';

const TOKEN = 'scrape-token-0123456789';

/** `name{labels} value` lines of Prometheus's text format, as a map from `name{labels}` to the value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

describe('Prometheus metrics at /metrics', () => {
  let t: TestPlatform;
  const scrape = async (authorization = `Bearer ${TOKEN}`) => fetch(`${t.platform.url}/metrics`, { headers: { authorization } });
  const metrics = async () => {
    const response = await scrape();
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    return samples(await response.text());
  };

  before(async () => {
    t = await startPlatform({}, { SELFLESS_METRICS_TOKEN: TOKEN });
    const code = { ZipFile: await nodeZip('exports.handler = async (e) => { if (e.fail) throw new Error("no"); return "ok"; };') };
    for (const name of ['counted', 'held'])
      await t.client.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: code, MemorySize: 256 }),
      );
    for (const event of [{}, {}, { fail: true }])
      await t.client.send(new InvokeCommand({ FunctionName: 'counted', Payload: Buffer.from(JSON.stringify(event)) }));
    await t.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'held', ReservedConcurrentExecutions: 0 }));
    await assert.rejects(t.client.send(new InvokeCommand({ FunctionName: 'held' })), { name: 'TooManyRequestsException' });
  });
  after(() => t.stop());

  it('counts invocations by outcome, errors, cold starts, throttles and GB-seconds per function', async () => {
    const m = await waitFor('three invocations counted', async () => {
      const now = await metrics();
      return (now.get('selfless_duration_seconds_count{function_name="counted"}') ?? 0) >= 3 ? now : undefined;
    });
    assert.equal(m.get('selfless_invocations_total{function_name="counted",outcome="success"}'), 2);
    assert.equal(m.get('selfless_invocations_total{function_name="counted",outcome="error"}'), 1);
    assert.equal(m.get('selfless_errors_total{function_name="counted"}'), 1);
    assert.equal(m.get('selfless_cold_starts_total{function_name="counted"}'), 1);
    assert.equal(m.get('selfless_throttles_total{function_name="held",reason="ReservedFunctionConcurrentInvocationLimitExceeded"}'), 1);
    assert.equal(m.get('selfless_init_duration_seconds_count{function_name="counted"}'), 1);
    assert.equal(m.get('selfless_duration_seconds_bucket{le="+Inf",function_name="counted"}'), 3);
    const gbSeconds = m.get('selfless_gb_seconds_total{function_name="counted"}')!;
    assert.ok(gbSeconds > 0 && gbSeconds < 3 * 0.25 * 10, `GB-seconds ${gbSeconds}`);
    assert.equal(m.get('selfless_concurrent_executions{function_name="counted"}'), 0);
    assert.equal(m.get('selfless_environments{state="idle"}'), 1);
    assert.equal(m.get('selfless_environments{state="busy"}'), 0);
    assert.ok(m.has('process_cpu_user_seconds_total') && m.has('nodejs_eventloop_lag_seconds'), 'the process metrics are there too');
  });

  it('answers the scrape token or a SigV4 signature, and nothing else', async () => {
    assert.equal((await scrape('Bearer wrong-token-0123456789')).status, 403);
    assert.equal((await scrape('')).status, 403);
    const signed = await signedFetch(t.platform, 'GET', '/metrics');
    assert.equal(signed.status, 200);
    assert.match(await signed.text(), /^# HELP selfless_invocations_total/m);
  });
});
