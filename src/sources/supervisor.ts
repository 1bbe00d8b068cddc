import { AwsError, type EventSourceMappingRecord, type Scheduler } from '../core/index.js';
import type { Logger } from '../core/logger.js';
import type { EventSourceMappings } from '../control/index.js';
import type { InvokeService } from '../invoke/index.js';
import type { SourceClients } from './clients.js';
import { QueueRunner, type BatchOutcome } from './runner.js';
import { SqsQueue } from './sqs.js';

export interface SupervisorOptions {
  readonly mappings: EventSourceMappings;
  readonly clients: SourceClients;
  readonly invoke: InvokeService;
  readonly clock: Scheduler;
  readonly log: Logger;
}

interface Running {
  readonly runner: QueueRunner<unknown>;
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

  #runner(record: EventSourceMappingRecord): QueueRunner<unknown> {
    const { mappings, clients, clock, log } = this.#o;
    const report = (result: string) => {
      mappings.recordResult(record.uuid, result).catch((error: unknown) => log.error({ err: error, uuid: record.uuid }, 'recording a poll result failed'));
    };
    return new QueueRunner({
      mapping: record,
      source: new SqsQueue(clients, record.eventSourceArn),
      invoke: (payload) => this.#invoke(record, payload),
      report,
      clock,
      log: log.child({ uuid: record.uuid }),
    }) as QueueRunner<unknown>;
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
