import { AwsError, validationError, type Partition } from '../core/index.js';
import type { LogStore } from '../metering/index.js';
import { FilterPatternError, parseFilterPattern, type FilterPattern } from './filter-pattern.js';

/** PutRetentionPolicy's allowed values (the service model's `Days` documentation). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** CloudWatch's page limits: DescribeLogGroups/Streams at most 50, events at most 10,000 (and 1 MB). */
const DESCRIBE_LIMIT = 50;
const EVENTS_LIMIT = 10_000;
const PAGE_BYTES = 1024 * 1024;
/** Events FilterLogEvents reads per call before it answers with what matched and a token to go on. */
const SCAN_BUDGET = 50_000;
const SCAN_BATCH = 1_000;

export interface LogGroupView {
  readonly name: string;
  readonly arn: string;
  readonly createdMs: number;
  readonly retentionDays?: number;
  readonly storedBytes: number;
}

export interface LogStreamView {
  readonly name: string;
  readonly arn: string;
  readonly firstMs: number;
  readonly lastMs: number;
}

export interface StreamEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly ingestionTime: number;
}

export interface FilteredEvent extends StreamEvent {
  readonly logStreamName: string;
  readonly eventId: string;
}

const groupMissing = () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
const streamMissing = () => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
const badToken = () => new AwsError('InvalidParameterException', 'The specified nextToken is invalid.');

/**
 * CloudWatch Logs' view of the functions' logs: a log group per LoggingConfig.LogGroup (by default
 * `/aws/lambda/NAME`), a stream per environment, named as Lambda names them. The rules and tokens
 * follow the CloudWatch Logs API reference; the events themselves are the LogStore's.
 */
export class LogGroups {
  constructor(
    private readonly logs: LogStore,
    private readonly partition: Partition,
  ) {}

  groupArn(name: string): string {
    return `arn:aws:logs:${this.partition.region}:${this.partition.accountId}:log-group:${name}`;
  }

