import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HelperSpawner, type RuntimeProcess, type SpawnRequest, type Spawner } from '../src/runtime/spawner.js';

interface Ended {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
}

/** Everything a started process says, once it has closed ('close' comes after 'exit' and both outputs). */
function ended(child: RuntimeProcess): Promise<Ended> {
  const out: Ended = { stdout: '', stderr: '', code: null, signal: null };
  child.stdout?.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  child.once('error', (error) => (out.error = error));
  child.once('exit', (code, signal) => Object.assign(out, { code, signal }));
  return new Promise((resolve) => child.once('close', () => resolve(out)));
}

const sh = (script: string, extra: Partial<SpawnRequest> = {}): SpawnRequest => ({
  command: 'sh',
  args: ['-c', script],
  cwd: '/',
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  ...extra,
});

/** /proc/PID/stat's ppid, process group and session (the fields after the parenthesised name). */
const statFields = (line: string) => {
  const [ppid, pgrp, session] = line
    .slice(line.lastIndexOf(')') + 4)
    .split(' ')
    .map(Number);
  return { ppid, pgrp, session };
};

describe('starting runtime processes from the spawn helper', () => {
  const spawners: Spawner[] = [];
  const started = (python?: string) => {
    const spawner = HelperSpawner.start(python);
    spawners.push(spawner);
    return spawner;
  };
  after(() => spawners.forEach((s) => s.close()));

  it('starts the process in its own session, as a child of the helper rather than of the platform, with its environment, folder and both outputs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-spawner-'));
    try {
      const spawner = started();
      const child = await spawner.spawn(
        sh('echo "$$ $GREETING $(pwd)"; cat /proc/self/stat; echo oops >&2; exit 3', { cwd: dir, env: { PATH: process.env.PATH!, GREETING: 'hello' } }),
      );
      const out = await ended(child);
      const [first, stat] = out.stdout.trim().split('\n') as [string, string];
      assert.equal(first, `${child.pid} hello ${dir}`);
      const fields = statFields(stat);
      // cat is the shell's child: its group and session are the shell's, which leads both.
      assert.equal(fields.pgrp, child.pid);
      assert.equal(fields.session, child.pid);
      assert.equal(out.stderr, 'oops\n');
      assert.deepEqual([out.code, out.signal], [3, null]);
      const parent = await ended(await spawner.spawn(sh('cut -d" " -f4 /proc/$$/stat')));
      assert.notEqual(Number(parent.stdout.trim()), process.pid, 'a fork of the platform would have the platform as its parent');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives the process descriptor 3 to read its input from (bubblewrap reads its seccomp program there), small or larger than a pipe holds', async () => {
    const spawner = started();
    for (const size of [17, 300_000]) {
      const input = Buffer.alloc(size, 'x');
      const out = await ended(await spawner.spawn(sh('wc -c <&3', { fd3Input: input })));
      assert.equal(out.stdout.trim(), String(size));
    }
  });

  it('passes nothing else on: stdin is /dev/null and no descriptor of the platform or the helper is open in the process', async () => {
    const out = await ended(await started().spawn(sh('readlink /proc/$$/fd/0; ls /proc/$$/fd')));
    const [stdin, ...fds] = out.stdout.trim().split('\n');
    assert.equal(stdin, '/dev/null');
    assert.deepEqual(fds.map(Number).sort(), [0, 1, 2]);
  });

  it('reports a process ended by a signal with the signal’s name', async () => {
    const out = await ended(await started().spawn(sh('kill -9 $$')));
    assert.deepEqual([out.code, out.signal], [null, 'SIGKILL']);
  });

  it('reports a command that cannot be executed as Node does: an error with its code, then close', async () => {
    const out = await ended(await started().spawn({ command: '/nonexistent/bootstrap', args: [], cwd: '/', env: {} }));
    assert.equal(out.error?.code, 'ENOENT');
  });

  it('falls back to forking the platform where the helper cannot run (no python3)', async () => {
    const spawner = started('/nonexistent/python3');
    const child = await spawner.spawn(sh('echo fallback; cut -d" " -f4 /proc/$$/stat'));
    const out = await ended(child);
    const [word, ppid] = out.stdout.trim().split('\n');
    assert.equal(word, 'fallback');
    assert.equal(Number(ppid), process.pid);
    assert.equal(out.code, 0);
  });

  it('keeps many processes apart: each gets its own output and exit', async () => {
    const spawner = started();
    const outs = await Promise.all(Array.from({ length: 12 }, async (_, i) => ended(await spawner.spawn(sh(`echo ${i}; exit ${i}`)))));
    outs.forEach((out, i) => assert.deepEqual([out.stdout, out.code], [`${i}\n`, i]));
  });
});
