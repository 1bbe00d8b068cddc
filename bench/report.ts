import type { AsyncRun } from './async.js';
import type { FunctionUrlRun } from './function-url.js';
import type { AliasFirstInvokes, ProvisionedRun } from './provisioned.js';
import type { Density } from './density.js';
import type { ScaleOut } from './scale.js';
import type { KinesisRun, SqsRun } from './sources.js';
import { RUNTIME, type ColdStarts, type Run } from './scenarios.js';
import { median, summarize } from './stats.js';

export interface Measurements {
  readonly floor: { readonly c1: Run[]; readonly c10: Run[] };
  /** The relay floor (relay-floor.ts): an invoke's three loopback exchanges through a runtime process, nothing else. */
  readonly relay?: { readonly c1: Run[]; readonly c10: Run[] };
  readonly warm: {
    readonly c1: Run[];
    readonly c10: Run[];
    /** Runtime processes under the platform after the c=10 runs: how many environments that concurrency started. */
    readonly environmentsAfterC10: number | undefined;
  };
  /** serverless-offline 13 serving the same echo handler through its Lambda Invoke endpoint, when installed. */
  readonly offline?: { readonly c1: Run[]; readonly c10: Run[] } | undefined;
  readonly offlineSkipped?: string;
  /** One echo function through its function URL and through the Invoke API at c=10, one entry per round. */
  readonly functionUrl: { readonly c10: FunctionUrlRun[] };
  /** Event invokes at c=10, one entry per round: the enqueue rate and the end-to-end processing rate. */
  readonly async: { readonly c10: AsyncRun[] };
  readonly cold: {
    /** Node without the pool (none ready), as in earlier runs: the same figures as its `runtimes` entry. */
    readonly firstMs: number[];
    readonly secondMs: number[];
    /** `node -e 0` with the runtime's binary: the cold-start floor. */
    readonly spawnMs: number[];
    /** Every runtime measured, without and with the pre-started pool. */
    readonly runtimes: ColdRuntime[];
    /** Runtimes left out, and why (e.g. no python3.11 on this host). */
    readonly skipped: string[];
  };
  /** Idle environments per GB (PSS), per runtime. */
  readonly density?: Density[];
  /** Scale-out of one new Node function from 0 to N environments, one entry per round (pool on). */
  readonly scaleOut: ScaleOut[];
  /** First invoke of aliases with provisioned concurrency against aliases of on-demand functions (pool on). */
  readonly provisioned: ProvisionedRun | undefined;
  /** An SQS mapping against moto's server, when moto is installed; else why not. */
  readonly sqs?: SqsRun | undefined;
  readonly kinesis?: KinesisRun | undefined;
  readonly sqsSkipped?: string;
}

/** One runtime's cold starts on a platform without the pool (`SELFLESS_PRESTART=0`) and with it. */
export interface ColdRuntime {
  /** Node, Python. */
  readonly language: string;
  readonly runtime: string;
  /** The floor: starting the runtime's own binary doing nothing, e.g. `node -e 0`. */
  readonly floorLabel: string;
  readonly spawnMs: number[];
  readonly withoutPool: ColdStarts;
  readonly withPool: ColdStarts;
}

/** BENCHMARKS.md's burst target: new Node environments per second. */
const BURST_TARGET = 25;

/** Targets of a cold start's p50 (BENCHMARKS.md; Python's with the pool from the issue that asked for these rows). */
const COLD_TARGETS: Record<string, { withoutPool?: number; withPool?: number; stretch?: number }> = {
  Node: { withoutPool: 90, withPool: 15, stretch: 10 },
  Python: { withPool: 40 },
};

export type Verdict = 'met' | 'MISSED' | '';
type Unit = 'req/s' | 'events/s' | 'envs/s' | 'envs/GB' | 'ms' | 'µs';

/** The durable enqueue rate's target: Event invokes acknowledged per second at c=10. */
const ENQUEUE_TARGET = 5000;

export interface Row {
  readonly scenario: string;
  readonly figure: string;
  readonly unit: Unit;
  readonly value: number;
  readonly floor: number;
  readonly floorLabel: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: Verdict;
}

