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
  UsageRecord,
  UserRecord,
  GroupRecord,
  TimedRecord,
  InvocationHistoryRecord,
  MetricMinute,
} from '../core/index.js';
import type { FailedEventStore } from '../queue/index.js';

/**
 * The persistence ports, split by what they hold and how it is used. All async, so a networked adapter
 * (PostgreSQL in cluster mode) fits behind them; the embedded SQLite adapter answers synchronously inside
 * the promise and implements all three (`Store`). Each operation is atomic on its own in every adapter.
 */

/** Control-plane records: functions, versions, aliases and their configurations. Read into memory at start. */
export interface ControlStore {
  getFunction(name: string): Promise<FunctionRecord | undefined>;
  /** Functions ordered by name, starting after `afterName`. */
  listFunctions(afterName: string | undefined, limit: number): Promise<FunctionRecord[]>;
  /** Inserts a new function; false when the name is taken. */
  insertFunction(record: FunctionRecord): Promise<boolean>;
  /** Replaces a function if its stored revision is `expectedRevision`; false otherwise. */
  replaceFunction(record: FunctionRecord, expectedRevision: string): Promise<boolean>;
  /**
   * PublishVersion in one atomic step: inserts `version` and replaces $LATEST with `latest` (its version
   * counter moved on) if $LATEST's stored revision is `expectedRevision`; false, and nothing written, otherwise.
   */
  publishVersion(version: FunctionRecord, latest: FunctionRecord, expectedRevision: string): Promise<boolean>;
  /** Deletes a function and everything configured for it (versions, aliases, event invoke configs, provisioned concurrency, event source mappings). */
  deleteFunction(name: string): Promise<FunctionRecord | undefined>;
  /** Published versions (immutable) and aliases. */
  deleteVersion(name: string, version: string): Promise<void>;
  listVersions(): Promise<FunctionRecord[]>;
  putAlias(record: AliasRecord): Promise<void>;
  deleteAlias(functionName: string, name: string): Promise<void>;
  listAliases(): Promise<AliasRecord[]>;
  putProvisioned(record: ProvisionedConcurrencyRecord): Promise<void>;
  deleteProvisioned(functionName: string, qualifier: string): Promise<void>;
  listProvisioned(): Promise<ProvisionedConcurrencyRecord[]>;
  /** How many functions and versions use this code package. */
  countCodeReferences(codeSha256: string): Promise<number>;

