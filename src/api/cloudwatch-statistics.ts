import { byPeriod, durationPercentile, mergedStats, type MetricMinute, type MinuteStats } from '../metering/index.js';

/**
 * Lambda's AWS/Lambda metrics as CloudWatch's statistics over selfless's per-minute figures
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html). Pure: minutes in,
 * statistics out.
 */

export const LAMBDA_NAMESPACE = 'AWS/Lambda';

/** The statistics CloudWatch computes for every metric; percentiles (`p99`) are extended statistics. */
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];

/** What one period of a metric comes to: its samples' count, sum, extremes and (Duration only) percentiles. */
export interface Summary {
  readonly sampleCount: number;
  readonly sum: number;
  readonly minimum: number;
  readonly maximum: number;
  readonly percentile?: (percent: number) => number | undefined;
}

interface LambdaMetric {
  readonly unit: 'Count' | 'Milliseconds';
  /** A period's minutes (oldest first) summed up; undefined when the metric has no data in it. */
  summarize(minutes: readonly MinuteStats[]): Summary | undefined;
}

/** Each minute's figure counts as one sample (what selfless keeps of a gauge is the minute's maximum). */
function perMinute(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  return { sampleCount: values.length, sum: values.reduce((a, b) => a + b, 0), minimum: Math.min(...values), maximum: Math.max(...values) };
}

/**
 * A 0-or-1 sample per request, as Lambda publishes Errors (and Throttles): the Sum counts the ones, the
 * Average is their rate.
 */
function rate(samples: number, ones: number): Summary | undefined {
  if (samples === 0) return undefined;
  return { sampleCount: samples, sum: ones, minimum: ones === samples ? 1 : 0, maximum: ones > 0 ? 1 : 0 };
}

export const LAMBDA_METRICS: Readonly<Record<string, LambdaMetric>> = {
  Invocations: {
    unit: 'Count',
    summarize: (minutes) => {
      const n = mergedStats(minutes).invocations;
      return n === 0 ? undefined : { sampleCount: n, sum: n, minimum: 1, maximum: 1 };
    },
  },
  Errors: {
    unit: 'Count',
    summarize: (minutes) => {
      const m = mergedStats(minutes);
      return rate(m.invocations, m.errors);
    },
  },
  // Every request is a sample, throttled (1) or not (0): a period with invocations and no throttles has a Sum of 0.
  Throttles: {
    unit: 'Count',
    summarize: (minutes) => {
      const m = mergedStats(minutes);
      return rate(m.invocations + m.throttles, m.throttles);
    },
  },
  Duration: {
    unit: 'Milliseconds',
    summarize: (minutes) => {
      const m = mergedStats(minutes);
      if (m.invocations === 0) return undefined;
      return { sampleCount: m.invocations, sum: m.durationSum, minimum: m.durationMin, maximum: m.durationMax, percentile: (p) => durationPercentile(m, p) };
    },
  },
  ConcurrentExecutions: {
    unit: 'Count',
    summarize: (minutes) => perMinute(minutes.filter((m) => m.concurrencyMax > 0).map((m) => m.concurrencyMax)),
  },
  IteratorAge: {
    unit: 'Milliseconds',
    summarize: (minutes) => perMinute(minutes.filter((m) => m.iteratorAgeSamples > 0).map((m) => m.iteratorAgeMax)),
  },
};

export const LAMBDA_METRIC_NAMES = Object.keys(LAMBDA_METRICS);

/** `p99`, `p99.9`, `p0`, `p100`: the percent, or undefined for anything else. */
export function percentileOf(stat: string): number | undefined {
  const match = /^p(\d{1,3}(?:\.\d{1,10})?)$/.exec(stat);
  if (match === null) return undefined;
  const percent = Number(match[1]);
  return percent <= 100 ? percent : undefined;
}

/** A statistic (or `pNN`) of a summary; undefined when it has no such value (a percentile of a count). */
export function statisticOf(summary: Summary, stat: string): number | undefined {
  switch (stat) {
    case 'SampleCount':
      return summary.sampleCount;
    case 'Sum':
      return summary.sum;
    case 'Average':
      return summary.sum / summary.sampleCount;
    case 'Minimum':
      return summary.minimum;
    case 'Maximum':
      return summary.maximum;
    default: {
      const percent = percentileOf(stat);
      return percent === undefined ? undefined : summary.percentile?.(percent);
    }
  }
}

/**
 * A metric's periods of `periodMs` from `fromMs`, each summarized: only the periods with data, oldest
 * first. Minutes are grouped, not merged, so that gauges keep one sample a minute.
 */
export function periodsOf(
  metric: LambdaMetric,
  minutes: readonly MetricMinute[],
  fromMs: number,
  periodMs: number,
): Array<{ startMs: number; summary: Summary }> {
  const periods: Array<{ startMs: number; summary: Summary }> = [];
  for (const { startMs, minutes: group } of byPeriod(minutes, fromMs, periodMs)) {
    const summary = metric.summarize(group);
    if (summary !== undefined) periods.push({ startMs, summary });
  }
  return periods;
}
