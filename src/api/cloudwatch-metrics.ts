import { AwsError, type Clock, type Partition } from '../core/index.js';
import { ACCOUNT_WIDE, MINUTE_MS, type MetricMinute, type MetricSeries } from '../metering/index.js';
import {
  boolean,
  checkLength,
  integer,
  invalidValue,
  list,
  missing,
  refuse,
  requiredText,
  requiredTimestamp,
  structure,
  structureItem,
  text,
  textItem,
  type Doc,
} from './cloudwatch-input.js';
import {
  LAMBDA_METRIC_NAMES,
  LAMBDA_METRICS,
  LAMBDA_NAMESPACE,
  percentileOf,
  periodsOf,
  statisticOf,
  STATISTICS,
  type Summary,
} from './cloudwatch-statistics.js';

/**
 * CloudWatch's metric reads (GetMetricStatistics, GetMetricData, ListMetrics) over the AWS/Lambda
 * metrics selfless keeps by the minute. Plain objects in and out: the protocol adapters (./cloudwatch.ts)
 * decode requests and encode answers (a Date is a timestamp, a Map is a map).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Operations.html
 */
export type MetricOperation = (input: Doc) => Promise<object>;

export interface MetricReads {
  readonly series: MetricSeries;
  readonly clock: Clock;
  readonly partition: Partition;
}

/** GetMetricStatistics answers at most 1,440 datapoints (API_GetMetricStatistics). */
const MAX_STATISTICS_DATAPOINTS = 1440;
/** GetMetricData's default and largest MaxDatapoints (API_GetMetricData). */
const MAX_DATA_DATAPOINTS = 100_800;
/** GetMetricData takes up to 500 queries (API_GetMetricData). */
const MAX_QUERIES = 500;
/** ListMetrics pages hold up to 500 metrics, and cover the metrics with data in the last two weeks (API_ListMetrics). */
const LIST_PAGE = 500;
const LIST_WINDOW_MS = 14 * 86_400_000;
const RECENTLY_ACTIVE_MS = 3 * 3_600_000;
const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
];
const METRIC_ID = /^[a-z][a-zA-Z0-9_]*$/;

interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

/** A metric as a request names it. */
interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
}

