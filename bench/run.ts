import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { findNodeBinary, PythonInterpreters } from '../src/runtime/index.js';
import { measureAsync, type AsyncRun } from './async.js';
import { startChild, stopAllChildren, type ChildServer } from './children.js';
import { idleDensity, type Density } from './density.js';
import { childPids } from './cpu.js';
import { createUrlEcho, urlVsInvoke, type FunctionUrlRun } from './function-url.js';
import { closeClient } from './http-client.js';
import { offlineMissing, startOffline, type OfflineServer } from './offline.js';
import { provisionedVsOnDemand, type ProvisionedRun } from './provisioned.js';
import {
  asyncNotes,
  buildRows,
  coldNotes,
  cpuNotes,
  fmtMs,
  fmtValue,
  problems,
  renderTable,
  scaleNotes,
  sqsNotes,
  type ColdRuntime,
  type Measurements,
} from './report.js';
import { scaleOut, type ScaleOut } from './scale.js';
import { measureKinesis, measureSqs, type KinesisRun, type SqsRun } from './sources.js';
import { motoMissing, startMoto, type Moto } from '../test/support/moto.js';
import {
  coldStarts,
  createEchoFunction,
  firstInvoke,
  floorTarget,
  invokeTarget,
  lambdaFor,
  measure,
  NODE_ECHO,
  PAYLOAD,
  processSpawnTimes,
  PYTHON_ECHO,
  PYTHON_VERSION,
  relayTarget,
  RUNTIME,
  type EchoKind,
  type LoadPlan,
  type Run,
  type Target,
} from './scenarios.js';
import type { PlatformInfo } from './server.js';
import { summarize } from './stats.js';

interface Options {
  readonly rounds: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly coldFunctions: number;
  readonly scaleTo: number;
  readonly provisionedFunctions: number;
}

const USAGE = `usage: npm run bench -- [--rounds N] [--duration S] [--warmup S] [--cold N] [--scale N] [--provisioned N]
  --rounds    measured rounds per load scenario; the table shows medians (default 1)
  --duration  seconds per measured autocannon run (default 5)
  --warmup    seconds of excluded warm-up before each run (default 2)
  --cold      new functions whose first invoke is timed, per runtime, with and without the
              pre-started pool (default 20, at least 20)
  --scale     concurrent invokes of one new function for the scale-out rows, once per round (default 50)
  --provisioned  new functions per series for the provisioned-alias vs on-demand-alias first invokes
              (default 20, at least 10)`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '1' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      cold: { type: 'string', default: '20' },
      scale: { type: 'string', default: '50' },
      provisioned: { type: 'string', default: '20' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, raw: string, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, not ${raw}\n${USAGE}`);
    return n;
  };
  return {
    rounds: int('rounds', values.rounds, 1, 20),
    durationS: int('duration', values.duration, 1, 60),
    warmupS: int('warmup', values.warmup, 0, 60),
    coldFunctions: int('cold', values.cold, 20, 500),
    scaleTo: int('scale', values.scale, 2, 500),
    provisionedFunctions: int('provisioned', values.provisioned, 10, 200),
  };
}

const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
const describeRun = (r: Run) =>
  `${fmtValue(r.rps, 'req/s')}  p50 ${fmtMs(r.p50Ms)}  p99 ${fmtMs(r.p99Ms)}  CPU/req server ${fmtValue(r.cpu.serverUs ?? Number.NaN, 'µs')}` +
  `${r.cpu.childrenUs === undefined ? '' : ` + children ${fmtValue(r.cpu.childrenUs, 'µs')}`}` +
  `${r.non2xx || r.errors ? `  (${r.non2xx} non-2xx, ${r.errors} errors)` : ''}`;
const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const CONCURRENCY = [1, 10] as const;
/** Between one new function's invokes and the next one's first: new functions arriving one by one, so the pool can replenish. */
/** Messages through the SQS mapping row (moto, the stand-in, is the slower side). */
const SQS_MESSAGES = 500;
/** Records through the Kinesis mapping row. */
const KINESIS_RECORDS = 2000;
const COLD_PAUSE_MS = 100;
/** Idle environments the density rows measure, per runtime. */
const DENSITY_ENVIRONMENTS = 20;

type Platform = ChildServer<PlatformInfo>;

/**
 * One runtime's cold starts: first on the platform started with SELFLESS_PRESTART=0, then on the
 * benchmark's main platform (pool on), each series with its own new functions; then the floor.
 */
async function coldRuntime(
  kind: EchoKind,
  count: number,
  withoutPool: { platform: Platform; lambda: LambdaClient },
  withPool: { platform: Platform; lambda: LambdaClient },
  floor: { label: string; binary: () => string; args: readonly string[] },
): Promise<ColdRuntime> {
  const prefix = `cold-${kind.language.toLowerCase()}`;
  const plan = { kind, count, pauseMs: COLD_PAUSE_MS };
  say(
    `cold starts ${kind.runtime}, pool off: creating ${count} functions, then invoking each for the first time, one after another, ${COLD_PAUSE_MS} ms apart`,
  );
  const off = await coldStarts(withoutPool.lambda, withoutPool.platform.info, { ...plan, prefix: `${prefix}-nopool`, pool: false });
  say(`cold starts ${kind.runtime}, pool off: ${describeCold(off.firstMs, off.prestartHits)}`);
  say(`cold starts ${kind.runtime}, pool on: the same after a warm-up function's first invoke has filled the pool`);
  const on = await coldStarts(withPool.lambda, withPool.platform.info, { ...plan, prefix: `${prefix}-pool`, pool: true });
  say(`cold starts ${kind.runtime}, pool on: ${describeCold(on.firstMs, on.prestartHits)}`);
  const binary = floor.binary();
  say(`cold-start floor: ${binary} ${floor.args.join(' ')}, ${count} times`);
  const spawnMs = await processSpawnTimes(binary, floor.args, count);
  return { language: kind.language, runtime: kind.runtime, floorLabel: floor.label, spawnMs, withoutPool: off, withPool: on };
}

