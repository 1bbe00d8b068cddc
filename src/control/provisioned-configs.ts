import {
  compositeKey,
  pageAfter,
  AwsError,
  background,
  checkRange,
  invalidParameter,
  parseFunctionName,
  resolveQualifier,
  resourceConflict,
  validationError,
  type Clock,
  type Partition,
  type ProvisionedConcurrencyRecord,
  type ReportError,
} from '../core/index.js';
import type { ControlStore } from '../store/index.js';
import { aliasNotFound, type AliasRegistry } from './aliases.js';
import type { Change } from './changes.js';
import type { FunctionRegistry } from './registry.js';

const key = (functionName: string, qualifier: string) => compositeKey(functionName, qualifier);

export interface ProvisionedConfigsOptions {
  readonly store: ControlStore;
  readonly registry: FunctionRegistry;
  readonly aliases: AliasRegistry;
  readonly partition: Partition;
  readonly clock: Clock;
  readonly hostMemoryMb: number;
  readonly onError: ReportError;
}

/**
 * The provisioned-concurrency configurations of versions and aliases — control-plane state: Lambda's
 * validation, the records in the store and a copy in memory. Keeping environments to match them is
 * the invoke side's job (invoke/provisioned.ts).
 */
export class ProvisionedConfigs {
  readonly #o: ProvisionedConfigsOptions;
  readonly #configs = new Map<string, ProvisionedConcurrencyRecord>();

  constructor(options: ProvisionedConfigsOptions) {
    this.#o = options;
  }

