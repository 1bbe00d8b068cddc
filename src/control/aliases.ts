import {
  compositeKey,
  pageAfter,
  AwsError,
  functionArn,
  invalidParameter,
  newRevisionId,
  parseFunctionName,
  resourceConflict,
  resourceNotFound,
  validationError,
  type AliasRecord,
  type FunctionRecord,
  type Partition,
} from '../core/index.js';
import type { ControlStore } from '../store/index.js';
import type { ChangeFeed } from './changes.js';
import type { FunctionRegistry } from './registry.js';

/** The service model's Alias name pattern: not all digits (those are versions). */
export const ALIAS_NAME = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;

/** Lambda's answer when an alias it looked for is not there. */
export function aliasNotFound(partition: Partition, functionName: string, alias: string): AwsError {
  return resourceNotFound(`Cannot find alias arn: ${functionArn(partition, functionName, alias)}`);
}
const VERSION = /^(\$LATEST|[0-9]+)$/;
const key = (functionName: string, name: string) => compositeKey(functionName, name);

/** What an alias says, typed (api/ reads it from AWS's wire shape); its values are checked here. */
export interface AliasSettings {
  readonly description?: string;
  /** RoutingConfig.AdditionalVersionWeights: absent keeps an alias's routing on update; empty clears it. */
  readonly additionalVersionWeights?: Readonly<Record<string, number>>;
}

export interface CreateAliasInput extends AliasSettings {
  readonly name: string;
  readonly functionVersion: string;
}

export interface UpdateAliasInput extends AliasSettings {
  readonly functionVersion?: string;
  /** Only if the alias is still at this revision. */
  readonly revisionId?: string;
}

/**
 * CreateAlias / GetAlias / UpdateAlias / DeleteAlias / ListAliases, and resolving an alias to the
 * version an invocation runs (weighted between two versions by RoutingConfig).
 */
export class AliasRegistry {
  readonly #cache = new Map<string, AliasRecord>();

  constructor(
    private readonly store: ControlStore,
    private readonly registry: FunctionRegistry,
    private readonly changes: ChangeFeed,
    private readonly partition: Partition,
    private readonly random: () => number = Math.random,
  ) {
    registry.guardVersions((functionName, version) =>
      [...this.#cache.values()]
        .filter((a) => a.functionName === functionName && (a.functionVersion === version || a.additionalVersionWeights?.[version] !== undefined))
        .map((a) => a.name),
    );
  }

  /** A deleted function took its aliases with it (the store dropped them in the same commit). */
  forgetFunction(functionName: string): void {
    for (const [k, alias] of this.#cache) if (alias.functionName === functionName) this.#cache.delete(k);
  }

  async load(): Promise<void> {
    for (const alias of await this.store.listAliases()) this.#cache.set(key(alias.functionName, alias.name), alias);
  }

  get(functionName: string, name: string): AliasRecord | undefined {
    return this.#cache.get(key(functionName, name));
  }

  /**
   * The record an invocation of `name:qualifier` runs: $LATEST, a version, or an alias's version
   * (drawn by the alias's weights). Undefined when the qualifier names nothing.
   */
  resolve(name: string, qualifier: string | undefined): FunctionRecord | undefined {
    if (qualifier === undefined || VERSION.test(qualifier)) return this.registry.version(name, qualifier ?? '$LATEST');
    const alias = this.#cache.get(key(name, qualifier));
    if (alias === undefined) return undefined;
    return this.registry.version(name, this.#draw(alias));
  }

  /** The version of an alias without drawing (GetFunction, GetFunctionConfiguration). */
  target(name: string, qualifier: string | undefined): FunctionRecord | undefined {
    if (qualifier === undefined || VERSION.test(qualifier)) return this.registry.version(name, qualifier ?? '$LATEST');
    const alias = this.#cache.get(key(name, qualifier));
    return alias === undefined ? undefined : this.registry.version(name, alias.functionVersion);
  }

  #draw(alias: AliasRecord): string {
    const [extra] = Object.entries(alias.additionalVersionWeights ?? {});
    if (extra !== undefined && this.random() < extra[1]) return extra[0];
    return alias.functionVersion;
  }

  async create(functionParam: string, input: CreateAliasInput): Promise<AliasRecord> {
    // A missing function is named with the version the alias was to point to, as AWS names it.
    const fn = this.#function(functionParam, input.functionVersion);
    const name = checkAliasName(input.name);
    if (this.#cache.has(key(fn, name))) throw resourceConflict(`Alias already exists: ${functionArn(this.partition, fn, name)}`);
    const alias: AliasRecord = {
      functionName: fn,
      name,
      ...this.#target(fn, input.functionVersion, input.additionalVersionWeights),
      description: input.description ?? '',
      revisionId: newRevisionId(),
    };
    const saved = await this.#save(alias);
    this.changes.publish({ type: 'AliasMoved', functionName: fn, before: undefined, after: saved });
    return saved;
  }

  async update(functionParam: string, name: string, input: UpdateAliasInput): Promise<AliasRecord> {
    const fn = this.#function(functionParam);
    const current = this.#cache.get(key(fn, name));
    if (current === undefined) throw resourceNotFound(`Alias not found: ${functionArn(this.partition, fn, name)}`);
    if (input.revisionId !== undefined && input.revisionId !== current.revisionId) {
      throw new AwsError(
        'PreconditionFailedException',
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      );
    }
    const version = input.functionVersion ?? current.functionVersion;
    const weights = input.additionalVersionWeights ?? current.additionalVersionWeights;
    const { additionalVersionWeights: _old, ...rest } = current;
    const updated = await this.#save({
      ...rest,
      ...this.#target(fn, version, weights),
      description: input.description ?? current.description,
      revisionId: newRevisionId(),
    });
    this.changes.publish({ type: 'AliasMoved', functionName: fn, before: current, after: updated });
    return updated;
  }

  require(functionParam: string, name: string): AliasRecord {
    return this.#require(this.#function(functionParam), name);
  }

  async delete(functionParam: string, name: string): Promise<void> {
    const fn = this.#function(functionParam);
    checkAliasName(name);
    // Lambda answers deleting an alias that does not exist with 204 as well.
    const alias = this.#cache.get(key(fn, name));
    if (alias === undefined) return;
    await this.store.deleteAlias(fn, name);
    this.#cache.delete(key(fn, name));
    this.changes.publish({ type: 'AliasMoved', functionName: fn, before: alias, after: undefined });
  }

  list(
    functionParam: string,
    functionVersion: string | undefined,
    marker: string | undefined,
    maxItems: number,
  ): { aliases: AliasRecord[]; nextMarker?: string } {
    const fn = this.#function(functionParam);
    const all = [...this.#cache.values()].filter((a) => a.functionName === fn && (functionVersion === undefined || a.functionVersion === functionVersion));
    const { items: aliases, nextMarker } = pageAfter(all, (a) => a.name, marker, maxItems);
    return nextMarker === undefined ? { aliases } : { aliases, nextMarker };
  }

  #function(functionParam: string, qualifier?: string): string {
    const ref = parseFunctionName(functionParam, this.partition, 140);
    return this.registry.require(ref.name, qualifier).name;
  }

  #require(fn: string, name: string): AliasRecord {
    const alias = this.#cache.get(key(fn, name));
    if (alias === undefined) throw aliasNotFound(this.partition, fn, name);
    return alias;
  }