function describeCold(firstMs: readonly number[], hits: number | undefined): string {
  const s = summarize(firstMs);
  return `p50 ${fmtMs(s.p50Ms)}, p99 ${fmtMs(s.p99Ms)}, ${hits ?? 'unknown'} of ${s.count} took a pre-started runtime`;
}

async function runScenarios(options: Options, dataDir: string): Promise<{ measurements: Measurements; firstInvokeMs: number }> {
  // moto's server stands in for SQS (the event source rows); the platform reaches it through the SDK's standard variables.
  const noMoto = motoMissing();
  const moto: Moto | undefined = noMoto === undefined ? await startMoto() : undefined;
  say('starting the floor server and the platform, each in its own process');
  const [floor, relay, platform] = await Promise.all([
    startChild<{ url: string }>('floor', new URL('./floor-server.js', import.meta.url)),
    startChild<{ url: string }>('relay', new URL('./relay-floor.js', import.meta.url)),
    startChild<PlatformInfo>('platform', new URL('./server.js', import.meta.url), { SELFLESS_BENCH_DATA_DIR: join(dataDir, 'platform'), ...moto?.env }),
  ]);
  const lambda = lambdaFor(platform.info);
  const noOffline = offlineMissing();
  let offline: OfflineServer | undefined;
  let noPool: { platform: Platform; lambda: LambdaClient } | undefined;
  try {
    await createEchoFunction(lambda, 'echo');
    say(`first invoke of echo (${RUNTIME}; on a machine without its Node build this includes the download)`);
    const firstInvokeMs = await firstInvoke(lambda, 'echo');
    say(`first invoke answered in ${fmtMs(firstInvokeMs)}`);

    const floorRuns: Record<number, Run[]> = { 1: [], 10: [] };
    const warmRuns: Record<number, Run[]> = { 1: [], 10: [] };
    const offlineRuns: Record<number, Run[]> = { 1: [], 10: [] };
    const relayRuns: Record<number, Run[]> = { 1: [], 10: [] };
    const targets: [Target, Record<number, Run[]>][] = [
      [floorTarget(floor.info.url, floor.pid), floorRuns],
      [relayTarget(relay.info.url, relay.pid), relayRuns],
      [invokeTarget(platform.info, 'echo', platform.pid), warmRuns],
    ];
    if (noOffline === undefined) {
      say('starting serverless-offline 13 with the same echo handler');
      offline = await startOffline();
      targets.push([offline.target, offlineRuns]);
    } else say(`serverless-offline rows skipped: ${noOffline}`);
    // Floor and platform alternate within each round, so drift on a shared machine hits both alike.
    for (let round = 1; round <= options.rounds; round++) {
      for (const connections of CONCURRENCY) {
        const plan: LoadPlan = { connections, warmupS: options.warmupS, durationS: options.durationS };
        for (const [target, runs] of targets) {
          const result = await measure(target, plan);
          runs[connections]!.push(result);
          say(`round ${round}/${options.rounds} c=${connections} ${target.label}: ${describeRun(result)}`);
        }
      }
    }
    await offline?.stop();
    await relay.stop();
    const environmentsAfterC10 = (await childPids(platform.pid)).length;
    say(`runtime processes under the platform after c=10: ${environmentsAfterC10}`);

    // A function URL against the Invoke API, on one function, in the same round.
    const urlEcho = await createUrlEcho(lambda, platform.info, 'url-echo');
    const urlRuns: FunctionUrlRun[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const plan: LoadPlan = { connections: 10, warmupS: options.warmupS, durationS: options.durationS };
      const run = await urlVsInvoke(platform.info, 'url-echo', urlEcho, plan, platform.pid);
      urlRuns.push(run);
      say(`round ${round}/${options.rounds} c=10 function URL: ${describeRun(run.url)}`);
      say(`round ${round}/${options.rounds} c=10 Invoke API, same function: ${describeRun(run.invoke)}`);
    }

    // Event invokes: a new echo function per round; each round waits for its backlog to drain, so
    // nothing queued runs under the next round or the cold starts.
    const asyncRuns: AsyncRun[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const plan: LoadPlan = { connections: 10, warmupS: options.warmupS, durationS: options.durationS };
      const run = await measureAsync(lambda, platform.info, `async-echo-${round}`, plan, platform.pid);
      asyncRuns.push(run);
      say(`round ${round}/${options.rounds} c=10 durable enqueue: ${describeRun(run.enqueue)}`);
      say(
        `round ${round}/${options.rounds} async end-to-end: ${run.events} events, ` +
          (run.timedOut
            ? `only ${run.processed} processed when the wait ended`
            : `${fmtValue(run.endToEndRate, 'events/s')} from the first 202 to the last invocation's end`),
      );
    }

    let sqs: SqsRun | undefined;
    let kinesis: KinesisRun | undefined;
    if (moto !== undefined) {
      say(
        `SQS mapping: ${SQS_MESSAGES} messages through an echo function (batch 10), next to moto's own receive+delete rate; then SendMessage → handler latency and an idle mapping's CPU`,
      );
      sqs = await measureSqs(lambda, platform.info, platform.pid, moto.url, SQS_MESSAGES);
      say(
        `SQS mapping: ${fmtValue(sqs.mappingRate, 'events/s')} (moto alone ${fmtValue(sqs.motoRate, 'events/s')}); idle ${sqs.idleCpuMsPerS.toFixed(2)} ms CPU per second`,
      );
      say(`Kinesis mapping: ${KINESIS_RECORDS} records on one shard through a counting function (batch 100), next to moto's own GetRecords rate`);
      kinesis = await measureKinesis(lambda, platform.info, moto.url, KINESIS_RECORDS);
      say(`Kinesis mapping: ${fmtValue(kinesis.mappingRate, 'events/s')} (moto alone ${fmtValue(kinesis.motoRate, 'events/s')})`);
    } else say(`SQS and Kinesis mappings skipped: ${noMoto}`);

    // A second platform without the pool, on its own data dir, sharing the runtime cache (the default
    // one, or SELFLESS_RUNTIME_CACHE for both); started only now so it idles through nothing above.
    say('starting a second platform with SELFLESS_PRESTART=0 for cold starts without the pool');
    const platformNoPool = await startChild<PlatformInfo>('platform-nopool', new URL('./server.js', import.meta.url), {
      SELFLESS_BENCH_DATA_DIR: join(dataDir, 'platform-nopool'),
      SELFLESS_PRESTART: '0',
    });
    noPool = { platform: platformNoPool, lambda: lambdaFor(platformNoPool.info) };
    const withPool = { platform, lambda };

    const runtimes: ColdRuntime[] = [];
    const skipped: string[] = [];
    const major = Number(/^nodejs(\d+)\.x$/.exec(RUNTIME)![1]);
    runtimes.push(
      await coldRuntime(NODE_ECHO, options.coldFunctions, noPool, withPool, {
        label: 'node -e 0',
        args: ['-e', '0'],
        binary: () => {
          const binary = findNodeBinary(major, { cacheDir: platform.info.runtimeCacheDir });
          if (binary === undefined) throw new Error(`no Node ${major} binary in ${platform.info.runtimeCacheDir} after invoking ${RUNTIME} functions`);
          return binary;
        },
      }),
    );
    // The interpreter the platforms find too: same search, same environment.
    const python = await new PythonInterpreters(process.env).find(PYTHON_VERSION);
    if (python === undefined) {
      const reason = `${PYTHON_ECHO.runtime}: no Python ${PYTHON_VERSION} interpreter on this host (PATH, /usr/local/bin, /usr/bin or SELFLESS_PYTHON_${PYTHON_VERSION.replace('.', '_')})`;
      say(`cold starts skipped: ${reason}`);
      skipped.push(reason);
    } else {
      say(`${PYTHON_ECHO.runtime} runs on ${python.path} (Python ${python.version})`);
      runtimes.push(
        await coldRuntime(PYTHON_ECHO, options.coldFunctions, noPool, withPool, {
          label: `python${PYTHON_VERSION} -c 0`,
          args: ['-c', '0'],
          binary: () => python.path,
        }),
      );
    }
    const nodeOff = runtimes[0]!.withoutPool;
    // The rest runs on the main platform only.
    await noPool.platform.stop();

    say(
      `provisioned vs on-demand: ${options.provisionedFunctions} new functions with an alias and provisioned concurrency 1, then as many without; ` +
        `the first invoke of each alias, one after another, ${COLD_PAUSE_MS} ms apart`,
    );
    const provisioned: ProvisionedRun = await provisionedVsOnDemand(lambda, platform.info, options.provisionedFunctions, COLD_PAUSE_MS);
    say(
      `provisioned: all READY ${fmtMs(provisioned.readyMs)} after the first Put; first invoke ${describeCold(provisioned.provisioned.firstMs, provisioned.provisioned.prestartHits)}; ` +
        `on-demand: ${describeCold(provisioned.onDemand.firstMs, provisioned.onDemand.prestartHits)}`,
    );

    const nodeBinary = findNodeBinary(major, { cacheDir: platform.info.runtimeCacheDir })!;
    const scaleRuns: ScaleOut[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      say(`round ${round}/${options.rounds} scale-out: ${options.scaleTo} concurrent invokes of a new function, each handler held until all have started`);
      const run = await scaleOut(lambda, platform.info, `scale-out-${round}`, options.scaleTo, nodeBinary);
      scaleRuns.push(run);
      say(
        `round ${round}/${options.rounds} scale-out: ${run.target}th handler started after ${fmtMs(run.timeToAllMs)} (route: ${fmtMs(run.routeMs)}), ` +
          `${run.environments} environments, ${run.prestartHits ?? 'unknown'} pre-started, ${run.failures.length} failures; floor ${fmtMs(run.spawnAllMs)}`,
      );
    }

    const density: Density[] = [];
    for (const language of python === undefined ? (['Node'] as const) : (['Node', 'Python'] as const)) {
      say(`density: ${DENSITY_ENVIRONMENTS} idle ${language} environments of one new function, PSS of the processes below the platform before and after`);
      const d = await idleDensity(lambda, platform.info, platform.pid, language, DENSITY_ENVIRONMENTS);
      density.push(d);
      say(`density ${language}: ${d.environments} runtime processes added, ${d.pssMbPerEnvironment.toFixed(1)} MB PSS each, ${d.perGb.toFixed(0)} per GB`);
    }

    return {
      firstInvokeMs,
      measurements: {
        floor: { c1: floorRuns[1]!, c10: floorRuns[10]! },
        relay: { c1: relayRuns[1]!, c10: relayRuns[10]! },
        warm: { c1: warmRuns[1]!, c10: warmRuns[10]!, environmentsAfterC10 },
        ...(offline === undefined ? { offlineSkipped: noOffline } : { offline: { c1: offlineRuns[1]!, c10: offlineRuns[10]! } }),
        async: { c10: asyncRuns },
        functionUrl: { c10: urlRuns },
        cold: { firstMs: nodeOff.firstMs, secondMs: nodeOff.secondMs, spawnMs: runtimes[0]!.spawnMs, runtimes, skipped },
        scaleOut: scaleRuns,
        density,
        provisioned,
        sqs,
        kinesis,
        ...(noMoto === undefined ? {} : { sqsSkipped: noMoto }),
      },
    };
  } finally {
    await moto?.stop();
    await offline?.stop();
    lambda.destroy();
    noPool?.lambda.destroy();
    closeClient();
    await noPool?.platform.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dataDir = await mkdtemp(join(tmpdir(), 'selfless-bench-'));
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await stopAllChildren();
      await rm(dataDir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the servers and removing ${dataDir}`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const startedAt = new Date();
  const loadBefore = loadAverage();
  let result: Awaited<ReturnType<typeof runScenarios>>;
  try {
    result = await runScenarios(options, dataDir);
  } finally {
    await cleanup();
  }
  const { measurements, firstInvokeMs } = result;
  const rows = buildRows(measurements);
  const warnings = problems(measurements);
  const cpu = cpus();
  const loadAfter = loadAverage();

  const heading =
    `selfless bench: Node ${process.version} on ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}; ` +
    `autocannon keep-alive, ${options.warmupS} s warm-up + ${options.durationS} s per run, ` +
    `${options.rounds === 1 ? '1 round' : `medians of ${options.rounds} rounds`}; ${Buffer.byteLength(PAYLOAD)}-byte JSON payload; echo handlers: ${[...new Set([RUNTIME, ...measurements.cold.runtimes.map((r) => r.runtime)])].join(', ')}\n` +
    `load average ${loadBefore} before, ${loadAfter} after (anything near or above the core count means noisy neighbours)`;
  const notes = [
    `first invoke of the first function: ${fmtMs(firstInvokeMs)}`,
    `runtime processes after c=10: ${measurements.warm.environmentsAfterC10 ?? 'unknown'}`,
    ...cpuNotes(measurements),
    'durable enqueue: Event invokes (SigV4-signed like the invoke rows), each answered 202 once the event is committed to the queue (SQLite WAL, each enqueue committed with synchronous=FULL, group commit; outcomes without an fsync of their own); ' +
      "async end-to-end: the events of a round that ran (its warm-up run and requests in flight when the load stopped included) divided by the time from the first 202 to the last invocation's REPORT line, " +
      'with the dispatcher at its default concurrency; compared with the sync invoke rate at c=10',
    ...asyncNotes(measurements),
    `cold starts: each new function's first invoke, timed sequentially from a keep-alive node:http client, ${COLD_PAUSE_MS} ms pause between functions; ` +
      'pool off on a second platform with SELFLESS_PRESTART=0, pool on after a warm-up function of the same configuration was invoked once and its pre-started runtimes were ready',
    ...coldNotes(measurements),
    ...scaleNotes(measurements),
    ...sqsNotes(measurements),
    ...warnings.map((w) => `WARNING ${w}`),
  ];
  console.log(`\n${heading}\n\n${renderTable(rows)}\n\n${notes.map((n) => `  ${n}`).join('\n')}`);

  const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  await mkdir(outDir, { recursive: true });
  const outFile = join(outDir, 'latest.json');
  await writeFile(
    outFile,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        host: {
          node: process.version,
          platform: process.platform,
          arch: process.arch,
          cpus: cpu.length,
          cpuModel: cpu[0]?.model.trim(),
          loadBefore,
          loadAfter,
        },
        options,
        runtime: RUNTIME,
        payloadBytes: Buffer.byteLength(PAYLOAD),
        firstInvokeMs,
        rows,
        measurements,
        warnings,
      },
      null,
      2,
    )}\n`,
  );
  say(`wrote ${outFile}`);
}

main().catch((error: unknown) => {
  console.error('bench failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