  async describeGroups(options: { prefix?: string; pattern?: string; limit?: number; nextToken?: string }) {
    if (options.prefix !== undefined && options.pattern !== undefined) {
      throw new AwsError('InvalidParameterException', 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
    }
    const after = options.nextToken === undefined ? undefined : decodeToken(options.nextToken);
    const pattern = options.pattern?.toLowerCase();
    const matching = (await this.logs.groups()).filter(
      (g) =>
        (after === undefined || g.name > after) &&
        (options.prefix === undefined || g.name.startsWith(options.prefix)) &&
        (pattern === undefined || g.name.toLowerCase().includes(pattern)),
    );
    const page = matching.slice(0, options.limit ?? DESCRIBE_LIMIT);
    const groups: LogGroupView[] = [];
    for (const g of page) groups.push({ ...g, arn: this.groupArn(g.name), storedBytes: await this.logs.groupBytes(g.name) });
    const more = matching.length > page.length;
    return { groups, ...(more ? { nextToken: encodeToken(page.at(-1)!.name) } : {}) };
  }

  async describeStreams(group: string, options: { prefix?: string; orderBy?: string; descending?: boolean; limit?: number; nextToken?: string }) {
    const byTime = options.orderBy === 'LastEventTime';
    if (byTime && options.prefix !== undefined) throw new AwsError('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
    await this.#requireGroup(group);
    const offset = options.nextToken === undefined ? 0 : Number(decodeToken(options.nextToken));
    if (!Number.isInteger(offset) || offset < 0) throw badToken();
    const streams = (await this.logs.streams(group)).filter((s) => options.prefix === undefined || s.name.startsWith(options.prefix));
    streams.sort(byTime ? (a, b) => a.lastMs - b.lastMs || compare(a.name, b.name) : (a, b) => compare(a.name, b.name));
    if (options.descending === true) streams.reverse();
    const limit = options.limit ?? DESCRIBE_LIMIT;
    const page = streams.slice(offset, offset + limit).map((s) => ({ ...s, arn: `${this.groupArn(group)}:log-stream:${s.name}` }));
    const next = offset + page.length;
    return { streams: page, ...(next < streams.length ? { nextToken: encodeToken(String(next)) } : {}) };
  }

  /**
   * One stream's events, oldest first, in `[startMs, endMs)`. Without a token: its first page from the
   * head, or (the default) its last page. The tokens name the positions on either side of the page; at
   * the end the forward token comes back unchanged, which is how callers know they have read it all.
   */
  async getEvents(group: string, stream: string, options: { startMs?: number; endMs?: number; limit?: number; nextToken?: string; startFromHead?: boolean }) {
    await this.#requireGroup(group);
    const token = options.nextToken === undefined ? undefined : parseStreamToken(options.nextToken);
    const direction = token?.direction ?? (options.startFromHead === true ? 'forward' : 'backward');
    const fromId = token?.id ?? (direction === 'forward' ? 0 : Number.MAX_SAFE_INTEGER);
    const events = await this.logs.readStream(group, stream, {
      direction,
      fromId,
      startMs: options.startMs ?? 0,
      endMs: options.endMs ?? Number.MAX_SAFE_INTEGER,
      limit: options.limit ?? EVENTS_LIMIT,
    });
    if (events.length === 0 && token === undefined && !(await this.logs.streams(group)).some((s) => s.name === stream)) throw streamMissing();
    const first = events[0]?.id ?? (token === undefined ? 0 : fromId);
    const last = events.at(-1)?.id ?? (token === undefined ? 0 : fromId);
    return {
      events: events.map((e): StreamEvent => ({ timestamp: e.timeMs, message: e.message, ingestionTime: e.timeMs })),
      nextForwardToken: `f/${last}`,
      nextBackwardToken: `b/${first}`,
    };
  }

  /**
   * A group's events in `[startMs, endMs]` that match the filter pattern, across its streams in time
   * order. A call reads at most SCAN_BUDGET events: past that it answers with what matched so far and a
   * token, as CloudWatch does on a long search, so a rare pattern over a big group cannot hold the server.
   */
  async filterEvents(
    group: string,
    options: { streamNames?: readonly string[]; streamPrefix?: string; startMs?: number; endMs?: number; pattern?: string; limit?: number; nextToken?: string },
  ) {
    if (options.streamNames !== undefined && options.streamPrefix !== undefined) {
      throw new AwsError('InvalidParameterException', 'logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
    }
    const pattern = filterPatternOf(options.pattern);
    await this.#requireGroup(group);
    let after = options.nextToken === undefined ? { timeMs: -1, id: 0 } : parseScanToken(options.nextToken);
    const names = options.streamNames === undefined ? undefined : new Set(options.streamNames);
    const limit = options.limit ?? EVENTS_LIMIT;
    const events: FilteredEvent[] = [];
    let bytes = 0;
    let scanned = 0;
    for (;;) {
      const batch = await this.logs.scanGroup(group, {
        startMs: options.startMs ?? 0,
        endMs: options.endMs ?? Number.MAX_SAFE_INTEGER,
        after,
        limit: SCAN_BATCH,
      });
      for (const e of batch) {
        after = { timeMs: e.timeMs, id: e.id };
        scanned += 1;
        if (names !== undefined && !names.has(e.stream)) continue;
        if (options.streamPrefix !== undefined && !e.stream.startsWith(options.streamPrefix)) continue;
        if (!pattern.matches(e.message)) continue;
        events.push({ logStreamName: e.stream, timestamp: e.timeMs, message: e.message, ingestionTime: e.timeMs, eventId: String(e.id) });
        bytes += Buffer.byteLength(e.message);
        if (events.length >= limit || bytes >= PAGE_BYTES) return { events, nextToken: scanToken(after) };
      }
      if (batch.length < SCAN_BATCH) return { events };
      if (scanned >= SCAN_BUDGET) return { events, nextToken: scanToken(after) };
    }
  }

  async putRetention(group: string, days: number): Promise<void> {
    if (!(RETENTION_DAYS as readonly number[]).includes(days)) {
      throw validationError('retentionInDays', days, `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`, 'InvalidParameterException');
    }
    if (!(await this.logs.setRetention(group, days))) throw groupMissing();
  }

  async deleteRetention(group: string): Promise<void> {
    if (!(await this.logs.setRetention(group, undefined))) throw groupMissing();
  }

  async deleteGroup(group: string): Promise<void> {
    if (!(await this.logs.deleteGroup(group))) throw groupMissing();
  }

  async deleteStream(group: string, stream: string): Promise<void> {
    await this.#requireGroup(group);
    if (!(await this.logs.deleteStream(group, stream))) throw streamMissing();
  }

  async #requireGroup(name: string): Promise<void> {
    if (!(await this.logs.groups()).some((g) => g.name === name)) throw groupMissing();
  }
}

/** A request's filter pattern, parsed; one that does not parse is CloudWatch's InvalidParameterException. */
export function filterPatternOf(text: string | undefined): FilterPattern {
  try {
    return parseFilterPattern(text ?? '');
  } catch (error) {
    if (error instanceof FilterPatternError) throw new AwsError('InvalidParameterException', `Invalid filter pattern: ${error.message}`);
    throw error;
  }
}

/** Code-point order, as CloudWatch sorts names (not the locale's). */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const encodeToken = (value: string) => Buffer.from(value).toString('base64url');

function decodeToken(token: string): string {
  const value = Buffer.from(token, 'base64url').toString();
  if (value === '' || encodeToken(value) !== token) throw badToken();
  return value;
}

function parseStreamToken(token: string): { direction: 'forward' | 'backward'; id: number } {
  const match = /^([fb])\/(\d{1,16})$/.exec(token);
  if (match === null) throw badToken();
  return { direction: match[1] === 'f' ? 'forward' : 'backward', id: Number(match[2]) };
}

const scanToken = (at: { timeMs: number; id: number }) => encodeToken(`${at.timeMs}/${at.id}`);

function parseScanToken(token: string): { timeMs: number; id: number } {
  const match = /^(-?\d{1,16})\/(\d{1,16})$/.exec(decodeToken(token));
  if (match === null) throw badToken();
  return { timeMs: Number(match[1]), id: Number(match[2]) };
}