  async load(): Promise<void> {
    for (const record of await this.#o.store.listProvisioned()) this.#configs.set(key(record.functionName, record.qualifier), record);
  }

  /** Every configuration of a function. */
  of(functionName: string): ProvisionedConcurrencyRecord[] {
    return [...this.#configs.values()].filter((r) => r.functionName === functionName);
  }

  all(): ProvisionedConcurrencyRecord[] {
    return [...this.#configs.values()];
  }

  /** Configurations go with their function, version or alias. */
  follow(change: Change): void {
    if (change.type === 'FunctionDeleted') {
      // Its rows went with it (the store's cascade).
      for (const record of this.of(change.functionName)) this.#configs.delete(key(record.functionName, record.qualifier));
    } else if (change.type === 'VersionDeleted') {
      this.#forget(change.functionName, change.version);
    } else if (change.type === 'AliasMoved' && change.before !== undefined && change.after === undefined) {
      this.#forget(change.functionName, change.before.name);
    }
  }

  #forget(functionName: string, qualifier: string): void {
    if (!this.#configs.delete(key(functionName, qualifier))) return;
    background(this.#o.store.deleteProvisioned(functionName, qualifier), 'deleting a provisioned concurrency configuration', this.#o.onError);
  }

  /** PutProvisionedConcurrencyConfig: validated as Lambda validates it, then stored. */
  async put(nameParam: string, queryQualifier: string | undefined, requested: number): Promise<ProvisionedConcurrencyRecord> {
    const { name, qualifier } = this.target(nameParam, queryQualifier);
    checkRange('provisionedConcurrentExecutions', requested, 1, Number.MAX_SAFE_INTEGER);
    const latest = this.#o.registry.require(name);
    const others = this.of(name)
      .filter((r) => r.qualifier !== qualifier)
      .reduce((sum, r) => sum + r.requested, 0);
    if (latest.reservedConcurrency !== undefined && others + requested > latest.reservedConcurrency) {
      throw invalidParameter(
        `Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function (${latest.reservedConcurrency}).`,
      );
    }
    this.#checkOverlap(name, qualifier);
    if (latest.reservedConcurrency === undefined) this.#checkUnreserved(name, qualifier, requested);
    const record = this.#o.aliases.target(name, qualifier)!;
    if (requested * record.memorySize > this.#o.hostMemoryMb) {
      throw invalidParameter(
        `Requested Provisioned Concurrency (${requested}) of ${record.memorySize} MB environments needs ${requested * record.memorySize} MB; this host has ${this.#o.hostMemoryMb} MB.`,
      );
    }
    const config: ProvisionedConcurrencyRecord = { functionName: name, qualifier, requested, lastModified: this.#o.clock.now() };
    await this.#o.store.putProvisioned(config);
    this.#configs.set(key(name, qualifier), config);
    return config;
  }

  require(nameParam: string, queryQualifier: string | undefined): ProvisionedConcurrencyRecord {
    const { name, qualifier } = this.target(nameParam, queryQualifier, READ_LATEST);
    const record = this.#configs.get(key(name, qualifier));
    if (record === undefined) throw new AwsError('ProvisionedConcurrencyConfigNotFoundException', 'No Provisioned Concurrency Config found for this function');
    return record;
  }

  /** DeleteProvisionedConcurrencyConfig; the record it deleted, if there was one (AWS answers 204 either way). */
  async delete(nameParam: string, queryQualifier: string | undefined): Promise<ProvisionedConcurrencyRecord | undefined> {
    const { name, qualifier } = this.target(nameParam, queryQualifier, READ_LATEST);
    const record = this.#configs.get(key(name, qualifier));
    if (record === undefined) return undefined;
    await this.#o.store.deleteProvisioned(record.functionName, record.qualifier);
    this.#configs.delete(key(record.functionName, record.qualifier));
    return record;
  }

  /** A version is provisioned either by itself or through aliases pointing to it, never both. */
  #checkOverlap(name: string, qualifier: string): void {
    const version = this.#o.aliases.target(name, qualifier)?.version;
    const others = this.of(name).filter((r) => r.qualifier !== qualifier);
    if (/^\d+$/.test(qualifier)) {
      if (others.some((r) => !/^\d+$/.test(r.qualifier) && this.#o.aliases.target(name, r.qualifier)?.version === qualifier)) {
        throw resourceConflict('Version is pointed by a Provisioned Concurrency alias');
      }
    } else if (others.some((r) => r.qualifier === version)) {
      throw resourceConflict("Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version");
    }
  }

  /**
   * Provisioned concurrency of a function without a reservation comes out of the account's unreserved
   * concurrency, which must keep its minimum (a tenth of the limit here, as GetAccountSettings and
   * PutFunctionConcurrency count it); AWS words both refusals without a `Type`.
   */
  #checkUnreserved(name: string, qualifier: string, requested: number): void {
    const { unreserved, minimum } = this.#o.registry.unreservedPool();
    const provisioned = [...this.#configs.values()]
      .filter((r) => !(r.functionName === name && r.qualifier === qualifier) && this.#o.registry.cached(r.functionName)?.reservedConcurrency === undefined)
      .reduce((sum, r) => sum + r.requested, 0);
    if (requested > unreserved) {
      throw new AwsError(
        'InvalidParameterValueException',
        `Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [${unreserved}].`,
        { untyped: true },
      );
    }
    if (unreserved - provisioned - requested < minimum) {
      throw new AwsError(
        'InvalidParameterValueException',
        `Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${minimum}].`,
        { untyped: true },
      );
    }
  }

  /** ListProvisionedConcurrencyConfigs: by qualifier, from after `marker`. */
  list(nameParam: string, marker: string | undefined, maxItems: number): { records: ProvisionedConcurrencyRecord[]; nextMarker?: string } {
    const name = this.#o.registry.require(parseFunctionName(nameParam, this.#o.partition).name).name;
    const { items: records, nextMarker } = pageAfter(this.of(name), (r) => r.qualifier, marker, maxItems);
    return nextMarker === undefined ? { records } : { records, nextMarker };
  }

  /**
   * The function and qualifier a request names: a published version or an alias, never $LATEST (refused
   * with `latest`, AWS's words for the operation). A missing one is named as AWS names it: a version as a
   * function, anything else as an alias.
   */
  target(nameParam: string, queryQualifier: string | undefined, latest = PUT_LATEST): { name: string; qualifier: string } {
    const ref = parseFunctionName(nameParam, this.#o.partition, 140);
    const qualifier = resolveQualifier(ref, queryQualifier);
    if (qualifier === undefined) throw validationError('qualifier', null, 'Member must not be null');
    if (qualifier === '$LATEST') throw invalidParameter(latest);
    if (this.#o.registry.cached(ref.name) === undefined || this.#o.aliases.target(ref.name, qualifier) === undefined) {
      if (/^\d+$/.test(qualifier)) throw this.#o.registry.notFound(ref.name, qualifier);
      throw aliasNotFound(this.#o.partition, ref.name, qualifier);
    }
    return { name: ref.name, qualifier };
  }
}

const PUT_LATEST = 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.';
const READ_LATEST = 'The function resource provided must be an alias or a published version.';
