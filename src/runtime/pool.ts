import type { Scheduler, Timer } from '../core/index.js';
import type { Logger } from '../core/logger.js';
import { Environment } from './environment/index.js';
import { InitFailure } from './function-errors.js';
import { endLine, reportOf, startLine } from './log-format.js';
import type { Isolation } from './sandbox/isolation.js';
import type { Spawner } from './spawner.js';
import type { EnvironmentSpec, Invocation, InvocationReport, InvocationRequest, InvocationResult, Launcher, LogSink } from './types.js';

export interface PoolOptions {
  /** Names this platform in lifecycle events (see core/lifecycle.ts). */
  readonly platformId: string;
  readonly launcher: Launcher;
  /** How environments start their runtime processes (see spawner.ts). */
  readonly spawner: Spawner;
  readonly isolation: Isolation;
  readonly logs: LogSink;
  /** Time, the reaper's interval and the environments' timers. */
  readonly clock: Scheduler;
  /** Idle environments older than this are stopped, so an idle platform holds no function processes. */
  readonly idleTimeoutMs: number;
  /**
   * An environment given a function this long ago is retired (after the invocation it is running) and
   * replaced on demand: its role credentials were issued then, and must not expire under it.
   */
  readonly maxLifetimeMs?: number;
  readonly initTimeoutMs?: number;
  /** Keep generic runtimes started ahead of demand, so a cold start skips the runtime's own start. */
  readonly prestart?: boolean;
  /** The platform's log: each environment logs to a child of it that names the environment. */
  readonly log: Logger;
  /**
   * Keeps the code an environment runs on disk until the environment stops (the code store), so an
   * invocation in flight during UpdateFunctionCode or DeleteFunction finishes on its code.
   */
  readonly code?: CodeKeeper;
}

export interface CodeKeeper {
  /** `codeDir` is in use until the returned function is called. */
  hold(codeDir: string): () => void;
}

/** At most this many pre-started runtimes wait per template (runtime, memory, storage, architecture). */
const MAX_PRESTARTED_PER_TEMPLATE = 4;

/** Pre-started generic runtimes of one template; the `pooled` ones are ready to be given any function that matches it. */
class PrestartGroup {
  readonly all = new Set<Environment>();
  constructor(readonly template: EnvironmentSpec) {}

  /** The runtime that became ready last. */
  ready(): Environment | undefined {
    return latestIn(this.all, 'pooled');
  }

  readyCount(): number {
    return countIn(this.all, (env) => env.state === 'pooled');
  }
}

/** Of `envs` in `state`, the one that got there last (most recently used first: the others age and are reaped). */
function latestIn(envs: Iterable<Environment>, state: 'idle' | 'pooled'): Environment | undefined {
  let latest: Environment | undefined;
  for (const env of envs) if (env.state === state && (latest === undefined || env.idleSince >= latest.idleSince)) latest = env;
  return latest;
}

function countIn(envs: Iterable<Environment>, test: (env: Environment) => boolean): number {
  let n = 0;
  for (const env of envs) if (test(env)) n += 1;
  return n;
}

interface Waiter {
  readonly request: InvocationRequest;
  readonly start: (env: Environment) => void;
  readonly fail: (failure: InitFailure) => void;
}

/**
 * The environments of one spec key, and the invocations waiting for one of them. What each environment
 * is doing is its own state, read from it, never copied into lists here that could disagree with it.
 */
class Group {
  readonly waiting: Waiter[] = [];
  readonly all = new Set<Environment>();
  /** Provisioned concurrency: this many environments are kept started, and never reaped. */
  provisioned = 0;

  constructor(readonly spec: EnvironmentSpec) {}

  /** Whether the invocations waiting outnumber the environments that will soon take them (starting, or answered and on their way back to `/next`). */
  needsAnother(): boolean {
    return countIn(this.all, (env) => env.state === 'initialising' || env.finishing) < this.waiting.length;
  }
}

