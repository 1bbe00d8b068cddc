import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { CodeStore } from '../src/control/index.js';
import { rejectsWith } from './support/assertions.js';
import { waitFor } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, makeZip } from './support/zip.js';

/** Invocations held inside the handler while the code changes under them (the issue saw 48 of 286 fail). */
const IN_FLIGHT = 16;
/** Invocations sent while UpdateFunctionCode/DeleteFunction runs: they may land on either side of it. */
const DURING = 4;
/** Invocations sent after the call returned, while the old ones still run. */
const AFTER = 4;

/**
 * Holds every handler that asks until the test releases them: the test knows exactly which invocations
 * are running (no sleeps), and the code changes while they do. Sandboxed functions share the host's
 * loopback, so both isolation modes reach it.
 */
class Gate {
  readonly #server: Server;
  readonly #held: ServerResponse[] = [];
  readonly #waiters: Array<{ count: number; resolve: () => void }> = [];
  #open = false;
  arrived = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      req.resume();
      this.arrived += 1;
      if (this.#open) res.end('go');
      else this.#held.push(res);
      for (const waiter of this.#waiters.filter((w) => this.arrived >= w.count)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
  }

  /** Resolves once `count` handlers in all have reached the gate. */
  reached(count: number): Promise<void> {
    if (this.arrived >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  release(): void {
    this.#open = true;
    for (const res of this.#held.splice(0)) res.end('go');
  }

  close(): Promise<void> {
    this.release();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * A package whose handler waits at the gate, then reads a file of its package and loads a module it had
 * not loaded yet: both need the package's files on disk after the wait. Answers which code ran.
 */
function gatedPackage(label: string): Promise<Buffer> {
  return makeZip({
    'index.js': [
      'const http = require("node:http");',
      'const { readFileSync } = require("node:fs");',
      'exports.handler = async (event) => {',
      '  await new Promise((resolve, reject) => http.get(event.gate, (res) => { res.resume(); res.on("end", resolve); }).on("error", reject));',
      '  return { code: readFileSync(__dirname + "/version.txt", "utf8"), late: require("./late.js") };',
      '};',
    ].join('\n'),
    'version.txt': label,
    'late.js': `module.exports = ${JSON.stringify(`late-${label}`)};`,
  });
}

const sha256 = (zip: Buffer) => createHash('sha256').update(zip).digest('hex');

interface Answer {
  readonly code?: string;
  readonly late?: string;
  readonly error?: string;
}

describe('code packages outlive the environments that run them', () => {
  let t: TestPlatform;
  let gate: Gate;
  let gateUrl: string;
  let v1: Buffer;
  let v2: Buffer;
  const codeDir = () => join(t.dataDir, 'code');
  const packageExists = (sha: string) => existsSync(join(codeDir(), sha)) || existsSync(join(codeDir(), `${sha}.zip`));

  before(async () => {
    t = await startPlatform();
    v1 = await gatedPackage('v1');
    v2 = await gatedPackage('v2');
  });
  after(() => t.stop());

  const create = (name: string) =>
    t.client.send(
      new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Timeout: 300, Code: { ZipFile: v1 } }),
    );

  /** One invocation; a failure (function error or API error) is an answer too, so Promise.all sees them all. */
  const invoke = async (name: string, qualifier?: string): Promise<Answer> => {
    try {
      const out = await t.client.send(new InvokeCommand({ FunctionName: name, Qualifier: qualifier, Payload: Buffer.from(JSON.stringify({ gate: gateUrl })) }));
      if (out.FunctionError !== undefined) return { error: decode(out.Payload) };
      return JSON.parse(decode(out.Payload)) as Answer;
    } catch (error) {
      return { error: (error as Error).name };
    }
  };
  const invokeMany = (name: string, count: number, qualifier?: string) => Array.from({ length: count }, () => invoke(name, qualifier));

  /** Waits until the old package is gone from the data dir: its environments have stopped, nothing refers to it. */
  const packageRemoved = (sha: string) => waitFor(`code/${sha} to be removed`, async () => (packageExists(sha) ? undefined : true));

  it('keeps the old code for invocations in flight during UpdateFunctionCode, and runs the new code for later ones', async () => {
    gate = new Gate();
    gateUrl = await gate.listen();
    try {
      await create('updated');
      const inFlight = invokeMany('updated', IN_FLIGHT);
      await gate.reached(IN_FLIGHT);
      const during = invokeMany('updated', DURING);
      await t.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'updated', ZipFile: v2 }));
      assert.ok(packageExists(sha256(v1)), 'the old package stays while environments run it');
      const later = invokeMany('updated', AFTER);
      gate.release();

      const old = await Promise.all(inFlight);
      assert.deepEqual(
        old,
        Array.from({ length: IN_FLIGHT }, () => ({ code: 'v1', late: 'late-v1' })),
        'in-flight invocations finish on the code they started with',
      );
      for (const answer of await Promise.all(during)) {
        assert.equal(answer.error, undefined, `an invocation sent during the update failed: ${answer.error}`);
        assert.ok(answer.code === 'v1' || answer.code === 'v2', JSON.stringify(answer));
        assert.equal(answer.late, `late-${answer.code}`, 'one package, not a mix of two');
      }
      assert.deepEqual(
        await Promise.all(later),
        Array.from({ length: AFTER }, () => ({ code: 'v2', late: 'late-v2' })),
        'invocations sent after the update run the new code',
      );
      assert.deepEqual(await invoke('updated'), { code: 'v2', late: 'late-v2' });

      await packageRemoved(sha256(v1));
      assert.ok(existsSync(join(codeDir(), sha256(v2))) && existsSync(join(codeDir(), `${sha256(v2)}.zip`)), 'the new package stays');
    } finally {
      await gate.close();
    }
  });

  it('serves an invocation whose environment was still initialising when UpdateFunctionCode landed (was Runtime.ExitError)', async () => {
    gate = new Gate();
    gateUrl = await gate.listen();
    try {
      // Init itself waits at the gate (top-level await), so the update lands while the environment starts.
      const slowInit = (label: string) =>
        makeZip({
          'index.mjs': [
            'import http from "node:http";',
            'await new Promise((resolve, reject) => http.get(process.env.GATE, (res) => { res.resume(); res.on("end", resolve); }).on("error", reject));',
            `export const handler = async () => ({ code: ${JSON.stringify(label)} });`,
          ].join('\n'),
        });
      const old = await slowInit('old');
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: 'slow-init',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Timeout: 300,
          Environment: { Variables: { GATE: gateUrl } },
          Code: { ZipFile: old },
        }),
      );
      const waiting = invoke('slow-init');
      await gate.reached(1);
      await t.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'slow-init', ZipFile: await slowInit('new') }));
      gate.release();
      assert.deepEqual(await waiting, { code: 'old' }, 'the invocation that was waiting runs on the code it was sent to');
      assert.deepEqual(await invoke('slow-init'), { code: 'new' });
      await packageRemoved(sha256(old));
    } finally {
      await gate.close();
    }
  });

  it('lets invocations in flight during DeleteFunction finish, answers later ones ResourceNotFoundException, then removes the code', async () => {
    gate = new Gate();
    gateUrl = await gate.listen();
    try {
      // The same zip as another function's first version would share its package: use one of its own.
      const own = await gatedPackage('deleted');
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: 'deleted',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Timeout: 300,
          Code: { ZipFile: own },
        }),
      );
      const inFlight = invokeMany('deleted', IN_FLIGHT);
      await gate.reached(IN_FLIGHT);
      const during = invokeMany('deleted', DURING);
      await t.client.send(new DeleteFunctionCommand({ FunctionName: 'deleted' }));
      assert.ok(packageExists(sha256(own)), 'the package stays while environments run it');
      await rejectsWith(
        t.client.send(new InvokeCommand({ FunctionName: 'deleted', Payload: Buffer.from(JSON.stringify({ gate: gateUrl })) })),
        'ResourceNotFoundException',
        404,
      );
      gate.release();

      assert.deepEqual(
        await Promise.all(inFlight),
        Array.from({ length: IN_FLIGHT }, () => ({ code: 'deleted', late: 'late-deleted' })),
        'in-flight invocations finish on their code',
      );
      for (const answer of await Promise.all(during)) {
        // Sent while the delete ran: either it got in before (and finishes) or the function was gone.
        if (answer.error !== undefined) assert.equal(answer.error, 'ResourceNotFoundException');
        else assert.deepEqual(answer, { code: 'deleted', late: 'late-deleted' });
      }
      await packageRemoved(sha256(own));
    } finally {
      await gate.close();
    }
  });

  it('lets invocations in flight on a deleted version (provisioned environments and on-demand ones) finish, then removes its code', async () => {
    gate = new Gate();
    gateUrl = await gate.listen();
    try {
      const first = await gatedPackage('version-1');
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: 'versioned',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Timeout: 300,
          Publish: true,
          Code: { ZipFile: first },
        }),
      );
      // $LATEST moves on: only version 1 refers to the first package now.
      await t.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'versioned', ZipFile: await gatedPackage('latest') }));
      await t.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'versioned', Qualifier: '1', ProvisionedConcurrentExecutions: 2 }));
      await waitFor('provisioned concurrency READY', async () => {
        const status = await t.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'versioned', Qualifier: '1' }));
        return status.Status === 'READY' ? true : undefined;
      });
      // Two run on the provisioned environments, the third needs one of its own.
      const inFlight = invokeMany('versioned', 3, '1');
      await gate.reached(3);
      await t.client.send(new DeleteFunctionCommand({ FunctionName: 'versioned', Qualifier: '1' }));
      assert.ok(packageExists(sha256(first)), "the version's package stays while environments run it");
      gate.release();

      assert.deepEqual(
        await Promise.all(inFlight),
        Array.from({ length: 3 }, () => ({ code: 'version-1', late: 'late-version-1' })),
      );
      await packageRemoved(sha256(first));
      assert.deepEqual(await invoke('versioned'), { code: 'latest', late: 'late-latest' });
    } finally {
      await gate.close();
    }
  });

  it('removes the package of a function whose environments failed to initialise', async () => {
    const broken = await makeZip({ 'index.js': 'throw new Error("broken at import");' });
    await t.client.send(
      new CreateFunctionCommand({ FunctionName: 'broken', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: broken } }),
    );
    const out = await t.client.send(new InvokeCommand({ FunctionName: 'broken' }));
    assert.equal(out.FunctionError, 'Unhandled', decode(out.Payload));
    await t.client.send(new DeleteFunctionCommand({ FunctionName: 'broken' }));
    // A failed start gives its hold on the code back: otherwise the package would stay forever.
    await packageRemoved(sha256(broken));
  });
});