/** Medians over rounds, as BENCHMARKS.md asks for a noisy shared machine. */
export interface Medians {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverUs: number;
  readonly childrenUs: number;
  readonly clientUs: number;
}

export function medians(runs: readonly Run[]): Medians {
  const of = (pick: (r: Run) => number | undefined) => median(runs.map((r) => pick(r) ?? Number.NaN));
  return {
    rps: of((r) => r.rps),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    serverUs: of((r) => r.cpu.serverUs),
    childrenUs: of((r) => r.cpu.childrenUs ?? 0),
    clientUs: of((r) => r.cpu.clientUs),
  };
}

const check = (ok: boolean): Verdict => (ok ? 'met' : 'MISSED');

/** Each figure next to the floor's figure from the same run, the ratio, and the target from BENCHMARKS.md. */
export function buildRows(m: Measurements): Row[] {
  const f1 = medians(m.floor.c1);
  const f10 = medians(m.floor.c10);
  const w1 = medians(m.warm.c1);
  const w10 = medians(m.warm.c10);
  const second = summarize(m.cold.secondMs);
  const httpFloor = 'node:http';

  const rps = (scenario: string, value: number, floor: number, target = '—', verdict: Verdict = ''): Row => ({
    scenario,
    figure: 'req/s',
    unit: 'req/s',
    value,
    floor,
    floorLabel: httpFloor,
    ratio: `${pct(value / floor)} of floor`,
    target,
    verdict,
  });
  const ms = (scenario: string, figure: string, value: number, floor: number, floorLabel: string, target = '—', verdict: Verdict = ''): Row => ({
    scenario,
    figure,
    unit: 'ms',
    value,
    floor,
    floorLabel,
    ratio: `×${(value / floor).toFixed(1)} (${value >= floor ? '+' : '−'}${fmtMs(Math.abs(value - floor))})`,
    target,
    verdict,
  });

  return [
    rps('warm invoke c=1', w1.rps, f1.rps),
    ms('warm invoke c=1', 'p50', w1.p50Ms, f1.p50Ms, httpFloor, '≤ 0.5 ms and ≤ +0.25 ms over floor', check(w1.p50Ms <= 0.5 && w1.p50Ms - f1.p50Ms <= 0.25)),
    ms('warm invoke c=1', 'p99', w1.p99Ms, f1.p99Ms, httpFloor, '≤ 1.5 ms', check(w1.p99Ms <= 1.5)),
    rps('warm invoke c=10', w10.rps, f10.rps, '≥ 15% of floor and ≥ 6,000/s (stretch 10,000)', check(w10.rps >= 0.15 * f10.rps && w10.rps >= 6000)),
    ms('warm invoke c=10', 'p50', w10.p50Ms, f10.p50Ms, httpFloor),
    ms('warm invoke c=10', 'p99', w10.p99Ms, f10.p99Ms, httpFloor),
    ...relayRows(m, w1, w10, f1, f10, rps, ms),
    ...offlineRows(m, w10.rps, f1, f10, rps),
    ...functionUrlRows(m, f10, rps, ms),
    ...asyncRows(m, f10, w10.rps, ms),
    ...m.cold.runtimes.flatMap((r) => coldRows(r, ms)),
    ms('2nd invoke of a new env', 'p50', second.p50Ms, f1.p50Ms, httpFloor),
    ...provisionedRows(m, ms),
    ...scaleRows(m, ms),
    ...densityRows(m),
    ...sqsRows(m),
  ];
}

/**
 * The relay floor: what an invoke costs at the least when its handler runs in another process (three
 * loopback HTTP exchanges); selfless's warm rows against it say how much the platform's own work adds.
 */
function relayRows(m: Measurements, w1: Medians, w10: Medians, f1: Medians, f10: Medians, rps: RpsRow, ms: MsRow): Row[] {
  if (m.relay === undefined) return [];
  const r1 = medians(m.relay.c1);
  const r10 = medians(m.relay.c10);
  const label = 'relay floor';
  return [
    rps('relay floor c=1', r1.rps, f1.rps),
    ms('relay floor c=1', 'p50', r1.p50Ms, f1.p50Ms, 'node:http'),
    rps('relay floor c=10', r10.rps, f10.rps),
    { ...rps('warm invoke c=10 vs relay floor', w10.rps, r10.rps), floorLabel: label, ratio: `${pct(w10.rps / r10.rps)} of the relay floor` },
    ms('warm invoke c=1 vs relay floor', 'p50', w1.p50Ms, r1.p50Ms, label),
  ];
}