export interface PoolStats {
  readonly environments: number;
  readonly idle: number;
  readonly busy: number;
  readonly starting: number;
  /** Environments kept for provisioned concurrency (included in `environments`). */
  readonly provisioned: number;
  /** Generic runtimes started ahead of demand, not yet given a function (whole pool only). */
  readonly prestarted: number;
  /** Of those, the ones ready to be given a function now. */
  readonly prestartReady: number;
  /** Cold starts served by a pre-started runtime since the pool started (whole pool only). */
  readonly prestartHits: number;
}

/**
 * Execution environments by function configuration: warm reuse (most recently used first), one
 * invocation per environment, a new environment per concurrent invocation, idle reaping to zero.
 * A waiting invocation goes to whichever environment of its group is ready first, so a burst of
 * back-to-back calls reuses the environment that just answered instead of cold-starting another.
 */
export class EnvironmentPool {
  readonly #options: PoolOptions;
  readonly #groups = new Map<string, Group>();
  readonly #prestarted = new Map<string, PrestartGroup>();
  /** The function group each environment works for (a pre-started one has none until assigned). */
  readonly #owners = new Map<Environment, Group>();
  /** Gives back each owned environment's hold on its code, once it has stopped. */
  readonly #codeHolds = new Map<Environment, () => void>();
  /** When each owned environment is retired for age (see maxLifetimeMs). */
  readonly #lifetimes = new Map<Environment, Timer>();
  #prestartHits = 0;
  readonly #running = new Set<Promise<unknown>>();
  #reaper: Timer | undefined;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  invoke(spec: EnvironmentSpec, request: InvocationRequest): Invocation {
    if (this.#closed) throw new Error('the environment pool is closed');
    let group = this.#groups.get(spec.key);
    if (group === undefined) {
      group = new Group(spec);
      this.#groups.set(spec.key, group);
    }
    let resolveResult!: (r: InvocationResult) => void;
    let resolveReport!: (r: InvocationReport) => void;
    const result = new Promise<InvocationResult>((r) => (resolveResult = r));
    const report = new Promise<InvocationReport>((r) => (resolveReport = r));
    const waiter: Waiter = {
      request,
      start: (env) => {
        const run = env.invoke(request);
        run.result.then(resolveResult, () => undefined);
        run.report.then(resolveReport, () => undefined);
      },
      fail: (failure) => {
        const failed = this.#initFailureOutcome(spec, request, failure);
        resolveResult(failed.result);
        resolveReport(failed.report);
      },
    };
    const idle = latestIn(group.all, 'idle');
    if (idle !== undefined) waiter.start(idle);
    else {
      group.waiting.push(waiter);
      if (group.needsAnother()) this.#startEnvironment(group);
    }
    this.#track(report);
    return { result, report };
  }

  /**
   * Stops the environments of a function whose code or configuration changed (busy ones after their
   * invocation): of one version, or of all when `version` is undefined. Invocations already waiting for
   * one still get it, on the code they were sent to, as on Lambda; new ones go to the new configuration.
   */
  retireFunction(functionName: string, version?: string): void {
    for (const [key, group] of this.#groups) {
      if (group.spec.functionName !== functionName || (version !== undefined && group.spec.version !== version)) continue;
      this.#groups.delete(key);
      for (const env of group.all) {
        // Still initialising for a waiting invocation: it serves that one first; #onIdle stops it after,
        // the group being gone (stopped now, the invocation got Runtime.ExitError).
        if (env.state === 'initialising' && group.waiting.length > 0) continue;
        env.retire();
      }
    }
  }

  stats(functionName?: string, version?: string): PoolStats {
    let environments = 0;
    let idle = 0;
    let starting = 0;
    let provisioned = 0;
    for (const group of this.#groups.values()) {
      if (functionName !== undefined && group.spec.functionName !== functionName) continue;
      if (version !== undefined && group.spec.version !== version) continue;
      for (const env of group.all) {
        environments += 1;
        if (env.state === 'idle') idle += 1;
        else if (env.state === 'initialising') starting += 1;
        if (env.provisioned) provisioned += 1;
      }
    }
    let prestarted = 0;
    let prestartReady = 0;
    if (functionName === undefined) {
      for (const group of this.#prestarted.values()) {
        prestarted += group.all.size;
        prestartReady += group.readyCount();
      }
    }
    return {
      environments,
      idle,
      busy: environments - idle - starting,
      starting,
      provisioned,
      prestarted,
      prestartReady,
      prestartHits: functionName === undefined ? this.#prestartHits : 0,
    };
  }

