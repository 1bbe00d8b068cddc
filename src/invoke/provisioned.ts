import {
  AwsError,
  awsTimestamp,
  background,
  checkRange,
  functionArn,
  invalidParameter,
  parseFunctionName,
  resolveQualifier,
  validationError,
  type Clock,
  type Partition,
  type AliasRecord,
  type ProvisionedConcurrencyRecord,
  type ReportError,
} from '../core/index.js';
import type { AliasRegistry, Change, FunctionRegistry } from '../control/index.js';
import type { EnvironmentPool, EnvironmentSpec } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import type { InvokeService } from './sync.js';

const key = (functionName: string, qualifier: string) => `${functionName}\u0000${qualifier}`;

export interface ProvisionedOptions {
  readonly store: Store;
  readonly registry: FunctionRegistry;
  readonly aliases: AliasRegistry;
  readonly invoke: InvokeService;
  readonly pool: EnvironmentPool;
  readonly partition: Partition;
  readonly clock: Clock;
  readonly hostMemoryMb: number;
  readonly onError: ReportError;
}

/**
 * Put/Get/Delete/ListProvisionedConcurrencyConfig(s): a version (or an alias's version) keeps that many
 * environments started and initialised, used first by invocations, never reaped while configured, their
 * init not counted as a cold start. Status is IN_PROGRESS until all are ready, then READY.
 */
export class ProvisionedConcurrency {
  readonly #o: ProvisionedOptions;
  readonly #configs = new Map<string, ProvisionedConcurrencyRecord>();

  constructor(options: ProvisionedOptions) {
    this.#o = options;
  }

