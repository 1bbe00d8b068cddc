import { AwsError, checkRange, validationError } from '../core/index.js';
import type { LogGroups } from '../logs/log-groups.js';
import type { LiveTailMessage, LiveTailRequest, LiveTails } from '../logs/live-tail.js';
import { eventMessage, exceptionMessage } from './event-stream.js';
import { jsonBody, route, type Reply, type RequestContext, type Route } from './http.js';
import { jsonErrorReply, jsonProtocol, type JsonOperation } from './json-protocol.js';
import { expectBoolean, expectInteger, expectString, optional, type Body } from './wire.js';

/** The service model's LogGroupName pattern and lengths. */
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/**
 * CloudWatch Logs (AWS JSON 1.1: `POST /` with `X-Amz-Target: Logs_20140328.<Operation>`, SigV4 service
 * `logs`) over the functions' logs, so `aws logs tail /aws/lambda/NAME --follow`, `aws logs
 * filter-log-events` and the SDK's CloudWatchLogs client work unchanged.
 */
function operations(groups: LogGroups): Record<string, JsonOperation> {
  return {
    DescribeLogGroups: async (b) => {
      const page = await groups.describeGroups({
        ...given('prefix', optional(b, 'logGroupNamePrefix', expectString)),
        ...given('pattern', optional(b, 'logGroupNamePattern', expectString)),
        ...given('limit', limit(b, 50)),
        ...given('nextToken', optional(b, 'nextToken', expectString)),
      });
      return {
        logGroups: page.groups.map((g) => ({
          logGroupName: g.name,
          creationTime: g.createdMs,
          ...(g.retentionDays === undefined ? {} : { retentionInDays: g.retentionDays }),
          metricFilterCount: 0,
          arn: `${g.arn}:*`,
          logGroupArn: g.arn,
          storedBytes: g.storedBytes,
          logGroupClass: 'STANDARD',
        })),
        ...given('nextToken', page.nextToken),
      };
    },
    DescribeLogStreams: async (b) => {
      const page = await groups.describeStreams(groupOf(b), {
        ...given('prefix', optional(b, 'logStreamNamePrefix', expectString)),
        ...given('orderBy', orderBy(b)),
        ...given('descending', optional(b, 'descending', expectBoolean)),
        ...given('limit', limit(b, 50)),
        ...given('nextToken', optional(b, 'nextToken', expectString)),
      });
      return {
        logStreams: page.streams.map((s) => ({
          logStreamName: s.name,
          creationTime: s.firstMs,
          firstEventTimestamp: s.firstMs,
          lastEventTimestamp: s.lastMs,
          lastIngestionTime: s.lastMs,
          arn: s.arn,
          // Deprecated by CloudWatch, which always answers 0 here.
          storedBytes: 0,
        })),
        ...given('nextToken', page.nextToken),
      };
    },
    GetLogEvents: (b) =>
      groups.getEvents(groupOf(b), requiredString(b, 'logStreamName'), {
        ...given('startMs', optional(b, 'startTime', expectInteger)),
        ...given('endMs', optional(b, 'endTime', expectInteger)),
        ...given('limit', limit(b, 10_000)),
        ...given('nextToken', optional(b, 'nextToken', expectString)),
        ...given('startFromHead', optional(b, 'startFromHead', expectBoolean)),
      }),
    FilterLogEvents: async (b) => {
      const names = stringList(b, 'logStreamNames', 100, 'log stream names');
      const page = await groups.filterEvents(groupOf(b), {
        ...given('streamNames', names),
        ...given('streamPrefix', optional(b, 'logStreamNamePrefix', expectString)),
        ...given('startMs', optional(b, 'startTime', expectInteger)),
        ...given('endMs', optional(b, 'endTime', expectInteger)),
        ...given('pattern', optional(b, 'filterPattern', expectString)),
        ...given('limit', limit(b, 10_000)),
        ...given('nextToken', optional(b, 'nextToken', expectString)),
      });
      // searchedLogStreams is deprecated: CloudWatch answers it empty.
      return { events: page.events, searchedLogStreams: [], ...given('nextToken', page.nextToken) };
    },
    PutRetentionPolicy: async (b) => {
      const days = optional(b, 'retentionInDays', expectInteger);
      if (days === undefined) throw missing('retentionInDays');
      await groups.putRetention(groupName(b), days);
      return {};
    },
    DeleteRetentionPolicy: async (b) => {
      await groups.deleteRetention(groupName(b));
      return {};
    },
    DeleteLogGroup: async (b) => {
      await groups.deleteGroup(groupName(b));
      return {};
    },
    DeleteLogStream: async (b) => {
      await groups.deleteStream(groupName(b), requiredString(b, 'logStreamName'));
      return {};
    },
  };
}