  /**
   * Provisioned concurrency for one function version: keeps `count` environments of it started (and
   * initialised) ahead of any invocation; 0 lets them go back to ordinary reaping.
   */
  provision(spec: EnvironmentSpec, count: number): void {
    let group = this.#groups.get(spec.key);
    if (group === undefined) {
      if (count === 0) return;
      group = new Group(spec);
      this.#groups.set(spec.key, group);
    }
    group.provisioned = count;
    this.#topUpProvisioned(group);
    // Lowered: the surplus, idle ones first, become ordinary environments, reaped when idle.
    const idleLast = [...group.all].filter((env) => env.provisioned).sort((a, b) => Number(a.state === 'idle') - Number(b.state === 'idle'));
    for (const env of idleLast.slice(count)) env.unprovision();
    if (idleLast.length > count) this.#scheduleReaper();
  }

  /** Provisioned environments of a function version that are ready (initialised). */
  provisionedReady(specKey: string): number {
    const group = this.#groups.get(specKey);
    if (group === undefined) return 0;
    let ready = 0;
    for (const env of group.all) if (env.provisioned && (env.state === 'idle' || env.state === 'busy' || env.state === 'retiring')) ready += 1;
    return ready;
  }

  #topUpProvisioned(group: Group): void {
    if (this.#closed || this.#groups.get(group.spec.key) !== group) return;
    let have = 0;
    for (const env of group.all) if (env.provisioned) have += 1;
    for (; have < group.provisioned; have += 1) {
      const env = this.#newEnvironment(group.spec, false, true);
      this.#own(env, group);
      // A failed start has stopped it: #onStopped starts its replacement.
      env.start().catch(() => undefined);
    }
  }

