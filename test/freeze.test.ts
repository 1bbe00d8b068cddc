import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { processesOfUid } from './support/processes.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

/**
 * Starts a busy background process and leaves it running (`start`), reports the CPU seconds it has had
 * so far (`cpu`, read from the environment's own /proc, so in the sandbox's pid namespace too), keeps
 * the invocation busy for a while (`busyMs`) and ends it (`end`).
 */
const BACKGROUND = `const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const cpuSeconds = (pid) => {
  const fields = readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
};
exports.handler = async ({ action, pid, busyMs = 0 }) => {
  if (action === 'start') {
    const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { detached: true, stdio: 'ignore' });
    child.unref();
    return { pid: child.pid, uid: process.getuid() };
  }
  if (action === 'end') return process.kill(pid, 'SIGKILL');
  const before = cpuSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, busyMs));
  return { before, after: cpuSeconds(pid) };
};`;

interface Cpu {
  before: number;
  after: number;
}

describe('idle environments are frozen between invocations', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform();
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'background',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Timeout: 30,
        Code: { ZipFile: await nodeZip(BACKGROUND) },
      }),
    );
  });
  after(async () => {
    await t?.stop();
  });

  const invoke = async <T>(payload: object): Promise<T> => {
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'background', Payload: JSON.stringify(payload) }));
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    return JSON.parse(Buffer.from(out.Payload!).toString() || 'null') as T;
  };

  it('a background process gets no CPU while its environment is idle, and runs again during the next invocation', { timeout: 60_000 }, async () => {
    const { pid } = await invoke<{ pid: number }>({ action: 'start' });
    try {
      // Past the background process's start-up, which may spill over the freeze.
      const first = await invoke<Cpu>({ action: 'cpu', pid, busyMs: 500 });
      await sleep(3000);
      const second = await invoke<Cpu>({ action: 'cpu', pid, busyMs: 1000 });
      const idleCpu = second.before - first.after;
      // Unfrozen, a busy loop takes seconds of CPU in three seconds even on a loaded two-core machine.
      assert.ok(idleCpu < 0.5, `the background process had ${idleCpu.toFixed(2)} s of CPU in 3 s of idleness`);
      assert.ok(second.after - second.before > 0.1, `thawed, it had only ${(second.after - second.before).toFixed(2)} s of CPU in a 1 s invocation`);
    } finally {
      await invoke({ action: 'end', pid });
    }
  });
});

/** The cgroup folder of `controller` (v1) or of the v2 hierarchy (`''`) that host process `pid` is in. */
function cgroupDir(pid: number, controller: string): string | undefined {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .map((l) => /^\d+:([^:]*):(.*)$/.exec(l))
    .find((m) => m !== null && (controller === '' ? m[1] === '' : m[1]!.split(',').includes(controller)));
  if (!line) return undefined;
  for (const mount of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left = '', right = ''] = mount.split(' - ');
    const [fsType, , options = ''] = right.split(' ');
    const [, , , root, mountPoint] = left.split(' ');
    const matches = controller === '' ? fsType === 'cgroup2' : fsType === 'cgroup' && options.split(',').includes(controller);
    if (matches && root !== undefined && line[2]!.startsWith(root)) return `${mountPoint}${line[2]!.slice(root === '/' ? 0 : root.length)}`;
  }
  return undefined;
}

function readControl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The CPU weight of the group a process is in: v1's cpu.shares, else v2's cpu.weight. */
function cpuWeightOf(pid: number): string | undefined {
  const v1 = cgroupDir(pid, 'cpu');
  return v1 !== undefined ? readControl(`${v1}/cpu.shares`) : readControl(`${cgroupDir(pid, '')}/cpu.weight`);
}

/** Why this platform's environments get no CPU weights, if they do not. */
function noCpuWeights(t: TestPlatform): string | undefined {
  if (!t.platform.isolation.sandboxed) return 'plain processes have no cgroups of their own';
  const v2 = cgroupDir(process.pid, 'cpu') === undefined;
  const offered = !v2 || (readControl(`${cgroupDir(process.pid, '')}/cgroup.controllers`) ?? '').split(' ').includes('cpu');
  return offered ? undefined : 'this host gives no cpu controller to the platform';
}