  /** Asynchronous-invocation settings of a function (PutFunctionEventInvokeConfig), by qualifier. */
  putEventInvokeConfig(record: EventInvokeConfigRecord): Promise<void>;
  /** Event source mappings; a mapping is written only while its function exists, and deleted with it. */
  putEventSourceMapping(record: EventSourceMappingRecord): Promise<void>;
  deleteEventSourceMapping(uuid: string): Promise<void>;
  listEventSourceMappings(): Promise<EventSourceMappingRecord[]>;
  /**
   * A stream mapping's progress per shard: the last sequence number done, or SHARD_END for a closed
   * shard read to its end. Written only while the mapping exists, and deleted with it.
   */
  putCheckpoint(uuid: string, shardId: string, position: string): Promise<void>;
  listCheckpoints(uuid: string): Promise<Map<string, string>>;
  /**
   * Takes or renews the lease that makes `owner` the one process polling a mapping, until `now + ttlMs`:
   * true when `owner` holds it (it was free, expired, or already its own). Leases go with their mapping.
   */
  claimMapping(uuid: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  releaseMapping(uuid: string, owner: string): Promise<void>;
  deleteEventInvokeConfig(functionName: string, qualifier: string): Promise<boolean>;
  listEventInvokeConfigs(): Promise<EventInvokeConfigRecord[]>;
  /** A function's resource-based policy for one qualifier; written only while the function exists. */
  putFunctionPolicy(record: FunctionPolicyRecord): Promise<void>;
  deleteFunctionPolicy(functionName: string, qualifier: string): Promise<boolean>;
  listFunctionPolicies(): Promise<FunctionPolicyRecord[]>;
  /** Writes a function URL (kept only while its function exists); its urlId is unique. */
  putFunctionUrl(record: FunctionUrlRecord): Promise<void>;
  deleteFunctionUrl(functionName: string, qualifier: string): Promise<boolean>;
  listFunctionUrls(): Promise<FunctionUrlRecord[]>;
  /**
   * Scheduled rules and Scheduler schedules, by `timedKey` (they name functions but are not theirs: a
   * rule outlives its target, as on AWS). Writing a record keeps its last fire time.
   */
  putTimed(record: TimedRecord): Promise<void>;
  /** Deletes a record and its last fire time. */
  deleteTimed(key: string): Promise<boolean>;
  listTimed(): Promise<Array<{ record: TimedRecord; lastFireMs: number | undefined }>>;
  /**
   * Moves a schedule's last fire time from `expected` to `fireMs` if it is still `expected`: true when this
   * caller moved it (and so owns that run), false when another did or the record is gone.
   */
  advanceFire(key: string, expected: number | undefined, fireMs: number): Promise<boolean>;
}

/** Usage records: one append per invocation (batched), read for reports. */
export interface UsageStore {
  appendUsage(records: readonly UsageRecord[]): Promise<void>;
  listUsage(sinceMs: number): Promise<UsageRecord[]>;
}

/** Invocation history (beyond Lambda): one append per invocation (batched), newest first on reads, a cap per function. */
export interface HistoryStore {
  appendHistory(entries: readonly HistoryEntry[]): Promise<void>;
  /** The newest record of a request id, with its sealed payload when it was captured. */
  findHistory(requestId: string): Promise<HistoryEntry | undefined>;
  listHistory(functionName: string, options: { sinceMs: number; errorsOnly: boolean; limit: number }): Promise<InvocationHistoryRecord[]>;
  /** Keeps a function's newest `keep` records. */
  trimHistory(functionName: string, keep: number): Promise<void>;
}

/** Metrics by the minute (../metering/metric-series.ts): one row per function and minute per write, merged on reads. */
export interface MetricStore {
  appendMetricMinutes(minutes: readonly MetricMinute[]): Promise<void>;
  /** A function's stored rows from `fromMs` to before `toMs`; a minute may have several. */
  listMetricMinutes(functionName: string, fromMs: number, toMs: number): Promise<MetricMinute[]>;
  /** The function names with rows since `fromMs`. */
  listMetricFunctions(fromMs: number): Promise<string[]>;
  expireMetricMinutes(beforeMs: number): Promise<void>;
}

/** An invocation's record, and its event sealed (SecretBox) when payload capture is on. */
export interface HistoryEntry {
  readonly record: InvocationHistoryRecord;
  readonly sealedPayload?: string;
}

/** Function logs: high-volume appends, bounded reads, trimming to a cap and a retention. */
export interface LogRepository {
  appendLogs(events: readonly LogEvent[]): Promise<void>;
  /**
   * Log events of a function after `afterId`, oldest first, each with its cursor id: at most `limit`
   * events and, past the first, at most `maxBytes` of messages; `more` when the page stopped early.
   */
  readLogs(
    functionName: string,
    options: { afterId?: number; sinceMs?: number; limit: number; maxBytes: number },
  ): Promise<{ events: Array<LogEvent & { id: number }>; more: boolean }>;
  /** Bytes of log messages stored, per function. */
  logBytes(): Promise<Map<string, number>>;
  /** Deletes a function's oldest log events until at most `keepBytes` of its `totalBytes` are left; the bytes freed. */
  trimLogs(functionName: string, totalBytes: number, keepBytes: number): Promise<number>;
  /** Deletes every log event older than `beforeMs`; the bytes freed, per function. */
  expireLogs(beforeMs: number): Promise<Map<string, number>>;