describe('the code store keeps a package while it is held', () => {
  let root: string;
  let store: CodeStore;
  const errors: unknown[] = [];
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'selfless-code-store-'));
    store = new CodeStore(root, (error) => errors.push(error));
    await store.init();
  });
  after(async () => {
    assert.deepEqual(errors, []);
    await rm(root, { recursive: true, force: true });
  });
  const present = (sha: string) => existsSync(store.directory(sha)) && existsSync(store.zipPath(sha));
  const absent = (sha: string) => !existsSync(store.directory(sha)) && !existsSync(store.zipPath(sha));

  it('removes a discarded package when its last holder lets go, not before', async () => {
    const { sha256: sha } = await store.put(await makeZip({ 'a.txt': 'held' }));
    const first = store.hold(store.directory(sha));
    const second = store.hold(store.directory(sha));
    await store.discard(sha);
    first();
    first(); // a second give-back from the same holder counts once
    assert.ok(present(sha), 'still held by the second');
    second();
    await store.settled();
    assert.ok(absent(sha));
  });

  it('keeps a package that was uploaded again while its old holders ran (UpdateFunctionCode back to the same zip)', async () => {
    const zip = await makeZip({ 'a.txt': 'back again' });
    const { sha256: sha } = await store.put(zip);
    const release = store.hold(store.directory(sha));
    await store.discard(sha);
    await store.put(zip);
    release();
    await store.settled();
    assert.ok(present(sha), 'referenced again: it stays after its old environments are gone');
  });

  it('removes an unheld package at once, and ignores directories that are not packages', async () => {
    const { sha256: sha } = await store.put(await makeZip({ 'a.txt': 'unheld' }));
    store.hold('/')();
    store.hold(join(root, 'not-a-package'))();
    await store.discard(sha);
    assert.ok(absent(sha));
  });
});

