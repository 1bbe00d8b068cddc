import { randomUUID } from 'node:crypto';
import { AwsError, newRequestId, publish, type EventSourceMappingRecord, type Scheduler, type Timer } from '../core/index.js';
import type { Logger } from '../core/logger.js';
import type { EventSourceMappings, FunctionRegistry } from '../control/index.js';
import { MAX_EVENT_PAYLOAD_BYTES, type AsyncInvoker, type InvokeService } from '../invoke/index.js';
import type { SourceClients } from './clients.js';
import { DynamoDbStream } from './dynamodb.js';
import { KinesisStream } from './kinesis.js';
import { QueueRunner, type BatchOutcome } from './runner.js';
import { SqsQueue } from './sqs.js';
import { StreamRunner, type StreamSource } from './stream-runner.js';

export interface SupervisorOptions {
  readonly mappings: EventSourceMappings;
  readonly clients: SourceClients;
  readonly invoke: InvokeService;
  /** Where stream batches that failed for good go: an async event for the on-failure destination function. */
  readonly async: AsyncInvoker;
  readonly registry: FunctionRegistry;
  readonly clock: Scheduler;
  readonly log: Logger;
  /** This process, as the owner of the mappings it polls (a lease in the store). */
  readonly owner: string;
  /** How long an owner's lease lasts without renewal (default 15 s; renewed every third of it). */
  readonly leaseMs?: number;
}

const DEFAULT_LEASE_MS = 15_000;

interface Runner {
  start(): void;
  stop(): Promise<void>;
}

interface Running {
  readonly runner: Runner;
  /** The user's last change it runs with (lastModified moves with each). */
  readonly lastModified: number;
}

/**
 * Runs a poller for every enabled mapping and moves mappings through their states as it does: Creating,
 * Enabling and Updating become Enabled once the poller runs with the settings, Disabling becomes
 * Disabled once it has stopped, Deleting ends with the mapping removed. Changes of one mapping are
 * applied one at a time, in order. A mapping is polled only by the process that holds its lease in the
 * store, renewed while it polls and given back when it stops: a second server on the same data dir
 * (or, later, another node of a cluster) leaves it alone, and takes it over once the lease is free or
 * has run out.
 */