/**
 * serverless-offline on the same load, and selfless's warm c=10 rate against it: issue 13 asks for at
 * least three times its rate, measured in the same run.
 */
function offlineRows(m: Measurements, warm10: number, f1: Medians, f10: Medians, rps: RpsRow): Row[] {
  if (m.offline === undefined) return [];
  const o1 = medians(m.offline.c1);
  const o10 = medians(m.offline.c10);
  const times = warm10 / o10.rps;
  return [
    rps('serverless-offline c=1', o1.rps, f1.rps),
    rps('serverless-offline c=10', o10.rps, f10.rps),
    {
      ...rps('warm invoke c=10 vs serverless-offline', warm10, o10.rps, '≥ ×3', check(times >= 3)),
      floorLabel: 'serverless-offline',
      ratio: `×${times.toFixed(2)}`,
    },
  ];
}

/**
 * First invoke of a new function's alias: with provisioned concurrency 1 (READY), against the same
 * without it (an on-demand cold start, pool on) as its reference; the on-demand series against `node -e 0`.
 */
function provisionedRows(m: Measurements, ms: MsRow): Row[] {
  const p = m.provisioned;
  if (p === undefined) return [];
  const on = summarize(p.provisioned.firstMs);
  const od = summarize(p.onDemand.firstMs);
  const spawn = summarize(m.cold.spawnMs);
  const ref = 'on-demand';
  return [
    ms('1st invoke, provisioned alias', 'p50', on.p50Ms, od.p50Ms, ref),
    ms('1st invoke, provisioned alias', 'p99', on.p99Ms, od.p99Ms, ref),
    ms('1st invoke, on-demand alias', 'p50', od.p50Ms, spawn.p50Ms, 'node -e 0'),
    ms('1st invoke, on-demand alias', 'p99', od.p99Ms, spawn.p99Ms, 'node -e 0'),
  ];
}

/**
 * Scale-out from 0 to N environments (medians over rounds): the time until the N-th handler started,
 * against N `node -e 0` spawned at once; and as environments per second, against BENCHMARKS.md's burst target.
 */
function scaleRows(m: Measurements, ms: MsRow): Row[] {
  if (m.scaleOut.length === 0) return [];
  const n = m.scaleOut[0]!.target;
  const time = median(m.scaleOut.map((r) => r.timeToAllMs));
  const floor = median(m.scaleOut.map((r) => r.spawnAllMs));
  const floorLabel = `${n}× node -e 0 at once`;
  const rate = (n * 1000) / time;
  const floorRate = (n * 1000) / floor;
  const scenario = `scale-out Node 0→${n} envs`;
  return [
    ms(scenario, `time to ${n}`, time, floor, floorLabel),
    {
      scenario,
      figure: 'envs/s',
      unit: 'envs/s',
      value: rate,
      floor: floorRate,
      floorLabel,
      ratio: `${pct(rate / floorRate)} of floor`,
      target: `≥ ${BURST_TARGET}/s`,
      verdict: Number.isFinite(rate) ? check(rate >= BURST_TARGET) : 'MISSED',
    },
  ];
}

/** Issue 13's density targets: idle environments per GB of PSS. */
const DENSITY_TARGETS: Record<string, number> = { Node: 60, Python: 90 };

function densityRows(m: Measurements): Row[] {
  return (m.density ?? []).map((d) => ({
    scenario: `density, idle ${d.language} envs`,
    figure: 'per GB',
    unit: 'envs/GB',
    value: d.perGb,
    // Lambda gives each environment at least 128 MB.
    floor: 8,
    floorLabel: 'Lambda, 128 MB each',
    ratio: `${d.pssMbPerEnvironment.toFixed(1)} MB PSS each (${d.environments} envs)`,
    target: `≥ ${DENSITY_TARGETS[d.language] ?? '—'}/GB`,
    verdict: DENSITY_TARGETS[d.language] === undefined ? '' : check(d.perGb >= DENSITY_TARGETS[d.language]!),
  }));
}