describe('code packages left behind by a crash', () => {
  it('removes, on start, packages no function or version refers to, and keeps the ones in use', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-retention-'));
    try {
      const zip = await makeZip({ 'index.js': 'exports.handler = async () => "kept";' });
      const published = await makeZip({ 'index.js': 'exports.handler = async () => "version 1";' });
      let t = await startPlatform({ dataDir });
      // Version 1 keeps the first package after $LATEST moves on: both are referenced.
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: 'kept',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Publish: true,
          Code: { ZipFile: published },
        }),
      );
      await t.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'kept', ZipFile: zip }));
      await t.stop();

      // What a crash leaves: a whole unreferenced package, and the halves of two interrupted removals.
      const code = join(dataDir, 'code');
      const orphan = await makeZip({ 'index.js': 'exports.handler = async () => "orphan";' });
      const whole = sha256(orphan);
      const dirOnly = 'a'.repeat(64);
      const zipOnly = 'b'.repeat(64);
      await mkdir(join(code, whole));
      await writeFile(join(code, whole, 'index.js'), 'exports.handler = async () => "orphan";');
      await writeFile(join(code, `${whole}.zip`), orphan);
      await mkdir(join(code, dirOnly));
      await writeFile(join(code, `${zipOnly}.zip`), orphan);

      t = await startPlatform({ dataDir });
      try {
        const referenced = [sha256(zip), sha256(published)].flatMap((sha) => [sha, `${sha}.zip`]);
        assert.deepEqual((await readdir(code)).sort(), referenced.sort(), 'only the packages a function or version refers to are left');
        assert.equal(decode((await t.client.send(new InvokeCommand({ FunctionName: 'kept' }))).Payload), '"kept"');
        assert.equal(decode((await t.client.send(new InvokeCommand({ FunctionName: 'kept', Qualifier: '1' }))).Payload), '"version 1"');
      } finally {
        await t.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
