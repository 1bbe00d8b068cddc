import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  type CreateFunctionCommandInput,
  type InvokeCommandOutput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { freeBytes, listeningPorts, shellFunction, shellOutput, startServerProcess } from './support/hostile.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { processesOfUid } from './support/processes.js';
import { signedFetch } from './support/signed-fetch.js';
import { decode, makeZip, type ZipEntry } from './support/zip.js';

/**
 * SECURITY.md's test table: every test is a hostile function attacking the sandbox, and every one is
 * followed by an invocation of an innocent function, which must still work. Only meaningful where the
 * platform sandboxes environments; a platform configured like the suite's tells whether it does.
 */
const probe = await startPlatform();
const { sandboxed, features } = probe.platform.isolation;
await probe.stop();
const SKIP = sandboxed ? false : `environments are not sandboxed here, so there is no sandbox to attack: ${features[0]?.detail ?? 'no reason given'}`;

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; returns whether it did. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) if (await check()) return true;
  return check();
}

/** What `/proc/<pid>/status` says about a host process. */
function hostStatus(pid: number): Record<string, string> | undefined {
  try {
    return Object.fromEntries(
      readFileSync(`/proc/${pid}/status`, 'latin1')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
    );
  } catch {
    return undefined; // gone
  }
}

/** Names of the host processes running as `uid`. */
const processNames = (uid: number) => processesOfUid(uid).map((pid) => hostStatus(pid)?.Name ?? '?');

/** Refused by a Runtime API that is not the caller's: 403 AccessDenied, or the connection closed on it. */
function refused(attempt: { status?: number; body?: string; error?: string }): boolean {
  if (attempt.status !== undefined) return attempt.status === 403 && /AccessDenied/.test(attempt.body ?? '');
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE'].includes(attempt.error ?? '');
}

/** A Node function that returns what each attack got: `OK` or the error code. */
const ATTEMPT = 'const attempt = (f) => { try { const v = f(); return v === undefined ? "OK" : v; } catch (error) { return error.code ?? String(error); } };';

/** Reads, lists and searches whatever it is asked to, from inside its sandbox. */
const READER = `const fs = require('fs');
${ATTEMPT}
function search(dir, secret, found, skip) {
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const entry of entries) {
    const path = (dir === '/' ? '' : dir) + '/' + entry.name;
    if (skip.includes(path)) continue;
    if (entry.isDirectory()) search(path, secret, found, skip);
    else if (entry.name === 'secret.txt') found.push(path);
    else {
      // stat, not the entry's type: /dev's devices are bound onto regular files.
      try { const info = fs.statSync(path); if (info.isFile() && info.size < 1e6 && fs.readFileSync(path, 'latin1').includes(secret)) found.push(path); } catch {}
    }
  }
}
exports.handler = async (event) => {
  const targets = {};
  for (const path of event.targets) targets[path] = attempt(() => { fs.statSync(path).isDirectory() ? fs.readdirSync(path) : fs.readFileSync(path); });
  const found = [];
  search('/', event.secret, found, ['/proc', '/sys', '/usr', '/etc', '/var/lang']);
  return {
    targets, found,
    root: fs.readdirSync('/').sort(), var: fs.readdirSync('/var').sort(),
    mounts: fs.readFileSync('/proc/self/mountinfo', 'utf8'),
    environment: JSON.stringify(process.env),
  };
};`;