/** How the scale-out rounds and the provisioned series went, for the notes under the table. */
export function scaleNotes(m: Measurements): string[] {
  const notes = m.scaleOut.map((r, i) => {
    const nth = (k: number) => (r.startedMs.length >= k ? fmtMs(r.startedMs[k - 1]!) : 'n/a');
    const lat = summarize(r.latencyMs);
    const half = Math.ceil(r.target / 2);
    return (
      `scale-out round ${i + 1}: ${r.target} sync invokes of a new ${RUNTIME} function sent at once (${fmtMs(r.sendSpreadMs)} from the first to the last written, one pre-opened keep-alive connection each); ` +
      `handlers started: 1st at ${nth(1)}, ${half}th at ${nth(half)}, ${r.target}th at ${nth(r.target)}; ` +
      `GET /selfless/v1/environments (polled every ${r.pollMs} ms, ${r.polls} polls) first showed ${r.target} started environments at ${fmtMs(r.routeMs)}; ` +
      `${r.environments} distinct environments answered; ${r.prestartHits ?? 'unknown'} of them were pre-started runtimes (${r.prestartReady ?? 'unknown'} ready when the burst went out); ` +
      `invokes answered p50 ${fmtMs(lat.p50Ms)}, p99 ${fmtMs(lat.p99Ms)} (each held until all ${r.target} handlers had started); floor: ${r.target} \`node -e 0\` spawned at once, the last exited after ${fmtMs(r.spawnAllMs)}`
    );
  });
  const p = m.provisioned;
  if (p !== undefined) {
    const cold = (s: AliasFirstInvokes) => `${s.coldReports ?? 'unknown'}/${s.firstMs.length}`;
    notes.push(
      `provisioned vs on-demand: ${p.functions} new Node echo functions per series, each created with Publish: true and an alias on version 1; ` +
        `PutProvisionedConcurrencyConfig(alias, 1) for the first series, all READY ${fmtMs(p.readyMs)} after the first Put; then each alias's first invoke, one after another, ${p.pauseMs} ms apart; ` +
        `REPORT lines with Init Duration (cold starts): provisioned ${cold(p.provisioned)}, on-demand ${cold(p.onDemand)}; ` +
        `on-demand took a pre-started runtime for ${p.onDemand.prestartHits ?? 'unknown'}/${p.onDemand.firstMs.length}`,
    );
  }
  return notes;
}

type MsRow = (scenario: string, figure: string, value: number, floor: number, floorLabel: string, target?: string, verdict?: Verdict) => Row;

/**
 * Durable enqueue: 202s per second at c=10 (each after the event's commit) and their latency, against
 * the node:http floor; end-to-end: acknowledged events per second from the first 202 to the last
 * invocation's end, against the sync invoke rate at c=10 (what the same function runs when called directly).
 */
type RpsRow = (scenario: string, value: number, floor: number, target?: string, verdict?: Verdict) => Row;

/** The function URL next to the floor, and the Invoke API on the same function next to it. */
function functionUrlRows(m: Measurements, f10: ReturnType<typeof medians>, rps: RpsRow, ms: MsRow): Row[] {
  if (m.functionUrl.c10.length === 0) return [];
  const url = medians(m.functionUrl.c10.map((r) => r.url));
  const invoke = medians(m.functionUrl.c10.map((r) => r.invoke));
  return [
    rps('function URL c=10', url.rps, f10.rps),
    ms('function URL c=10', 'p50', url.p50Ms, f10.p50Ms, 'node:http'),
    ms('function URL c=10', 'p99', url.p99Ms, f10.p99Ms, 'node:http'),
    {
      scenario: 'Invoke, same function c=10',
      figure: 'req/s',
      unit: 'req/s',
      value: invoke.rps,
      floor: url.rps,
      floorLabel: 'function URL',
      ratio: `URL is ${pct(url.rps / invoke.rps)} of Invoke`,
      target: '—',
      verdict: '',
    },
  ];
}

