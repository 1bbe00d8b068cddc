import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, type CreateFunctionRequest, type Runtime } from '@aws-sdk/client-lambda';
import { makeZip, nodeZip } from '../test/support/zip.js';
import { cpuPerRequest, cpuSnapshot, type CpuPerRequest } from './cpu.js';
import { get, post } from './http-client.js';
import { load, type LoadResult } from './load.js';
import type { PlatformInfo } from './server.js';
import { signedGet, signedPost } from './sign.js';

/** A small, typical event; the floor echoes the same bytes. */
export const PAYLOAD = JSON.stringify({ id: 42, source: 'bench', message: 'hello, selfless', tags: ['echo', 'warm'], detail: { ok: true, n: 3.5 } });
export const RUNTIME = 'nodejs22.x' satisfies Runtime;
export const PYTHON_VERSION = '3.11';
export const ROLE = 'arn:aws:iam::000000000000:role/bench';

/** An SDK client for a benchmark platform, signing with its root key, no retries. */
export const lambdaFor = (platform: PlatformInfo) =>
  new LambdaClient({
    endpoint: platform.url,
    region: platform.region,
    credentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
    maxAttempts: 1,
  });

export const invokeUrl = (platform: PlatformInfo, name: string) => new URL(`/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, platform.url);

/** Something to load: where, and the headers to send (asked anew for every autocannon run). */
export interface Target {
  readonly label: string;
  readonly url: URL;
  /** The serving process, for CPU accounting. */
  readonly pid?: number;
  headers(): Promise<Record<string, string>>;
}

export const floorTarget = (url: string, pid?: number): Target => ({
  label: 'floor',
  url: new URL('/echo', url),
  ...(pid === undefined ? {} : { pid }),
  headers: async () => ({ 'content-type': 'application/json' }),
});

/** The relay floor (relay-floor.ts): three loopback exchanges through a runtime process, nothing else. */
export const relayTarget = (url: string, pid?: number): Target => ({
  label: 'relay floor',
  url: new URL('/invoke', url),
  ...(pid === undefined ? {} : { pid }),
  headers: async () => ({ 'content-type': 'application/json' }),
});

export const invokeTarget = (platform: PlatformInfo, name: string, pid?: number): Target => {
  const url = invokeUrl(platform, name);
  return { label: `invoke ${name}`, url, ...(pid === undefined ? {} : { pid }), headers: () => signedPost(url, PAYLOAD, platform) };
};

/** A measured run and the CPU time it cost per request on each side. */
export type Run = LoadResult & { readonly cpu: CpuPerRequest };

export interface LoadPlan {
  readonly connections: number;
  readonly warmupS: number;
  readonly durationS: number;
}

/**
 * One measured run after an excluded warm-up with the same client and concurrency, so connections,
 * JIT and (for the platform) the environments a concurrency level needs already exist.
 */
export async function measure(target: Target, plan: LoadPlan): Promise<Run> {
  const checkHeaders = await target.headers();
  await expectEcho(target, checkHeaders);
  if (plan.warmupS > 0) {
    await load({ url: target.url.href, connections: plan.connections, durationS: plan.warmupS, headers: await target.headers(), body: PAYLOAD });
  }
  const headers = await target.headers();
  const before = await cpuSnapshot(target.pid);
  const result = await load({ url: target.url.href, connections: plan.connections, durationS: plan.durationS, headers, body: PAYLOAD });
  const after = await cpuSnapshot(target.pid);
  return { ...result, cpu: cpuPerRequest(before, after, result.ok) };
}

/** A benchmark of a wrong answer is worthless: one request first, checked byte for byte (as JSON). */
async function expectEcho(target: Target, headers: Record<string, string>): Promise<void> {
  const { status, functionError, body } = await post(target.url, headers, PAYLOAD);
  if (status !== 200 || functionError !== undefined || !sameJson(body, PAYLOAD)) {
    throw new Error(`${target.label} did not echo the payload: HTTP ${status}${functionError ? ` (${functionError})` : ''} ${body.slice(0, 500)}`);
  }
}

export function sameJson(text: string, expected: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(JSON.parse(expected));
  } catch {
    return false;
  }
}

/** An echo function of one runtime: what every cold-start series creates. */
export interface EchoKind {
  /** For the table: Node, Python. */
  readonly language: string;
  readonly runtime: Runtime;
  readonly handler: string;
  zip(): Promise<Buffer>;
}

export const NODE_ECHO: EchoKind = {
  language: 'Node',
  runtime: RUNTIME,
  handler: 'index.handler',
  zip: () => nodeZip('exports.handler = async (e) => e;\n'),
};

export const PYTHON_ECHO: EchoKind = {
  language: 'Python',
  runtime: `python${PYTHON_VERSION}` as const satisfies Runtime,
  handler: 'app.handler',
  zip: () => makeZip({ 'app.py': 'def handler(event, context):\n    return event\n' }),
};

/** Creates an echo function (`extra`: e.g. `Publish: true`); answers the version published, if any. */
export async function createEchoFunction(
  lambda: LambdaClient,
  name: string,
  kind: EchoKind = NODE_ECHO,
  extra: Pick<CreateFunctionRequest, 'Publish' | 'Timeout'> = {},
): Promise<string | undefined> {
  const out = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: kind.runtime,
      Handler: kind.handler,
      Role: ROLE,
      Code: { ZipFile: await kind.zip() },
      ...extra,
    }),
  );
  return extra.Publish ? out.Version : undefined;
}

/** The very first invoke through the SDK: may include downloading the runtime's Node build. */
export async function firstInvoke(lambda: LambdaClient, name: string): Promise<number> {
  const started = performance.now();
  const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(PAYLOAD) }));
  const elapsed = performance.now() - started;
  const body = Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8');
  if (out.StatusCode !== 200 || out.FunctionError !== undefined || !sameJson(body, PAYLOAD)) {
    throw new Error(`first invoke of ${name} failed: status ${out.StatusCode} ${out.FunctionError ?? ''} ${body.slice(0, 500)}`);
  }
  return elapsed;
}

export interface ColdStarts {
  readonly functions: number;
  /** Client-observed ms of each function's first invoke (a new environment). */
  readonly firstMs: number[];
  /** The same function's second invoke, same client: what the client and HTTP path alone cost. */
  readonly secondMs: number[];
  /** Pause after each function's two invokes, before the next function's first. */
  readonly pauseMs: number;
  /** How many of the first invokes took a pre-started runtime (the platform's prestartHits before and after). */
  readonly prestartHits: number | undefined;
  /** With the pool: pre-started runtimes ready when the first timed invoke went out, and whether waiting for them timed out. */
  readonly poolReady?: { readonly ready: number; readonly timedOut: boolean };
}

export interface ColdPlan {
  readonly kind: EchoKind;
  readonly count: number;
  /** Function names are `${prefix}-000` and so on; `${prefix}-warmup` is invoked once, untimed, first. */
  readonly prefix: string;
  readonly pauseMs: number;
  /** Whether the platform keeps pre-started runtimes: then the series waits for them after the warm-up. */
  readonly pool: boolean;
}

/**
 * Cold starts one after another: all functions are created first, so no create's aftermath lands in
 * an invoke's timing; each invoke is signed before the clock starts, so only the platform is timed.
 * A warm-up function of the same configuration is invoked once, untimed, so one-time costs of the
 * runtime (finding its interpreter or Node build) are not in the figures and, with the pool, the
 * configuration's pre-started runtimes exist; the series waits until they are ready. The pause between
 * functions lets the pool replenish as it would for new functions arriving one by one.
 */
export async function coldStarts(lambda: LambdaClient, platform: PlatformInfo, plan: ColdPlan): Promise<ColdStarts> {
  const names = Array.from({ length: plan.count }, (_, i) => `${plan.prefix}-${String(i).padStart(3, '0')}`);
  const warmup = `${plan.prefix}-warmup`;
  for (const name of [warmup, ...names]) await createEchoFunction(lambda, name, plan.kind);
  await timedInvoke(invokeTarget(platform, warmup));
  const poolReady = plan.pool ? await waitForPrestarted(platform) : undefined;
  if (!plan.pool) await sleep(plan.pauseMs);
  const hitsBefore = (await environmentStats(platform))?.prestartHits;
  const firstMs: number[] = [];
  const secondMs: number[] = [];
  for (const [i, name] of names.entries()) {
    if (i > 0) await sleep(plan.pauseMs);
    const target = invokeTarget(platform, name);
    firstMs.push(await timedInvoke(target));
    secondMs.push(await timedInvoke(target));
  }
  const hitsAfter = (await environmentStats(platform))?.prestartHits;
  return {
    functions: plan.count,
    firstMs,
    secondMs,
    pauseMs: plan.pauseMs,
    prestartHits: hitsBefore === undefined || hitsAfter === undefined ? undefined : hitsAfter - hitsBefore,
    ...(poolReady === undefined ? {} : { poolReady }),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The whole pool's figures from `GET /selfless/v1/environments` (`total`); undefined if the platform does not answer them. */
export interface PoolTotals {
  readonly prestarted: number;
  readonly prestartReady: number;
  readonly prestartHits: number;
}

export async function environmentStats(platform: PlatformInfo): Promise<PoolTotals | undefined> {
  const url = new URL('/selfless/v1/environments', platform.url);
  const { status, body } = await get(url, await signedGet(url, platform));
  if (status !== 200) throw new Error(`GET ${url.pathname}: HTTP ${status} ${body.slice(0, 500)}`);
  const total = (JSON.parse(body) as { total?: Partial<PoolTotals> }).total;
  const n = (v: unknown) => typeof v === 'number';
  return total && n(total.prestarted) && n(total.prestartReady) && n(total.prestartHits) ? (total as PoolTotals) : undefined;
}

const POOL_WAIT_MS = 10_000;

/**
 * After a configuration's first cold start, its pre-started runtimes are on their way: waits until
 * every pre-started runtime of the platform is ready (none still starting), or gives up after 10 s.
 */
export async function waitForPrestarted(platform: PlatformInfo): Promise<{ ready: number; timedOut: boolean }> {
  const deadline = performance.now() + POOL_WAIT_MS;
  for (;;) {
    const stats = await environmentStats(platform);
    if (stats === undefined) {
      // An older platform without the figures: just give the pool a second.
      await sleep(1000);
      return { ready: Number.NaN, timedOut: false };
    }
    if (stats.prestarted > 0 && stats.prestartReady === stats.prestarted) return { ready: stats.prestartReady, timedOut: false };
    if (performance.now() > deadline) return { ready: stats.prestartReady, timedOut: true };
    await sleep(50);
  }
}

async function timedInvoke(target: Target): Promise<number> {
  const headers = await target.headers();
  const started = performance.now();
  const { status, functionError, body } = await post(target.url, headers, PAYLOAD);
  const elapsed = performance.now() - started;
  if (status !== 200 || functionError !== undefined || !sameJson(body, PAYLOAD)) {
    throw new Error(`${target.label}: HTTP ${status}${functionError ? ` (${functionError})` : ''} ${body.slice(0, 500)}`);
  }
  return elapsed;
}

/** The cold-start floor: starting and ending the runtime's own binary, doing nothing (`node -e 0`, `python3.11 -c 0`). */
export async function processSpawnTimes(binary: string, args: readonly string[], count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: 'ignore', env: {} });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} ${args.join(' ')} exited with ${code}`))));
    });
    times.push(performance.now() - started);
  }
  return times;
}