export function metricOperations(s: MetricReads): Record<string, MetricOperation> {
  return {
    GetMetricStatistics: async (b) => {
      // 1. The members, checked as CloudWatch checks them: presence, then values, then combinations.
      const ref = metricRef(b, '');
      const startMs = requiredTimestamp(b, 'StartTime');
      const endMs = requiredTimestamp(b, 'EndTime');
      const period = integer(b, 'Period');
      if (period === undefined) throw missing('Period');
      const statistics = list(b, 'Statistics', 5, statisticItem) ?? [];
      const extended = list(b, 'ExtendedStatistics', 10, percentileItem) ?? [];
      const unit = unitOf(b, 'Unit');
      checkPeriod('Period', period);
      const fromMs = window(startMs, endMs);
      if (statistics.length === 0 && extended.length === 0) {
        throw new AwsError('InvalidParameterCombinationException', 'Must specify either Statistics or ExtendedStatistics');
      }
      const requested = Math.ceil((endMs - fromMs) / (period * 1000));
      if (requested > MAX_STATISTICS_DATAPOINTS) {
        throw new AwsError(
          'InvalidParameterCombinationException',
          `You have requested up to ${requested} datapoints, which exceeds the limit of ${MAX_STATISTICS_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
        );
      }
      // 2. The periods with data, each with the statistics asked for.
      const found = await periods(reader(s, fromMs, endMs), ref, unit, period, fromMs);
      const datapoints = found.periods.map(({ startMs: at, summary }) => ({
        Timestamp: new Date(at),
        ...Object.fromEntries(statistics.map((stat) => [stat, statisticOf(summary, stat)])),
        Unit: found.unit,
        ...(extended.length === 0 ? {} : percentiles(summary, extended)),
      }));
      return { Label: ref.metricName, Datapoints: datapoints };
    },

    GetMetricData: async (b) => {
      const queries = list(b, 'MetricDataQueries', MAX_QUERIES, structureItem);
      if (queries === undefined || queries.length === 0) throw missing('MetricDataQueries');
      const startMs = requiredTimestamp(b, 'StartTime');
      const endMs = requiredTimestamp(b, 'EndTime');
      const scanBy = text(b, 'ScanBy') ?? 'TimestampDescending';
      if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') {
        throw invalidValue('The parameter ScanBy must be a value in the set [ TimestampDescending, TimestampAscending ].');
      }
      const maxDatapoints = integer(b, 'MaxDatapoints') ?? MAX_DATA_DATAPOINTS;
      if (maxDatapoints < 1) throw invalidValue('The parameter MaxDatapoints must be greater than 0.');
      // Dynamic labels (${MIN}, ${LAST}, …) are not expanded, so their time zone has nothing to apply to.
      refuse(b, 'LabelOptions');
      const skip = tokenOffset(text(b, 'NextToken'));
      const fromMs = window(startMs, endMs);
      const parsed = queries.map((q, i) => dataQuery(q, `MetricDataQueries.member.${i + 1}`, s.partition.accountId));
      const ids = new Set(parsed.map((q) => q.id));
      if (ids.size !== parsed.length) throw new AwsError('ValidationError', 'The values for parameter id in MetricDataQueries are not unique.');

      // Every query's points, in the order asked for; a page holds MaxDatapoints of them across the queries.
      // Queries of one function (its Invocations and its Errors) read its minutes once.
      const read = reader(s, fromMs, endMs);
      let budget = maxDatapoints;
      let offset = skip;
      let more = false;
      const results = [];
      for (const q of parsed.filter((q) => q.returnData)) {
        const found = await periods(read, q.metric, q.unit, q.period, fromMs);
        let points = found.periods.flatMap(({ startMs: at, summary }) => {
          const value = statisticOf(summary, q.stat);
          return value === undefined ? [] : [{ at, value }];
        });
        if (scanBy === 'TimestampDescending') points.reverse();
        const skipped = Math.min(offset, points.length);
        offset -= skipped;
        points = points.slice(skipped);
        const page = points.slice(0, budget);
        budget -= page.length;
        const partial = page.length < points.length;
        more ||= partial;
        results.push({
          Id: q.id,
          Label: q.label ?? q.metric.metricName,
          Timestamps: page.map((p) => new Date(p.at)),
          Values: page.map((p) => p.value),
          StatusCode: partial ? 'PartialData' : 'Complete',
        });
      }
      return {
        MetricDataResults: results,
        Messages: [],
        ...(more ? { NextToken: offsetToken(skip + maxDatapoints) } : {}),
      };
    },

    ListMetrics: async (b) => {
      const namespace = text(b, 'Namespace');
      const metricName = text(b, 'MetricName');
      const filters = list(b, 'Dimensions', 10, (item, field) => {
        const d = structureItem(item, field);
        return { name: requiredText(d, 'Name', `${field}.Name`), value: text(d, 'Value', `${field}.Value`) };
      });
      const recently = text(b, 'RecentlyActive');
      if (recently !== undefined && recently !== 'PT3H') throw invalidValue('The parameter RecentlyActive must be a value in the set [ PT3H ].');
      const linked = boolean(b, 'IncludeLinkedAccounts') ?? false;
      const owner = text(b, 'OwningAccount');
      const skip = tokenOffset(text(b, 'NextToken'));
      const accountId = s.partition.accountId;

      const mine = (namespace === undefined || namespace === LAMBDA_NAMESPACE) && (owner === undefined || owner === accountId);
      const since = s.clock.now() - (recently === undefined ? LIST_WINDOW_MS : RECENTLY_ACTIVE_MS);
      const names = mine ? await s.series.functionNames(since) : [];
      // The dimensionless (account-wide) metrics whenever any function has figures, then each function's.
      const dimensionSets: Dimension[][] = names.length === 0 ? [] : [[], ...names.map((name) => [{ Name: 'FunctionName', Value: name }])];
      const metrics = dimensionSets
        .flatMap((dimensions) => LAMBDA_METRIC_NAMES.map((name) => ({ Namespace: LAMBDA_NAMESPACE, MetricName: name, Dimensions: dimensions })))
        .filter((m) => metricName === undefined || m.MetricName === metricName)
        .filter((m) => (filters ?? []).every((f) => m.Dimensions.some((d) => d.Name === f.name && (f.value === undefined || d.Value === f.value))));
      const page = metrics.slice(skip, skip + LIST_PAGE);
      return {
        Metrics: page,
        ...(linked ? { OwningAccounts: page.map(() => accountId) } : {}),
        ...(skip + LIST_PAGE < metrics.length ? { NextToken: offsetToken(skip + LIST_PAGE) } : {}),
      };
    },
  };
}

/**
 * The periods of a metric that have data, or none at all: for a namespace other than AWS/Lambda, a
 * metric Lambda does not publish, dimensions other than one FunctionName, or a Unit the metric is not
 * in (CloudWatch answers those with no datapoints, as it does any metric it holds nothing for).
 */
async function periods(read: MinuteReader, ref: MetricRef, unit: string | undefined, periodSeconds: number, fromMs: number) {
  const metric = Object.hasOwn(LAMBDA_METRICS, ref.metricName) ? LAMBDA_METRICS[ref.metricName] : undefined;
  const functionName =
    ref.dimensions.length === 0
      ? ACCOUNT_WIDE
      : ref.dimensions.length === 1 && ref.dimensions[0]!.Name === 'FunctionName'
        ? ref.dimensions[0]!.Value
        : undefined;
  if (ref.namespace !== LAMBDA_NAMESPACE || metric === undefined || functionName === undefined || (unit !== undefined && unit !== metric.unit)) {
    return { unit: unit ?? 'None', periods: [] as Array<{ startMs: number; summary: Summary }> };
  }
  const minutes = await read(functionName);
  return { unit: metric.unit, periods: periodsOf(metric, minutes, fromMs, periodSeconds * 1000) };
}

type MinuteReader = (functionName: string) => Promise<MetricMinute[]>;

/** A function's minutes of one request's window, each function's read once. */
function reader(s: MetricReads, fromMs: number, endMs: number): MinuteReader {
  const reads = new Map<string, Promise<MetricMinute[]>>();
  return (functionName) => {
    let minutes = reads.get(functionName);
    if (minutes === undefined) reads.set(functionName, (minutes = s.series.read(functionName, fromMs, endMs)));
    return minutes;
  };
}

/**
 * The first period's start: StartTime rounded down to the minute, as CloudWatch rounds a start within
 * the last 15 days, which is all selfless keeps (API_GetMetricStatistics, StartTime). Refuses a window
 * that does not run forwards, to the second.
 */
function window(startMs: number, endMs: number): number {
  if (Math.floor(startMs / 1000) >= Math.floor(endMs / 1000)) throw invalidValue('The parameter StartTime must be less than the parameter EndTime.');
  return Math.floor(startMs / MINUTE_MS) * MINUTE_MS;
}

/**
 * A period CloudWatch takes for a metric of standard (one-minute) resolution, as all of Lambda's are:
 * a positive multiple of 60. (The 1, 5, 10, 20 and 30 seconds of high-resolution custom metrics have
 * nothing below a minute to read here.)
 */
function checkPeriod(field: string, period: number): void {
  if (period < 0) throw invalidValue(`The parameter ${field} must be greater than 0.`);
  if (period === 0) throw invalidValue(`The parameter ${field} must not equal 0.`);
  if (period % 60 !== 0) throw invalidValue(`The parameter ${field} must be a multiple of 60.`);
}

function metricRef(b: Doc, prefix: string): MetricRef {
  const namespace = checkLength(`${prefix}Namespace`, requiredText(b, 'Namespace', `${prefix}Namespace`), 255);
  if (namespace.startsWith(':')) throw invalidValue(`The parameter ${prefix}Namespace must not start with ':'.`);
  const metricName = checkLength(`${prefix}MetricName`, requiredText(b, 'MetricName', `${prefix}MetricName`), 255);
  const dimensions =
    list(
      b,
      'Dimensions',
      30,
      (item, field) => {
        const d = structureItem(item, field);
        return {
          Name: checkLength(`${field}.Name`, requiredText(d, 'Name', `${field}.Name`), 255),
          Value: checkLength(`${field}.Value`, requiredText(d, 'Value', `${field}.Value`), 1024),
        };
      },
      `${prefix}Dimensions`,
    ) ?? [];
  if (new Set(dimensions.map((d) => d.Name)).size !== dimensions.length) throw invalidValue('No Metric may specify the same dimension twice.');
  return { namespace, metricName, dimensions };
}

function unitOf(b: Doc, name: string, field = name): string | undefined {
  const unit = text(b, name, field);
  if (unit !== undefined && !UNITS.includes(unit)) throw invalidValue(`The parameter ${field} must be a value in the set [${UNITS.join(', ')}].`);
  return unit;
}

function statisticItem(item: unknown, field: string): string {
  const stat = textItem(item, field);
  if (!(STATISTICS as readonly string[]).includes(stat)) throw invalidValue(`The parameter ${field} must be a value in the set [${STATISTICS.join(', ')}].`);
  return stat;
}

function percentileItem(item: unknown, field: string): string {
  const stat = textItem(item, field);
  if (percentileOf(stat) === undefined) throw invalidValue(`The parameter ${field} must be a percentile from p0.0 to p100 (such as p99 or p99.9).`);
  return stat;
}

/** A datapoint's ExtendedStatistics: for Duration only (the other metrics keep no distribution). */
function percentiles(summary: Summary, stats: readonly string[]): { ExtendedStatistics?: Map<string, number> } {
  const values = new Map<string, number>();
  for (const stat of stats) {
    const value = statisticOf(summary, stat);
    if (value !== undefined) values.set(stat, value);
  }
  return values.size === 0 ? {} : { ExtendedStatistics: values };
}

interface DataQuery {
  readonly id: string;
  readonly label: string | undefined;
  readonly returnData: boolean;
  readonly metric: MetricRef;
  readonly period: number;
  readonly stat: string;
  readonly unit: string | undefined;
}

function dataQuery(q: Doc, field: string, accountId: string): DataQuery {
  const id = requiredText(q, 'Id', `${field}.Id`);
  if (id.length > 255 || !METRIC_ID.test(id)) {
    throw new AwsError(
      'ValidationError',
      `The value ${id} for parameter ${field}.Id is invalid: it must start with a lowercase letter and hold only letters, digits and underscores.`,
    );
  }
  if (text(q, 'Expression', `${field}.Expression`) !== undefined) {
    throw invalidValue(`${field}.Expression: metric math and Metrics Insights expressions are not supported by selfless; ask for a MetricStat instead.`);
  }
  const account = text(q, 'AccountId', `${field}.AccountId`);
  if (account !== undefined && account !== accountId) throw invalidValue(`${field}.AccountId: selfless holds the metrics of account ${accountId} only.`);
  refuse(q, 'Period', `${field}.Period`);
  const stat = structure(q, 'MetricStat', `${field}.MetricStat`);
  if (stat === undefined) throw missing(`${field}.MetricStat`);
  const metric = structure(stat, 'Metric', `${field}.MetricStat.Metric`);
  if (metric === undefined) throw missing(`${field}.MetricStat.Metric`);
  const period = integer(stat, 'Period', `${field}.MetricStat.Period`);
  if (period === undefined) throw missing(`${field}.MetricStat.Period`);
  checkPeriod(`${field}.MetricStat.Period`, period);
  const name = requiredText(stat, 'Stat', `${field}.MetricStat.Stat`);
  if (!(STATISTICS as readonly string[]).includes(name) && percentileOf(name) === undefined) {
    throw new AwsError('ValidationError', `The value ${name} for parameter ${field}.MetricStat.Stat is invalid.`);
  }
  return {
    id,
    label: text(q, 'Label', `${field}.Label`),
    returnData: boolean(q, 'ReturnData', `${field}.ReturnData`) ?? true,
    metric: metricRef(metric, `${field}.MetricStat.Metric.`),
    period,
    stat: name,
    unit: unitOf(stat, 'Unit', `${field}.MetricStat.Unit`),
  };
}

/** The NextToken of the page that starts after `skip` items. */
function offsetToken(skip: number): string {
  return Buffer.from(JSON.stringify({ skip })).toString('base64url');
}

/** A NextToken as selfless hands it out: how many items the earlier pages held. */
function tokenOffset(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const { skip } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { skip?: unknown };
    if (typeof skip === 'number' && Number.isSafeInteger(skip) && skip >= 0) return skip;
  } catch {
    // answered below
  }
  throw new AwsError('InvalidNextToken', 'The service could not process the NextToken: it is not one that an earlier page handed out.');
}