function asyncRows(m: Measurements, f10: ReturnType<typeof medians>, syncC10: number, ms: MsRow): Row[] {
  if (m.async.c10.length === 0) return [];
  const e = medians(m.async.c10.map((r) => r.enqueue));
  const endToEnd = median(m.async.c10.map((r) => r.endToEndRate));
  const events = (scenario: string, value: number, floor: number, floorLabel: string, target = '—', verdict: Verdict = ''): Row => ({
    scenario,
    figure: 'events/s',
    unit: 'events/s',
    value,
    floor,
    floorLabel,
    ratio: `${pct(value / floor)} of ${floorLabel === 'node:http' ? 'floor' : floorLabel}`,
    target,
    verdict,
  });
  return [
    events('durable enqueue c=10', e.rps, f10.rps, 'node:http', `≥ ${ENQUEUE_TARGET.toLocaleString('en-US')}/s`, check(e.rps >= ENQUEUE_TARGET)),
    ms('durable enqueue c=10', 'p50', e.p50Ms, f10.p50Ms, 'node:http'),
    ms('durable enqueue c=10', 'p99', e.p99Ms, f10.p99Ms, 'node:http'),
    events('async end-to-end c=10', endToEnd, syncC10, 'sync invoke c=10'),
  ];
}

/** How the async rounds went: events per round, how long the backlog took to drain, and the CPU per 202. */
export function asyncNotes(m: Measurements): string[] {
  return m.async.c10.map((r, i) => {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const drained = r.timedOut
      ? `NOT drained: ${r.processed} of ${r.events} processed when the wait ended`
      : `last one finished ${s(r.lastDoneAt - r.lastAckAt)} after the last 202`;
    const cpu = r.enqueue.cpu;
    return (
      `async round ${i + 1}: ${r.events.toLocaleString('en-US')} Event invokes acknowledged in ${s(r.lastAckAt - r.firstAckAt)} (${r.processed.toLocaleString('en-US')} ran, with those in flight when the load stopped), ${drained}; ` +
      `CPU per 202 during the measured run (dispatch included): platform ${fmtValue(cpu.serverUs ?? Number.NaN, 'µs')} + runtimes ${fmtValue(cpu.childrenUs ?? Number.NaN, 'µs')}`
    );
  });
}

/** p50 and p99 of a runtime's cold starts without the pool, then with it, each against its target. */
function coldRows(r: ColdRuntime, ms: MsRow): Row[] {
  const spawn = summarize(r.spawnMs);
  const targets = COLD_TARGETS[r.language] ?? {};
  return (
    [
      ['pool off', r.withoutPool, targets.withoutPool],
      ['pool on', r.withPool, targets.withPool],
    ] as const
  ).flatMap(([label, series, target]) => {
    const s = summarize(series.firstMs);
    const scenario = `cold start ${r.language}, ${label}`;
    const stretch = target !== undefined && label === 'pool on' && targets.stretch !== undefined ? ` (stretch ${targets.stretch})` : '';
    return [
      target === undefined
        ? ms(scenario, 'p50', s.p50Ms, spawn.p50Ms, r.floorLabel)
        : ms(scenario, 'p50', s.p50Ms, spawn.p50Ms, r.floorLabel, `≤ ${target} ms${stretch}`, check(s.p50Ms <= target)),
      ms(scenario, 'p99', s.p99Ms, spawn.p99Ms, r.floorLabel),
    ];
  });
}

/** What each cold-start series was and whether the pool did its part, for the notes under the table. */
export function coldNotes(m: Measurements): string[] {
  const notes = m.cold.runtimes.map((r) => {
    const hits = (c: ColdStarts) => (c.prestartHits === undefined ? 'unknown' : `${c.prestartHits}/${c.firstMs.length}`);
    return (
      `cold starts ${r.language} (${r.runtime}): ${r.withPool.firstMs.length} new functions per series; pool on took a pre-started runtime for ${hits(r.withPool)}` +
      `${r.withPool.poolReady ? ` (${r.withPool.poolReady.ready} pre-started runtimes of any configuration ready at the first)` : ''}, pool off for ${hits(r.withoutPool)}; floor is \`${r.floorLabel}\``
    );
  });
  return [...notes, ...m.cold.skipped.map((s) => `cold starts skipped: ${s}`)];
}

