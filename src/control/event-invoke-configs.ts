import {
  compositeKey,
  pageAfter,
  AwsError,
  checkRange,
  functionArn,
  invalidParameter,
  parseFunctionName,
  resolveQualifier,
  resourceNotFound,
  type Clock,
  type EventInvokeConfigRecord,
  type Partition,
} from '../core/index.js';
import type { ControlStore } from '../store/index.js';
import { ARN, lambdaDestination } from './destinations.js';
import type { AliasRegistry } from './aliases.js';
import type { FunctionRegistry } from './registry.js';

/** The services asynchronous invocation can send records to. */
const DESTINATION_SERVICES = new Set(['lambda', 'sqs', 'sns', 'events', 's3']);

/** Lambda's defaults when a function has no EventInvokeConfig, or leaves a member unset. */
export const ASYNC_DEFAULTS = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21_600 } as const;

/** What the dispatcher needs for one event: the effective settings. */
export interface AsyncSettings {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeInSeconds: number;
  readonly onSuccess?: string;
  readonly onFailure?: string;
}

/**
 * PutFunctionEventInvokeConfig's members, typed (api/ reads them from AWS's wire shape); their values
 * are checked here. On update, what is absent stays as it was.
 */
export interface EventInvokeConfigInput {
  readonly maximumRetryAttempts?: number;
  readonly maximumEventAgeInSeconds?: number;
  /** DestinationConfig, when given: of each member given, its Destination ARN, or '' for none. */
  readonly destinations?: { readonly onSuccess?: string; readonly onFailure?: string };
}

const key = (functionName: string, qualifier: string) => compositeKey(functionName, qualifier);

/**
 * PutFunctionEventInvokeConfig and friends: validation as Lambda does it, records in the store, and an
 * in-memory copy the dispatcher reads on every event. Only `$LATEST` (or no qualifier) until versions land.
 */
export class EventInvokeConfigs {
  readonly #cache = new Map<string, EventInvokeConfigRecord>();

  constructor(
    private readonly store: ControlStore,
    private readonly registry: FunctionRegistry,
    private readonly aliases: AliasRegistry,
    private readonly partition: Partition,
    private readonly clock: Clock,
  ) {}

  /** A deleted function took its configs with it (the store dropped them in the same commit). */
  forgetFunction(functionName: string): void {
    for (const [k, record] of this.#cache) if (record.functionName === functionName) this.#cache.delete(k);
  }

  /** A deleted version or alias takes its configuration with it, as on AWS. */
  async forgetQualifier(functionName: string, qualifier: string): Promise<void> {
    if (!this.#cache.delete(key(functionName, qualifier))) return;
    await this.store.deleteEventInvokeConfig(functionName, qualifier);
  }

  async load(): Promise<void> {
    for (const record of await this.store.listEventInvokeConfigs()) this.#cache.set(key(record.functionName, record.qualifier), record);
  }

  /** The settings an event of this function runs with. */
  settings(functionName: string, qualifier = '$LATEST'): AsyncSettings {
    const record = this.#cache.get(key(functionName, qualifier));
    return {
      maximumRetryAttempts: record?.maximumRetryAttempts ?? ASYNC_DEFAULTS.maximumRetryAttempts,
      maximumEventAgeInSeconds: record?.maximumEventAgeInSeconds ?? ASYNC_DEFAULTS.maximumEventAgeInSeconds,
      ...(record?.onSuccess === undefined ? {} : { onSuccess: record.onSuccess }),
      ...(record?.onFailure === undefined ? {} : { onFailure: record.onFailure }),
    };
  }

  /** PUT: replaces the whole configuration. */
  put(nameParam: string, queryQualifier: string | undefined, input: EventInvokeConfigInput): Promise<EventInvokeConfigRecord> {
    requireSetting(input);
    const { name, qualifier } = this.#target(nameParam, queryQualifier, functionMissing);
    return this.#save(this.#validated(name, qualifier, input, undefined));
  }

  /** POST: merges the members given into the existing configuration. */
  update(nameParam: string, queryQualifier: string | undefined, input: EventInvokeConfigInput): Promise<EventInvokeConfigRecord> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier, functionMissing);
    const current = this.#cache.get(key(name, qualifier));
    if (current === undefined) throw this.#missing(name, qualifier);
    return this.#save(this.#validated(name, qualifier, input, current));
  }

  get(nameParam: string, queryQualifier: string | undefined): EventInvokeConfigRecord {
    const { name, qualifier } = this.#target(nameParam, queryQualifier, (n, q) => this.#missing(n, q));
    const record = this.#cache.get(key(name, qualifier));
    if (record === undefined) throw this.#missing(name, qualifier);
    return record;
  }

  async delete(nameParam: string, queryQualifier: string | undefined): Promise<void> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier, (n, q) => this.#missing(n, q));
    if (!this.#cache.has(key(name, qualifier))) throw this.#missing(name, qualifier);
    await this.store.deleteEventInvokeConfig(name, qualifier);
    this.#cache.delete(key(name, qualifier));
  }

