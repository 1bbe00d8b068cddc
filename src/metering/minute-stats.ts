import type { MetricMinute, MinuteStats, PlatformConfig } from '../core/index.js';

export type { MetricMinute, MinuteStats };

/** The function name under which every function's figures are kept too (CloudWatch's metrics with no dimension). */
export const ACCOUNT_WIDE = '';
export const MINUTE_MS = 60_000;

/** Each bucket is 2 % wider than the one before: a percentile read from them is within 1 % of the truth. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Durations below a microsecond share one bucket. */
const FLOOR_MS = 0.001;

export function emptyStats(): MinuteStats {
  return {
    invocations: 0,
    errors: 0,
    throttles: 0,
    coldStarts: 0,
    durationSum: 0,
    durationMin: Number.POSITIVE_INFINITY,
    durationMax: 0,
    durations: {},
    gbSeconds: 0,
    armGbSeconds: 0,
    concurrencyMax: 0,
    iteratorAgeMax: 0,
    iteratorAgeSamples: 0,
  };
}

function bucketOf(ms: number): number {
  return Math.ceil(Math.log(Math.max(ms, FLOOR_MS)) / LOG_GROWTH);
}

/** A bucket's representative value: the middle of its range, so the error is at most half its width. */
function valueOf(bucket: number): number {
  return (GROWTH ** bucket * (1 + 1 / GROWTH)) / 2;
}

export function addDuration(stats: MinuteStats, ms: number): void {
  stats.durationSum += ms;
  stats.durationMin = Math.min(stats.durationMin, ms);
  stats.durationMax = Math.max(stats.durationMax, ms);
  const bucket = String(bucketOf(ms));
  stats.durations[bucket] = (stats.durations[bucket] ?? 0) + 1;
}

/** Adds `from` into `into`. */
export function mergeStats(into: MinuteStats, from: MinuteStats): MinuteStats {
  into.invocations += from.invocations;
  into.errors += from.errors;
  into.throttles += from.throttles;
  into.coldStarts += from.coldStarts;
  into.durationSum += from.durationSum;
  into.durationMin = Math.min(into.durationMin, from.durationMin);
  into.durationMax = Math.max(into.durationMax, from.durationMax);
  for (const [bucket, count] of Object.entries(from.durations)) into.durations[bucket] = (into.durations[bucket] ?? 0) + count;
  into.gbSeconds += from.gbSeconds;
  into.armGbSeconds += from.armGbSeconds;
  into.concurrencyMax = Math.max(into.concurrencyMax, from.concurrencyMax);
  into.iteratorAgeMax = Math.max(into.iteratorAgeMax, from.iteratorAgeMax);
  into.iteratorAgeSamples += from.iteratorAgeSamples;
  return into;
}

/**
 * The duration below which `percent` % of the invocations fell, read from the histogram: undefined
 * with no invocations. The first and last ranks are the observed minimum and maximum, exactly; the others are clamped to them.
 */
export function durationPercentile(stats: MinuteStats, percent: number): number | undefined {
  const entries = Object.entries(stats.durations)
    .map(([bucket, count]) => [Number(bucket), count] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((percent / 100) * total));
  // The smallest and the largest are known exactly.
  if (rank === 1) return stats.durationMin;
  if (rank >= total) return stats.durationMax;
  let seen = 0;
  for (const [bucket, count] of entries) {
    seen += count;
    if (seen >= rank) return Math.min(Math.max(valueOf(bucket), stats.durationMin), stats.durationMax);
  }
  return stats.durationMax;
}

/** Requests and GB-seconds (arm64's share priced apart) at the configured prices: what `selfless usage` and the console charge. */
export function priceOf(prices: PlatformConfig['prices'], usage: { requests: number; gbSeconds: number; armGbSeconds: number }): number {
  const x86 = usage.gbSeconds - usage.armGbSeconds;
  return x86 * prices.x86GbSecond + usage.armGbSeconds * prices.armGbSecond + (usage.requests / 1_000_000) * prices.perMillionRequests;
}

/** A minute's (or period's) cost. */
export function costOf(stats: MinuteStats, prices: PlatformConfig['prices']): number {
  return priceOf(prices, { requests: stats.invocations, gbSeconds: stats.gbSeconds, armGbSeconds: stats.armGbSeconds });
}

/** Several minutes' figures as one. */
export function mergedStats(minutes: readonly MinuteStats[]): MinuteStats {
  return minutes.reduce((into, m) => mergeStats(into, m), emptyStats());
}

/** Minutes grouped into periods of `periodMs` from `fromMs`: one entry per period that had a minute, in time order. */
export function byPeriod(minutes: readonly MetricMinute[], fromMs: number, periodMs: number): Array<{ startMs: number; minutes: MinuteStats[] }> {
  const periods = new Map<number, MinuteStats[]>();
  for (const m of minutes) {
    const start = fromMs + Math.floor((m.minuteMs - fromMs) / periodMs) * periodMs;
    let period = periods.get(start);
    if (period === undefined) periods.set(start, (period = []));
    period.push(m.stats);
  }
  return [...periods.entries()].sort((a, b) => a[0] - b[0]).map(([startMs, stats]) => ({ startMs, minutes: stats }));
}

/** Minutes rolled up into periods of `periodMs` from `fromMs`, each period's figures merged. */
export function rollUp(minutes: readonly MetricMinute[], fromMs: number, periodMs: number): Array<{ startMs: number; stats: MinuteStats }> {
  return byPeriod(minutes, fromMs, periodMs).map((p) => ({ startMs: p.startMs, stats: mergedStats(p.minutes) }));
}