  /** Follows the control plane: configurations go with their function or version, and follow their alias. */
  follow(change: Change): void {
    if (change.type === 'AliasMoved') {
      if (change.before !== undefined) this.#followAlias(change.functionName, change.before, change.after);
      return;
    }
    if (change.type !== 'FunctionDeleted' && change.type !== 'VersionDeleted') return;
    const version = change.type === 'VersionDeleted' ? change.version : undefined;
    for (const [k, record] of this.#configs) {
      if (record.functionName !== change.functionName || (version !== undefined && record.qualifier !== version)) continue;
      this.#configs.delete(k);
      // A deleted function's rows went with it; a deleted version's are removed here.
      if (version !== undefined) background(this.#o.store.deleteProvisioned(change.functionName, record.qualifier), 'deleting a provisioned concurrency configuration', this.#o.onError);
    }
  }

  /**
   * A configuration on an alias goes where the alias goes: moved to another version, its environments
   * are started for that version (IN_PROGRESS until they are ready) and the old version's let go;
   * deleted, it goes with them.
   */
  #followAlias(functionName: string, before: AliasRecord, after: AliasRecord | undefined): void {
    if (!this.#configs.has(key(functionName, before.name))) return;
    if (after?.functionVersion === before.functionVersion) return;
    if (after === undefined) {
      this.#configs.delete(key(functionName, before.name));
      background(this.#o.store.deleteProvisioned(functionName, before.name), 'deleting a provisioned concurrency configuration', this.#o.onError);
    } else {
      this.#reprovision(functionName, after.functionVersion);
    }
    this.#reprovision(functionName, before.functionVersion);
  }

  /** The version number a version or alias qualifier stands for now. */
  #versionOf(functionName: string, qualifier: string): string | undefined {
    return this.#o.aliases.target(functionName, qualifier)?.version;
  }

  /**
   * Tells the pool how many environments a version keeps: what its own configuration and those of the
   * aliases pointing at it ask for, together.
   */
  #reprovision(functionName: string, version: string): void {
    const record = this.#o.registry.version(functionName, version);
    if (record === undefined) return;
    let total = 0;
    for (const config of this.#configs.values()) {
      if (config.functionName === functionName && this.#versionOf(functionName, config.qualifier) === version) total += config.requested;
    }
    this.#o.pool.provision(this.#o.invoke.specOf(record), total);
  }

  /** Restores the configured environments after a restart. */
  async load(): Promise<void> {
    const records = await this.#o.store.listProvisioned();
    for (const record of records) this.#configs.set(key(record.functionName, record.qualifier), record);
    for (const record of records) {
      const version = this.#versionOf(record.functionName, record.qualifier);
      if (version !== undefined) this.#reprovision(record.functionName, version);
    }
  }

  async put(nameParam: string, queryQualifier: string | undefined, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier);
    const requested = body.ProvisionedConcurrentExecutions;
    if (requested === undefined || requested === null) throw validationError('provisionedConcurrentExecutions', null, 'Member must not be null');
    if (typeof requested !== 'number' || !Number.isInteger(requested)) throw invalidParameter('ProvisionedConcurrentExecutions must be an integer.');
    checkRange('provisionedConcurrentExecutions', requested, 1, Number.MAX_SAFE_INTEGER);
    const latest = this.#o.registry.require(name);
    const others = [...this.#configs.values()].filter((r) => r.functionName === name && r.qualifier !== qualifier).reduce((sum, r) => sum + r.requested, 0);
    if (latest.reservedConcurrency !== undefined && others + requested > latest.reservedConcurrency) {
      throw invalidParameter(`Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function (${latest.reservedConcurrency}).`);
    }
    const record = this.#o.aliases.target(name, qualifier)!;
    if (requested * record.memorySize > this.#o.hostMemoryMb) {
      throw invalidParameter(`Requested Provisioned Concurrency (${requested}) of ${record.memorySize} MB environments needs ${requested * record.memorySize} MB; this host has ${this.#o.hostMemoryMb} MB.`);
    }
    const config: ProvisionedConcurrencyRecord = { functionName: name, qualifier, requested, lastModified: this.#o.clock.now() };
    await this.#o.store.putProvisioned(config);
    this.#configs.set(key(name, qualifier), config);
    this.#reprovision(name, record.version ?? '$LATEST');
    return this.shape(config);
  }

  get(nameParam: string, queryQualifier: string | undefined): Record<string, unknown> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier);
    return this.shape(this.#require(name, qualifier));
  }

  async delete(nameParam: string, queryQualifier: string | undefined): Promise<void> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier);
    this.#require(name, qualifier);
    await this.#o.store.deleteProvisioned(name, qualifier);
    this.#configs.delete(key(name, qualifier));
    const version = this.#versionOf(name, qualifier);
    if (version !== undefined) this.#reprovision(name, version);
  }

  list(nameParam: string, marker: string | undefined, maxItems: number): { configs: Record<string, unknown>[]; nextMarker?: string } {
    const name = this.#o.registry.require(parseFunctionName(nameParam, this.#o.partition).name).name;
    const all = [...this.#configs.values()].filter((r) => r.functionName === name).sort((a, b) => a.qualifier.localeCompare(b.qualifier));
    const start = marker === undefined ? 0 : all.findIndex((r) => r.qualifier > marker);
    const page = start < 0 ? [] : all.slice(start, start + maxItems);
    const more = start >= 0 && start + maxItems < all.length;
    const configs = page.map((r) => ({ FunctionArn: functionArn(this.#o.partition, r.functionName, r.qualifier), ...this.shape(r) }));
    return more ? { configs, nextMarker: page[page.length - 1]!.qualifier } : { configs };
  }

  /** ProvisionedConcurrencyConfig as AWS returns it: allocated = environments initialised and kept. */
  shape(record: ProvisionedConcurrencyRecord): Record<string, unknown> {
    const spec = this.#spec(record.functionName, record.qualifier);
    const ready = spec === undefined ? 0 : Math.min(record.requested, this.#o.pool.provisionedReady(spec.key));
    return {
      RequestedProvisionedConcurrentExecutions: record.requested,
      AvailableProvisionedConcurrentExecutions: ready,
      AllocatedProvisionedConcurrentExecutions: ready,
      Status: ready >= record.requested ? 'READY' : 'IN_PROGRESS',
      LastModified: awsTimestamp(record.lastModified),
    };
  }

  #spec(name: string, qualifier: string): EnvironmentSpec | undefined {
    const record = this.#o.aliases.target(name, qualifier);
    return record === undefined ? undefined : this.#o.invoke.specOf(record);
  }

  #target(nameParam: string, queryQualifier: string | undefined): { name: string; qualifier: string } {
    const ref = parseFunctionName(nameParam, this.#o.partition, 140);
    const qualifier = resolveQualifier(ref, queryQualifier);
    const latest = this.#o.registry.require(ref.name, qualifier);
    if (qualifier === undefined) throw validationError('qualifier', null, 'Member must not be null');
    if (qualifier === '$LATEST') throw invalidParameter('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    if (this.#o.aliases.target(latest.name, qualifier) === undefined) throw this.#o.registry.notFound(latest.name, qualifier);
    return { name: latest.name, qualifier };
  }

  #require(name: string, qualifier: string): ProvisionedConcurrencyRecord {
    const record = this.#configs.get(key(name, qualifier));
    if (record === undefined) throw new AwsError('ProvisionedConcurrencyConfigNotFoundException', 'No Provisioned Concurrency Config found for this function');
    return record;
  }
}
