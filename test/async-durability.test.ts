import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { CreateFunctionCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { SignatureV4 } from '@smithy/signature-v4';
import { ROLE } from './support/platform.js';
import { Sha256 } from './support/sha256.js';
import { startServer, stillRunning, waitGone, type SeenProcess, type ServerProcess } from './support/server-process.js';
import { decode, nodeZip } from './support/zip.js';

/**
 * Durability of asynchronous invocation against the real server in its own process: every event
 * answered with 202 runs at least once, whatever happens to the server after the 202 (kill -9
 * mid-burst, kill -9 while retries wait, SIGTERM). Each function reports the event ids it processed
 * to an HTTP recorder this test runs on the host (environments share the host network).
 */

/** Generous: the dispatcher runs a few events at a time per function on a 2-core box. */
const PROCESS_TIMEOUT_MS = 90_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Reports every attempt with an id, then (unless it is the first attempt and FAIL_FIRST is set)
// reports the id as processed and succeeds.
const HANDLER = `
const base = process.env.RECORDER;
const post = async (path, id) => {
  const res = await fetch(base + path, { method: 'POST', body: id });
  if (!res.ok) throw new Error('recorder answered ' + res.status);
  return res.text();
};
exports.handler = async (event) => {
  const n = Number(await post('/attempt', event.id));
  if (process.env.FAIL_FIRST === '1' && n === 1 && !event.probe) throw new Error('first attempt of ' + event.id + ' fails on purpose');
  await post('/seen', event.id);
  return event.id;
};
`;

/** Counts, per event id, attempts and successful runs, as reported by the functions. */
class Recorder {
  readonly attempts = new Map<string, number>();
  readonly seen = new Map<string, number>();
  #server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const map = req.url === '/seen' ? this.seen : req.url === '/attempt' ? this.attempts : undefined;
        if (req.method !== 'POST' || map === undefined || body === '') {
          res.writeHead(404).end();
          return;
        }
        const n = (map.get(body) ?? 0) + 1;
        map.set(body, n);
        res.writeHead(200, { 'content-type': 'text/plain' }).end(String(n));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  missing(ids: Iterable<string>): string[] {
    return [...ids].filter((id) => !this.seen.has(id));
  }

  /**
   * Resolves with the acknowledged ids never processed once every one was, when the time is up, or when
   * nothing at all was recorded for `stallMs` (retries here wait at most a second: the queue is done).
   */
  async waitForAll(ids: ReadonlySet<string>, timeoutMs: number, stallMs = 20_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    const total = () => [...this.attempts.values()].reduce((a, b) => a + b, 0);
    let last = total();
    let lastChange = Date.now();
    for (;;) {
      const missing = this.missing(ids);
      if (missing.length === 0 || Date.now() > deadline || Date.now() - lastChange > stallMs) return missing;
      await sleep(100);
      if (total() !== last) {
        last = total();
        lastChange = Date.now();
      }
    }
  }

  duplicates(ids: Iterable<string>): string[] {
    return [...ids].filter((id) => (this.seen.get(id) ?? 0) > 1);
  }
}

interface Burst {
  /** Ids answered with 202. */
  readonly acked: Set<string>;
  /** Ids whose request ended without an answer (connection reset or refused): outcome unknown to the caller. */
  readonly unanswered: Set<string>;
  /** Answers other than 202 before the server was signalled, by status and error name: there should be none. */
  readonly refusedBefore: Map<string, number>;
  /** The same after the signal (a stopping server refuses new events, which the caller then knows were not taken). */
  readonly refusedAfter: Map<string, number>;
  readonly sent: number;
}

interface BurstPlan {
  readonly functionName: string;
  readonly prefix: string;
  readonly count: number;
  readonly concurrency: number;
  /** Called after each 202 with the number so far (it may kill the server: the burst goes on until requests go unanswered). */
  readonly onAck?: (acked: number) => void;
  /** Whether the server has been signalled, so refusals are expected. */
  readonly signalled: () => boolean;
}

/** Sends Event invokes from `concurrency` workers until all are sent or the server stops answering. */
async function burst(client: LambdaClient, plan: BurstPlan): Promise<Burst> {
  const acked = new Set<string>();
  const unanswered = new Set<string>();
  const refusedBefore = new Map<string, number>();
  const refusedAfter = new Map<string, number>();
  const refuse = (key: string) => {
    const into = plan.signalled() ? refusedAfter : refusedBefore;
    into.set(key, (into.get(key) ?? 0) + 1);
  };
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < plan.count) {
      const id = `${plan.prefix}-${String(next++).padStart(5, '0')}`;
      try {
        const out = await client.send(new InvokeCommand({ FunctionName: plan.functionName, InvocationType: 'Event', Payload: JSON.stringify({ id }) }));
        if (out.StatusCode === 202) {
          acked.add(id);
          plan.onAck?.(acked.size);
        } else {
          refuse(`HTTP ${out.StatusCode}`);
        }
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === undefined) {
          unanswered.add(id);
          // No server to talk to any more (reset, refused): the burst is over.
          if (plan.signalled()) stop = true;
          else throw error;
        } else {
          refuse(`HTTP ${status} ${(error as Error).name}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  return { acked, unanswered, refusedBefore, refusedAfter, sent: next };
}

async function createRecorderFunction(client: LambdaClient, name: string, recorder: Recorder, failFirst: boolean): Promise<void> {
  await client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: ROLE,
      Timeout: 30,
      Code: { ZipFile: await nodeZip(HANDLER) },
      Environment: { Variables: { RECORDER: recorder.url, FAIL_FIRST: failFirst ? '1' : '0' } },
    }),
  );
  // One synchronous invoke first, so a function that cannot reach the recorder fails here, clearly.
  const probe = await client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ id: `${name}-probe`, probe: true }) }));
  assert.equal(probe.FunctionError, undefined, decode(probe.Payload));
  assert.equal(decode(probe.Payload), JSON.stringify(`${name}-probe`));
}

/** The function's failed-event store (events that failed for good): where a missing event would be if it did not vanish. */
async function failedEvents(server: ServerProcess, name: string): Promise<string> {
  const url = new URL(`/selfless/v1/functions/${name}/failed-events`, server.url);
  const signer = new SignatureV4({ service: 'lambda', region: server.region, credentials: server.credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'GET',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: {},
    headers: { host: url.host },
  });
  const res = await fetch(url, { headers: signed.headers });
  return `failed-event store of ${name}: HTTP ${res.status} ${(await res.text()).slice(0, 2000)}`;
}

/** Fails with the missing ids, the failed-event store and the server's output if any acknowledged event never ran. */
async function assertAllProcessed(server: ServerProcess, name: string, missing: readonly string[]): Promise<void> {
  if (missing.length === 0) return;
  const failed = await failedEvents(server, name).catch((error: unknown) => `failed-event store unreadable: ${String(error)}`);
  assert.fail(
    `${missing.length} acknowledged events never ran (${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''})\n${failed}\nserver output:\n${server.output().slice(-4000)}`,
  );
}

/** Processes that mention the data dir on their command line (bubblewrap binds the function's code from it). */
function processesMentioning(dataDir: string): SeenProcess[] {
  const out: SeenProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ');
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && command.includes(dataDir)) out.push({ pid: Number(entry), startTime: fields[19]!, command: command.slice(0, 200) });
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}

/** After the server is gone, nothing it started may still run. */
async function assertNoEnvironmentsLeft(server: ServerProcess, before: readonly SeenProcess[], why: string): Promise<void> {
  const left = await waitGone(before, 10_000);
  assert.deepEqual(
    left.map((p) => `${p.pid} ${p.command}`),
    [],
    `processes of the server still running ${why}`,
  );
  const stray = stillRunning(processesMentioning(server.dataDir));
  assert.deepEqual(
    stray.map((p) => `${p.pid} ${p.command}`),
    [],
    `processes using ${server.dataDir} still running ${why}`,
  );
}

/** SIGTERM: the server must drain, exit 0 and leave no environment behind. */
async function stopCleanly(server: ServerProcess): Promise<void> {
  const running = server.descendants();
  const exit = await server.stop('SIGTERM', 60_000);
  assert.equal(exit.forced, false, `the server did not exit within 60 s of SIGTERM:\n${server.output().slice(-4000)}`);
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, server.output().slice(-4000));
  await assertNoEnvironmentsLeft(server, running, 'after SIGTERM');
}

/** Restarts on the same data dir, on the same port when it is still free. */
async function restart(previous: ServerProcess, env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  try {
    return await startServer({ dataDir: previous.dataDir, port: previous.port, env });
  } catch (error) {
    if (!/already in use/.test(String(error))) throw error;
    return startServer({ dataDir: previous.dataDir, port: 0, env });
  }
}

function report(t: TestContext, label: string, recorder: Recorder, b: Burst): void {
  const duplicates = recorder.duplicates(b.acked);
  const extra = [...b.unanswered].filter((id) => recorder.seen.has(id)).length;
  t.diagnostic(
    `${label}: sent ${b.sent}, acknowledged ${b.acked.size}, processed ${b.acked.size - recorder.missing(b.acked).length} of them, ` +
      `processed twice or more: ${duplicates.length}${duplicates.length ? ` (${duplicates.slice(0, 5).join(', ')}${duplicates.length > 5 ? ', …' : ''})` : ''}; ` +
      `unanswered requests ${b.unanswered.size} (${extra} of them processed anyway); refused after the signal: ${JSON.stringify(Object.fromEntries(b.refusedAfter))}`,
  );
}

describe('asynchronous invocation survives the server', { timeout: 240_000 }, () => {
  const recorder = new Recorder();
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const newDataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-durability-'));
    dirs.push(dir);
    return dir;
  };
  const start = async (dataDir: string, env: NodeJS.ProcessEnv, previous?: ServerProcess) => {
    const server = previous === undefined ? await startServer({ dataDir, env }) : await restart(previous, env);
    servers.push(server);
    return server;
  };

  before(() => recorder.start());
  after(async () => {
    // Whatever a failed test left running.
    await Promise.all(servers.map((s) => s.stop('SIGKILL', 5_000)));
    await recorder.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('kill -9 mid-burst: every event acknowledged with 202 runs after the restart', async (t) => {
    const env = {};
    const dataDir = await newDataDir();
    let server = await start(dataDir, env);
    const client = server.client();
    await createRecorderFunction(client, 'kill9', recorder, false);

    let running: SeenProcess[] | undefined;
    const b = await burst(client, {
      functionName: 'kill9',
      prefix: 'kill9',
      count: 3000,
      concurrency: 20,
      onAck: (n) => {
        if (n < 1000 || running !== undefined) return;
        running = server.descendants();
        server.kill('SIGKILL');
      },
      signalled: () => running !== undefined,
    });
    client.destroy();
    const exit = await server.exited;
    assert.equal(exit.signal, 'SIGKILL', 'the server was killed mid-burst, not finished before');
    assert.ok(b.acked.size >= 1000 && b.sent < 3000, `killed mid-burst: ${b.acked.size} acknowledged of ${b.sent} sent`);
    assert.deepEqual([...b.refusedBefore], [], 'every answer before the kill was 202');
    const processedBeforeRestart = b.acked.size - recorder.missing(b.acked).length;
    // Environments die with the server (bubblewrap --die-with-parent; plain processes lose their Runtime API).
    await assertNoEnvironmentsLeft(server, running!, 'after kill -9');

    const restarting = Date.now();
    server = await start(dataDir, env, server);
    const restarted = Date.now();
    const missing = await recorder.waitForAll(b.acked, PROCESS_TIMEOUT_MS);
    t.diagnostic(`restart took ${restarted - restarting} ms; every acknowledged event had run ${Date.now() - restarted} ms later`);
    t.diagnostic(`kill -9: ${processedBeforeRestart} acknowledged events were processed before the kill, the rest after the restart`);
    report(t, 'kill -9 mid-burst', recorder, b);
    await assertAllProcessed(server, 'kill9', missing);
    await stopCleanly(server);
  });

  it('kill -9 while retries wait: every acknowledged event still succeeds after the restart', async (t) => {
    // A function error waits 500 ms, then 1 s, before the retries (Lambda: about 1 and 2 minutes).
    const env = { SELFLESS_ASYNC_RETRY_DELAYS_MS: '500,1000' };
    const dataDir = await newDataDir();
    let server = await start(dataDir, env);
    const client = server.client();
    await createRecorderFunction(client, 'retry', recorder, true);

    const count = 1000;
    let killed = false;
    const sending = burst(client, { functionName: 'retry', prefix: 'retry', count, concurrency: 20, signalled: () => killed });
    // Kill once plenty of first attempts have failed and their retries wait in the queue.
    const firstFailures = () => [...recorder.attempts.keys()].filter((id) => id.startsWith('retry-')).length;
    const retriesWaiting = () => [...recorder.attempts.keys()].filter((id) => id.startsWith('retry-') && !recorder.seen.has(id)).length;
    const deadline = Date.now() + 60_000;
    while (firstFailures() < 300 && Date.now() < deadline) await sleep(10);
    const running = server.descendants();
    const waiting = retriesWaiting();
    killed = true;
    server.kill('SIGKILL');
    const b = await sending;
    client.destroy();
    const exit = await server.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(waiting > 0, 'retries were waiting when the server was killed');
    assert.deepEqual([...b.refusedBefore], [], 'every answer before the kill was 202');
    const succeededBefore = b.acked.size - recorder.missing(b.acked).length;
    await assertNoEnvironmentsLeft(server, running, 'after kill -9');

    const restarting = Date.now();
    server = await start(dataDir, env, server);
    const restarted = Date.now();
    const missing = await recorder.waitForAll(b.acked, PROCESS_TIMEOUT_MS);
    t.diagnostic(`restart took ${restarted - restarting} ms; every acknowledged event had run ${Date.now() - restarted} ms later`);
    t.diagnostic(
      `kill -9 during retries: ${waiting} events had failed and waited for a retry at the kill; ${succeededBefore} acknowledged events had succeeded before it`,
    );
    report(t, 'kill -9 during retries', recorder, b);
    await assertAllProcessed(server, 'retry', missing);
    const failedFirst = [...b.acked].filter((id) => (recorder.attempts.get(id) ?? 0) >= 2).length;
    assert.equal(failedFirst, b.acked.size, 'every processed event went through a failed first attempt and a retry');
    await stopCleanly(server);
  });

  it('SIGTERM mid-burst drains: exit 0, no environment left, no acknowledged event dropped', async (t) => {
    const env = {};
    const dataDir = await newDataDir();
    let server = await start(dataDir, env);
    const client = server.client();
    await createRecorderFunction(client, 'drain', recorder, false);

    let running: SeenProcess[] = [];
    let stopped: ReturnType<ServerProcess['stop']> | undefined;
    const b = await burst(client, {
      functionName: 'drain',
      prefix: 'drain',
      count: 2000,
      concurrency: 20,
      onAck: (n) => {
        if (n < 700 || stopped !== undefined) return;
        running = server.descendants();
        stopped = server.stop('SIGTERM', 60_000);
      },
      signalled: () => stopped !== undefined,
    });
    client.destroy();
    const exit = await stopped!;
    assert.equal(exit.forced, false, `the server did not exit within 60 s of SIGTERM:\n${server.output().slice(-4000)}`);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, server.output().slice(-4000));
    await assertNoEnvironmentsLeft(server, running, 'after SIGTERM');
    // Refusals after the signal are fine (the caller knows the event was not taken); before it, none.
    assert.deepEqual([...b.refusedBefore], [], 'every answer before SIGTERM was 202');
    const processedBeforeRestart = b.acked.size - recorder.missing(b.acked).length;

    const restarting = Date.now();
    server = await start(dataDir, env, server);
    const restarted = Date.now();
    const missing = await recorder.waitForAll(b.acked, PROCESS_TIMEOUT_MS);
    t.diagnostic(`restart took ${restarted - restarting} ms; every acknowledged event had run ${Date.now() - restarted} ms later`);
    t.diagnostic(`SIGTERM: ${processedBeforeRestart} acknowledged events were processed before the server stopped, the rest after the restart`);
    report(t, 'SIGTERM mid-burst', recorder, b);
    await assertAllProcessed(server, 'drain', missing);
    // A drain lets running attempts finish and records their outcome: nothing runs twice.
    assert.deepEqual(recorder.duplicates(b.acked), [], 'events processed twice after a clean shutdown');
    await stopCleanly(server);
  });
});