  /** FunctionVersion and RoutingConfig, checked as Lambda checks them. */
  #target(
    fn: string,
    functionVersion: string,
    weights: Readonly<Record<string, number>> | undefined,
  ): { functionVersion: string; additionalVersionWeights?: Record<string, number> } {
    if (!VERSION.test(functionVersion))
      throw validationError('functionVersion', functionVersion, 'Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)');
    if (this.registry.version(fn, functionVersion) === undefined)
      throw resourceNotFound(`Function not found: ${functionArn(this.partition, fn, functionVersion)}`);
    if (weights === undefined) return { functionVersion };
    const entries = Object.entries(weights);
    if (entries.length === 0) return { functionVersion };
    if (entries.length > 1) throw invalidParameter('Number of items in AdditionalVersionWeights cannot be greater than 1');
    const [version, weight] = entries[0]!;
    if (weight < 0 || weight > 1) {
      throw validationError(
        'routingConfig.additionalVersionWeights',
        weight,
        'Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]',
      );
    }
    if (!/^[0-9]+$/.test(version)) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '{${version}=${weight}}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]`,
      );
    }
    if (functionVersion === '$LATEST') {
      throw new AwsError('InvalidParameterValueException', '$LATEST is not supported for an alias pointing to more than 1 version', { untyped: true });
    }
    if (this.registry.version(fn, version) === undefined) throw resourceNotFound(`Function not found: ${functionArn(this.partition, fn, version)}`);
    if (version === functionVersion)
      throw invalidParameter(`Invalid function version ${version}. Function version ${version} is already included in routing configuration.`);
    return { functionVersion, additionalVersionWeights: { [version]: weight } };
  }

  async #save(alias: AliasRecord): Promise<AliasRecord> {
    await this.store.putAlias(alias);
    this.#cache.set(key(alias.functionName, alias.name), alias);
    return alias;
  }
}

function checkAliasName(name: string): string {
  if (name.length < 1 || name.length > 128)
    throw validationError('name', name, `Member must have length ${name.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 128'}`);
  if (!ALIAS_NAME.test(name)) throw validationError('name', name, 'Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)');
  return name;
}
