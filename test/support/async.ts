import type { Platform } from '../../src/platform.js';
import { signedFetch } from './signed-fetch.js';

export interface LogEvent {
  readonly id: number;
  readonly timeMs: number;
  readonly stream: string;
  readonly message: string;
}

export interface FailedEventEntry {
  readonly requestId: string;
  readonly condition: string;
  readonly failedAt: number;
  readonly enqueuedAt: number;
  readonly approximateInvokeCount: number;
  readonly lastError: string | null;
  readonly payload: string;
}

export interface UsageEntry {
  readonly functionName: string;
  readonly requests: number;
  readonly errors: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns something other than undefined; generous by default (slow shared
 * machines), and the timeout only turns a hang into a readable failure: nothing here measures time.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, { timeoutMs = 120_000, everyMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function getJson<T>(platform: Platform, path: string, query: Record<string, string> = {}): Promise<T> {
  const res = await signedFetch(platform, 'GET', path, { query });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** The function's log lines, oldest first (`GET /selfless/v1/functions/{name}/logs`). */
export async function readLogs(platform: Platform, name: string): Promise<LogEvent[]> {
  const all: LogEvent[] = [];
  // Pages are bounded by bytes too: follow `more` to the end.
  for (let afterId = 0; ;) {
    const page = await getJson<{ events: LogEvent[]; more?: boolean }>(platform, `/selfless/v1/functions/${encodeURIComponent(name)}/logs`, {
      limit: '10000',
      afterId: String(afterId),
    });
    all.push(...page.events);
    if (page.more !== true || page.events.length === 0) return all;
    afterId = page.events[page.events.length - 1]!.id;
  }
}

/** How many START / END / REPORT lines carry this request id. */
export function frames(events: readonly LogEvent[], requestId: string): { start: number; end: number; report: number } {
  const count = (kind: string) => events.filter((e) => e.message.startsWith(`${kind} RequestId: ${requestId}`)).length;
  return { start: count('START'), end: count('END'), report: count('REPORT') };
}

/** Request ids of every START line of the function's logs, in order. */
export function startedIds(events: readonly LogEvent[]): string[] {
  return events.flatMap((e) => {
    const m = /^START RequestId: ([0-9a-f-]+)/.exec(e.message);
    return m ? [m[1]!] : [];
  });
}

/** Waits until `count` attempts of this request id are fully framed (START, END and REPORT) in the logs. */
export function waitForAttempts(platform: Platform, name: string, requestId: string, count = 1): Promise<LogEvent[]> {
  return waitFor(`${count} framed attempt(s) of ${requestId} in ${name}'s logs`, async () => {
    const events = await readLogs(platform, name);
    const f = frames(events, requestId);
    return f.start >= count && f.end >= count && f.report >= count ? events : undefined;
  });
}

/**
 * The JSON objects a sink function logged with `console.log(MARKER + JSON.stringify(event))`,
 * oldest first, with the request id of the sink invocation that logged each.
 */
export async function loggedRecords(platform: Platform, name: string, marker: string): Promise<Array<{ sinkRequestId: string; record: any }>> {
  const out: Array<{ sinkRequestId: string; record: any }> = [];
  for (const e of await readLogs(platform, name)) {
    // Lambda's Node log format: <timestamp>\t<request id>\tINFO\t<message>
    const [, sinkRequestId, , text] = e.message.split('\t');
    if (text === undefined || !text.startsWith(marker)) continue;
    out.push({ sinkRequestId: sinkRequestId!, record: JSON.parse(text.slice(marker.length).trim()) });
  }
  return out;
}

/** Waits for the sink's record about this request id (the invocation record's requestContext.requestId). */
export function waitForRecord(platform: Platform, sink: string, marker: string, requestId: string): Promise<{ sinkRequestId: string; record: any }> {
  return waitFor(`a destination record for ${requestId} in ${sink}'s logs`, async () =>
    (await loggedRecords(platform, sink, marker)).find((r) => r.record?.requestContext?.requestId === requestId),
  );
}

export async function failedEvents(platform: Platform, name: string): Promise<FailedEventEntry[]> {
  return (await getJson<{ events: FailedEventEntry[] }>(platform, `/selfless/v1/functions/${encodeURIComponent(name)}/failed-events`)).events;
}

export function waitForFailed(platform: Platform, name: string, requestId: string): Promise<FailedEventEntry> {
  return waitFor(`${requestId} in ${name}'s failed-event store`, async () => (await failedEvents(platform, name)).find((e) => e.requestId === requestId));
}

export async function redrive(platform: Platform, name: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await signedFetch(platform, 'POST', `/selfless/v1/functions/${encodeURIComponent(name)}/failed-events/redrive`, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

export async function usageOf(platform: Platform, name: string): Promise<UsageEntry | undefined> {
  return (await getJson<{ functions: UsageEntry[] }>(platform, '/selfless/v1/usage')).functions.find((f) => f.functionName === name);
}