  list(nameParam: string, marker: string | undefined, maxItems: number): { configs: EventInvokeConfigRecord[]; nextMarker?: string } {
    const { name } = this.#target(nameParam, undefined, functionMissing);
    const all = [...this.#cache.values()].filter((r) => r.functionName === name);
    const { items: configs, nextMarker } = pageAfter(all, (r) => r.qualifier, marker, maxItems);
    return nextMarker === undefined ? { configs } : { configs, nextMarker };
  }

  /**
   * The function and qualifier (`$LATEST` when none) a request names; a function, version or alias that
   * does not exist is `missing`'s error, worded per operation as AWS words it.
   */
  #target(nameParam: string, queryQualifier: string | undefined, missing: (name: string, qualifier: string) => AwsError): { name: string; qualifier: string } {
    const ref = parseFunctionName(nameParam, this.partition, 140);
    const qualifier = resolveQualifier(ref, queryQualifier) ?? '$LATEST';
    if (this.registry.cached(ref.name) === undefined) throw missing(ref.name, qualifier);
    if (qualifier !== '$LATEST' && this.aliases.target(ref.name, qualifier) === undefined) throw missing(ref.name, qualifier);
    return { name: ref.name, qualifier };
  }

  #missing(name: string, qualifier: string): AwsError {
    return resourceNotFound(`The function ${functionArn(this.partition, name, qualifier)} doesn't have an EventInvokeConfig`);
  }

  #validated(name: string, qualifier: string, input: EventInvokeConfigInput, base: EventInvokeConfigRecord | undefined): EventInvokeConfigRecord {
    requireSetting(input);
    const { maximumRetryAttempts: retries, maximumEventAgeInSeconds: age, destinations } = input;
    if (destinations !== undefined) this.#checkDestinationServices(destinations);
    const destination = (given: string | undefined, current: string | undefined) => {
      if (given === undefined) return current;
      if (given === '') return undefined;
      const arn = lambdaDestination(given, name, this.partition, { field: 'destinationConfig.destination', kind: 'Destinations' });
      if (this.registry.cached(parseFunctionName(arn, this.partition).name) === undefined) throw invalidParameter(`The destination ARN ${given} is invalid.`);
      return arn;
    };
    const onSuccess = destination(destinations?.onSuccess, base?.onSuccess);
    const onFailure = destination(destinations?.onFailure, base?.onFailure);
    const record: EventInvokeConfigRecord = {
      functionName: name,
      qualifier,
      ...(retries !== undefined
        ? { maximumRetryAttempts: checkRange('maximumRetryAttempts', retries, 0, 2) }
        : base?.maximumRetryAttempts !== undefined
          ? { maximumRetryAttempts: base.maximumRetryAttempts }
          : {}),
      ...(age !== undefined
        ? { maximumEventAgeInSeconds: checkRange('maximumEventAgeInSeconds', age, 60, 21_600) }
        : base?.maximumEventAgeInSeconds !== undefined
          ? { maximumEventAgeInSeconds: base.maximumEventAgeInSeconds }
          : {}),
      ...(onSuccess === undefined ? {} : { onSuccess }),
      ...(onFailure === undefined ? {} : { onFailure }),
      lastModified: this.clock.now(),
    };
    return record;
  }

  /**
   * A destination of a kind asynchronous invocation has none of (not SQS, SNS, Lambda, EventBridge or S3)
   * makes AWS refuse the whole DestinationConfig, printed as its Java object.
   */
  #checkDestinationServices(destinations: NonNullable<EventInvokeConfigInput['destinations']>): void {
    const { onSuccess, onFailure } = destinations;
    const unknown = [onSuccess, onFailure].some((arn) => {
      const service = arn === undefined || arn === '' ? undefined : ARN.exec(arn)?.[2];
      return service !== undefined && !DESTINATION_SERVICES.has(service);
    });
    if (!unknown) return;
    const member = (kind: string, arn: string | undefined) => (arn === undefined ? 'null' : `${kind}(destination=${arn === '' ? 'null' : arn})`);
    throw invalidParameter(
      `The provided destination config DestinationConfig(onSuccess=${member('OnSuccess', onSuccess)}, onFailure=${member('OnFailure', onFailure)}) is invalid.`,
    );
  }

  async #save(record: EventInvokeConfigRecord): Promise<EventInvokeConfigRecord> {
    await this.store.putEventInvokeConfig(record);
    this.#cache.set(key(record.functionName, record.qualifier), record);
    return record;
  }
}

/** AWS checks this before it looks the function up. */
function requireSetting(input: EventInvokeConfigInput): void {
  if (input.maximumRetryAttempts === undefined && input.maximumEventAgeInSeconds === undefined && input.destinations === undefined) {
    throw invalidParameter('You must specify at least one of error handling or destination setting.');
  }
}

/** Put, Update and List name no ARN when the function (or its version or alias) is missing. */
function functionMissing(): AwsError {
  return resourceNotFound("The function doesn't exist.");
}