export class MappingSupervisor {
  readonly #o: SupervisorOptions;
  readonly #running = new Map<string, Running>();
  /** Per mapping, the reconciliation under way: the next waits for it. */
  readonly #queue = new Map<string, Promise<void>>();
  /** Mappings this process wants to poll but another holds. */
  readonly #waiting = new Set<string>();
  readonly #leaseMs: number;
  #renewal: Timer | undefined;
  #closed = false;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    options.mappings.follow((uuid) => this.reconcile(uuid));
  }

  /** Mappings left from before a restart resume (from where their sources kept them). */
  start(): void {
    for (const record of this.#o.mappings.all()) this.reconcile(record.uuid);
    // Leases are renewed, and free ones looked for, on a timer that does not keep the process alive.
    this.#renewal = this.#o.clock.setInterval(() => {
      for (const uuid of [...this.#running.keys(), ...this.#waiting]) this.reconcile(uuid);
    }, this.#leaseMs / 3);
  }

  reconcile(uuid: string): void {
    const previous = this.#queue.get(uuid) ?? Promise.resolve();
    const next = previous
      .then(() => this.#apply(uuid))
      .catch((error: unknown) => this.#o.log.error({ err: error, uuid }, 'applying an event source mapping change failed'))
      .finally(() => {
        if (this.#queue.get(uuid) === next) this.#queue.delete(uuid);
      });
    this.#queue.set(uuid, next);
  }

  /** Stops every poller; batches in flight finish first. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#renewal?.cancel();
    await Promise.allSettled([...this.#queue.values()]);
    await Promise.allSettled([...this.#running.entries()].map(([uuid, { runner }]) => this.#stop(uuid, runner)));
    this.#running.clear();
  }

  /** Stops a poller and gives its lease back, so another process may take the mapping at once. */
  async #stop(uuid: string, runner: Runner): Promise<void> {
    await runner.stop();
    await this.#o.mappings.release(uuid, this.#o.owner).catch(() => undefined);
  }

  /** Whether a poller runs for the mapping now (tests, `selfless` introspection). */
  polling(uuid: string): boolean {
    return this.#running.has(uuid);
  }

  async #apply(uuid: string): Promise<void> {
    const { mappings } = this.#o;
    const record = mappings.get(uuid);
    const running = this.#running.get(uuid);
    if (this.#closed) {
      // Shutting down is not the user disabling anything: pollers stop, states stay as they are.
      if (running !== undefined) {
        this.#running.delete(uuid);
        await this.#stop(uuid, running.runner);
      }
      return;
    }
    const wanted = record !== undefined && record.state !== 'Deleting' && record.enabled;
    // Wanted: hold the lease (take it, or renew it), or leave the mapping to whoever holds it.
    const owned = wanted && (await mappings.claim(uuid, this.#o.owner, this.#leaseMs));
    if (running !== undefined && (!owned || running.lastModified !== record?.lastModified)) {
      this.#running.delete(uuid);
      if (owned) await running.runner.stop();
      else await this.#stop(uuid, running.runner);
    }
    if (record === undefined) {
      this.#waiting.delete(uuid);
      return;
    }
    if (record.state === 'Deleting') {
      this.#waiting.delete(uuid);
      return mappings.remove(uuid);
    }
    if (!wanted) {
      this.#waiting.delete(uuid);
      return mappings.settle(uuid, 'Disabled');
    }
    if (!owned) {
      // Said in the log, not in the record: the owner writes the record (and this process's copy of it may be behind).
      if (!this.#waiting.has(uuid))
        this.#o.log.warn({ uuid }, 'another selfless process on this data dir polls this event source mapping; this one takes over when it stops');
      this.#waiting.add(uuid);
      return;
    }
    this.#waiting.delete(uuid);
    if (!this.#running.has(uuid)) {
      const runner = this.#runner(record);
      this.#running.set(uuid, { runner, lastModified: record.lastModified });
      runner.start();
    }
    await mappings.settle(uuid, 'Enabled');
  }

  #runner(record: EventSourceMappingRecord): Runner {
    const { mappings, clients, clock, log, registry } = this.#o;
    const names = { platformId: this.#o.owner, uuid: record.uuid, functionName: record.functionName };
    const report = (result: string) => {
      publish('selfless:mapping:batch', () => ({ ...names, ok: result === 'OK' }));
      mappings.recordResult(record.uuid, result).catch((error: unknown) => log.error({ err: error, uuid: record.uuid }, 'recording a poll result failed'));
    };
    if (record.source === 'kinesis' || record.source === 'dynamodb') {
      return new StreamRunner<unknown>({
        mapping: record,
        source: (record.source === 'kinesis'
          ? new KinesisStream(clients, record.eventSourceArn, () => registry.cached(record.functionName)?.role ?? '')
          : new DynamoDbStream(clients, record.eventSourceArn)) as StreamSource<unknown>,
        checkpoints: mappings.checkpoints(record.uuid),
        invoke: (payload) => this.#invoke(record, payload),
        discard: (failure) => this.#discard(record, failure),
        report,
        observeAge: (ageMs) => publish('selfless:mapping:age', () => ({ ...names, ageMs })),
        clock,
        log: log.child({ uuid: record.uuid }),
      });
    }
    return new QueueRunner({
      mapping: record,
      source: new SqsQueue(clients, record.eventSourceArn),
      invoke: (payload) => this.#invoke(record, payload),
      report,
      clock,
      log: log.child({ uuid: record.uuid }),
    });
  }

  /**
   * A stream batch that failed for good: Lambda's on-failure record (the batch's place in the stream,
   * not its data) as an async event for the destination function, or a message to the destination
   * queue; without a destination it is skipped, as on Lambda, and said in the log.
   */
  async #discard(
    record: EventSourceMappingRecord,
    failure: { records: number; condition: string; attempts: number; batchInfo: Record<string, unknown> },
  ): Promise<void> {
    const { log, mappings, clock } = this.#o;
    if (record.onFailure === undefined) {
      log.warn(
        { uuid: record.uuid, condition: failure.condition, ...failure.batchInfo },
        `skipped ${failure.records} record(s) that failed for good (no on-failure destination)`,
      );
      return;
    }
    const payload = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: mappings.functionArn(record),
        condition: failure.condition,
        approximateInvokeCount: failure.attempts,
      },
      responseContext: { statusCode: 200, executedVersion: record.qualifier ?? '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date(clock.now()).toISOString(),
      ...failure.batchInfo,
    };
    if (record.onFailure.startsWith('arn:aws:sqs:')) {
      // Sent with the server's credentials for that queue (sources.json, or the standard chain), as the
      // poller reads; a failure to send throws, and the shard reads the batch again from its checkpoint.
      await new SqsQueue(this.#o.clients, record.onFailure).send(JSON.stringify(payload));
      return;
    }
    await this.#o.async.enqueue({
      functionName: record.onFailure,
      payload: Buffer.from(JSON.stringify(payload)),
      requestId: newRequestId(),
      limit: MAX_EVENT_PAYLOAD_BYTES,
      operation: 'Event',
    });
  }

  /** A batch through the synchronous path, as Lambda's pollers invoke. */
  async #invoke(record: EventSourceMappingRecord, payload: Buffer): Promise<BatchOutcome> {
    try {
      const out = await this.#o.invoke.invokeSync({
        functionName: record.functionName,
        qualifier: record.qualifier,
        payload,
        logTail: false,
        trigger: 'mapping',
      });
      return out.functionError === undefined ? { kind: 'success', payload: out.payload } : { kind: 'function-error' };
    } catch (error) {
      const why = error instanceof AwsError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
      return { kind: 'not-run', why };
    }
  }
}