describe('CPU in proportion to memory', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform();
  });
  after(async () => {
    await t?.stop();
  });

  it('gives each sandboxed environment a CPU weight in proportion to its memory (one vCPU at 1,769 MB)', async (context) => {
    const skip = noCpuWeights(t);
    if (skip !== undefined) return context.skip(skip);
    const v2 = cgroupDir(process.pid, 'cpu') === undefined;
    const weights: Record<string, string | undefined> = {};
    for (const memory of [128, 1769]) {
      const name = `weight-${memory}`;
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          MemorySize: memory,
          Code: { ZipFile: await nodeZip(BACKGROUND) },
        }),
      );
      const out = await t.client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ action: 'start' }) }));
      const { pid, uid } = JSON.parse(Buffer.from(out.Payload!).toString()) as { pid: number; uid: number };
      const host = processesOfUid(uid)[0];
      assert.ok(host !== undefined, `no process of the environment's uid ${uid}`);
      weights[memory] = cpuWeightOf(host);
      await t.client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ action: 'end', pid }) }));
    }
    assert.deepEqual(weights, v2 ? { 128: '7', 1769: '100' } : { 128: '74', 1769: '1024' });
  });
});

/** The CPU weight of every environment group below the platform's own (`selfless-<pid>-<random>`). */
function environmentWeights(): string[] {
  const v1 = cgroupDir(process.pid, 'cpu');
  const own = v1 ?? cgroupDir(process.pid, '');
  if (own === undefined) return [];
  const file = v1 !== undefined ? 'cpu.shares' : 'cpu.weight';
  const weights: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = `${dir}/${entry.name}`;
      // Environment groups are named by their id, 32 hex digits.
      if (/^[0-9a-f]{32}$/.test(entry.name)) {
        const weight = readControl(`${path}/${file}`);
        if (weight !== undefined) weights.push(weight);
      } else if (depth < 2) walk(path, depth + 1);
    }
  };
  for (const entry of readdirSync(own)) if (entry.startsWith(`selfless-${process.pid}-`)) walk(`${own}/${entry}`, 0);
  return weights;
}

describe('pre-started runtimes wait in the background', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startPlatform();
  });
  after(async () => {
    await t?.stop();
  });

  it('gives a pre-started runtime the least CPU weight until a function is assigned to it', { timeout: 60_000 }, async (context) => {
    const skip = noCpuWeights(t);
    if (skip !== undefined) return context.skip(skip);
    const v2 = cgroupDir(process.pid, 'cpu') === undefined;
    const least = v2 ? '1' : '2';
    const weightOf128 = v2 ? '7' : '74';
    const call = async (name: string, event: Record<string, unknown>) =>
      JSON.parse(Buffer.from((await t.client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(event) }))).Payload!).toString()) as {
        pid: number;
        uid: number;
      };
    for (const name of ['background-weight', 'background-weight-2']) {
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await nodeZip(BACKGROUND) },
        }),
      );
    }
    // The first function's first invoke fills the pool of its configuration; the second function takes one of it.
    await call('background-weight', { action: 'end', pid: (await call('background-weight', { action: 'start' })).pid });
    const ready = () => t.platform.pool.prestartedRuntimes().some((p) => p.ready > 0 && p.starting === 0);
    for (let i = 0; i < 400 && !ready(); i++) await sleep(50);
    assert.ok(ready(), 'pre-started runtimes became ready');
    const pooled = t.platform.pool.prestartedRuntimes().reduce((n, p) => n + p.ready, 0);
    assert.equal(environmentWeights().filter((w) => w === least).length, pooled, `weights ${environmentWeights().join(', ')} for ${pooled} pre-started`);
    const hits = t.platform.pool.stats().prestartHits;
    const { pid, uid } = await call('background-weight-2', { action: 'start' });
    assert.equal(t.platform.pool.stats().prestartHits, hits + 1, 'the second function took a pre-started runtime');
    assert.equal(cpuWeightOf(processesOfUid(uid)[0]!), weightOf128);
    await call('background-weight-2', { action: 'end', pid });
  });
});