export function logsRoutes(groups: LogGroups, liveTails: LiveTails): Route[] {
  const { operationOf, handler } = jsonProtocol('Logs_20140328', 'CloudWatch Logs', operations(groups));
  const liveTail = liveTailHandler(liveTails);
  // Live Tail's groups: a list, each authorized (the first as the route's resource, the others also).
  const tailedArns = (ctx: RequestContext) => {
    const identifiers = jsonBody(ctx).logGroupIdentifiers;
    return Array.isArray(identifiers) ? identifiers.filter((i) => typeof i === 'string').map((i: string) => `${groups.groupArn(nameOfIdentifier(i))}:*`) : [];
  };
  return [
    route('POST', '/', 'CloudWatchLogs', (ctx) => (operationOf(ctx) === 'StartLiveTail' ? liveTail(ctx) : handler(ctx)), {
      service: 'logs',
      action: (ctx) => `logs:${operationOf(ctx)}`,
      // A group's operations are authorized on the group; DescribeLogGroups on every group.
      resource: (ctx: RequestContext) => {
        if (operationOf(ctx) === 'StartLiveTail') return tailedArns(ctx)[0] ?? '*';
        const name = groupNameIn(jsonBody(ctx));
        return name === undefined ? '*' : `${groups.groupArn(name)}:*`;
      },
      alsoAuthorize: (ctx) =>
        operationOf(ctx) === 'StartLiveTail'
          ? tailedArns(ctx)
              .slice(1)
              .map((resource) => ({ action: 'logs:StartLiveTail', resource }))
          : [],
    }),
  ];
}

/**
 * StartLiveTail: the same JSON request, answered with an event stream (sessionStart, then a
 * sessionUpdate a second). Errors before the stream starts are answered as the protocol's other errors.
 */
function liveTailHandler(liveTails: LiveTails) {
  return async (ctx: RequestContext): Promise<Reply> => {
    // The session ends when its connection does: a client stops a Live Tail by closing it.
    const closed = new AbortController();
    const socket = ctx.req.socket;
    const onClose = () => closed.abort();
    socket.once('close', onClose);
    let session: AsyncGenerator<LiveTailMessage>;
    try {
      session = await liveTails.start(liveTailRequest(jsonBody(ctx)), ctx.requestId, closed.signal);
    } catch (error) {
      socket.off('close', onClose);
      if (!(error instanceof AwsError) || error.fault === 'Service') throw error;
      return jsonErrorReply(error);
    }
    return {
      status: 200,
      headers: { 'Content-Type': 'application/vnd.amazon.eventstream' },
      body: frames(session, () => socket.off('close', onClose)),
    };
  };
}

async function* frames(session: AsyncGenerator<LiveTailMessage>, ended: () => void): AsyncGenerator<Uint8Array> {
  try {
    // AWS JSON's event streams open with the output's other members (none here), as boto3 requires.
    yield eventMessage('initial-response', 'application/x-amz-json-1.1', Buffer.from('{}'));
    for await (const message of session) {
      const body = Buffer.from(JSON.stringify(message.body));
      yield message.type === 'exception' ? exceptionMessage(message.exceptionType, body) : eventMessage(message.type, 'application/json', body);
    }
  } finally {
    ended();
  }
}

