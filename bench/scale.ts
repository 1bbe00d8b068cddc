import { spawn } from 'node:child_process';
import { Agent, createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DeleteFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { nodeZip } from '../test/support/zip.js';
import { get, post, type Reply } from './http-client.js';
import { createEchoFunction, environmentStats, invokeUrl, RUNTIME, sleep, waitForPrestarted, type EchoKind } from './scenarios.js';
import type { PlatformInfo } from './server.js';
import { signedGet, signedPost } from './sign.js';

/**
 * The scale-out function: at start it calls the benchmark's gate (the host's network, as on Lambda)
 * and waits for the answer, which comes only once every environment of the burst has started its
 * handler, so no environment finishes early and takes a second invocation. It answers its
 * environment's id (one per process, made at init): as many ids as invocations, or some were shared.
 */
const GATED: EchoKind = {
  language: 'Node',
  runtime: RUNTIME,
  handler: 'index.handler',
  zip: () =>
    nodeZip(
      [
        "const http = require('node:http');",
        "const id = require('node:crypto').randomUUID();",
        'exports.handler = async (event) => {',
        '  await new Promise((resolve, reject) => {',
        "    const req = http.get(event.gate, { agent: false }, (res) => { res.resume(); res.on('end', resolve); res.on('error', reject); });",
        "    req.on('error', reject);",
        '  });',
        '  return { id };',
        '};',
        '',
      ].join('\n'),
    ),
};

export interface ScaleOut {
  /** Concurrent invokes sent at once to one new function (and environments wanted). */
  readonly target: number;
  /** ms from the first invoke sent until each handler reached the gate, ascending. */
  readonly startedMs: number[];
  /** ms until the target-th handler reached the gate: scale-out from 0 to `target` environments; NaN if not all did. */
  readonly timeToAllMs: number;
  /** ms from the first invoke sent until the last was written (sending is not instantaneous either). */
  readonly sendSpreadMs: number;
  /** The first poll of `GET /selfless/v1/environments` (every `pollMs`) that showed `target` started environments of the function; NaN if none did. */
  readonly routeMs: number;
  readonly pollMs: number;
  readonly polls: number;
  /** Each invoke's client-observed latency (each held at the gate until all had started). */
  readonly latencyMs: number[];
  /** Distinct environments that answered. */
  readonly environments: number;
  /** Invokes that failed, each described. */
  readonly failures: string[];
  /** The gate let everyone go after its deadline rather than at the target-th arrival. */
  readonly gateTimedOut: boolean;
  /** Environments of the burst that were pre-started runtimes (the platform's prestartHits before and after). */
  readonly prestartHits: number | undefined;
  /** Pre-started runtimes ready (any configuration) when the burst went out. */
  readonly prestartReady: number | undefined;
  /** The floor: as many `node -e 0` spawned at once, ms until the last exited. */
  readonly spawnAllMs: number;
}

const GATE_DEADLINE_MS = 30_000;
const POLL_MS = 10;

/** Holds every request until `target` have arrived (or the deadline), recording when each arrived. */
async function startGate(target: number): Promise<{ url: string; arrivals: number[]; start(t0: number): void; timedOut(): boolean; close(): void }> {
  const arrivals: number[] = [];
  const held: ServerResponse[] = [];
  let t0 = Number.NaN;
  let open = false;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    open = true;
    clearTimeout(timer);
    for (const res of held.splice(0)) res.end('go');
  };
  const server = createServer((req, res) => {
    arrivals.push(performance.now() - t0);
    res.setHeader('connection', 'close');
    req.resume();
    if (open) return void res.end('go');
    held.push(res);
    if (arrivals.length >= target) release();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/gate`,
    arrivals,
    start(at) {
      t0 = at;
      timer = setTimeout(() => {
        timedOut = true;
        release();
      }, GATE_DEADLINE_MS);
    },
    timedOut: () => timedOut,
    close() {
      release();
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * Scale-out from 0 to `target` environments of one new function: `target` synchronous invokes sent at
 * once (signed like the invoke rows, each on its own pre-opened keep-alive connection), each handler
 * held at the gate until all have started. Timed from the first invoke sent to the target-th handler's
 * arrival at the gate; `GET /selfless/v1/environments`, polled every 10 ms, gives a second reading.
 * The function is deleted afterwards, so its environments stop.
 */
export async function scaleOut(lambda: LambdaClient, platform: PlatformInfo, name: string, target: number, nodeBinary: string): Promise<ScaleOut> {
  await createEchoFunction(lambda, name, GATED, { Timeout: 60 });
  const gate = await startGate(target);
  const agent = new Agent({ keepAlive: true, maxSockets: target + 8 });
  try {
    const envUrl = new URL('/selfless/v1/environments', platform.url);
    // Open the connections first: TCP setup is the client's cost, not scale-out.
    const warm = await Promise.all(Array.from({ length: target }, async () => get(envUrl, await signedGet(envUrl, platform), agent)));
    if (warm.some((r) => r.status !== 200)) throw new Error(`GET ${envUrl.pathname} failed while opening connections`);

    const url = invokeUrl(platform, name);
    const body = JSON.stringify({ gate: gate.url });
    const headers = await signedPost(url, body, platform);
    const pollHeaders = await signedGet(envUrl, platform);
    await waitForPrestarted(platform);
    const before = await environmentStats(platform);

    const t0 = performance.now();
    gate.start(t0);
    const invokes: Promise<{ reply?: Reply; error?: unknown; ms: number }>[] = [];
    for (let i = 0; i < target; i++) {
      const sent = performance.now();
      invokes.push(
        post(url, headers, body, agent).then(
          (reply) => ({ reply, ms: performance.now() - sent }),
          (error: unknown) => ({ error, ms: performance.now() - sent }),
        ),
      );
    }
    const sendSpreadMs = performance.now() - t0;

    // The route's view, until every invoke has answered.
    let done = false;
    let routeMs = Number.NaN;
    let polls = 0;
    const watching = (async () => {
      while (!done && Number.isNaN(routeMs)) {
        const { status, body: text } = await get(envUrl, pollHeaders);
        const at = performance.now() - t0;
        polls++;
        if (status !== 200) throw new Error(`GET ${envUrl.pathname}: HTTP ${status} ${text.slice(0, 300)}`);
        const fn = (JSON.parse(text) as { functions: { functionName: string; environments: number; starting: number }[] }).functions.find(
          (f) => f.functionName === name,
        );
        if (fn !== undefined && fn.environments - fn.starting >= target) routeMs = at;
        else await sleep(POLL_MS);
      }
    })();
    const results = await Promise.all(invokes);
    done = true;
    await watching;
    const after = await environmentStats(platform);

    const ids = new Set<string>();
    const failures: string[] = [];
    for (const { reply, error } of results) {
      if (reply === undefined) failures.push(error instanceof Error ? error.message : String(error));
      else if (reply.status !== 200 || reply.functionError !== undefined)
        failures.push(`HTTP ${reply.status}${reply.functionError ? ` (${reply.functionError})` : ''} ${reply.body.slice(0, 200)}`);
      else ids.add((JSON.parse(reply.body) as { id: string }).id);
    }
    const startedMs = [...gate.arrivals].sort((a, b) => a - b);
    const spawnAllMs = await spawnAll(nodeBinary, ['-e', '0'], target);
    return {
      target,
      startedMs,
      timeToAllMs: startedMs.length >= target && !gate.timedOut() ? startedMs[target - 1]! : Number.NaN,
      sendSpreadMs,
      routeMs,
      pollMs: POLL_MS,
      polls,
      latencyMs: results.map((r) => r.ms),
      environments: ids.size,
      failures,
      gateTimedOut: gate.timedOut(),
      prestartHits: before === undefined || after === undefined ? undefined : after.prestartHits - before.prestartHits,
      prestartReady: before?.prestartReady,
      spawnAllMs,
    };
  } finally {
    agent.destroy();
    gate.close();
    // Its environments stop with it; the pool refills before whatever comes next.
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    await waitForPrestarted(platform);
  }
}

/** `count` processes spawned at once; ms until the last has exited. */
async function spawnAll(binary: string, args: readonly string[], count: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(binary, args, { stdio: 'ignore', env: {} });
          child.once('error', reject);
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} ${args.join(' ')} exited with ${code}`))));
        }),
    ),
  );
  return performance.now() - started;
}