  /** The pre-started runtimes by template: how many are ready to be given a function, how many are starting. */
  prestartedRuntimes(): Array<{ runtime: string; memorySize: number; ephemeralStorageMb: number; ready: number; starting: number }> {
    return [...this.#prestarted.values()].map((group) => {
      const ready = group.readyCount();
      return {
        runtime: group.template.runtime,
        memorySize: group.template.memorySize,
        ephemeralStorageMb: group.template.ephemeralStorageMb,
        ready,
        starting: group.all.size - ready,
      };
    });
  }

  /** Waits for every invocation in flight (bounded by their timeouts), then stops every environment. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#running]);
    this.destroy();
  }

  /** Stops everything now. */
  destroy(): void {
    this.#closed = true;
    this.#reaper?.cancel();
    this.#reaper = undefined;
    const shuttingDown = InitFailure.of('Runtime.ExitError', 'The platform is shutting down.');
    for (const group of this.#prestarted.values()) for (const env of [...group.all]) env.stop();
    this.#prestarted.clear();
    for (const group of this.#groups.values()) {
      for (const env of group.all) env.stop();
      // Nobody will start an environment for these any more: answer them rather than leave them hanging.
      for (const waiter of group.waiting.splice(0)) waiter.fail(shuttingDown);
    }
    this.#groups.clear();
  }

  #startEnvironment(group: Group): void {
    const key = this.#templateKey(group.spec);
    const pooled = key === undefined ? undefined : this.#prestarted.get(key);
    const prestarted = pooled?.ready();
    let started: Promise<void> | undefined;
    if (prestarted !== undefined) {
      // A generic runtime that has run nothing: safe to give to this function.
      pooled!.all.delete(prestarted);
      try {
        started = prestarted.assign(group.spec);
        this.#prestartHits += 1;
        this.#own(prestarted, group);
      } catch {
        // It stopped waiting for an assignment (its runtime went away): start one the usual way instead.
        prestarted.stop();
      }
    }
    if (started === undefined) {
      const env = this.#newEnvironment(group.spec, false);
      this.#own(env, group);
      started = env.start();
    }
    // Replace what was taken, or have one ready for the next new function like this one: once this
    // one has initialised, so that booting the replacement does not take CPU from that init. A start
    // that leaves its template nothing, ready or booting, starts one more (up to the cap): new functions
    // arriving faster than a runtime boots then still find one ready.
    if (key !== undefined) {
      const another = (pooled?.all.size ?? 0) === 0;
      const replace = () => {
        this.#prestart(key, group.spec);
        if (another) this.#prestart(key, group.spec);
      };
      started.then(replace, replace);
    }
    // The invocation that asked for this environment gets the init error, as on Lambda.
    started.catch((failure: InitFailure) => group.waiting.shift()?.fail(failure));
  }

  /** The environment works for `group` from now on, and runs its code: the code stays until it stops. */
  #own(env: Environment, group: Group): void {
    this.#owners.set(env, group);
    group.all.add(env);
    this.#codeHolds.set(env, this.#options.code?.hold(group.spec.codeDir) ?? (() => undefined));
    const { maxLifetimeMs } = this.#options;
    if (maxLifetimeMs !== undefined)
      this.#lifetimes.set(
        env,
        this.#options.clock.setTimeout(() => env.retire(), maxLifetimeMs),
      );
  }

  #newEnvironment(spec: EnvironmentSpec, prestarted: boolean, provisioned = false): Environment {
    return new Environment({
      platformId: this.#options.platformId,
      spec,
      prestarted,
      provisioned,
      launcher: this.#options.launcher,
      spawner: this.#options.spawner,
      isolation: this.#options.isolation,
      logs: this.#options.logs,
      clock: this.#options.clock,
      log: this.#options.log,
      ...(this.#options.initTimeoutMs === undefined ? {} : { initTimeoutMs: this.#options.initTimeoutMs }),
      // Looked up on each call: a pre-started environment changes hands when it is assigned.
      onIdle: (ready) => {
        const owner = this.#owners.get(ready);
        // Only an assigned environment waits for work; anything else here is out of order: end it.
        if (owner === undefined) return ready.stop();
        this.#onIdle(owner, ready);
      },
      onStopped: (stopped) => this.#onStopped(stopped),
    });
  }

  /** The template a function's environments can be pre-started from; undefined when they cannot. */
  #templateKey(spec: EnvironmentSpec): string | undefined {
    if (!this.#options.prestart || !this.#options.isolation.canPrestart || !this.#options.launcher.canPrestart(spec)) return undefined;
    return `${spec.runtime}|${spec.memorySize}|${spec.ephemeralStorageMb}|${spec.architecture}`;
  }

  #prestart(key: string, spec: EnvironmentSpec): void {
    if (this.#closed) return;
    let group = this.#prestarted.get(key);
    if (group === undefined) {
      // Nothing of the function in the template: only what every matching function has in common.
      group = new PrestartGroup({ ...spec, key, functionName: '', handler: '', version: '$LATEST', environment: {}, role: '', codeDir: '/' });
      this.#prestarted.set(key, group);
    }
    if (group.all.size >= MAX_PRESTARTED_PER_TEMPLATE) return;
    const pooled = group;
    const env = this.#newEnvironment(group.template, true);
    group.all.add(env);
    env.start().then(
      () => {
        if (pooled.all.has(env)) this.#scheduleReaper();
      },
      () => undefined, // it stopped; #onStopped has dropped it
    );
  }

  #onIdle(group: Group, env: Environment): void {
    const next = group.waiting.shift();
    if (next !== undefined) return next.start(env);
    if (this.#groups.get(group.spec.key) !== group || this.#closed) return env.stop();
    this.#scheduleReaper();
  }

  #onStopped(env: Environment): void {
    const group = this.#owners.get(env);
    if (group === undefined) return this.#dropPrestarted(env);
    this.#owners.delete(env);
    group.all.delete(env);
    this.#lifetimes.get(env)?.cancel();
    this.#lifetimes.delete(env);
    const current = this.#groups.get(group.spec.key) === group;
    if (group.all.size === 0 && group.waiting.length === 0 && group.provisioned === 0 && current) {
      this.#groups.delete(group.spec.key);
    }
    // A provisioned environment that ended (crash, timeout) is replaced, unless its version was retired.
    if (current && group.provisioned > 0) this.#topUpProvisioned(group);
    // Invocations still waiting need an environment of their own if none is on the way. Looked at once
    // this environment's own start has settled: an init that failed hands its error to the invocation
    // that waited for it (in #startEnvironment), which then waits no more and needs no second init.
    const letGoOfCode = this.#codeHolds.get(env);
    this.#codeHolds.delete(env);
    queueMicrotask(() => {
      if (!this.#closed && group.needsAnother()) this.#startEnvironment(group);
      // Last, so a replacement of the same code holds it before this one lets it go.
      letGoOfCode?.();
    });
  }

  /** A pre-started environment that stopped before it was assigned. */
  #dropPrestarted(env: Environment): void {
    for (const [key, pooled] of this.#prestarted) {
      if (pooled.all.delete(env) && pooled.all.size === 0) this.#prestarted.delete(key);
    }
  }

  #scheduleReaper(): void {
    if (this.#reaper !== undefined) return;
    const every = Math.max(100, Math.min(this.#options.idleTimeoutMs / 4, 30_000));
    this.#reaper = this.#options.clock.setInterval(() => this.#reap(), every);
  }

  #reap(): void {
    const now = this.#options.clock.now();
    let idleLeft = 0;
    // Pre-started runtimes nobody asked for within the idle timeout go too: an idle platform runs nothing.
    // Provisioned environments stay while their configuration does.
    const waiting: Environment[] = [];
    for (const group of this.#groups.values()) for (const env of group.all) if (env.state === 'idle' && !env.provisioned) waiting.push(env);
    for (const group of this.#prestarted.values()) for (const env of group.all) if (env.state === 'pooled') waiting.push(env);
    for (const env of waiting) {
      if (now - env.idleSince >= this.#options.idleTimeoutMs) env.stop();
      else idleLeft += 1;
    }
    if (idleLeft === 0) {
      // Nothing left to reap: an idle platform runs no timers.
      this.#reaper?.cancel();
      this.#reaper = undefined;
    }
  }

  #track(promise: Promise<unknown>): void {
    this.#running.add(promise);
    // The promise's own rejection is its owner's to handle; tracking it must not add an unhandled one.
    promise.finally(() => this.#running.delete(promise)).catch(() => undefined);
  }

  /** A caller whose environment failed to initialise gets the init error, framed in the log as Lambda does. */
  #initFailureOutcome(spec: EnvironmentSpec, request: InvocationRequest, failure: InitFailure): { result: InvocationResult; report: InvocationReport } {
    const startMs = this.#options.clock.now();
    const stream = `init-failure/${request.requestId}`;
    const lines = [
      startLine(spec, request.requestId, spec.version, startMs),
      endLine(spec, request.requestId),
      reportOf(
        spec,
        {
          requestId: request.requestId,
          durationMs: 0,
          billedMs: 0,
          memorySize: spec.memorySize,
          maxMemoryMb: 0,
          status: `Status: error\tError Type: ${failure.errorType}`,
          outcome: 'init-error',
          errorType: failure.errorType,
        },
        startMs,
      ),
    ];
    const to = { functionName: spec.functionName, logGroup: spec.logGroup, stream };
    for (const line of lines) if (line !== undefined) this.#options.logs.write(to, startMs, line);
    return {
      result: { payload: failure.payloadFor(request.requestId), functionError: 'Unhandled', outcome: 'init-error' },
      report: {
        requestId: request.requestId,
        startMs,
        durationMs: 0,
        billedMs: 0,
        initMs: 0,
        cold: true,
        maxMemoryMb: 0,
        outcome: 'init-error',
        log: `${lines.join('\n')}\n`,
      },
    };
  }
}
