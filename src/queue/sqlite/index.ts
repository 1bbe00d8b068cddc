import Database from 'better-sqlite3';
import type { EventQueue, FailedEvent, Lease, QueuedEvent, Retry } from '../port.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  payload BLOB NOT NULL,
  enqueued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  deferrals INTEGER NOT NULL,
  not_before INTEGER NOT NULL,
  leased_until INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  deliveries INTEGER NOT NULL DEFAULT 0,
  trigger TEXT
);
CREATE INDEX IF NOT EXISTS events_due ON events(not_before);
CREATE INDEX IF NOT EXISTS events_function_due ON events(function_name, not_before);
`;

interface EventRow {
  id: string;
  function_name: string;
  qualifier: string;
  payload: Buffer;
  enqueued_at: number;
  attempts: number;
  deferrals: number;
  not_before: number;
  last_error: string | null;
  deliveries?: number;
  trigger?: string | null;
}
interface LegacyFailedRow extends EventRow {
  condition: string;
  failed_at: number;
}

const toEvent = (row: EventRow): QueuedEvent => ({
  id: row.id,
  functionName: row.function_name,
  qualifier: row.qualifier,
  payload: row.payload,
  enqueuedAt: row.enqueued_at,
  attempts: row.attempts,
  deferrals: row.deferrals,
  notBefore: row.not_before,
  ...(row.last_error === null ? {} : { lastError: row.last_error }),
  ...(row.deliveries ? { deliveries: row.deliveries } : {}),
  ...(row.trigger ? { trigger: row.trigger as QueuedEvent['trigger'] } : {}),
});

interface Pending {
  readonly events: readonly QueuedEvent[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The embedded queue: its own SQLite file in WAL mode. Enqueues commit with synchronous=FULL, so an
 * acknowledged event survives a power cut, not only a crash; enqueues arriving together share one commit
 * (group commit): each caller still waits for the commit that holds its events, but the fsync is paid
 * once per batch. Everything else (leases, outcomes, reschedules) commits with synchronous=NORMAL, so
 * the dispatcher does not pay an fsync per attempt: in WAL mode that survives any crash of the process,
 * and a power cut can only undo outcomes written since the last fsync, which puts their events back in
 * the queue to run again (at least once, as Lambda promises), never loses one. The next enqueue's
 * fsync makes them durable too.
 *
 * (Tried and measured: running the enqueue's fsync on libuv's thread pool after a NORMAL commit, so
 * the event loop keeps reading requests meanwhile. At c=10 it was slower: smaller batches, two fsyncs
 * of latency for many callers.)
 */
export class SqliteEventQueue implements EventQueue {
  readonly #db: Database.Database;
  readonly #s;
  /** Leases whose attempt has begun: `extend` counts a delivery once per lease. */
  readonly #begun = new WeakSet<Lease>();
  #pending: Pending[] = [];
  #flushScheduled = false;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    // Queues written before deliveries were counted.
    const columns = this.#db.prepare<[], { name: string }>('PRAGMA table_info(events)').all();
    if (!columns.some((c) => c.name === 'deliveries')) this.#db.exec('ALTER TABLE events ADD COLUMN deliveries INTEGER NOT NULL DEFAULT 0');
    // And before they said what queued them.
    if (!columns.some((c) => c.name === 'trigger')) this.#db.exec('ALTER TABLE events ADD COLUMN trigger TEXT');
    const db = this.#db;
    this.#s = {
      insert: db.prepare(
        'INSERT OR IGNORE INTO events (id, function_name, qualifier, payload, enqueued_at, attempts, deferrals, not_before, last_error, trigger) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      // The functions with queued events, by a walk down the (function_name, not_before) index that
      // jumps from one name to the next: a few lookups per function, however long the backlog.
      functions: db.prepare<[], { name: string }>(
        `WITH RECURSIVE names(name) AS (
           SELECT min(function_name) FROM events
           UNION ALL
           SELECT (SELECT min(function_name) FROM events WHERE function_name > names.name) FROM names WHERE names.name IS NOT NULL
         ) SELECT name FROM names WHERE name IS NOT NULL`,
      ),
      dueOf: db.prepare<[string, number, number, number], EventRow>(
        'SELECT * FROM events WHERE function_name = ? AND not_before <= ? AND leased_until <= ? ORDER BY not_before LIMIT ?',
      ),
      lease: db.prepare('UPDATE events SET leased_until = ? WHERE id = ?'),
      begin: db.prepare('UPDATE events SET leased_until = ?, deliveries = deliveries + 1 WHERE id = ?'),
      remove: db.prepare('DELETE FROM events WHERE id = ?'),
      reschedule: db.prepare('UPDATE events SET attempts = ?, deferrals = ?, not_before = ?, leased_until = 0, last_error = ?, deliveries = 0 WHERE id = ?'),
      // Walks the not_before index from `now` on: no scan of the backlog that is already due.
      nextDueAfter: db.prepare<[number], { not_before: number }>(
        'SELECT not_before FROM events WHERE not_before > ? AND leased_until = 0 ORDER BY not_before LIMIT 1',
      ),
      unlease: db.prepare('UPDATE events SET leased_until = 0 WHERE id = ?'),
      depthAll: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM events'),
      depthOf: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM events WHERE function_name = ?'),
      backlog: db.prepare<[], { functionName: string; depth: number; oldestEnqueuedAt: number }>(
        'SELECT function_name AS functionName, count(*) AS depth, min(enqueued_at) AS oldestEnqueuedAt FROM events GROUP BY function_name',
      ),
      purge: db.prepare('DELETE FROM events WHERE function_name = ?'),
    };
    // One process owns the embedded queue: a lease still set at start belongs to a process that died
    // mid-attempt, and its event is due again now.
    db.exec('UPDATE events SET leased_until = 0 WHERE leased_until > 0');
  }

  enqueue(events: readonly QueuedEvent[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ events, resolve, reject });
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      // After the requests already read in this turn of the event loop have queued theirs.
      setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    try {
      this.#db.pragma('synchronous = FULL');
      try {
        this.#db.transaction(() => {
          for (const { events } of batch) for (const event of events) this.#insert(event);
        })();
      } finally {
        this.#db.pragma('synchronous = NORMAL');
      }
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const { resolve } of batch) resolve();
  }

  #insert(event: QueuedEvent): void {
    this.#s.insert.run(
      event.id,
      event.functionName,
      event.qualifier,
      event.payload,
      event.enqueuedAt,
      event.attempts,
      event.deferrals,
      event.notBefore,
      event.lastError ?? null,
      event.trigger ?? null,
    );
  }

  async pull(now: number, max: number, leaseMs: number, room: (functionName: string) => number): Promise<Lease[]> {
    if (max <= 0) return [];
    const leases: Lease[] = [];
    this.#db.transaction(() => {
      // Each function's due events, then the oldest first across functions: one function's backlog
      // cannot hide another's due events, and the scan never reads more than each function could take.
      const due: EventRow[][] = [];
      for (const { name } of this.#s.functions.all()) {
        const take = Math.min(room(name), max);
        if (take <= 0) continue;
        const rows = this.#s.dueOf.all(name, now, now, take);
        if (rows.length > 0) due.push(rows);
      }
      due.sort((a, b) => a[0]!.not_before - b[0]!.not_before);
      for (const rows of due) {
        for (const row of rows) {
          if (leases.length >= max) return;
          this.#s.lease.run(now + leaseMs, row.id);
          leases.push({ event: toEvent(row) });
        }
      }
    })();
    return leases;
  }

  async extend(lease: Lease, ms: number, now: number): Promise<void> {
    if (this.#begun.has(lease)) {
      this.#s.lease.run(now + ms, lease.event.id);
      return;
    }
    this.#begun.add(lease);
    this.#s.begin.run(now + ms, lease.event.id);
  }

  async ack(lease: Lease, forward?: QueuedEvent): Promise<void> {
    if (forward === undefined) {
      this.#s.remove.run(lease.event.id);
      return;
    }
    this.#db.transaction(() => {
      this.#insert(forward);
      this.#s.remove.run(lease.event.id);
    })();
  }

  async nak(lease: Lease, retry: Retry): Promise<void> {
    this.#s.reschedule.run(retry.attempts, retry.deferrals, retry.notBefore, retry.lastError ?? null, lease.event.id);
  }

  async release(leases: readonly Lease[]): Promise<void> {
    this.#db.transaction(() => {
      for (const { event } of leases) this.#s.unlease.run(event.id);
    })();
  }

  async nextDueAfter(now: number): Promise<number | undefined> {
    return this.#s.nextDueAfter.get(now)?.not_before;
  }

  async depth(functionName?: string): Promise<number> {
    return (functionName === undefined ? this.#s.depthAll.get() : this.#s.depthOf.get(functionName))?.n ?? 0;
  }

  async backlog(): Promise<Array<{ functionName: string; depth: number; oldestEnqueuedAt: number }>> {
    return this.#s.backlog.all();
  }

  async purge(functionName: string): Promise<number> {
    return this.#s.purge.run(functionName).changes;
  }

  /**
   * Failed events a queue file kept before they moved to the store (FailedEventStore): handed over once
   * at start by createAdapters, then `dropLegacyFailed`.
   */
  legacyFailed(): FailedEvent[] {
    const table = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'failed_events'").get();
    if (table === undefined) return [];
    return this.#db
      .prepare<[], LegacyFailedRow>('SELECT * FROM failed_events ORDER BY failed_at, id')
      .all()
      .map((row) => ({ event: toEvent({ ...row, not_before: row.failed_at }), condition: row.condition, failedAt: row.failed_at }));
  }

  dropLegacyFailed(): void {
    this.#db.exec('DROP TABLE IF EXISTS failed_events');
  }

  async close(): Promise<void> {
    if (this.#pending.length > 0) this.#flush();
    if (this.#db.open) this.#db.close();
  }
}