function liveTailRequest(b: Body): LiveTailRequest {
  const identifiers = stringList(b, 'logGroupIdentifiers', 10, 'items');
  if (identifiers === undefined) throw missing('logGroupIdentifiers');
  const streamNames = stringList(b, 'logStreamNames', 100, 'items');
  const streamPrefixes = stringList(b, 'logStreamNamePrefixes', 100, 'items');
  if (streamNames !== undefined && streamPrefixes !== undefined) {
    throw invalid('logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.');
  }
  if ((streamNames !== undefined || streamPrefixes !== undefined) && identifiers.length !== 1) {
    throw invalid('logStreamNames and logStreamNamePrefixes can be given only with exactly one log group in logGroupIdentifiers.');
  }
  const pattern = optional(b, 'logEventFilterPattern', expectString);
  return {
    identifiers,
    groups: identifiers.map(nameOfIdentifier),
    ...given('streamNames', streamNames),
    ...given('streamPrefixes', streamPrefixes),
    ...given('pattern', pattern),
  };
}

/** A group's name from its identifier: the name itself, or its ARN (with or without the `:*`). */
function nameOfIdentifier(identifier: string): string {
  return identifier.replace(/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:/, '').replace(/:\*$/, '');
}

/** Members that are set, and only those: CloudWatch leaves unset members out of its answers. */
function given<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** CloudWatch Logs answers a broken constraint with InvalidParameterException, in the model validator's words. */
const INVALID = 'InvalidParameterException';
const invalid = (message: string) => new AwsError(INVALID, message);
const missing = (field: string) => invalid(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);

/** A list of 1 to `max` strings, when given; `what` its items are called in the error. */
function stringList(b: Body, field: string, max: number, what: string): string[] | undefined {
  return optional(b, field, (name, value) => {
    if (!Array.isArray(value) || value.length < 1 || value.length > max) throw invalid(`${name} must list 1 to ${max} ${what}.`);
    return value.map((item, i) => expectString(`${name}.${i + 1}`, item));
  });
}

function requiredString(b: Body, field: string): string {
  const value = optional(b, field, expectString);
  if (value === undefined || value === '') throw missing(field);
  return value;
}

function groupName(b: Body): string {
  const name = requiredString(b, 'logGroupName');
  if (!GROUP_NAME.test(name)) throw validationError('logGroupName', name, 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+', INVALID);
  return name;
}

/** logGroupName, or logGroupIdentifier: a name or a group's ARN (with or without its `:*`). */
function groupOf(b: Body): string {
  const name = optional(b, 'logGroupName', expectString);
  const identifier = optional(b, 'logGroupIdentifier', expectString);
  if (name !== undefined && identifier !== undefined) throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  if (identifier !== undefined) return nameOfIdentifier(identifier);
  if (name === undefined) throw invalid('Either logGroupName or logGroupIdentifier must be given.');
  return groupName(b);
}

function groupNameIn(b: Body): string | undefined {
  try {
    return typeof b.logGroupName === 'string' || typeof b.logGroupIdentifier === 'string' ? groupOf(b) : undefined;
  } catch {
    return undefined; // the handler reports what is wrong
  }
}

function limit(b: Body, max: number): number | undefined {
  const value = optional(b, 'limit', expectInteger);
  return value === undefined ? undefined : checkRange('limit', value, 1, max, INVALID);
}

function orderBy(b: Body): string | undefined {
  const value = optional(b, 'orderBy', expectString);
  if (value !== undefined && value !== 'LogStreamName' && value !== 'LastEventTime') {
    throw validationError('orderBy', value, 'Member must satisfy enum value set: [LogStreamName, LastEventTime]', INVALID);
  }
  return value;
}
