import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { CreateFunctionCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { nodeZip } from '../test/support/zip.js';
import { cpuPerRequest, cpuSnapshot, type CpuPerRequest } from './cpu.js';
import { post } from './http-client.js';
import { load, type LoadResult } from './load.js';
import type { PlatformInfo } from './server.js';
import { signedPost } from './sign.js';

/** A small, typical event; the floor echoes the same bytes. */
export const PAYLOAD = JSON.stringify({ id: 42, source: 'bench', message: 'hello, selfless', tags: ['echo', 'warm'], detail: { ok: true, n: 3.5 } });
export const RUNTIME = 'nodejs22.x';
const HANDLER_SOURCE = 'exports.handler = async (e) => e;\n';
const ROLE = 'arn:aws:iam::000000000000:role/bench';

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

function sameJson(text: string, expected: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(JSON.parse(expected));
  } catch {
    return false;
  }
}

export async function createEchoFunction(lambda: LambdaClient, name: string): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: RUNTIME,
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: await nodeZip(HANDLER_SOURCE) },
    }),
  );
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
}

/**
 * Cold starts one after another: all functions are created first, so no create's aftermath lands in
 * an invoke's timing; each invoke is signed before the clock starts, so only the platform is timed.
 */
export async function coldStarts(lambda: LambdaClient, platform: PlatformInfo, count: number, prefix: string): Promise<ColdStarts> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  for (const name of names) await createEchoFunction(lambda, name);
  const firstMs: number[] = [];
  const secondMs: number[] = [];
  for (const name of names) {
    const target = invokeTarget(platform, name);
    firstMs.push(await timedInvoke(target));
    secondMs.push(await timedInvoke(target));
  }
  return { functions: count, firstMs, secondMs };
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

/** The cold-start floor: starting and ending the same Node binary the runtime uses, doing nothing. */
export async function processSpawnTimes(binary: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(binary, ['-e', '0'], { stdio: 'ignore', env: {} });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} -e 0 exited with ${code}`))));
    });
    times.push(performance.now() - started);
  }
  return times;
}
