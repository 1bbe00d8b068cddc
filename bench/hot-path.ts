import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startChild, stopAllChildren } from './children.js';
import { closeClient } from './http-client.js';
import { offlineMissing, startOffline, type OfflineServer } from './offline.js';
import { fmtMs, fmtValue, medians } from './report.js';
import { createEchoFunction, firstInvoke, floorTarget, invokeTarget, lambdaFor, measure, relayTarget, type Run, type Target } from './scenarios.js';
import type { PlatformInfo } from './server.js';
import { summarizeProfile, type CpuProfile } from './profile.js';

// The warm invoke path alone, quick to repeat while working on it: selfless, the node:http floor, the
// relay floor and serverless-offline, alternating within each round, at c=1 and c=10; with --profile,
// the platform runs under --cpu-prof and its CPU per invoke is broken down by where it went
// (bench/README.md; PROFILE_ROWS=N shows more rows).

const USAGE = `usage: node dist/bench/hot-path.js [--rounds N] [--duration S] [--warmup S] [--profile] [--isolation none|sandbox]`;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
    isolation: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const count = (name: string, raw: string, min: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, not ${raw}\n${USAGE}`);
  return n;
};
const rounds = count('rounds', values.rounds, 1);
const [warmupS, durationS] = [count('warmup', values.warmup, 0), count('duration', values.duration, 1)];
if (values.isolation !== undefined && values.isolation !== 'none' && values.isolation !== 'sandbox')
  throw new Error(`--isolation must be none or sandbox\n${USAGE}`);
const plan = (connections: number) => ({ connections, warmupS, durationS });
const say = (line: string) => process.stderr.write(`hot-path: ${line}\n`);

const dataDir = await mkdtemp(join(tmpdir(), 'selfless-hot-path-'));
const profileDir = join(dataDir, 'profile');
let offline: OfflineServer | undefined;
try {
  const env = { SELFLESS_BENCH_DATA_DIR: join(dataDir, 'platform'), ...(values.isolation === undefined ? {} : { SELFLESS_ISOLATION: values.isolation }) };
  const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=100'] : [];
  const [floor, relay, platform] = await Promise.all([
    startChild<{ url: string }>('floor', new URL('./floor-server.js', import.meta.url)),
    startChild<{ url: string }>('relay', new URL('./relay-floor.js', import.meta.url)),
    startChild<PlatformInfo>('platform', new URL('./server.js', import.meta.url), env, nodeArgs),
  ]);
  const lambda = lambdaFor(platform.info);
  await createEchoFunction(lambda, 'echo');
  await firstInvoke(lambda, 'echo');
  lambda.destroy();
  const targets: Target[] = [invokeTarget(platform.info, 'echo', platform.pid), floorTarget(floor.info.url, floor.pid), relayTarget(relay.info.url, relay.pid)];
  const missing = offlineMissing();
  if (missing === undefined && !values.profile) {
    offline = await startOffline();
    targets.push(offline.target);
  } else say(`serverless-offline left out: ${missing ?? 'not while profiling'}`);

  const runs = new Map<string, Run[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const c of [1, 10]) {
      for (const target of targets) {
        const run = await measure(target, plan(c));
        const key = `${target.label} c=${c}`;
        runs.set(key, [...(runs.get(key) ?? []), run]);
        say(`round ${round} ${key}: ${fmtValue(run.rps, 'req/s')} p50 ${fmtMs(run.p50Ms)} p99 ${fmtMs(run.p99Ms)}`);
      }
    }
  }
  console.log(`\nwarm invoke path, medians of ${rounds} round(s), load average ${loadavg()[0]!.toFixed(2)} at the end`);
  console.log('| target | req/s | p50 | p99 | CPU/req server | CPU/req processes below it |');
  console.log('|---|---|---|---|---|---|');
  for (const [key, list] of runs) {
    const m = medians(list);
    console.log(
      `| ${key} | ${fmtValue(m.rps, 'req/s')} | ${fmtMs(m.p50Ms)} | ${fmtMs(m.p99Ms)} | ${fmtValue(m.serverUs, 'µs')} | ${fmtValue(m.childrenUs, 'µs')} |`,
    );
  }
  await offline?.stop();
  await platform.stop();
  if (values.profile) {
    const file = (await readdir(profileDir)).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no profile written in ${profileDir}`);
    const profile = JSON.parse(await readFile(join(profileDir, file), 'utf8')) as CpuProfile;
    const perInvoke = medians(runs.get(`${targets[0]!.label} c=10`)!).serverUs;
    console.log(
      `\nplatform CPU by stage, whole run profiled (c=1 and c=10, warm-ups included), apportioning the c=10 median of ${perInvoke.toFixed(0)} µs per invoke:`,
    );
    console.log(summarizeProfile(profile, perInvoke));
  }
} finally {
  await offline?.stop();
  closeClient();
  await stopAllChildren();
  await rm(dataDir, { recursive: true, force: true });
}
