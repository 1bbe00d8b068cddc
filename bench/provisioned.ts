import { performance } from 'node:perf_hooks';
import { CreateAliasCommand, GetProvisionedConcurrencyConfigCommand, PutProvisionedConcurrencyConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { get, post } from './http-client.js';
import { createEchoFunction, environmentStats, invokeUrl, NODE_ECHO, PAYLOAD, sameJson, sleep, waitForPrestarted } from './scenarios.js';
import type { PlatformInfo } from './server.js';
import { signedGet, signedPost } from './sign.js';

export const ALIAS = 'live';

/** One series of first invokes of new functions' aliases. */
export interface AliasFirstInvokes {
  /** Client-observed ms of each alias's first invoke, in order. */
  readonly firstMs: number[];
  /** Of those first invokes, how many were logged as a cold start (`Init Duration` in their REPORT line); undefined if a log was missing. */
  readonly coldReports: number | undefined;
  /** How many of those first invokes took a pre-started runtime (the platform's prestartHits before and after). */
  readonly prestartHits: number | undefined;
}

export interface ProvisionedRun {
  /** Functions per series. */
  readonly functions: number;
  readonly pauseMs: number;
  /** From the first PutProvisionedConcurrencyConfig until every alias's config said READY (NaN if the wait timed out). */
  readonly readyMs: number;
  /** Aliases whose config was not READY when the wait ended. */
  readonly notReady: number;
  /** Aliases with provisioned concurrency 1, each invoked once, once all were READY. */
  readonly provisioned: AliasFirstInvokes;
  /** Aliases of as many other new functions without it: on-demand cold starts (pool on), the same path otherwise. */
  readonly onDemand: AliasFirstInvokes;
}

const READY_WAIT_MS = 60_000;

/**
 * Provisioned concurrency against on-demand, first invoke of each: 2N new Node echo functions, each
 * created with `Publish: true` (version 1) and an alias `live` on it; N get provisioned concurrency 1 on
 * the alias and the series waits until every config reports READY. Then the first invoke of each
 * provisioned alias, one after another, `pauseMs` apart; then the same for the N aliases without
 * provisioned concurrency (after the pre-started pool is ready again), so both series take the same
 * path through alias resolution and differ only in whether an environment was there already.
 */
export async function provisionedVsOnDemand(lambda: LambdaClient, platform: PlatformInfo, count: number, pauseMs: number): Promise<ProvisionedRun> {
  const names = (prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  const provisioned = names('provisioned');
  const onDemand = names('on-demand');
  for (const name of [...provisioned, ...onDemand]) {
    const version = await createEchoFunction(lambda, name, NODE_ECHO, { Publish: true });
    if (version === undefined) throw new Error(`CreateFunction ${name} with Publish: true returned no Version`);
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: ALIAS, FunctionVersion: version }));
  }

  const putAt = performance.now();
  for (const name of provisioned) {
    await lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: ALIAS, ProvisionedConcurrentExecutions: 1 }));
  }
  const waiting = new Set(provisioned);
  const deadline = putAt + READY_WAIT_MS;
  while (waiting.size > 0 && performance.now() < deadline) {
    for (const name of [...waiting]) {
      const config = await lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: ALIAS }));
      if (config.Status === 'READY') waiting.delete(name);
      else if (config.Status === 'FAILED') throw new Error(`provisioned concurrency of ${name}:${ALIAS} FAILED: ${config.StatusReason ?? ''}`);
    }
    if (waiting.size > 0) await sleep(20);
  }
  const readyMs = waiting.size === 0 ? performance.now() - putAt : Number.NaN;

  // The provisioned environments' starts used CPU; let the pool settle before either series.
  await waitForPrestarted(platform);
  const provisionedRun = await aliasSeries(platform, provisioned, pauseMs);
  await waitForPrestarted(platform);
  const onDemandRun = await aliasSeries(platform, onDemand, pauseMs);
  return { functions: count, pauseMs, readyMs, notReady: waiting.size, provisioned: provisionedRun, onDemand: onDemandRun };
}

/** Each alias's first invoke, signed before the clock starts, checked (echo, version 1), `pauseMs` apart. */
async function aliasSeries(platform: PlatformInfo, names: readonly string[], pauseMs: number): Promise<AliasFirstInvokes> {
  const hitsBefore = (await environmentStats(platform))?.prestartHits;
  const firstMs: number[] = [];
  for (const [i, name] of names.entries()) {
    if (i > 0) await sleep(pauseMs);
    const url = invokeUrl(platform, name);
    url.searchParams.set('Qualifier', ALIAS);
    const headers = await signedPost(url, PAYLOAD, platform);
    const started = performance.now();
    const { status, functionError, body, headers: replyHeaders } = await post(url, headers, PAYLOAD);
    const elapsed = performance.now() - started;
    if (status !== 200 || functionError !== undefined || !sameJson(body, PAYLOAD)) {
      throw new Error(`first invoke of ${name}:${ALIAS}: HTTP ${status}${functionError ? ` (${functionError})` : ''} ${body.slice(0, 500)}`);
    }
    if (replyHeaders['x-amz-executed-version'] !== '1')
      throw new Error(`${name}:${ALIAS} ran version ${String(replyHeaders['x-amz-executed-version'])}, not 1`);
    firstMs.push(elapsed);
  }
  const hitsAfter = (await environmentStats(platform))?.prestartHits;
  let coldReports: number | undefined = 0;
  for (const name of names) {
    const cold = await firstReportWasCold(platform, name);
    coldReports = cold === undefined || coldReports === undefined ? undefined : coldReports + (cold ? 1 : 0);
  }
  return { firstMs, coldReports, prestartHits: hitsBefore === undefined || hitsAfter === undefined ? undefined : hitsAfter - hitsBefore };
}

/** Whether a function's first REPORT line carries `Init Duration` (a cold start); undefined if none is logged within 5 s. */
async function firstReportWasCold(platform: PlatformInfo, name: string): Promise<boolean | undefined> {
  const url = new URL(`/selfless/v1/functions/${encodeURIComponent(name)}/logs`, platform.url);
  url.searchParams.set('limit', '1000');
  const deadline = performance.now() + 5000;
  for (;;) {
    const { status, body } = await get(url, await signedGet(url, platform));
    if (status !== 200) throw new Error(`GET ${url.pathname}: HTTP ${status} ${body.slice(0, 500)}`);
    const { events } = JSON.parse(body) as { events: { message: string }[] };
    const report = events.find((e) => e.message.startsWith('REPORT RequestId:'));
    if (report !== undefined) return report.message.includes('Init Duration');
    if (performance.now() > deadline) return undefined;
    await sleep(50);
  }
}
