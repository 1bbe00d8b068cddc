import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { FunctionRecord } from '../src/core/index.js';
import { SqliteStore } from '../src/store/index.js';

/** The schema before foreign keys (SCHEMA_VERSION 0), as data dirs of earlier releases hold it. */
const V0 = `
CREATE TABLE functions (name TEXT PRIMARY KEY, revision_id TEXT NOT NULL, code_sha256 TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE versions (function_name TEXT NOT NULL, version TEXT NOT NULL, code_sha256 TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (function_name, version));
CREATE INDEX versions_code ON versions(code_sha256);
CREATE TABLE aliases (function_name TEXT NOT NULL, name TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (function_name, name));
CREATE TABLE provisioned (function_name TEXT NOT NULL, qualifier TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (function_name, qualifier));
CREATE TABLE event_invoke_configs (function_name TEXT NOT NULL, qualifier TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (function_name, qualifier));
`;

const fn = (name: string) => ({ name, revisionId: 'r1', codeSha256: 'abc' }) as unknown as FunctionRecord;

describe('the SQLite store deletes what belongs to a function with it', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'selfless-store-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('migrates a data dir without foreign keys, keeping rows of live functions and dropping orphans', async () => {
    const file = join(dir, 'v0.db');
    const old = new Database(file);
    old.exec(V0);
    old.prepare('INSERT INTO functions VALUES (?, ?, ?, ?)').run('kept', 'r1', 'abc', JSON.stringify(fn('kept')));
    for (const name of ['kept', 'gone']) {
      old.prepare('INSERT INTO versions VALUES (?, ?, ?, ?)').run(name, '1', 'abc', JSON.stringify({ ...fn(name), version: '1' }));
      old.prepare('INSERT INTO aliases VALUES (?, ?, ?)').run(name, 'live', JSON.stringify({ functionName: name, name: 'live' }));
      old.prepare('INSERT INTO event_invoke_configs VALUES (?, ?, ?)').run(name, '$LATEST', JSON.stringify({ functionName: name, qualifier: '$LATEST' }));
    }
    old.close();

    const store = new SqliteStore(file);
    try {
      assert.deepEqual(
        (await store.listVersions()).map((v) => v.name),
        ['kept'],
      );
      assert.deepEqual(
        (await store.listAliases()).map((a) => a.functionName),
        ['kept'],
      );
      assert.deepEqual(
        (await store.listEventInvokeConfigs()).map((c) => c.functionName),
        ['kept'],
      );

      await store.deleteFunction('kept');
      assert.deepEqual(await store.listVersions(), []);
      assert.deepEqual(await store.listAliases(), []);
      assert.deepEqual(await store.listEventInvokeConfigs(), []);
    } finally {
      await store.close();
    }
    const reopened = new Database(file);
    assert.equal(reopened.pragma('user_version', { simple: true }), 2);
    assert.deepEqual(reopened.prepare("SELECT name FROM sqlite_master WHERE name LIKE '%_v0'").all(), []);
    assert.deepEqual(reopened.prepare("SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = 'versions_code'").all(), [{ tbl_name: 'versions' }]);
    reopened.close();
  });

  it("migrates the logs of a data dir from before log groups into each function's default group", async () => {
    const file = join(dir, 'v1.db');
    const old = new Database(file);
    old.exec(
      'CREATE TABLE logs (id INTEGER PRIMARY KEY AUTOINCREMENT, function_name TEXT NOT NULL, stream TEXT NOT NULL, time_ms INTEGER NOT NULL, message TEXT NOT NULL)',
    );
    old.prepare('INSERT INTO logs (function_name, stream, time_ms, message) VALUES (?, ?, ?, ?)').run('old-fn', 's1', 1_000, 'before the upgrade');
    old.pragma('user_version = 1');
    old.close();
    const store = new SqliteStore(file);
    try {
      assert.deepEqual(await store.listLogGroups(), [{ name: '/aws/lambda/old-fn', createdMs: 1_000 }]);
      const events = await store.scanLogGroup('/aws/lambda/old-fn', { startMs: 0, endMs: Number.MAX_SAFE_INTEGER, after: { timeMs: -1, id: 0 }, limit: 10 });
      assert.deepEqual(
        events.map((e) => [e.functionName, e.stream, e.message]),
        [['old-fn', 's1', 'before the upgrade']],
      );
    } finally {
      await store.close();
    }
  });

  it('cascades on a new data dir too, and writes no child of a function that is gone', async () => {
    const store = new SqliteStore(join(dir, 'new.db'));
    try {
      await store.insertFunction(fn('f'));
      await store.putProvisioned({ functionName: 'f', qualifier: '1' } as never);
      await store.putProvisioned({ functionName: 'ghost', qualifier: '1' } as never);
      await store.putAlias({ functionName: 'ghost', name: 'a' } as never);
      assert.deepEqual(
        (await store.listProvisioned()).map((p) => p.functionName),
        ['f'],
      );
      assert.deepEqual(await store.listAliases(), []);
      await store.deleteFunction('f');
      assert.deepEqual(await store.listProvisioned(), []);
    } finally {
      await store.close();
    }
  });
});

describe('PublishVersion in the SQLite store', () => {
  it('writes the version and the new $LATEST together, or neither when the revision moved', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-store-'));
    const store = new SqliteStore(join(dir, 'publish.db'));
    try {
      await store.insertFunction(fn('p'));
      const version = { ...fn('p'), version: '1' } as FunctionRecord;
      assert.equal(await store.publishVersion(version, { ...fn('p'), lastVersion: 1 } as FunctionRecord, 'stale'), false);
      assert.deepEqual(await store.listVersions(), []);
      assert.equal((await store.getFunction('p'))?.lastVersion, undefined);
      assert.equal(await store.publishVersion(version, { ...fn('p'), lastVersion: 1 } as FunctionRecord, 'r1'), true);
      assert.deepEqual(
        (await store.listVersions()).map((v) => v.version),
        ['1'],
      );
      assert.equal((await store.getFunction('p'))?.lastVersion, 1);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the invocation history in the SQLite store', () => {
  it('keeps the newest records of each function, newest first, errors apart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-store-'));
    const store = new SqliteStore(join(dir, 'history.db'));
    const record = (functionName: string, n: number, outcome: string) => ({
      requestId: `${functionName}-${n}`,
      functionName,
      version: '$LATEST',
      trigger: 'api' as const,
      startMs: 1_000 + n,
      cold: n === 0,
      initMs: 0,
      durationMs: 1,
      billedMs: 1,
      memorySize: 128,
      maxMemoryMb: 40,
      outcome,
      logHead: '',
      captured: false,
    });
    try {
      await store.appendHistory([0, 1, 2, 3, 4].map((n) => ({ record: record('a', n, n % 2 === 0 ? 'success' : 'error') })));
      await store.appendHistory([{ record: record('b', 0, 'success'), sealedPayload: 'v1:sealed' }]);
      await store.trimHistory('a', 3);
      const ids = async (name: string, errorsOnly = false, sinceMs = 0) =>
        (await store.listHistory(name, { sinceMs, errorsOnly, limit: 10 })).map((r) => r.requestId);
      assert.deepEqual(await ids('a'), ['a-4', 'a-3', 'a-2']);
      assert.deepEqual(await ids('a', true), ['a-3']);
      assert.deepEqual(await ids('a', false, 1_004), ['a-4']);
      assert.deepEqual(await ids('b'), ['b-0'], 'another function keeps its own');
      assert.equal((await store.findHistory('b-0'))?.sealedPayload, 'v1:sealed');
      assert.equal(await store.findHistory('a-0'), undefined, 'trimmed');
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
