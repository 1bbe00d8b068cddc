import type { LoadResult } from './load.js';
import { median, summarize } from './stats.js';

export interface Measurements {
  readonly floor: { readonly c1: LoadResult[]; readonly c10: LoadResult[] };
  readonly warm: {
    readonly c1: LoadResult[];
    readonly c10: LoadResult[];
    /** Runtime processes under the platform after the c=10 runs: how many environments that concurrency started. */
    readonly environmentsAfterC10: number | undefined;
  };
  readonly cold: {
    readonly firstMs: number[];
    readonly secondMs: number[];
    /** `node -e 0` with the runtime's binary: the cold-start floor. */
    readonly spawnMs: number[];
  };
}

export type Verdict = 'met' | 'MISSED' | '';

export interface Row {
  readonly scenario: string;
  readonly figure: string;
  readonly unit: 'req/s' | 'ms';
  readonly value: number;
  readonly floor: number;
  readonly floorLabel: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: Verdict;
}

/** Medians over rounds, as BENCHMARKS.md asks for a noisy shared machine. */
export function medians(runs: readonly LoadResult[]): { rps: number; p50Ms: number; p99Ms: number } {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
  };
}

const check = (ok: boolean): Verdict => (ok ? 'met' : 'MISSED');

/** Each figure next to the floor's figure from the same run, the ratio, and the target from BENCHMARKS.md. */
export function buildRows(m: Measurements): Row[] {
  const f1 = medians(m.floor.c1);
  const f10 = medians(m.floor.c10);
  const w1 = medians(m.warm.c1);
  const w10 = medians(m.warm.c10);
  const first = summarize(m.cold.firstMs);
  const second = summarize(m.cold.secondMs);
  const spawn = summarize(m.cold.spawnMs);
  const httpFloor = 'node:http';
  const spawnFloor = 'node -e 0';

  const rps = (scenario: string, value: number, floor: number, target = '—', verdict: Verdict = ''): Row => ({
    scenario, figure: 'req/s', unit: 'req/s', value, floor, floorLabel: httpFloor, ratio: `${pct(value / floor)} of floor`, target, verdict,
  });
  const ms = (scenario: string, figure: string, value: number, floor: number, floorLabel: string, target = '—', verdict: Verdict = ''): Row => ({
    scenario, figure, unit: 'ms', value, floor, floorLabel, ratio: `×${(value / floor).toFixed(1)} (+${fmtMs(value - floor)})`, target, verdict,
  });

  return [
    rps('warm invoke c=1', w1.rps, f1.rps),
    ms('warm invoke c=1', 'p50', w1.p50Ms, f1.p50Ms, httpFloor, '≤ 0.5 ms and ≤ +0.25 ms over floor', check(w1.p50Ms <= 0.5 && w1.p50Ms - f1.p50Ms <= 0.25)),
    ms('warm invoke c=1', 'p99', w1.p99Ms, f1.p99Ms, httpFloor, '≤ 1.5 ms', check(w1.p99Ms <= 1.5)),
    rps('warm invoke c=10', w10.rps, f10.rps, '≥ 15% of floor and ≥ 6,000/s (stretch 10,000)', check(w10.rps >= 0.15 * f10.rps && w10.rps >= 6000)),
    ms('warm invoke c=10', 'p50', w10.p50Ms, f10.p50Ms, httpFloor),
    ms('warm invoke c=10', 'p99', w10.p99Ms, f10.p99Ms, httpFloor),
    ms('cold start (none ready)', 'p50', first.p50Ms, spawn.p50Ms, spawnFloor, '≤ 90 ms (≤ 15 ms if pre-started)', check(first.p50Ms <= 90)),
    ms('cold start (none ready)', 'p99', first.p99Ms, spawn.p99Ms, spawnFloor),
    ms('2nd invoke, same client', 'p50', second.p50Ms, f1.p50Ms, httpFloor),
  ];
}

export function renderTable(rows: readonly Row[]): string {
  const header = ['scenario', 'figure', 'selfless', 'floor', 'ratio', 'target', ''];
  const cells = rows.map((r) => [
    r.scenario,
    r.figure,
    fmtValue(r.value, r.unit),
    `${fmtValue(r.floor, r.unit)} (${r.floorLabel})`,
    r.ratio,
    r.target,
    r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const right = new Set([2, 3]);
  const line = (c: readonly string[]) =>
    c.map((v, i) => (right.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Anything that makes a figure untrustworthy: failed or non-2xx requests during a measured run. */
export function problems(m: Measurements): string[] {
  const out: string[] = [];
  const scan = (label: string, runs: readonly LoadResult[]) => {
    runs.forEach((r, i) => {
      if (r.errors || r.non2xx || r.timeouts) {
        out.push(`${label} round ${i + 1}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts out of ${r.ok + r.non2xx + r.errors}`);
      }
    });
  };
  scan('floor c=1', m.floor.c1);
  scan('floor c=10', m.floor.c10);
  scan('warm invoke c=1', m.warm.c1);
  scan('warm invoke c=10', m.warm.c10);
  return out;
}

export function fmtValue(value: number, unit: 'req/s' | 'ms'): string {
  if (!Number.isFinite(value)) return 'n/a';
  return unit === 'req/s' ? `${Math.round(value).toLocaleString('en-US')}/s` : fmtMs(value);
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const digits = Math.abs(ms) < 10 ? 3 : 1;
  return `${ms.toFixed(digits)} ms`;
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a';
}