describe('isolation: hostile functions', { skip: SKIP }, () => {
  let t: TestPlatform;
  let dataDir: string;
  let innocentStream: string;
  const json = (out: InvokeCommandOutput) => JSON.parse(decode(out.Payload)) as any;
  const deploy = async (
    name: string,
    files: Record<string, string | ZipEntry>,
    extra: Partial<CreateFunctionCommandInput> = {},
    client: LambdaClient = t.client,
  ) =>
    client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Timeout: 30,
        Code: { ZipFile: await makeZip(files) },
        ...extra,
      }),
    );
  const deployShell = (name: string, handler: string, extra: Partial<CreateFunctionCommandInput> = {}, client: LambdaClient = t.client) =>
    deploy(name, shellFunction(handler), { Runtime: 'provided.al2023', ...extra }, client);
  const invoke = (name: string, payload: unknown = {}, client: LambdaClient = t.client) =>
    client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }));
  const codeDirOf = async (name: string) =>
    join(
      dataDir,
      'code',
      Buffer.from((await t.client.send(new GetFunctionCommand({ FunctionName: name }))).Configuration!.CodeSha256!, 'base64').toString('hex'),
    );
  const errorOf = (out: InvokeCommandOutput) => {
    assert.equal(out.FunctionError, 'Unhandled', `expected an error, got ${decode(out.Payload)}`);
    return json(out) as { errorType: string; errorMessage: string };
  };
  /** No process of an environment's uid is left on the host (the kernel reaps killed ones a moment later). */
  const assertNoProcessesOf = async (uid: number) => {
    const gone = await eventually(() => processesOfUid(uid).length === 0);
    assert.ok(gone, `processes of uid ${uid} are still running: ${processNames(uid).join(', ')}`);
  };
  /**
   * After a timeout the runtime restarts in its sandbox, as on Lambda: every process the uid had is gone,
   * and what runs as it now is the one new runtime, which answers.
   */
  const assertOnlyARestartedRuntime = async (uid: number, before: readonly number[], name: string) => {
    const gone = await eventually(() => !processesOfUid(uid).some((pid) => before.includes(pid)));
    assert.ok(gone, `processes of uid ${uid} from before the timeout are still running: ${processNames(uid).join(', ')}`);
    assert.equal(json(await invoke(name)), uid, 'the restarted runtime answers, as the same uid');
    assert.deepEqual(processNames(uid), ['node'], 'only the restarted runtime runs as the uid');
  };
  /** The row's epilogue: another function, warm since before, still answers normally from the same environment. */
  const assertInnocentWorks = async () => {
    const nonce = randomUUID();
    const out = await invoke('innocent', { nonce });
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    const body = json(out);
    assert.deepEqual(body.echo, { nonce });
    assert.equal(body.stream, innocentStream, 'the innocent function kept its environment');
  };
  const INNOCENT = { 'index.js': 'exports.handler = async (echo) => ({ echo, stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME });' };
  /** The innocent function of a platform started as a child process: a shell one, which needs no Node build. */
  const deployShellInnocent = async (client: LambdaClient) => {
    await deployShell('innocent-sh', 'printf "%s" "$1"', {}, client);
    await assertShellInnocentWorks(client);
  };
  const assertShellInnocentWorks = async (client: LambdaClient) => {
    const nonce = randomUUID();
    const out = await invoke('innocent-sh', { nonce }, client);
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    assert.deepEqual(JSON.parse(shellOutput(out.Payload)), { nonce });
  };

  before(async () => {
    // The data dir outside /tmp (which every sandbox replaces with its own), so not seeing it means something.
    dataDir = await mkdtemp(join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'selfless-isolation-'));
    // Environments stay warm for the whole suite: the innocent function must keep its environment.
    t = await startPlatform({ dataDir, idleTimeoutMs: 3_600_000 });
    await deploy('innocent', INNOCENT);
    const warm = await invoke('innocent', { nonce: 'warm' });
    assert.equal(warm.FunctionError, undefined, decode(warm.Payload));
    innocentStream = json(warm).stream;
  });
  after(async () => {
    await t?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("cannot find or read another function's code, the data dir, the database or the credentials", { timeout: 180_000 }, async () => {
    const secret = `the secret of A ${randomUUID()}`;
    await deploy('owner-a', {
      'index.js': 'exports.handler = async () => require("fs").readFileSync(__dirname + "/secret.txt", "utf8");',
      'secret.txt': secret,
    });
    assert.equal(json(await invoke('owner-a')), secret, 'A reads its own secret (and keeps its environment warm meanwhile)');
    const codeA = await codeDirOf('owner-a');
    const targets = [dataDir, join(dataDir, 'selfless.db'), join(dataDir, 'credentials.json'), join(dataDir, 'code'), codeA, join(codeA, 'secret.txt')];
    for (const path of targets) assert.ok(existsSync(path), `${path} exists on the host`);
    assert.equal(readFileSync(join(codeA, 'secret.txt'), 'utf8'), secret);

    await deploy('reader-b', { 'index.js': READER });
    const out = await invoke('reader-b', { targets, secret });
    assert.equal(out.FunctionError, undefined, `${decode(out.Payload)}\n${Buffer.from(out.LogResult ?? '', 'base64').toString()}`);
    const seen = json(out);
    for (const path of targets) assert.ok(['ENOENT', 'EACCES'].includes(seen.targets[path]), `${path} from inside B: ${seen.targets[path]}`);
    assert.deepEqual(seen.found, [], "no copy of A's secret anywhere B can look");
    assert.ok(!seen.mounts.includes(codeA.split('/').pop()), "A's code is mounted nowhere in B's sandbox");
    assert.ok(!seen.mounts.includes(join(dataDir, 'selfless.db')));
    assert.ok(!seen.environment.includes(t.platform.rootKey.secretAccessKey), "the platform's key is not in B's environment");
    // node_modules: the AWS SDK the nodejs runtimes carry, read-only.
    const allowedTop = ['bin', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'libx32', 'node_modules', 'opt', 'proc', 'sbin', 'tmp', 'usr', 'var'];
    assert.deepEqual(
      seen.root.filter((entry: string) => !allowedTop.includes(entry)),
      [],
      `only the system folders at / (${seen.root.join(' ')})`,
    );
    assert.deepEqual(
      seen.var.filter((entry: string) => !['task', 'runtime', 'lang'].includes(entry)),
      [],
      `/var holds only Lambda's folders (${seen.var.join(' ')})`,
    );
    await assertInnocentWorks();
  });

  it("sees only its own processes and cannot signal the platform's; kill -9 -1 kills nothing else", { timeout: 180_000 }, async () => {
    const hostProcesses = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).length;
    await deploy('peeker', {
      'index.js': `const fs = require('fs'); const { spawn } = require('child_process');
${ATTEMPT}
exports.handler = async (event) => {
  const procs = fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).map((n) => {
    let status = ''; try { status = fs.readFileSync('/proc/' + n + '/status', 'utf8'); } catch (error) { status = error.code; }
    return { pid: Number(n), name: /^Name:\\s+(.*)$/m.exec(status)?.[1], uid: Number(/^Uid:\\s+(\\d+)/m.exec(status)?.[1]) };
  });
  const result = {
    uid: process.getuid(), procs,
    signalPlatform: attempt(() => { process.kill(event.platformPid, 0); }),
    environOfInit: attempt(() => { fs.readFileSync('/proc/1/environ'); }),
    rootOfInit: attempt(() => { fs.readdirSync('/proc/1/root'); }),
    memOfInit: attempt(() => { fs.readFileSync('/proc/1/mem'); }),
  };
  // Something of its own to kill, so kill(-1) demonstrably reaches what it may reach.
  const child = spawn('/bin/sh', ['-c', 'sleep 30'], { stdio: 'ignore' });
  const ended = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal)));
  await new Promise((resolve) => setTimeout(resolve, 200));
  result.killAll = attempt(() => { process.kill(-1, 'SIGKILL'); });
  result.childEnded = await ended;
  return result;
};`,
    });
    const out = await invoke('peeker', { platformPid: process.pid });
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    const seen = json(out);
    assert.ok(seen.procs.length <= 4 && seen.procs.length < hostProcesses, `its /proc lists only the sandbox: ${JSON.stringify(seen.procs)}`);
    for (const p of seen.procs) assert.ok(p.uid === seen.uid || p.uid === 0, `a process of another uid is visible: ${JSON.stringify(p)}`);
    assert.ok(!seen.procs.some((p: { pid: number }) => p.pid === process.pid), "the platform's pid is not in its /proc");
    assert.ok(['ESRCH', 'EPERM'].includes(seen.signalPlatform), `signal to the platform: ${seen.signalPlatform}`);
    for (const what of ['environOfInit', 'rootOfInit', 'memOfInit']) assert.ok(['EACCES', 'EPERM', 'ENOENT'].includes(seen[what]), `${what}: ${seen[what]}`);
    assert.equal(seen.killAll, 'OK', 'kill(-1, SIGKILL) ran');
    assert.equal(seen.childEnded, 'SIGKILL', 'and killed what the function may kill: its own child');
    await assertInnocentWorks();
  });

  it("cannot take or answer another environment's invocations through its Runtime API", { timeout: 180_000 }, async () => {
    await deploy('victim-x', {
      'index.js':
        'exports.handler = async (e) => { if (e.sleep) { await new Promise((r) => setTimeout(r, e.sleep)); return { mine: e.tag }; } return { api: process.env.AWS_LAMBDA_RUNTIME_API }; };',
    });
    await deploy('intruder-y', {
      'index.js': `const http = require('http');
const call = (api, method, path, body) => new Promise((resolve) => {
  const [host, port] = api.split(':');
  const req = http.request({ host, port: Number(port), method, path, timeout: 5000 }, (res) => {
    let data = ''; res.setEncoding('utf8');
    res.on('data', (c) => (data += c)); res.on('end', () => resolve({ status: res.statusCode, body: data }));
    res.on('error', (error) => resolve({ error: error.code ?? error.message }));
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'TIMEOUT' })));
  req.on('error', (error) => resolve({ error: error.code ?? error.message }));
  req.end(body);
});
exports.handler = async (e) => {
  const r = { next: await call(e.api, 'GET', '/2018-06-01/runtime/invocation/next') };
  for (const id of e.ids) {
    r['response ' + id] = await call(e.api, 'POST', '/2018-06-01/runtime/invocation/' + id + '/response', '"forged"');
    r['error ' + id] = await call(e.api, 'POST', '/2018-06-01/runtime/invocation/' + id + '/error', '{"errorType":"Forged","errorMessage":"forged"}');
  }
  r.initError = await call(e.api, 'POST', '/2018-06-01/runtime/init/error', '{"errorType":"Forged","errorMessage":"forged"}');
  r.assignment = await call(e.api, 'GET', '/2018-06-01/runtime/selfless/assignment');
  return r;
};`,
    });
    const api = json(await invoke('victim-x')).api as string;
    assert.match(api, /^127\.0\.0\.1:\d+$/);
    const assertRefused = (attempts: Record<string, { status?: number; body?: string; error?: string }>) => {
      for (const [what, attempt] of Object.entries(attempts))
        assert.ok(refused(attempt), `${what} on X's Runtime API was not refused: ${JSON.stringify(attempt)}`);
    };

    // X idle, its runtime blocked on /next.
    const whileIdle = await invoke('intruder-y', { api, ids: [randomUUID()] });
    assert.equal(whileIdle.FunctionError, undefined, decode(whileIdle.Payload));
    assertRefused(json(whileIdle));

    // X busy: Y tries X's real request id, read from X's log stream, and a made-up one.
    const logged = async () => {
      const response = await signedFetch(t.platform, 'GET', '/selfless/v1/functions/victim-x/logs');
      const { events } = (await response.json()) as { events: Array<{ message: string }> };
      return events.map((e) => /^START RequestId: (\S+)/.exec(e.message)?.[1]).filter((id): id is string => id !== undefined);
    };
    const earlier = await logged();
    const tag = randomUUID();
    const busy = invoke('victim-x', { sleep: 8000, tag });
    let running: string | undefined;
    assert.ok(await eventually(async () => (running = (await logged()).find((id) => !earlier.includes(id))) !== undefined), "X's invocation started");
    const whileBusy = await invoke('intruder-y', { api, ids: [running!, randomUUID()] });
    assert.equal(whileBusy.FunctionError, undefined, decode(whileBusy.Payload));
    assertRefused(json(whileBusy));

    const own = await busy;
    assert.equal(own.FunctionError, undefined, decode(own.Payload));
    assert.deepEqual(json(own), { mine: tag }, 'X answered its own invocation with its own result');
    assert.equal(own.$metadata.requestId, running);
    await assertInnocentWorks();
  });

  it("cannot take a starting environment's invocation before the Runtime API knows the environment's uid", { timeout: 240_000 }, async () => {
    // The window is widened to make the race deterministic: a runtime whose Node build is not cached yet
    // waits for the registry (here a local one that answers only when told) after its Runtime API listens.
    const hostMajor = Number(process.versions.node.split('.')[0]);
    const runtime = `nodejs${hostMajor === 22 ? 24 : 22}.x` as CreateFunctionCommandInput['Runtime'];
    const held: ServerResponse[] = [];
    let holding = true;
    let asked!: () => void;
    const registryAsked = new Promise<void>((resolve) => (asked = resolve));
    const registry = createServer((req, res) => {
      req.resume();
      asked();
      if (holding) held.push(res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const cache = await mkdtemp(join(tmpdir(), 'selfless-empty-cache-'));
    const server = await startServerProcess({
      env: { SELFLESS_RUNTIME_CACHE: cache, npm_config_registry: `http://127.0.0.1:${(registry.address() as AddressInfo).port}/` },
    });
    try {
      await deployShellInnocent(server.client);
      await deployShell(
        'racer',
        `case "$1" in
  *ports*)
    for p in $(printf '%s' "$1" | tr -cd '0-9,' | tr ',' ' '); do
      for path in invocation/next selfless/assignment; do
        echo "== $p $path"
        curl -sS -i --max-time 8 "http://127.0.0.1:$p/2018-06-01/runtime/$path" > /tmp/got 2>&1; echo "curl: $?" >> /tmp/got; cat /tmp/got
        id=$(grep -i '^lambda-runtime-aws-request-id:' /tmp/got | cut -d' ' -f2 | tr -d '\\r')
        [ -n "$id" ] && curl -sS -i --max-time 8 -X POST -d '"forged"' "http://127.0.0.1:$p/2018-06-01/runtime/invocation/$id/response"
      done
    done ;;
  *) printf '%s' "$AWS_LAMBDA_RUNTIME_API" ;;
esac`,
        { Timeout: 120 },
        server.client,
      );
      const own = Number(shellOutput((await invoke('racer', {}, server.client)).Payload).split(':')[1]);
      const before = listeningPorts(server.pid);
      assert.ok(
        before.includes(server.port) && before.includes(own),
        `the server's listeners are found (${before.join(', ')}; API ${server.port}, racer ${own})`,
      );

      const secret = `victim event ${randomUUID()}`;
      await deploy('starting-victim', { 'index.js': 'exports.handler = async (e) => ({ mine: e });' }, { Runtime: runtime, Timeout: 5 }, server.client);
      const victim = invoke('starting-victim', { secret }, server.client).catch((error: Error) => error);
      await registryAsked; // the victim's Runtime API listens; its runtime waits for the registry
      const targets = listeningPorts(server.pid).filter((port) => !before.includes(port));
      const attacked = await invoke('racer', { ports: targets }, server.client).catch((error: Error) => error);
      holding = false;
      for (const res of held.splice(0)) res.writeHead(503).end();
      const dead = () => server.process.exitCode !== null || server.process.signalCode !== null;
      if (attacked instanceof Error) await eventually(dead, 5000);
      assert.ok(
        server.process.exitCode === null && server.process.signalCode === null,
        `the platform died:\n${server.output().split('\n').slice(-20).join('\n')}`,
      );
      assert.ok(!(attacked instanceof Error), String(attacked));
      const attack = shellOutput(attacked.Payload);
      const answered = await victim;
      assert.doesNotMatch(attack, /HTTP\/1\.1 20\d/, `a Runtime API of a starting environment answered another environment:\n${attack}`);
      assert.ok(!attack.includes(secret), `the attacker read the victim's event:\n${attack}`);
      if (!(answered instanceof Error))
        assert.ok(!decode(answered.Payload).includes('forged'), `the victim's caller got the attacker's answer: ${decode(answered.Payload)}`);
      await assertShellInnocentWorks(server.client);
    } finally {
      holding = false;
      for (const res of held.splice(0)) res.writeHead(503).end();
      await server.stop();
      registry.close();
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('contains a fork bomb: pids capped, environment killed and emptied, neighbours unaffected', { timeout: 240_000 }, async () => {
    await deployShell(
      'fork-bomb',
      `case "$1" in
  *bomb*) bomb() { bomb | bomb & }; bomb >/dev/null 2>&1; while :; do :; done ;;
  *) id -u ;;
esac`,
      { Timeout: 6 },
    );
    const uid = Number(shellOutput((await invoke('fork-bomb')).Payload).trim());
    assert.ok(uid > 0, `the bomb's uid: ${uid}`);
    let peak = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        peak = Math.max(peak, processesOfUid(uid).length);
        await sleep(100);
      }
    })();
    const bomb = invoke('fork-bomb', { bomb: true });
    await sleep(2000);
    await assertInnocentWorks(); // while it rages
    const out = await bomb;
    watching = false;
    await watcher;
    // Timed out, or killed by the kernel: ~1000 shells exceed 128 MB before they exceed the pids limit.
    assert.ok(['Sandbox.Timedout', 'Runtime.ExitError', 'Runtime.OutOfMemory'].includes(errorOf(out).errorType), decode(out.Payload));
    // Sampling /proc every 100 ms can miss a bomb the kernel ends within a few milliseconds (OOM, or the
    // runtime dying of EAGAIN): then the error itself shows it ran.
    const endedByItself = ['Runtime.OutOfMemory', 'Runtime.ExitError'].includes(errorOf(out).errorType);
    assert.ok(peak > 50 || endedByItself, `the bomb ran (at most ${peak} processes seen, ${errorOf(out).errorType})`);
    assert.ok(peak <= 1024, `${peak} processes: more than the pids limit`);
    if (errorOf(out).errorType === 'Sandbox.Timedout') {
      // A timeout restarts the runtime in its sandbox: every shell of the bomb goes, the new runtime answers.
      const calm = await eventually(() => processesOfUid(uid).length <= 3);
      assert.ok(calm, `processes of uid ${uid} after the timeout: ${processNames(uid).join(', ')}`);
      assert.equal(Number(shellOutput((await invoke('fork-bomb')).Payload).trim()), uid, 'the restarted runtime answers');
    } else await assertNoProcessesOf(uid);
    await assertInnocentWorks();
  });

  /** MemorySize 128, then allocations outside the V8 heap (only the memory limit stops those) until killed. */
  const memoryBomb = async (name: string) => {
    await deploy(
      name,
      {
        'index.js': `exports.handler = async (e) => {
  if (!e.bomb) return process.env.AWS_LAMBDA_LOG_STREAM_NAME;
  const hold = []; for (;;) hold.push(Buffer.alloc(8 * 1024 * 1024, 1));
};`,
      },
      { MemorySize: 128 },
    );
    const first = json(await invoke(name));
    const out = await invoke(name, { bomb: true });
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    const used = /REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: (\d+) MB/.exec(log);
    return { first, out, log, usedMb: used ? Number(used[1]) : undefined };
  };

  it('kills a function over its memory with Runtime.OutOfMemory; the next invocation gets a fresh environment', { timeout: 180_000 }, async () => {
    const { first, out, log, usedMb } = await memoryBomb('memory-bomb');
    assert.equal(errorOf(out).errorType, 'Runtime.OutOfMemory', decode(out.Payload));
    assert.ok(usedMb !== undefined, `a REPORT line with Max Memory Used:\n${log}`);
    const next = await invoke('memory-bomb');
    assert.equal(next.FunctionError, undefined, decode(next.Payload));
    assert.notEqual(json(next), first, 'a fresh environment');
    await assertInnocentWorks();
  });

  it("reports the memory an out-of-memory invocation reached, not an earlier invocation's", { timeout: 180_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      const { out, usedMb } = await memoryBomb(`memory-bomb-report-${i}`);
      assert.equal(errorOf(out).errorType, 'Runtime.OutOfMemory');
      assert.ok(usedMb !== undefined && usedMb >= 100, `run ${i}: Max Memory Used ${usedMb} MB for an invocation killed at its 128 MB limit`);
    }
    await assertInnocentWorks();
  });

  it('fills /tmp only up to EphemeralStorage (ENOSPC), on its own tmpfs, not on the host disk', { timeout: 180_000 }, async () => {
    // MemorySize above the storage: the sandbox's /tmp is a tmpfs, charged to the environment's memory.
    await deploy(
      'tmp-filler',
      {
        'index.js': `const fs = require('fs');
exports.handler = async (e) => {
  const chunk = Buffer.alloc(4 * 1024 * 1024, 7); let code = 'no error';
  const fd = fs.openSync('/tmp/' + e.name, 'w');
  try { for (let written = 0; written < e.limit; ) written += fs.writeSync(fd, chunk); } catch (error) { code = error.code; }
  fs.closeSync(fd);
  return { code, size: fs.statSync('/tmp/' + e.name).size };
};`,
      },
      { MemorySize: 1024, EphemeralStorage: { Size: 512 } },
    );
    const name = `filler-${randomUUID()}`;
    const freeBefore = Math.min(await freeBytes(tmpdir()), await freeBytes(dataDir));
    const out = await invoke('tmp-filler', { name, limit: 1024 * MiB });
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    const { code, size } = json(out) as { code: string; size: number };
    assert.equal(code, 'ENOSPC');
    assert.ok(size <= 512 * MiB && size >= 448 * MiB, `stopped at ${size / MiB} MiB of a 512 MiB /tmp`);
    assert.ok(!existsSync(join('/tmp', name)) && !existsSync(join(tmpdir(), name)), 'the file is not in the host /tmp');
    const freeAfter = Math.min(await freeBytes(tmpdir()), await freeBytes(dataDir));
    assert.ok(freeBefore - freeAfter < size - 64 * MiB, `the host disk lost ${(freeBefore - freeAfter) / MiB} MiB`);
    await assertInnocentWorks();
  });

  it('times out a busy loop that ignores SIGTERM with Sandbox.Timedout, and ends its processes', { timeout: 180_000 }, async () => {
    await deploy(
      'spinner',
      { 'index.js': 'process.on("SIGTERM", () => {});\nexports.handler = async (e) => { if (e.spin) for (;;) {} return process.getuid(); };' },
      { Timeout: 1 },
    );
    const uid = json(await invoke('spinner')) as number;
    const before = processesOfUid(uid);
    assert.ok(before.length > 0, 'the runtime runs as its uid');
    const out = await invoke('spinner', { spin: true });
    assert.deepEqual(errorOf(out), {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Task timed out after 1.00 seconds`,
    });
    await assertOnlyARestartedRuntime(uid, before, 'spinner');
    await assertInnocentWorks();
  });

  it('ends children that setsid(), double-fork or ignore SIGTERM/SIGHUP when the invocation times out', { timeout: 180_000 }, async () => {
    await deploy(
      'escaper',
      {
        'index.js': `const { spawn } = require('child_process');
exports.handler = async (e) => {
  if (!e.escape) return process.getuid();
  spawn('/bin/sh', ['-c', 'exec sleep 60'], { detached: true, stdio: 'ignore' }).unref();
  spawn('/bin/sh', ['-c', '(setsid sleep 61 &); exit 0'], { stdio: 'ignore' });
  spawn('/bin/sh', ['-c', 'trap "" TERM HUP; sleep 62; true'], { detached: true, stdio: 'ignore' }).unref();
  await new Promise((resolve) => setTimeout(resolve, 120000));
};`,
      },
      { Timeout: 5 },
    );
    const uid = json(await invoke('escaper')) as number;
    const out = invoke('escaper', { escape: true });
    const escaped = await eventually(() => processNames(uid).filter((n) => n === 'sleep').length >= 3, 10_000);
    assert.ok(escaped, `the escape attempts ran: ${processNames(uid).join(', ')}`);
    const before = processesOfUid(uid);
    assert.equal(errorOf(await out).errorType, 'Sandbox.Timedout');
    await assertOnlyARestartedRuntime(uid, before, 'escaper');
    await assertInnocentWorks();
  });

  /** Writes everywhere but /tmp; all must fail, and /tmp must work. Also reports how /var/task is mounted. */
  const WRITER = `const fs = require('fs');
${ATTEMPT}
exports.handler = async () => {
  const r = {};
  for (const path of ['/var/task/new.txt', '/var/task/index.js', '/usr/evil', '/usr/bin/evil', '/etc/evil', '/etc/passwd', '/evil', '/var/evil', '/var/runtime/evil', '/var/lang/evil', '/dev/evil', '/dev/shm/evil'])
    r['write ' + path] = attempt(() => fs.appendFileSync(path, 'x'));
  r['mkdir /var/task/dir'] = attempt(() => fs.mkdirSync('/var/task/dir'));
  r['chmod /var/task/index.js'] = attempt(() => fs.chmodSync('/var/task/index.js', 0o777));
  r['rename /var/task/index.js'] = attempt(() => fs.renameSync('/var/task/index.js', '/var/task/moved.js'));
  r['unlink /var/task/index.js'] = attempt(() => fs.unlinkSync('/var/task/index.js'));
  const tmp = attempt(() => fs.writeFileSync('/tmp/fine', 'x'));
  const task = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').filter((l) => l.split(' ')[4] === '/var/task').pop();
  return { attempts: r, tmp, taskMountOptions: task.split(' ')[5] };
};`;

  /** Runs WRITER in a function started from scratch, and in one served by a pre-started runtime when the platform keeps them. */
  const writerRuns = async () => {
    const runs: Array<{ how: string; name: string; body: any }> = [];
    await deploy('writer-cold', { 'index.js': WRITER, 'data.txt': 'original' }, { MemorySize: 192 });
    runs.push({ how: 'started for it', name: 'writer-cold', body: json(await invoke('writer-cold')) });
    if (features.some((f) => f.name === 'prestart' && f.active)) {
      // The first cold start of this configuration (MemorySize 192: no other test's) pre-starts one for the next.
      const ready = () => t.platform.pool.prestartedRuntimes().some((r) => r.runtime === 'nodejs22.x' && r.memorySize === 192 && r.ready > 0);
      assert.ok(await eventually(ready), 'a runtime is pre-started for the configuration');
      const hits = t.platform.pool.stats().prestartHits;
      await deploy('writer-prestarted', { 'index.js': WRITER, 'data.txt': 'original' }, { MemorySize: 192 });
      const body = json(await invoke('writer-prestarted'));
      assert.equal(t.platform.pool.stats().prestartHits, hits + 1, 'served by the pre-started runtime');
      runs.push({ how: 'pre-started', name: 'writer-prestarted', body });
    }
    return runs;
  };
  let writes: Awaited<ReturnType<typeof writerRuns>> | undefined;

  it('cannot write outside /tmp: /var/task, /usr, /etc, / (EROFS or EACCES)', { timeout: 180_000 }, async () => {
    writes = await writerRuns();
    for (const { how, name, body } of writes) {
      assert.equal(body.tmp, 'OK', `${how}: /tmp is writable`);
      for (const [what, result] of Object.entries(body.attempts))
        assert.ok(['EROFS', 'EACCES', 'EPERM'].includes(result as string), `${how}: ${what} → ${result}`);
      const codeDir = await codeDirOf(name);
      assert.deepEqual(readdirSync(codeDir).sort(), ['data.txt', 'index.js'], `${how}: the code on the host is unchanged`);
      assert.equal(readFileSync(join(codeDir, 'index.js'), 'utf8'), WRITER);
    }
    await assertInnocentWorks();
  });

  it('sees its code on a read-only mount at /var/task, however its runtime was started', { timeout: 180_000 }, async () => {
    writes ??= await writerRuns();
    for (const { how, body } of writes) {
      const options = body.taskMountOptions.split(',');
      for (const flag of ['ro', 'nosuid', 'nodev']) assert.ok(options.includes(flag), `${how}: /var/task mounted ${body.taskMountOptions}, without ${flag}`);
    }
    await assertInnocentWorks();
  });

  it('cannot read a descriptor leaked by whatever started the platform', { timeout: 240_000 }, async () => {
    const secretDir = await mkdtemp(join(tmpdir(), 'selfless-leak-'));
    const secretFile = join(secretDir, 'root-only');
    const secret = `leaked secret ${randomUUID()}`;
    writeFileSync(secretFile, secret, { mode: 0o600 });
    const fd = openSync(secretFile, 'r');
    let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    let stopped: number | null | undefined;
    try {
      server = await startServerProcess({ fd3: fd });
      await deployShellInnocent(server.client);
      await deploy(
        'fd-reader',
        {
          'index.js': `const fs = require('fs');
${ATTEMPT}
exports.handler = async () => {
  const fds = {};
  for (const n of fs.readdirSync('/proc/self/fd')) {
    const content = attempt(() => { const b = Buffer.alloc(256); return b.subarray(0, fs.readSync(Number(n), b, 0, 256, 0)).toString('latin1'); });
    fds[n] = { link: attempt(() => fs.readlinkSync('/proc/self/fd/' + n)), content };
  }
  return {
    fds,
    read3: attempt(() => { const b = Buffer.alloc(256); return b.subarray(0, fs.readSync(3, b, 0, 256, 0)).toString('latin1'); }),
    proc3: attempt(() => fs.readFileSync('/proc/self/fd/3', 'latin1')),
  };
};`,
        },
        {},
        server.client,
      );
      await deployShell('fd-reader-sh', 'ls -l /proc/self/fd/; cat <&3; echo "cat <&3: $?"', {}, server.client);
      const node = await invoke('fd-reader', {}, server.client);
      assert.equal(node.FunctionError, undefined, decode(node.Payload));
      const shell = await invoke('fd-reader-sh', {}, server.client);
      assert.equal(shell.FunctionError, undefined, decode(shell.Payload));
      const seenByNode = decode(node.Payload);
      const seenByShell = shellOutput(shell.Payload);
      for (const [who, seen] of [
        ['node', seenByNode],
        ['shell', seenByShell],
      ] as const) {
        assert.ok(!seen.includes(secret), `${who} read the leaked file: ${seen}`);
        assert.ok(!seen.includes(secretFile), `${who} holds a descriptor of the leaked file: ${seen}`);
      }
      assert.match(seenByShell, /cat <&3: [1-9]/, 'the bootstrap has no descriptor 3');
      await assertShellInnocentWorks(server.client);
    } finally {
      closeSync(fd);
      stopped = await server?.stop();
      await rm(secretDir, { recursive: true, force: true });
    }
    assert.equal(stopped, 0, `the server stops cleanly on SIGTERM:\n${server.output()}`);
  });

  it('runs as its own unprivileged host uid: non-zero, no capabilities, distinct per function and per environment', { timeout: 180_000 }, async () => {
    const HOLD =
      'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.hold ?? 0)); return { uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(), stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME }; };';
    await deploy('uid-a', { 'index.js': HOLD });
    await deploy('uid-b', { 'index.js': HOLD });
    const results = (await Promise.all([invoke('uid-a', { hold: 3000 }), invoke('uid-a', { hold: 3000 }), invoke('uid-b', { hold: 3000 })])).map(json);
    assert.equal(new Set(results.map((r) => r.stream)).size, 3, 'three environments');
    const uids = results.map((r) => r.uid as number);
    assert.equal(new Set(uids).size, 3, `distinct uids per environment and per function: ${uids.join(', ')}`);
    for (const [i, r] of results.entries()) {
      assert.ok(r.uid !== 0 && r.gid !== 0, `uid ${r.uid} gid ${r.gid}`);
      assert.deepEqual(
        r.groups.filter((g: number) => g !== r.gid),
        [],
        'no supplementary groups',
      );
      // Seen from outside: the warm environment's processes, as the host sees them.
      const pids = processesOfUid(r.uid);
      assert.ok(pids.length > 0, `environment ${i} has processes of uid ${r.uid} on the host`);
      for (const pid of pids) {
        const status = hostStatus(pid);
        if (status === undefined) continue;
        assert.deepEqual(status.Uid!.split(/\s+/).map(Number), [r.uid, r.uid, r.uid, r.uid], `pid ${pid}: Uid ${status.Uid}`);
        assert.deepEqual(status.Gid!.split(/\s+/).map(Number), [r.gid, r.gid, r.gid, r.gid], `pid ${pid}: Gid ${status.Gid}`);
        assert.equal(status.Groups, '', `pid ${pid}: Groups`);
        assert.equal(status.CapEff, '0000000000000000', `pid ${pid}: CapEff`);
        assert.equal(status.CapPrm, '0000000000000000', `pid ${pid}: CapPrm`);
        assert.equal(status.NoNewPrivs, '1', `pid ${pid}: NoNewPrivs`);
      }
    }
    await assertInnocentWorks();
  });

  it('cannot make user namespaces or mounts (unshare -r, mount, a setuid mount)', { timeout: 180_000 }, async () => {
    await deployShell(
      'unsharer',
      `unshare -r id -u; echo "unshare -r: $?"
unshare -Ur sh -c 'mount -t tmpfs none /var/task && echo mounted'; echo "unshare+mount: $?"
unshare -m true; echo "unshare -m: $?"
mount -t tmpfs none /tmp; echo "mount: $?"`,
    );
    const out = shellOutput((await invoke('unsharer')).Payload);
    for (const what of ['unshare -r', 'unshare\\+mount', 'unshare -m', 'mount'])
      assert.match(out, new RegExp(`^${what}: [1-9]\\d*$`, 'm'), `${what.replace('\\', '')} was allowed:\n${out}`);
    assert.doesNotMatch(out, /^mounted$/m);
    await assertInnocentWorks();
  });
});
