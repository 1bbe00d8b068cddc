import type { PlatformConfig } from '../core/index.js';
import type { MetricSeries } from './metric-series.js';
import { costOf, durationPercentile, emptyStats, rollUp } from './minute-stats.js';

/** The console's chart ranges: how far back, and how wide each point is (60, 96 and 168 points). */
export const TIMELINE_RANGES = {
  '1h': { spanMs: 3_600_000, periodMs: 60_000 },
  '24h': { spanMs: 86_400_000, periodMs: 900_000 },
  '7d': { spanMs: 7 * 86_400_000, periodMs: 3_600_000 },
} as const;
export type TimelineRange = keyof typeof TIMELINE_RANGES;

export interface TimelinePoint {
  readonly startMs: number;
  readonly invocations: number;
  readonly errors: number;
  readonly throttles: number;
  readonly coldStarts: number;
  /** Null for a period with no invocation. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly concurrencyMax: number;
  readonly gbSeconds: number;
  readonly cost: number;
}

/** A function's figures over `range`, ending with the period that holds `nowMs`: every period present, empty ones as zeros. */
export async function timeline(
  series: MetricSeries,
  prices: PlatformConfig['prices'],
  functionName: string,
  range: TimelineRange,
  nowMs: number,
): Promise<{ periodMs: number; points: TimelinePoint[] }> {
  const { spanMs, periodMs } = TIMELINE_RANGES[range];
  const toMs = Math.floor(nowMs / periodMs) * periodMs + periodMs;
  const fromMs = toMs - spanMs;
  const filled = new Map(rollUp(await series.read(functionName, fromMs, toMs), fromMs, periodMs).map((p) => [p.startMs, p.stats]));
  const points: TimelinePoint[] = [];
  for (let startMs = fromMs; startMs < toMs; startMs += periodMs) {
    const stats = filled.get(startMs) ?? emptyStats();
    points.push({
      startMs,
      invocations: stats.invocations,
      errors: stats.errors,
      throttles: stats.throttles,
      coldStarts: stats.coldStarts,
      p50Ms: durationPercentile(stats, 50) ?? null,
      p99Ms: durationPercentile(stats, 99) ?? null,
      concurrencyMax: stats.concurrencyMax,
      gbSeconds: stats.gbSeconds,
      cost: costOf(stats, prices),
    });
  }
  return { periodMs, points };
}