  // CloudWatch Logs' view: events by log group and stream. Deletions answer the bytes freed per function.
  /** Every log group, by name. A group exists from its first event until it is deleted. */
  listLogGroups(): Promise<LogGroupRow[]>;
  logGroupBytes(group: string): Promise<number>;
  /** Sets (or, undefined, removes) a group's retention; false when there is no such group. */
  setLogRetention(group: string, days: number | undefined): Promise<boolean>;
  /** Deletes a group and its events; undefined when there is no such group. */
  deleteLogGroup(group: string): Promise<Map<string, number> | undefined>;
  /** Deletes a stream's events; undefined when it has none. */
  deleteLogStream(group: string, stream: string): Promise<Map<string, number> | undefined>;
  /** The streams of a group that hold events, in no order. */
  listLogStreams(group: string): Promise<LogStreamRow[]>;
  /** One stream's events in `[startMs, endMs)`, from `fromId` on in `direction`, oldest first; at most `limit` and, past the first, `maxBytes`. */
  readLogStream(group: string, stream: string, options: LogStreamRead): Promise<Array<LogEvent & { id: number }>>;
  /** A group's events in `[startMs, endMs]` after `after`, in (time, id) order: at most `limit`. */
  scanLogGroup(group: string, options: LogGroupScan): Promise<Array<LogEvent & { id: number }>>;
  /** Deletes the events of every group with a retention that are older than it; the bytes freed, per function. */
  expireByGroupRetention(nowMs: number): Promise<Map<string, number>>;
}

export interface LogGroupRow {
  readonly name: string;
  readonly createdMs: number;
  readonly retentionDays?: number;
}

export interface LogStreamRow {
  readonly name: string;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly bytes: number;
}

export interface LogStreamRead {
  readonly direction: 'forward' | 'backward';
  /** Exclusive: the events after it (forward) or before it (backward). */
  readonly fromId: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly limit: number;
  readonly maxBytes: number;
}

export interface LogGroupScan {
  readonly startMs: number;
  readonly endMs: number;
  /** Exclusive: the position of the last event already seen. */
  readonly after: { readonly timeMs: number; readonly id: number };
  readonly limit: number;
}

/** IAM entities. Names are unique regardless of case, as in IAM. */
export interface IdentityStore {
  /** false when a role of that name (in any case) exists. */
  insertRole(record: RoleRecord): Promise<boolean>;
  getRole(name: string): Promise<RoleRecord | undefined>;
  listRoles(): Promise<RoleRecord[]>;
  replaceRole(record: RoleRecord): Promise<void>;
  deleteRole(name: string): Promise<boolean>;
  /** false when a policy of that name (in any case) exists. */
  insertPolicy(record: ManagedPolicyRecord): Promise<boolean>;
  getPolicy(arn: string): Promise<ManagedPolicyRecord | undefined>;
  listPolicies(): Promise<ManagedPolicyRecord[]>;
  replacePolicy(record: ManagedPolicyRecord): Promise<void>;
  deletePolicy(arn: string): Promise<boolean>;
  /** false when a group of that name (in any case) exists. */
  insertGroup(record: GroupRecord): Promise<boolean>;
  getGroup(name: string): Promise<GroupRecord | undefined>;
  listGroups(): Promise<GroupRecord[]>;
  replaceGroup(record: GroupRecord): Promise<void>;
  deleteGroup(name: string): Promise<boolean>;
  /** false when a user of that name (in any case) exists. */
  insertUser(record: UserRecord): Promise<boolean>;
  getUser(name: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  replaceUser(record: UserRecord): Promise<void>;
  deleteUser(name: string): Promise<boolean>;
  insertAccessKey(record: StoredAccessKey): Promise<void>;
  /** A user's keys, oldest first; every user's when no name is given. */
  listAccessKeys(userName?: string): Promise<StoredAccessKey[]>;
  replaceAccessKey(record: StoredAccessKey): Promise<void>;
  deleteAccessKey(accessKeyId: string): Promise<boolean>;
}

/** Everything the embedded adapter keeps, in one database. */
export interface Store extends ControlStore, UsageStore, HistoryStore, MetricStore, LogRepository, FailedEventStore, IdentityStore {
  close(): Promise<void>;
}