/** Messages per second through an SQS mapping against moto's own rate, and SendMessage → handler latency. */
function sqsRows(m: Measurements): Row[] {
  const s = m.sqs;
  if (s === undefined) return [];
  const latency = summarize(s.latencyMs);
  const row = (figure: string, unit: Unit, value: number, floor: number, floorLabel: string, ratio: string): Row => ({
    scenario: 'SQS mapping, batch 10',
    figure,
    unit,
    value,
    floor,
    floorLabel,
    ratio,
    target: '—',
    verdict: '',
  });
  return [
    row('messages/s', 'events/s', s.mappingRate, s.motoRate, 'moto receive+delete', `${pct(s.mappingRate / s.motoRate)} of moto`),
    row('send→handler p50', 'ms', latency.p50Ms, Number.NaN, '—', '—'),
    row('send→handler p99', 'ms', latency.p99Ms, Number.NaN, '—', '—'),
    ...(m.kinesis === undefined
      ? []
      : [
          {
            scenario: 'Kinesis mapping, batch 100',
            figure: 'records/s',
            unit: 'events/s' as const,
            value: m.kinesis.mappingRate,
            floor: m.kinesis.motoRate,
            floorLabel: 'moto GetRecords',
            ratio: `${pct(m.kinesis.mappingRate / m.kinesis.motoRate)} of moto`,
            target: '—',
            verdict: '' as const,
          },
        ]),
  ];
}

