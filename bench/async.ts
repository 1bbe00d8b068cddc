import { performance } from 'node:perf_hooks';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { cpuPerRequest, cpuSnapshot } from './cpu.js';
import { get, post } from './http-client.js';
import { load } from './load.js';
import { createEchoFunction, firstInvoke, invokeUrl, PAYLOAD, type LoadPlan, type Run, type Target } from './scenarios.js';
import type { PlatformInfo } from './server.js';
import { signedGet, signedPost } from './sign.js';

/**
 * Asynchronous invocation: how fast the platform acknowledges Event invokes (each 202 only after the
 * event's commit to the durable queue), and how fast it works through what it acknowledged.
 */
export interface AsyncRun {
  /** The measured autocannon run of Event invokes: its rps are 202s per second. */
  readonly enqueue: Run;
  /** Events acknowledged with 202 in this round: the check, the warm-up run and the measured run. */
  readonly events: number;
  /** Epoch ms of the first 202 (the check event). */
  readonly firstAckAt: number;
  /** Epoch ms the last 202 arrived (the end of the measured run). */
  readonly lastAckAt: number;
  /** Epoch ms of the last invocation's REPORT line; NaN if the queue did not drain in time. */
  readonly lastDoneAt: number;
  /** processed / (lastDoneAt − firstAckAt): the end-to-end processing rate. */
  readonly endToEndRate: number;
  /**
   * Invocations finished (REPORT lines) when the figures were taken: a few more than `events` when
   * autocannon stopped with requests in flight (accepted, but their 202 not counted); fewer if it timed out.
   */
  readonly processed: number;
  readonly timedOut: boolean;
}

/** Event invokes of `name`, signed like every invoke row (the invocation type header included). */
export const eventTarget = (platform: PlatformInfo, name: string, pid?: number): Target => {
  const url = invokeUrl(platform, name);
  return {
    label: `event ${name}`,
    url,
    ...(pid === undefined ? {} : { pid }),
    headers: () => signedPost(url, PAYLOAD, platform, { 'x-amz-invocation-type': 'Event' }),
  };
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const POLL_MS = 200;
const PAGE = 10_000;
/** At least this long for the backlog to drain, more for big ones (at 50 events/s). */
const DRAIN_MIN_MS = 120_000;

/**
 * Counts a function's finished invocations from its log (REPORT lines), reading only what is new at
 * each call, so watching a drain costs the platform little.
 */
class ReportCounter {
  #afterId = 0;
  count = 0;
  lastAt = Number.NaN;
  readonly #url: URL;
  constructor(
    private readonly platform: PlatformInfo,
    name: string,
  ) {
    this.#url = new URL(`/selfless/v1/functions/${encodeURIComponent(name)}/logs`, platform.url);
  }

  async poll(): Promise<void> {
    for (;;) {
      const url = new URL(this.#url);
      url.searchParams.set('afterId', String(this.#afterId));
      url.searchParams.set('limit', String(PAGE));
      const { status, body } = await get(url, await signedGet(url, this.platform));
      if (status !== 200) throw new Error(`GET ${url.pathname}: HTTP ${status} ${body.slice(0, 500)}`);
      const { events } = JSON.parse(body) as { events: { id: number; timeMs: number; message: string }[] };
      for (const e of events) {
        this.#afterId = Math.max(this.#afterId, e.id);
        if (e.message.startsWith('REPORT RequestId:')) {
          this.count++;
          this.lastAt = Number.isNaN(this.lastAt) ? e.timeMs : Math.max(this.lastAt, e.timeMs);
        }
      }
      if (events.length < PAGE) return;
    }
  }
}

/**
 * One round: a new echo function, invoked once synchronously (its first environment exists, as for
 * the warm rows); one Event invoke checked for its 202; an excluded warm-up run and the measured run of
 * Event invokes at the plan's concurrency (the enqueue rate); then the wait until every acknowledged
 * event's invocation has finished (the end-to-end rate, from the first 202 to the last REPORT).
 * The dispatcher works through the queue during the runs, as it would in service.
 */
export async function measureAsync(lambda: LambdaClient, platform: PlatformInfo, name: string, plan: LoadPlan, pid?: number): Promise<AsyncRun> {
  await createEchoFunction(lambda, name);
  await firstInvoke(lambda, name);
  const reports = new ReportCounter(platform, name);
  // The synchronous invoke's REPORT (a new function: the only invocation so far).
  const baseline = 1;

  const target = eventTarget(platform, name, pid);
  const check = await post(target.url, await target.headers(), PAYLOAD);
  if (check.status !== 202) throw new Error(`${target.label}: expected 202, got HTTP ${check.status} ${check.body.slice(0, 500)}`);
  const firstAckAt = Date.now();
  let events = 1;
  if (plan.warmupS > 0) {
    const warm = await load({ url: target.url.href, connections: plan.connections, durationS: plan.warmupS, headers: await target.headers(), body: PAYLOAD });
    events += warm.ok;
  }
  const headers = await target.headers();
  const before = await cpuSnapshot(pid);
  const result = await load({ url: target.url.href, connections: plan.connections, durationS: plan.durationS, headers, body: PAYLOAD });
  const after = await cpuSnapshot(pid);
  const lastAckAt = Date.now();
  events += result.ok;

  const deadline = performance.now() + Math.max(DRAIN_MIN_MS, (events / 50) * 1000);
  for (;;) {
    await reports.poll();
    if (reports.count - baseline >= events || performance.now() > deadline) break;
    await sleep(POLL_MS);
  }
  // Requests still in flight when autocannon stopped were accepted too, uncounted: wait for them as well.
  for (let seen = -1; seen !== reports.count && performance.now() <= deadline;) {
    seen = reports.count;
    await sleep(POLL_MS);
    await reports.poll();
  }
  const processed = reports.count - baseline;
  const timedOut = processed < events;
  const lastDoneAt = timedOut ? Number.NaN : reports.lastAt;
  return {
    enqueue: { ...result, cpu: cpuPerRequest(before, after, result.ok) },
    events,
    firstAckAt,
    lastAckAt,
    lastDoneAt,
    endToEndRate: (processed * 1000) / (lastDoneAt - firstAckAt),
    processed,
    timedOut,
  };
}
