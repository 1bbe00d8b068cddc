import type { Partition, ProvisionedConcurrencyRecord } from '../core/index.js';
import type { AliasRegistry, Change, FunctionRegistry, ProvisionedConfigs } from '../control/index.js';
import type { EnvironmentPool, EnvironmentSpec } from '../runtime/index.js';
import type { InvokeService } from './sync.js';

export interface ProvisionedOptions {
  readonly configs: ProvisionedConfigs;
  readonly registry: FunctionRegistry;
  readonly aliases: AliasRegistry;
  readonly invoke: InvokeService;
  readonly pool: EnvironmentPool;
  readonly partition: Partition;
}

/** A provisioned-concurrency configuration and how much of it is there: environments initialised and kept. */
export interface ProvisionedConcurrencyStatus {
  readonly record: ProvisionedConcurrencyRecord;
  readonly ready: number;
}

/**
 * Provisioned concurrency at work: a version (or an alias's version) keeps as many environments started
 * and initialised as its configurations ask for (control/provisioned-configs.ts), used first by
 * invocations, never reaped while configured, their init not counted as a cold start.
 */
export class ProvisionedConcurrency {
  readonly #o: ProvisionedOptions;

  constructor(options: ProvisionedOptions) {
    this.#o = options;
  }

  /**
   * A configuration on an alias goes where the alias goes: moved to another version, its environments
   * are started for that version (IN_PROGRESS until they are ready) and the old version's let go;
   * deleted (the configuration went with it), the old version's are let go. Told after the configs.
   */
  follow(change: Change): void {
    if (change.type !== 'AliasMoved' || change.before === undefined) return;
    const { before, after } = change;
    if (after?.functionVersion === before.functionVersion) return;
    if (after !== undefined) this.#reprovision(change.functionName, after.functionVersion);
    this.#reprovision(change.functionName, before.functionVersion);
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
    for (const config of this.#o.configs.of(functionName)) {
      if (this.#versionOf(functionName, config.qualifier) === version) total += config.requested;
    }
    this.#o.pool.provision(this.#o.invoke.specOf(record), total);
  }

  /** Restores the configured environments after a restart (the configs are loaded first). */
  load(): void {
    for (const record of this.#o.configs.all()) {
      const version = this.#versionOf(record.functionName, record.qualifier);
      if (version !== undefined) this.#reprovision(record.functionName, version);
    }
  }

  async put(nameParam: string, queryQualifier: string | undefined, requested: number): Promise<ProvisionedConcurrencyStatus> {
    const config = await this.#o.configs.put(nameParam, queryQualifier, requested);
    const version = this.#versionOf(config.functionName, config.qualifier);
    if (version !== undefined) this.#reprovision(config.functionName, version);
    return this.#status(config);
  }

  get(nameParam: string, queryQualifier: string | undefined): ProvisionedConcurrencyStatus {
    return this.#status(this.#o.configs.require(nameParam, queryQualifier));
  }

  async delete(nameParam: string, queryQualifier: string | undefined): Promise<void> {
    const deleted = await this.#o.configs.delete(nameParam, queryQualifier);
    if (deleted === undefined) return;
    const version = this.#versionOf(deleted.functionName, deleted.qualifier);
    if (version !== undefined) this.#reprovision(deleted.functionName, version);
  }

  list(nameParam: string, marker: string | undefined, maxItems: number): { configs: ProvisionedConcurrencyStatus[]; nextMarker?: string } {
    const { records, nextMarker } = this.#o.configs.list(nameParam, marker, maxItems);
    const configs = records.map((r) => this.#status(r));
    return nextMarker === undefined ? { configs } : { configs, nextMarker };
  }

  #status(record: ProvisionedConcurrencyRecord): ProvisionedConcurrencyStatus {
    const spec = this.#spec(record.functionName, record.qualifier);
    return { record, ready: spec === undefined ? 0 : Math.min(record.requested, this.#o.pool.provisionedReady(spec.key)) };
  }

  #spec(name: string, qualifier: string): EnvironmentSpec | undefined {
    const record = this.#o.aliases.target(name, qualifier);
    return record === undefined ? undefined : this.#o.invoke.specOf(record);
  }
}
