import Database from 'better-sqlite3';
import type {
  AliasRecord,
  EventInvokeConfigRecord,
  EventSourceMappingRecord,
  FunctionPolicyRecord,
  FunctionUrlRecord,
  FunctionRecord,
  LogEvent,
  ManagedPolicyRecord,
  ProvisionedConcurrencyRecord,
  RoleRecord,
  StoredAccessKey,
  UserRecord,
  GroupRecord,
  UsageRecord,
  TimedRecord,
} from '../../core/index.js';
import { timedKey, type InvocationHistoryRecord, type MetricMinute, type MinuteStats } from '../../core/index.js';
import type { FailedEvent } from '../../queue/index.js';
import type { HistoryEntry, LogGroupRow, LogGroupScan, LogStreamRead, LogStreamRow, Store } from '../port.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS functions (
  name TEXT PRIMARY KEY,
  revision_id TEXT NOT NULL,
  code_sha256 TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS functions_code ON functions(code_sha256);
CREATE TABLE IF NOT EXISTS usage (
  request_id TEXT NOT NULL,
  function_name TEXT NOT NULL,
  version TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  billed_ms INTEGER NOT NULL,
  memory_mb INTEGER NOT NULL,
  architecture TEXT NOT NULL,
  init_ms REAL NOT NULL,
  cold INTEGER NOT NULL,
  outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_start ON usage(start_ms);
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  function_name TEXT NOT NULL,
  stream TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  message TEXT NOT NULL,
  log_group TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS logs_function ON logs(function_name, id);
CREATE INDEX IF NOT EXISTS logs_time ON logs(time_ms);
CREATE TABLE IF NOT EXISTS invocations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  function_name TEXT NOT NULL,
  request_id TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  record TEXT NOT NULL,
  sealed_payload TEXT
);
CREATE INDEX IF NOT EXISTS invocations_function ON invocations(function_name, id);
CREATE INDEX IF NOT EXISTS invocations_request ON invocations(request_id);
CREATE TABLE IF NOT EXISTS metric_minutes (
  function_name TEXT NOT NULL,
  minute_ms INTEGER NOT NULL,
  stats TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metric_minutes_function ON metric_minutes(function_name, minute_ms);
CREATE INDEX IF NOT EXISTS metric_minutes_time ON metric_minutes(minute_ms);
CREATE TABLE IF NOT EXISTS log_groups (
  name TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  retention_days INTEGER
);
CREATE TABLE IF NOT EXISTS versions (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  version TEXT NOT NULL,
  code_sha256 TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (function_name, version)
);
CREATE INDEX IF NOT EXISTS versions_code ON versions(code_sha256);
CREATE TABLE IF NOT EXISTS aliases (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  name TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (function_name, name)
);
CREATE TABLE IF NOT EXISTS provisioned (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  qualifier TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (function_name, qualifier)
);
CREATE TABLE IF NOT EXISTS event_source_mappings (
  uuid TEXT PRIMARY KEY,
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stream_checkpoints (
  uuid TEXT NOT NULL REFERENCES event_source_mappings(uuid) ON DELETE CASCADE,
  shard_id TEXT NOT NULL,
  position TEXT NOT NULL,
  PRIMARY KEY (uuid, shard_id)
);
CREATE TABLE IF NOT EXISTS mapping_owners (
  uuid TEXT PRIMARY KEY REFERENCES event_source_mappings(uuid) ON DELETE CASCADE,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS failed_events (
  id TEXT PRIMARY KEY,
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  payload BLOB NOT NULL,
  enqueued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  deferrals INTEGER NOT NULL,
  condition TEXT NOT NULL,
  last_error TEXT,
  failed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS failed_function ON failed_events(function_name, failed_at);
CREATE TABLE IF NOT EXISTS iam_roles (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS iam_policies (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  arn TEXT NOT NULL UNIQUE,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS iam_groups (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS iam_users (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS iam_access_keys (
  access_key_id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL COLLATE NOCASE,
  created_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS iam_access_keys_user ON iam_access_keys(user_name, created_at);
CREATE TABLE IF NOT EXISTS function_policies (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  qualifier TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (function_name, qualifier)
);
CREATE TABLE IF NOT EXISTS function_urls (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  qualifier TEXT NOT NULL,
  url_id TEXT NOT NULL UNIQUE,
  record TEXT NOT NULL,
  PRIMARY KEY (function_name, qualifier)
);
CREATE TABLE IF NOT EXISTS timed (
  key TEXT PRIMARY KEY,
  record TEXT NOT NULL,
  last_fire_ms INTEGER
);
CREATE TABLE IF NOT EXISTS event_invoke_configs (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  qualifier TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (function_name, qualifier)
);
`;

/**
 * What belongs to a function, by foreign key: deleting the function deletes these rows in the same
 * statement (ON DELETE CASCADE), so what belongs to functions later (event source mappings, URLs,
 * policies) is removed with them by declaring it, not by a list kept by hand.
 */
const FUNCTION_CHILDREN = ['versions', 'aliases', 'provisioned', 'event_invoke_configs'] as const;
const SCHEMA_VERSION = 2;
/**
 * The values of a child row (then its function's name again), written only while its function exists: a write that lost a race with
 * DeleteFunction (a provisioned-concurrency status landing late) is moot, neither an orphan nor an error.
 */
const VALUES_OF_LIVE_FUNCTION = 'SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM functions WHERE name = ?)';

/**
 * Brings a data dir's database to SCHEMA_VERSION. Version 0 had the function children without foreign
 * keys: each is rebuilt with them, keeping its rows (rows of functions already gone are dropped).
 * Version 1 had no log groups: each event goes to its function's default group, `/aws/lambda/NAME`.
 */
function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version >= SCHEMA_VERSION) return;
  if (version < 1) addForeignKeys(db);
  db.transaction(() => {
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(logs)').all();
    if (!columns.some((c) => c.name === 'log_group')) db.exec("ALTER TABLE logs ADD COLUMN log_group TEXT NOT NULL DEFAULT ''");
    db.exec(`UPDATE logs SET log_group = '/aws/lambda/' || function_name WHERE log_group = '';
      CREATE INDEX IF NOT EXISTS logs_group_time ON logs(log_group, time_ms, id);
      CREATE INDEX IF NOT EXISTS logs_group_stream ON logs(log_group, stream, id);
      INSERT OR IGNORE INTO log_groups (name, created_ms) SELECT log_group, min(time_ms) FROM logs GROUP BY log_group;`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

function addForeignKeys(db: Database.Database): void {
  db.transaction(() => {
    const old = FUNCTION_CHILDREN.filter((table) => {
      const sql = db.prepare<[string], string>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(table);
      return sql !== undefined && !sql.includes('REFERENCES');
    });
    for (const table of old) db.exec(`ALTER TABLE ${table} RENAME TO ${table}_v0`);
    db.exec(SCHEMA);
    for (const table of old) {
      db.exec(`INSERT INTO ${table} SELECT * FROM ${table}_v0 WHERE function_name IN (SELECT name FROM functions); DROP TABLE ${table}_v0;`);
    }
    // The renamed tables took their indexes with them when dropped: create them again.
    db.exec(SCHEMA);
    db.pragma('user_version = 1');
  })();
}

interface UsageRow {
  request_id: string;
  function_name: string;
  version: string;
  start_ms: number;
  duration_ms: number;
  billed_ms: number;
  memory_mb: number;
  architecture: 'x86_64' | 'arm64';
  init_ms: number;
  cold: number;
  outcome: string;
}
interface FailedRow {
  id: string;
  function_name: string;
  qualifier: string;
  payload: Buffer;
  enqueued_at: number;
  attempts: number;
  deferrals: number;
  condition: string;
  last_error: string | null;
  failed_at: number;
}
const toFailed = (row: FailedRow): FailedEvent => ({
  event: {
    id: row.id,
    functionName: row.function_name,
    qualifier: row.qualifier,
    payload: row.payload,
    enqueuedAt: row.enqueued_at,
    attempts: row.attempts,
    deferrals: row.deferrals,
    notBefore: row.failed_at,
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
  },
  condition: row.condition,
  failedAt: row.failed_at,
});
interface LogRow {
  id: number;
  function_name: string;
  log_group: string;
  stream: string;
  time_ms: number;
  message: string;
}

const toLogEvent = (r: LogRow): LogEvent & { id: number } => ({
  id: r.id,
  functionName: r.function_name,
  logGroup: r.log_group,
  stream: r.stream,
  timeMs: r.time_ms,
  message: r.message,
});

/** The embedded store: one SQLite file in WAL mode. */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #statements;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    // WAL with synchronous=NORMAL is durable across process crashes (only an OS crash may lose the tail).
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma('foreign_keys = ON');
    this.#db.exec(SCHEMA);
    migrate(this.#db);
    const db = this.#db;
    this.#statements = {
      get: db.prepare<[string], { record: string }>('SELECT record FROM functions WHERE name = ?'),
      list: db.prepare<[string, number], { record: string }>('SELECT record FROM functions WHERE name > ? ORDER BY name LIMIT ?'),
      insert: db.prepare('INSERT OR IGNORE INTO functions (name, revision_id, code_sha256, record) VALUES (?, ?, ?, ?)'),
      replace: db.prepare('UPDATE functions SET revision_id = ?, code_sha256 = ?, record = ? WHERE name = ? AND revision_id = ?'),
      delete: db.prepare<[string], { record: string }>('DELETE FROM functions WHERE name = ? RETURNING record'),
      insertRole: db.prepare('INSERT OR IGNORE INTO iam_roles (name, record) VALUES (?, ?)'),
      getRole: db.prepare<[string], { record: string }>('SELECT record FROM iam_roles WHERE name = ?'),
      listRoles: db.prepare<[], { record: string }>('SELECT record FROM iam_roles ORDER BY name'),
      replaceRole: db.prepare('UPDATE iam_roles SET record = ? WHERE name = ?'),
      deleteRole: db.prepare('DELETE FROM iam_roles WHERE name = ?'),
      insertPolicy: db.prepare('INSERT OR IGNORE INTO iam_policies (name, arn, record) VALUES (?, ?, ?)'),
      getPolicy: db.prepare<[string], { record: string }>('SELECT record FROM iam_policies WHERE arn = ?'),
      listPolicies: db.prepare<[], { record: string }>('SELECT record FROM iam_policies ORDER BY name'),
      replacePolicy: db.prepare('UPDATE iam_policies SET record = ? WHERE arn = ?'),
      deletePolicy: db.prepare('DELETE FROM iam_policies WHERE arn = ?'),
      insertGroup: db.prepare('INSERT OR IGNORE INTO iam_groups (name, record) VALUES (?, ?)'),
      getGroup: db.prepare<[string], { record: string }>('SELECT record FROM iam_groups WHERE name = ?'),
      listGroups: db.prepare<[], { record: string }>('SELECT record FROM iam_groups ORDER BY name'),
      replaceGroup: db.prepare('UPDATE iam_groups SET record = ? WHERE name = ?'),
      deleteGroup: db.prepare('DELETE FROM iam_groups WHERE name = ?'),
      insertUser: db.prepare('INSERT OR IGNORE INTO iam_users (name, record) VALUES (?, ?)'),
      getUser: db.prepare<[string], { record: string }>('SELECT record FROM iam_users WHERE name = ?'),
      listUsers: db.prepare<[], { record: string }>('SELECT record FROM iam_users ORDER BY name'),
      replaceUser: db.prepare('UPDATE iam_users SET record = ? WHERE name = ?'),
      deleteUser: db.prepare('DELETE FROM iam_users WHERE name = ?'),
      insertAccessKey: db.prepare('INSERT INTO iam_access_keys (access_key_id, user_name, created_at, record) VALUES (?, ?, ?, ?)'),
      listAccessKeys: db.prepare<[], { record: string }>('SELECT record FROM iam_access_keys ORDER BY created_at, access_key_id'),
      listUserAccessKeys: db.prepare<[string], { record: string }>('SELECT record FROM iam_access_keys WHERE user_name = ? ORDER BY created_at, access_key_id'),
      replaceAccessKey: db.prepare('UPDATE iam_access_keys SET record = ? WHERE access_key_id = ?'),
      deleteAccessKey: db.prepare('DELETE FROM iam_access_keys WHERE access_key_id = ?'),
      putConfig: db.prepare(`INSERT OR REPLACE INTO event_invoke_configs (function_name, qualifier, record) ${VALUES_OF_LIVE_FUNCTION}`),
      deleteConfig: db.prepare('DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?'),
      listConfigs: db.prepare<[], { record: string }>('SELECT record FROM event_invoke_configs ORDER BY function_name, qualifier'),
      putFunctionPolicy: db.prepare(`INSERT OR REPLACE INTO function_policies (function_name, qualifier, record) ${VALUES_OF_LIVE_FUNCTION}`),
      deleteFunctionPolicy: db.prepare('DELETE FROM function_policies WHERE function_name = ? AND qualifier = ?'),
      listFunctionPolicies: db.prepare<[], { record: string }>('SELECT record FROM function_policies ORDER BY function_name, qualifier'),
      putFunctionUrl: db.prepare(
        'INSERT OR REPLACE INTO function_urls (function_name, qualifier, url_id, record) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM functions WHERE name = ?)',
      ),
      deleteFunctionUrl: db.prepare('DELETE FROM function_urls WHERE function_name = ? AND qualifier = ?'),
      listFunctionUrls: db.prepare<[], { record: string }>('SELECT record FROM function_urls ORDER BY function_name, qualifier'),
      putTimed: db.prepare('INSERT INTO timed (key, record) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET record = excluded.record'),
      deleteTimed: db.prepare('DELETE FROM timed WHERE key = ?'),
      listTimed: db.prepare<[], { record: string; last_fire_ms: number | null }>('SELECT record, last_fire_ms FROM timed ORDER BY key'),
      advanceFire: db.prepare('UPDATE timed SET last_fire_ms = ? WHERE key = ? AND last_fire_ms IS ?'),
      // An upsert, not INSERT OR REPLACE: a replace deletes the row first, and the delete would cascade to its checkpoints.
      putMapping: db.prepare(
        `INSERT INTO event_source_mappings (uuid, function_name, record) ${VALUES_OF_LIVE_FUNCTION} ON CONFLICT(uuid) DO UPDATE SET function_name = excluded.function_name, record = excluded.record`,
      ),
      deleteMapping: db.prepare('DELETE FROM event_source_mappings WHERE uuid = ?'),
      listMappings: db.prepare<[], { record: string }>('SELECT record FROM event_source_mappings ORDER BY uuid'),
      putCheckpoint: db.prepare(
        'INSERT OR REPLACE INTO stream_checkpoints (uuid, shard_id, position) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM event_source_mappings WHERE uuid = ?)',
      ),
      claimMapping: db.prepare(
        `INSERT INTO mapping_owners (uuid, owner, expires_at) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM event_source_mappings WHERE uuid = ?)
         ON CONFLICT(uuid) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE mapping_owners.owner = excluded.owner OR mapping_owners.expires_at <= ?`,
      ),
      releaseMapping: db.prepare('DELETE FROM mapping_owners WHERE uuid = ? AND owner = ?'),
      listCheckpoints: db.prepare<[string], { shard_id: string; position: string }>('SELECT shard_id, position FROM stream_checkpoints WHERE uuid = ?'),
      countCode: db.prepare<[string, string], { n: number }>(
        'SELECT (SELECT count(*) FROM functions WHERE code_sha256 = ?) + (SELECT count(*) FROM versions WHERE code_sha256 = ?) AS n',
      ),
      insertVersion: db.prepare('INSERT INTO versions (function_name, version, code_sha256, record) VALUES (?, ?, ?, ?)'),
      deleteVersion: db.prepare('DELETE FROM versions WHERE function_name = ? AND version = ?'),
      listVersions: db.prepare<[], { record: string }>('SELECT record FROM versions ORDER BY function_name, CAST(version AS INTEGER)'),
      putAlias: db.prepare(`INSERT OR REPLACE INTO aliases (function_name, name, record) ${VALUES_OF_LIVE_FUNCTION}`),
      deleteAlias: db.prepare('DELETE FROM aliases WHERE function_name = ? AND name = ?'),
      listAliases: db.prepare<[], { record: string }>('SELECT record FROM aliases ORDER BY function_name, name'),
      putProvisioned: db.prepare(`INSERT OR REPLACE INTO provisioned (function_name, qualifier, record) ${VALUES_OF_LIVE_FUNCTION}`),
      deleteProvisioned: db.prepare('DELETE FROM provisioned WHERE function_name = ? AND qualifier = ?'),
      listProvisioned: db.prepare<[], { record: string }>('SELECT record FROM provisioned ORDER BY function_name, qualifier'),
      insertMetricMinute: db.prepare('INSERT INTO metric_minutes (function_name, minute_ms, stats) VALUES (?, ?, ?)'),
      listMetricMinutes: db.prepare<[string, number, number], { minute_ms: number; stats: string }>(
        'SELECT minute_ms, stats FROM metric_minutes WHERE function_name = ? AND minute_ms >= ? AND minute_ms < ? ORDER BY minute_ms',
      ),
      listMetricFunctions: db.prepare<[number], string>('SELECT DISTINCT function_name FROM metric_minutes WHERE minute_ms >= ?').pluck(),
      expireMetricMinutes: db.prepare('DELETE FROM metric_minutes WHERE minute_ms < ?'),
      insertUsage: db.prepare('INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      listUsage: db.prepare<[number], UsageRow>('SELECT * FROM usage WHERE start_ms >= ? ORDER BY start_ms'),
      insertLog: db.prepare('INSERT INTO logs (function_name, log_group, stream, time_ms, message) VALUES (?, ?, ?, ?, ?)'),
      insertInvocation: db.prepare('INSERT INTO invocations (function_name, request_id, start_ms, outcome, record, sealed_payload) VALUES (?, ?, ?, ?, ?, ?)'),
      findInvocation: db.prepare<[string], { record: string; sealed_payload: string | null }>(
        'SELECT record, sealed_payload FROM invocations WHERE request_id = ? ORDER BY id DESC LIMIT 1',
      ),
      listInvocations: db.prepare<[string, number, number, number], { record: string }>(
        "SELECT record FROM invocations WHERE function_name = ? AND start_ms >= ? AND (? = 0 OR outcome != 'success') ORDER BY id DESC LIMIT ?",
      ),
      trimInvocations: db.prepare(
        'DELETE FROM invocations WHERE function_name = ? AND id <= (SELECT id FROM invocations WHERE function_name = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
      ),
      touchLogGroup: db.prepare('INSERT OR IGNORE INTO log_groups (name, created_ms) VALUES (?, ?)'),
      listLogGroups: db.prepare<[], { name: string; created_ms: number; retention_days: number | null }>('SELECT * FROM log_groups ORDER BY name'),
      logGroupBytes: db.prepare<[string], number | null>('SELECT sum(length(CAST(message AS BLOB))) FROM logs WHERE log_group = ?').pluck(),
      setLogRetention: db.prepare('UPDATE log_groups SET retention_days = ? WHERE name = ?'),
      groupBytesByFunction: db.prepare<[string], { name: string; bytes: number }>(
        'SELECT function_name AS name, sum(length(CAST(message AS BLOB))) AS bytes FROM logs WHERE log_group = ? GROUP BY function_name',
      ),
      deleteGroupLogs: db.prepare('DELETE FROM logs WHERE log_group = ?'),
      deleteLogGroup: db.prepare('DELETE FROM log_groups WHERE name = ?'),
      streamBytesByFunction: db.prepare<[string, string], { name: string; bytes: number }>(
        'SELECT function_name AS name, sum(length(CAST(message AS BLOB))) AS bytes FROM logs WHERE log_group = ? AND stream = ? GROUP BY function_name',
      ),
      deleteStreamLogs: db.prepare('DELETE FROM logs WHERE log_group = ? AND stream = ?'),
      listLogStreams: db.prepare<[string], { name: string; first_ms: number; last_ms: number; bytes: number }>(
        'SELECT stream AS name, min(time_ms) AS first_ms, max(time_ms) AS last_ms, sum(length(CAST(message AS BLOB))) AS bytes FROM logs WHERE log_group = ? GROUP BY stream',
      ),
      streamForward: db.prepare<[string, string, number, number, number, number], LogRow>(
        'SELECT * FROM logs WHERE log_group = ? AND stream = ? AND id > ? AND time_ms >= ? AND time_ms < ? ORDER BY id LIMIT ?',
      ),
      streamBackward: db.prepare<[string, string, number, number, number, number], LogRow>(
        'SELECT * FROM logs WHERE log_group = ? AND stream = ? AND id < ? AND time_ms >= ? AND time_ms < ? ORDER BY id DESC LIMIT ?',
      ),
      groupInTime: db.prepare<[string, number, number, number, number, number], LogRow>(
        'SELECT * FROM logs WHERE log_group = ? AND time_ms >= ? AND (time_ms, id) > (?, ?) AND time_ms <= ? ORDER BY time_ms, id LIMIT ?',
      ),
      expiringGroupBytes: db.prepare<[string, number], { name: string; bytes: number }>(
        'SELECT function_name AS name, sum(length(CAST(message AS BLOB))) AS bytes FROM logs WHERE log_group = ? AND time_ms < ? GROUP BY function_name',
      ),
      expireGroup: db.prepare('DELETE FROM logs WHERE log_group = ? AND time_ms < ?'),
      readLogs: db.prepare<[string, number, number, number], LogRow>(
        'SELECT * FROM logs WHERE function_name = ? AND id > ? AND time_ms >= ? ORDER BY id LIMIT ?',
      ),
      logBytes: db.prepare<[], { name: string; bytes: number }>(
        'SELECT function_name AS name, sum(length(CAST(message AS BLOB))) AS bytes FROM logs GROUP BY function_name',
      ),
      oldestLogs: db.prepare<[string], { id: number; bytes: number }>(
        'SELECT id, length(CAST(message AS BLOB)) AS bytes FROM logs WHERE function_name = ? ORDER BY id',
      ),
      deleteLogsUpTo: db.prepare('DELETE FROM logs WHERE function_name = ? AND id <= ?'),
      expiringBytes: db.prepare<[number], { name: string; bytes: number }>(
        'SELECT function_name AS name, sum(length(CAST(message AS BLOB))) AS bytes FROM logs WHERE time_ms < ? GROUP BY function_name',
      ),
      expire: db.prepare('DELETE FROM logs WHERE time_ms < ?'),
      putFailed: db.prepare(
        'INSERT OR REPLACE INTO failed_events (id, function_name, qualifier, payload, enqueued_at, attempts, deferrals, condition, last_error, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      listFailed: db.prepare<[string, number], FailedRow>('SELECT * FROM failed_events WHERE function_name = ? ORDER BY failed_at, id LIMIT ?'),
      failedOf: db.prepare<[string], FailedRow>('SELECT * FROM failed_events WHERE function_name = ? ORDER BY failed_at, id'),
      failedById: db.prepare<[string, string], FailedRow>('SELECT * FROM failed_events WHERE function_name = ? AND id = ?'),
      deleteFailed: db.prepare('DELETE FROM failed_events WHERE id = ?'),
    };
  }

  async getFunction(name: string): Promise<FunctionRecord | undefined> {
    const row = this.#statements.get.get(name);
    return row ? (JSON.parse(row.record) as FunctionRecord) : undefined;
  }

  async listFunctions(afterName: string | undefined, limit: number): Promise<FunctionRecord[]> {
    return this.#statements.list.all(afterName ?? '', limit).map((row) => JSON.parse(row.record) as FunctionRecord);
  }

  async insertFunction(record: FunctionRecord): Promise<boolean> {
    return this.#statements.insert.run(record.name, record.revisionId, record.codeSha256, JSON.stringify(record)).changes === 1;
  }

  async replaceFunction(record: FunctionRecord, expectedRevision: string): Promise<boolean> {
    const { changes } = this.#statements.replace.run(record.revisionId, record.codeSha256, JSON.stringify(record), record.name, expectedRevision);
    return changes === 1;
  }

  async publishVersion(version: FunctionRecord, latest: FunctionRecord, expectedRevision: string): Promise<boolean> {
    return this.#db.transaction(() => {
      const { changes } = this.#statements.replace.run(latest.revisionId, latest.codeSha256, JSON.stringify(latest), latest.name, expectedRevision);
      if (changes !== 1) return false;
      this.#statements.insertVersion.run(version.name, version.version, version.codeSha256, JSON.stringify(version));
      return true;
    })();
  }

  async deleteFunction(name: string): Promise<FunctionRecord | undefined> {
    // Its versions, aliases and configs go with it (FUNCTION_CHILDREN).
    const row = this.#statements.delete.get(name);
    return row ? (JSON.parse(row.record) as FunctionRecord) : undefined;
  }

  async deleteVersion(name: string, version: string): Promise<void> {
    this.#statements.deleteVersion.run(name, version);
  }

  async listVersions(): Promise<FunctionRecord[]> {
    return this.#statements.listVersions.all().map((row) => JSON.parse(row.record) as FunctionRecord);
  }

  async putAlias(record: AliasRecord): Promise<void> {
    this.#statements.putAlias.run(record.functionName, record.name, JSON.stringify(record), record.functionName);
  }

  async deleteAlias(functionName: string, name: string): Promise<void> {
    this.#statements.deleteAlias.run(functionName, name);
  }

  async listAliases(): Promise<AliasRecord[]> {
    return this.#statements.listAliases.all().map((row) => JSON.parse(row.record) as AliasRecord);
  }

  async putProvisioned(record: ProvisionedConcurrencyRecord): Promise<void> {
    this.#statements.putProvisioned.run(record.functionName, record.qualifier, JSON.stringify(record), record.functionName);
  }

  async deleteProvisioned(functionName: string, qualifier: string): Promise<void> {
    this.#statements.deleteProvisioned.run(functionName, qualifier);
  }

  async listProvisioned(): Promise<ProvisionedConcurrencyRecord[]> {
    return this.#statements.listProvisioned.all().map((row) => JSON.parse(row.record) as ProvisionedConcurrencyRecord);
  }

  async insertRole(record: RoleRecord): Promise<boolean> {
    return this.#statements.insertRole.run(record.roleName, JSON.stringify(record)).changes === 1;
  }

  async getRole(name: string): Promise<RoleRecord | undefined> {
    const row = this.#statements.getRole.get(name);
    return row === undefined ? undefined : (JSON.parse(row.record) as RoleRecord);
  }

  async listRoles(): Promise<RoleRecord[]> {
    return this.#statements.listRoles.all().map((row) => JSON.parse(row.record) as RoleRecord);
  }

  async replaceRole(record: RoleRecord): Promise<void> {
    this.#statements.replaceRole.run(JSON.stringify(record), record.roleName);
  }

  async deleteRole(name: string): Promise<boolean> {
    return this.#statements.deleteRole.run(name).changes === 1;
  }

  async insertPolicy(record: ManagedPolicyRecord): Promise<boolean> {
    return this.#statements.insertPolicy.run(record.policyName, record.arn, JSON.stringify(record)).changes === 1;
  }

  async getPolicy(arn: string): Promise<ManagedPolicyRecord | undefined> {
    const row = this.#statements.getPolicy.get(arn);
    return row === undefined ? undefined : (JSON.parse(row.record) as ManagedPolicyRecord);
  }

  async listPolicies(): Promise<ManagedPolicyRecord[]> {
    return this.#statements.listPolicies.all().map((row) => JSON.parse(row.record) as ManagedPolicyRecord);
  }

  async replacePolicy(record: ManagedPolicyRecord): Promise<void> {
    this.#statements.replacePolicy.run(JSON.stringify(record), record.arn);
  }

  async deletePolicy(arn: string): Promise<boolean> {
    return this.#statements.deletePolicy.run(arn).changes === 1;
  }

  async insertGroup(record: GroupRecord): Promise<boolean> {
    return this.#statements.insertGroup.run(record.groupName, JSON.stringify(record)).changes === 1;
  }

  async getGroup(name: string): Promise<GroupRecord | undefined> {
    const row = this.#statements.getGroup.get(name);
    return row === undefined ? undefined : (JSON.parse(row.record) as GroupRecord);
  }

  async listGroups(): Promise<GroupRecord[]> {
    return this.#statements.listGroups.all().map((row) => JSON.parse(row.record) as GroupRecord);
  }

  async replaceGroup(record: GroupRecord): Promise<void> {
    this.#statements.replaceGroup.run(JSON.stringify(record), record.groupName);
  }

  async deleteGroup(name: string): Promise<boolean> {
    return this.#statements.deleteGroup.run(name).changes === 1;
  }

  async insertUser(record: UserRecord): Promise<boolean> {
    return this.#statements.insertUser.run(record.userName, JSON.stringify(record)).changes === 1;
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const row = this.#statements.getUser.get(name);
    return row === undefined ? undefined : (JSON.parse(row.record) as UserRecord);
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.#statements.listUsers.all().map((row) => JSON.parse(row.record) as UserRecord);
  }

  async replaceUser(record: UserRecord): Promise<void> {
    this.#statements.replaceUser.run(JSON.stringify(record), record.userName);
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.#statements.deleteUser.run(name).changes === 1;
  }

  async insertAccessKey(record: StoredAccessKey): Promise<void> {
    this.#statements.insertAccessKey.run(record.accessKeyId, record.userName, record.createDate, JSON.stringify(record));
  }

  async listAccessKeys(userName?: string): Promise<StoredAccessKey[]> {
    const rows = userName === undefined ? this.#statements.listAccessKeys.all() : this.#statements.listUserAccessKeys.all(userName);
    return rows.map((row) => JSON.parse(row.record) as StoredAccessKey);
  }

  async replaceAccessKey(record: StoredAccessKey): Promise<void> {
    this.#statements.replaceAccessKey.run(JSON.stringify(record), record.accessKeyId);
  }

  async deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return this.#statements.deleteAccessKey.run(accessKeyId).changes === 1;
  }

  async putEventInvokeConfig(record: EventInvokeConfigRecord): Promise<void> {
    this.#statements.putConfig.run(record.functionName, record.qualifier, JSON.stringify(record), record.functionName);
  }

  async deleteEventInvokeConfig(functionName: string, qualifier: string): Promise<boolean> {
    return this.#statements.deleteConfig.run(functionName, qualifier).changes === 1;
  }

  async listEventInvokeConfigs(): Promise<EventInvokeConfigRecord[]> {
    return this.#statements.listConfigs.all().map((row) => JSON.parse(row.record) as EventInvokeConfigRecord);
  }

  async putFunctionPolicy(record: FunctionPolicyRecord): Promise<void> {
    this.#statements.putFunctionPolicy.run(record.functionName, record.qualifier, JSON.stringify(record), record.functionName);
  }

  async deleteFunctionPolicy(functionName: string, qualifier: string): Promise<boolean> {
    return this.#statements.deleteFunctionPolicy.run(functionName, qualifier).changes === 1;
  }

  async listFunctionPolicies(): Promise<FunctionPolicyRecord[]> {
    return this.#statements.listFunctionPolicies.all().map((row) => JSON.parse(row.record) as FunctionPolicyRecord);
  }

  async putFunctionUrl(record: FunctionUrlRecord): Promise<void> {
    this.#statements.putFunctionUrl.run(record.functionName, record.qualifier, record.urlId, JSON.stringify(record), record.functionName);
  }

  async deleteFunctionUrl(functionName: string, qualifier: string): Promise<boolean> {
    return this.#statements.deleteFunctionUrl.run(functionName, qualifier).changes === 1;
  }

  async listFunctionUrls(): Promise<FunctionUrlRecord[]> {
    return this.#statements.listFunctionUrls.all().map((row) => JSON.parse(row.record) as FunctionUrlRecord);
  }

  async putTimed(record: TimedRecord): Promise<void> {
    this.#statements.putTimed.run(timedKey(record), JSON.stringify(record));
  }

  async deleteTimed(key: string): Promise<boolean> {
    return this.#statements.deleteTimed.run(key).changes === 1;
  }

  async listTimed(): Promise<Array<{ record: TimedRecord; lastFireMs: number | undefined }>> {
    return this.#statements.listTimed.all().map((row) => ({ record: JSON.parse(row.record) as TimedRecord, lastFireMs: row.last_fire_ms ?? undefined }));
  }

  async advanceFire(key: string, expected: number | undefined, fireMs: number): Promise<boolean> {
    return this.#statements.advanceFire.run(fireMs, key, expected ?? null).changes === 1;
  }

  async putEventSourceMapping(record: EventSourceMappingRecord): Promise<void> {
    this.#statements.putMapping.run(record.uuid, record.functionName, JSON.stringify(record), record.functionName);
  }

  async deleteEventSourceMapping(uuid: string): Promise<void> {
    this.#statements.deleteMapping.run(uuid);
  }

  async listEventSourceMappings(): Promise<EventSourceMappingRecord[]> {
    return this.#statements.listMappings.all().map((row) => JSON.parse(row.record) as EventSourceMappingRecord);
  }

  async putCheckpoint(uuid: string, shardId: string, position: string): Promise<void> {
    this.#statements.putCheckpoint.run(uuid, shardId, position, uuid);
  }

  async listCheckpoints(uuid: string): Promise<Map<string, string>> {
    return new Map(this.#statements.listCheckpoints.all(uuid).map((r) => [r.shard_id, r.position]));
  }

  async claimMapping(uuid: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    return this.#statements.claimMapping.run(uuid, owner, now + ttlMs, uuid, now).changes === 1;
  }

  async releaseMapping(uuid: string, owner: string): Promise<void> {
    this.#statements.releaseMapping.run(uuid, owner);
  }

  async countCodeReferences(codeSha256: string): Promise<number> {
    return this.#statements.countCode.get(codeSha256, codeSha256)?.n ?? 0;
  }

  async appendUsage(records: readonly UsageRecord[]): Promise<void> {
    const insert = this.#statements.insertUsage;
    this.#db.transaction(() => {
      for (const r of records) {
        insert.run(
          r.requestId,
          r.functionName,
          r.version,
          r.startMs,
          r.durationMs,
          r.billedMs,
          r.memoryMb,
          r.architecture,
          r.initMs,
          r.cold ? 1 : 0,
          r.outcome,
        );
      }
    })();
  }

  async listUsage(sinceMs: number): Promise<UsageRecord[]> {
    return this.#statements.listUsage.all(sinceMs).map((r) => ({
      requestId: r.request_id,
      functionName: r.function_name,
      version: r.version,
      startMs: r.start_ms,
      durationMs: r.duration_ms,
      billedMs: r.billed_ms,
      memoryMb: r.memory_mb,
      architecture: r.architecture,
      initMs: r.init_ms,
      cold: r.cold === 1,
      outcome: r.outcome,
    }));
  }

  async appendLogs(events: readonly LogEvent[]): Promise<void> {
    const { insertLog, touchLogGroup } = this.#statements;
    this.#db.transaction(() => {
      let lastGroup: string | undefined;
      for (const e of events) {
        // A group exists from its first event on (as Lambda creates it when a function first logs).
        if (e.logGroup !== lastGroup) touchLogGroup.run(e.logGroup, e.timeMs);
        lastGroup = e.logGroup;
        insertLog.run(e.functionName, e.logGroup, e.stream, e.timeMs, e.message);
      }
    })();
  }

  async readLogs(functionName: string, options: { afterId?: number; sinceMs?: number; limit: number; maxBytes: number }) {
    const events: Array<LogEvent & { id: number }> = [];
    let bytes = 0;
    // Row by row, so a page of huge lines stops at the byte budget instead of loading them all.
    for (const r of this.#statements.readLogs.iterate(functionName, options.afterId ?? 0, options.sinceMs ?? 0, options.limit)) {
      bytes += Buffer.byteLength(r.message);
      if (events.length > 0 && bytes > options.maxBytes) return { events, more: true };
      events.push(toLogEvent(r));
    }
    return { events, more: events.length === options.limit };
  }

  async appendHistory(entries: readonly HistoryEntry[]): Promise<void> {
    const insert = this.#statements.insertInvocation;
    this.#db.transaction(() => {
      for (const { record: r, sealedPayload } of entries)
        insert.run(r.functionName, r.requestId, r.startMs, r.outcome, JSON.stringify(r), sealedPayload ?? null);
    })();
  }

  async findHistory(requestId: string): Promise<HistoryEntry | undefined> {
    const row = this.#statements.findInvocation.get(requestId);
    if (row === undefined) return undefined;
    const record = JSON.parse(row.record) as InvocationHistoryRecord;
    return row.sealed_payload === null ? { record } : { record, sealedPayload: row.sealed_payload };
  }

  async listHistory(functionName: string, options: { sinceMs: number; errorsOnly: boolean; limit: number }): Promise<InvocationHistoryRecord[]> {
    return this.#statements.listInvocations
      .all(functionName, options.sinceMs, options.errorsOnly ? 1 : 0, options.limit)
      .map((r) => JSON.parse(r.record) as InvocationHistoryRecord);
  }

  async trimHistory(functionName: string, keep: number): Promise<void> {
    this.#statements.trimInvocations.run(functionName, functionName, keep);
  }

  async appendMetricMinutes(minutes: readonly MetricMinute[]): Promise<void> {
    const insert = this.#statements.insertMetricMinute;
    this.#db.transaction(() => {
      for (const m of minutes) insert.run(m.functionName, m.minuteMs, JSON.stringify(m.stats));
    })();
  }

  async listMetricMinutes(functionName: string, fromMs: number, toMs: number): Promise<MetricMinute[]> {
    return this.#statements.listMetricMinutes.all(functionName, fromMs, toMs).map((r) => {
      const stats = JSON.parse(r.stats) as MinuteStats;
      // JSON has no Infinity: a minute with no invocation stored its minimum as null.
      stats.durationMin ??= Number.POSITIVE_INFINITY;
      return { functionName, minuteMs: r.minute_ms, stats };
    });
  }

  async listMetricFunctions(fromMs: number): Promise<string[]> {
    return this.#statements.listMetricFunctions.all(fromMs);
  }

  async expireMetricMinutes(beforeMs: number): Promise<void> {
    this.#statements.expireMetricMinutes.run(beforeMs);
  }

  async listLogGroups(): Promise<LogGroupRow[]> {
    return this.#statements.listLogGroups
      .all()
      .map((r) => ({ name: r.name, createdMs: r.created_ms, ...(r.retention_days === null ? {} : { retentionDays: r.retention_days }) }));
  }

  async logGroupBytes(group: string): Promise<number> {
    return this.#statements.logGroupBytes.get(group) ?? 0;
  }

  async setLogRetention(group: string, days: number | undefined): Promise<boolean> {
    return this.#statements.setLogRetention.run(days ?? null, group).changes > 0;
  }

  async deleteLogGroup(group: string): Promise<Map<string, number> | undefined> {
    return this.#db.transaction(() => {
      const freed = new Map(this.#statements.groupBytesByFunction.all(group).map((r) => [r.name, r.bytes]));
      this.#statements.deleteGroupLogs.run(group);
      return this.#statements.deleteLogGroup.run(group).changes > 0 ? freed : undefined;
    })();
  }

  async deleteLogStream(group: string, stream: string): Promise<Map<string, number> | undefined> {
    return this.#db.transaction(() => {
      const freed = new Map(this.#statements.streamBytesByFunction.all(group, stream).map((r) => [r.name, r.bytes]));
      return this.#statements.deleteStreamLogs.run(group, stream).changes > 0 ? freed : undefined;
    })();
  }

  async listLogStreams(group: string): Promise<LogStreamRow[]> {
    return this.#statements.listLogStreams.all(group).map((r) => ({ name: r.name, firstMs: r.first_ms, lastMs: r.last_ms, bytes: r.bytes }));
  }

  async readLogStream(group: string, stream: string, options: LogStreamRead): Promise<Array<LogEvent & { id: number }>> {
    const { startMs, endMs, limit, maxBytes } = options;
    const rows =
      options.direction === 'backward'
        ? this.#statements.streamBackward.iterate(group, stream, options.fromId, startMs, endMs, limit)
        : this.#statements.streamForward.iterate(group, stream, options.fromId, startMs, endMs, limit);
    const events: Array<LogEvent & { id: number }> = [];
    let bytes = 0;
    for (const r of rows) {
      bytes += Buffer.byteLength(r.message);
      if (events.length > 0 && bytes > maxBytes) break;
      events.push(toLogEvent(r));
    }
    return options.direction === 'backward' ? events.reverse() : events;
  }

  async scanLogGroup(group: string, options: LogGroupScan): Promise<Array<LogEvent & { id: number }>> {
    const { startMs, endMs, after, limit } = options;
    return this.#statements.groupInTime.all(group, startMs, after.timeMs, after.id, endMs, limit).map(toLogEvent);
  }

  async expireByGroupRetention(nowMs: number): Promise<Map<string, number>> {
    return this.#db.transaction(() => {
      const freed = new Map<string, number>();
      for (const { name, retention_days: days } of this.#statements.listLogGroups.all()) {
        if (days === null) continue;
        const beforeMs = nowMs - days * 86_400_000;
        for (const r of this.#statements.expiringGroupBytes.all(name, beforeMs)) freed.set(r.name, (freed.get(r.name) ?? 0) + r.bytes);
        this.#statements.expireGroup.run(name, beforeMs);
      }
      return freed;
    })();
  }

  async logBytes(): Promise<Map<string, number>> {
    return new Map(this.#statements.logBytes.all().map((r) => [r.name, r.bytes]));
  }

  async trimLogs(functionName: string, totalBytes: number, keepBytes: number): Promise<number> {
    let freed = 0;
    let lastId: number | undefined;
    for (const row of this.#statements.oldestLogs.iterate(functionName)) {
      if (totalBytes - freed <= keepBytes) break;
      freed += row.bytes;
      lastId = row.id;
    }
    if (lastId !== undefined) this.#statements.deleteLogsUpTo.run(functionName, lastId);
    return freed;
  }

  async expireLogs(beforeMs: number): Promise<Map<string, number>> {
    return this.#db.transaction(() => {
      const freed = new Map(this.#statements.expiringBytes.all(beforeMs).map((r) => [r.name, r.bytes]));
      this.#statements.expire.run(beforeMs);
      return freed;
    })();
  }

  async putFailed({ event, condition, failedAt }: FailedEvent): Promise<void> {
    this.#statements.putFailed.run(
      event.id,
      event.functionName,
      event.qualifier,
      event.payload,
      event.enqueuedAt,
      event.attempts,
      event.deferrals,
      condition,
      event.lastError ?? null,
      failedAt,
    );
  }

  async listFailed(functionName: string, limit: number): Promise<FailedEvent[]> {
    return this.#statements.listFailed.all(functionName, limit).map(toFailed);
  }

  async getFailed(functionName: string, ids: readonly string[] | 'all'): Promise<FailedEvent[]> {
    const rows = ids === 'all' ? this.#statements.failedOf.all(functionName) : ids.flatMap((id) => this.#statements.failedById.get(functionName, id) ?? []);
    return rows.map(toFailed);
  }

  async deleteFailed(ids: readonly string[]): Promise<void> {
    this.#db.transaction(() => {
      for (const id of ids) this.#statements.deleteFailed.run(id);
    })();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
