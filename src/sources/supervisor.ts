import { randomUUID } from 'node:crypto';
import { AwsError, newRequestId, type EventSourceMappingRecord, type Scheduler } from '../core/index.js';
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
}

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
 * applied one at a time, in order. In embedded mode this process owns every mapping.
 */
export class MappingSupervisor {
  readonly #o: SupervisorOptions;
  readonly #running = new Map<string, Running>();
  /** Per mapping, the reconciliation under way: the next waits for it. */
  readonly #queue = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    options.mappings.follow((uuid) => this.reconcile(uuid));
  }

  /** Mappings left from before a restart resume (from where their sources kept them). */
  start(): void {
    for (const record of this.#o.mappings.all()) this.reconcile(record.uuid);
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
    await Promise.allSettled([...this.#queue.values()]);
    await Promise.allSettled([...this.#running.values()].map(({ runner }) => runner.stop()));
    this.#running.clear();
  }

  /** Whether a poller runs for the mapping now (tests, `selfless` introspection). */
  polling(uuid: string): boolean {
    return this.#running.has(uuid);
  }

  async #apply(uuid: string): Promise<void> {
    const { mappings } = this.#o;
    const record = mappings.get(uuid);
    const running = this.#running.get(uuid);
    const wanted = record !== undefined && record.state !== 'Deleting' && record.enabled && !this.#closed;
    if (running !== undefined && (!wanted || running.lastModified !== record?.lastModified)) {
      this.#running.delete(uuid);
      await running.runner.stop();
    }
    if (record === undefined) return;
    if (record.state === 'Deleting') return mappings.remove(uuid);
    if (!wanted) return mappings.settle(uuid, 'Disabled');
    if (!this.#running.has(uuid)) {
      const runner = this.#runner(record);
      this.#running.set(uuid, { runner, lastModified: record.lastModified });
      runner.start();
    }
    await mappings.settle(uuid, 'Enabled');
  }

  #runner(record: EventSourceMappingRecord): Runner {
    const { mappings, clients, clock, log, registry } = this.#o;
    const report = (result: string) => {
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
   * not its data) as an async event for the destination function; without a destination it is skipped,
   * as on Lambda, and said in the log.
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
      const out = await this.#o.invoke.invokeSync({ functionName: record.functionName, qualifier: record.qualifier, payload, logTail: false });
      return out.functionError === undefined ? { kind: 'success', payload: out.payload } : { kind: 'function-error' };
    } catch (error) {
      const why = error instanceof AwsError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
      return { kind: 'not-run', why };
    }
  }
}