/** How the SQS rows were taken, and what an idle mapping costs. */
export function sqsNotes(m: Measurements): string[] {
  if (m.sqs === undefined) return m.sqsSkipped === undefined ? [] : [`SQS mapping skipped: ${m.sqsSkipped}`];
  const s = m.sqs;
  return [
    `SQS mapping: ${s.messages.toLocaleString('en-US')} messages sent to a queue on moto's server before a mapping (batch 10, default 5 pollers) to a Node echo function was enabled, timed to the queue's end; ` +
      `floor: 5 pollers receiving and deleting batches of 10 from moto directly; latency: ${s.latencyMs.length} messages sent one at a time into an idle mapping (its poller in a 20 s long poll), the handler logging Date.now() minus the send time in the body; ` +
      `Kinesis: ${m.kinesis?.records ?? 0} records put on one shard before a TRIM_HORIZON mapping (batch 100) to a counting Node function was created, timed from its creation (the poller's start and the function's cold start included) to the last record's batch; floor: one GetRecords reader draining the shard from moto directly; ` +
      `an idle mapping cost the platform ${s.idleCpuMsPerS > 0 ? `${s.idleCpuMsPerS.toFixed(2)} ms of CPU per second` : 'less than one clock tick (10 ms) of CPU in 10 s'} (long polls only)`,
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
    c
      .map((v, i) => (right.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/**
 * Where the CPU of a warm invoke goes (medians over rounds). Not set against the floor: on this VM a
 * process that waits between requests is charged for it (an echo server and its client in one process
 * used ~480 µs of CPU per request when the server answered after a 1 ms timer, ~56 µs when it answered
 * at once), so only runs with similar latency compare, e.g. selfless against itself across commits.
 */
export function cpuNotes(m: Measurements): string[] {
  const offline =
    m.offline === undefined
      ? [`serverless-offline rows skipped: ${m.offlineSkipped ?? 'not measured'}`]
      : ([1, 10] as const).map((c) => {
          const o = medians(c === 1 ? m.offline!.c1 : m.offline!.c10);
          return `serverless-offline 13 at c=${c} (its default worker-thread handlers, Lambda Invoke endpoint): ${fmtValue(o.rps, 'req/s')}, p50 ${fmtMs(o.p50Ms)}, p99 ${fmtMs(o.p99Ms)}, CPU ${fmtValue(o.serverUs + o.childrenUs, 'µs')} per invoke`;
        });
  return [
    ...offline,
    ...([1, 10] as const).map((c) => {
      const w = medians(c === 1 ? m.warm.c1 : m.warm.c10);
      const f = medians(c === 1 ? m.floor.c1 : m.floor.c10);
      return (
        `CPU per invoke at c=${c}: platform ${fmtValue(w.serverUs, 'µs')} + runtimes ${fmtValue(w.childrenUs, 'µs')}, ` +
        `load generator ${fmtValue(w.clientUs, 'µs')} (floor: server ${fmtValue(f.serverUs, 'µs')}, load generator ${fmtValue(f.clientUs, 'µs')}; ` +
        'waiting costs CPU here, so compare with other selfless runs rather than with the floor)'
      );
    }),
  ];
}

/** Anything that makes a figure untrustworthy: failed or non-2xx requests during a measured run. */
export function problems(m: Measurements): string[] {
  const out: string[] = [];
  const scan = (label: string, runs: readonly Run[]) => {
    runs.forEach((r, i) => {
      if (r.errors || r.non2xx || r.timeouts) {
        out.push(`${label} round ${i + 1}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts out of ${r.ok + r.non2xx + r.errors}`);
      }
    });
  };
  scan('floor c=1', m.floor.c1);
  scan('floor c=10', m.floor.c10);
  if (m.relay !== undefined) {
    scan('relay floor c=1', m.relay.c1);
    scan('relay floor c=10', m.relay.c10);
  }
  scan('warm invoke c=1', m.warm.c1);
  scan('warm invoke c=10', m.warm.c10);
  if (m.offline !== undefined) {
    scan('serverless-offline c=1', m.offline.c1);
    scan('serverless-offline c=10', m.offline.c10);
  }
  scan(
    'durable enqueue c=10',
    m.async.c10.map((r) => r.enqueue),
  );
  m.async.c10.forEach((r, i) => {
    if (r.timedOut) out.push(`async end-to-end round ${i + 1}: only ${r.processed} of ${r.events} acknowledged events had run when the wait ended`);
  });
  m.scaleOut.forEach((r, i) => {
    if (r.failures.length > 0) out.push(`scale-out round ${i + 1}: ${r.failures.length} of ${r.target} invokes failed, e.g. ${r.failures[0]}`);
    if (r.gateTimedOut) out.push(`scale-out round ${i + 1}: only ${r.startedMs.length} of ${r.target} handlers had started after 30 s`);
    else if (r.environments < r.target && r.failures.length === 0)
      out.push(`scale-out round ${i + 1}: ${r.target} invokes ran in only ${r.environments} environments`);
  });
  const p = m.provisioned;
  if (p !== undefined) {
    if (p.notReady > 0) out.push(`provisioned: ${p.notReady} of ${p.functions} provisioned concurrency configs were not READY after 60 s`);
    if ((p.provisioned.coldReports ?? 0) > 0)
      out.push(`provisioned: ${p.provisioned.coldReports} first invokes of provisioned aliases were cold starts (Init Duration in REPORT)`);
  }
  for (const r of m.cold.runtimes) {
    const on = r.withPool;
    if (on.poolReady?.timedOut)
      out.push(`cold start ${r.language}, pool on: the pre-started runtimes were not all ready after 10 s (${on.poolReady.ready} ready)`);
    if (on.prestartHits === 0)
      out.push(`cold start ${r.language}, pool on: no cold start took a pre-started runtime (\`selfless doctor\` says whether this host can pre-start)`);
    if ((r.withoutPool.prestartHits ?? 0) > 0)
      out.push(
        `cold start ${r.language}, pool off: ${r.withoutPool.prestartHits} cold starts took a pre-started runtime; SELFLESS_PRESTART=0 was not honoured`,
      );
  }
  return out;
}

export function fmtValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'envs/s') return `${value.toFixed(1)}/s`;
  if (unit === 'envs/GB') return `${value.toFixed(0)}/GB`;
  if (unit === 'req/s' || unit === 'events/s') return `${Math.round(value).toLocaleString('en-US')}/s`;
  if (unit === 'µs') return `${Math.round(value).toLocaleString('en-US')} µs`;
  return fmtMs(value);
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const digits = Math.abs(ms) < 10 ? 3 : 1;
  return `${ms.toFixed(digits)} ms`;
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a';
}
