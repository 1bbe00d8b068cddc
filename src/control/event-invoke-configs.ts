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
import type { FunctionRegistry } from './registry.js';

/** Lambda's defaults when a function has no EventInvokeConfig, or leaves a member unset. */
export const ASYNC_DEFAULTS = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21_600 } as const;

/** What the dispatcher needs for one event: the effective settings. */
export interface AsyncSettings {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeInSeconds: number;
  readonly onSuccess?: string;
  readonly onFailure?: string;
}

const DESTINATION_PATTERN = /^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-]+):([a-z]{2}(-gov)?-[a-z]+-\d)?:(\d{12})?:(.*)$/;
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
    private readonly partition: Partition,
    private readonly clock: Clock,
  ) {}

  /** A deleted function took its configs with it (the store dropped them in the same commit). */
  forgetFunction(functionName: string): void {
    for (const [k, record] of this.#cache) if (record.functionName === functionName) this.#cache.delete(k);
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
  put(nameParam: string, queryQualifier: string | undefined, body: Record<string, unknown>): Promise<EventInvokeConfigRecord> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier);
    return this.#save(this.#validated(name, qualifier, body, undefined));
  }

  /** POST: merges the members given into the existing configuration. */
  update(nameParam: string, queryQualifier: string | undefined, body: Record<string, unknown>): Promise<EventInvokeConfigRecord> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier);
    const current = this.#cache.get(key(name, qualifier));
    if (current === undefined) throw this.#missing(name, qualifier);
    return this.#save(this.#validated(name, qualifier, body, current));
  }

  get(nameParam: string, queryQualifier: string | undefined): EventInvokeConfigRecord {
    const { name, qualifier } = this.#target(nameParam, queryQualifier);
    const record = this.#cache.get(key(name, qualifier));
    if (record === undefined) throw this.#missing(name, qualifier);
    return record;
  }

  async delete(nameParam: string, queryQualifier: string | undefined): Promise<void> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier);
    if (!this.#cache.has(key(name, qualifier))) throw this.#missing(name, qualifier);
    await this.store.deleteEventInvokeConfig(name, qualifier);
    this.#cache.delete(key(name, qualifier));
  }

  list(nameParam: string, marker: string | undefined, maxItems: number): { configs: EventInvokeConfigRecord[]; nextMarker?: string } {
    const { name } = this.#target(nameParam, undefined);
    const all = [...this.#cache.values()].filter((r) => r.functionName === name);
    const { items: configs, nextMarker } = pageAfter(all, (r) => r.qualifier, marker, maxItems);
    return nextMarker === undefined ? { configs } : { configs, nextMarker };
  }

  /** The API shape (FunctionEventInvokeConfig). */
  shape(record: EventInvokeConfigRecord): Record<string, unknown> {
    return {
      LastModified: record.lastModified / 1000,
      FunctionArn: functionArn(this.partition, record.functionName, record.qualifier),
      ...(record.maximumRetryAttempts === undefined ? {} : { MaximumRetryAttempts: record.maximumRetryAttempts }),
      ...(record.maximumEventAgeInSeconds === undefined ? {} : { MaximumEventAgeInSeconds: record.maximumEventAgeInSeconds }),
      DestinationConfig: {
        OnSuccess: record.onSuccess === undefined ? {} : { Destination: record.onSuccess },
        OnFailure: record.onFailure === undefined ? {} : { Destination: record.onFailure },
      },
    };
  }

  #target(nameParam: string, queryQualifier: string | undefined): { name: string; qualifier: string } {
    const ref = parseFunctionName(nameParam, this.partition, 140);
    const wanted = resolveQualifier(ref, queryQualifier);
    const record = this.registry.require(ref.name, wanted);
    if (wanted !== undefined && wanted !== '$LATEST') throw this.registry.notFound(record.name, wanted);
    return { name: record.name, qualifier: '$LATEST' };
  }

  #missing(name: string, qualifier: string): AwsError {
    return resourceNotFound(`The function ${functionArn(this.partition, name, qualifier)} doesn't have an EventInvokeConfig`);
  }

  #validated(name: string, qualifier: string, body: Record<string, unknown>, base: EventInvokeConfigRecord | undefined): EventInvokeConfigRecord {
    const retries = body.MaximumRetryAttempts;
    const age = body.MaximumEventAgeInSeconds;
    const destinations = body.DestinationConfig;
    if (retries === undefined && age === undefined && destinations === undefined) {
      throw invalidParameter('You must specify at least one of error handling or destination setting.');
    }
    const integer = (field: string, value: unknown, min: number, max: number): number => {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidParameter(`${field} must be an integer.`);
      return checkRange(field.charAt(0).toLowerCase() + field.slice(1), value, min, max);
    };
    let onSuccess = base?.onSuccess;
    let onFailure = base?.onFailure;
    if (destinations !== undefined) {
      if (typeof destinations !== 'object' || destinations === null) throw invalidParameter('DestinationConfig must be an object.');
      const config = destinations as Record<string, unknown>;
      for (const [member, set] of [
        ['OnSuccess', (v?: string) => (onSuccess = v)],
        ['OnFailure', (v?: string) => (onFailure = v)],
      ] as const) {
        const target = config[member];
        if (target === undefined) continue;
        const destination = typeof target === 'object' && target !== null ? (target as Record<string, unknown>).Destination : undefined;
        set(destination === undefined || destination === '' ? undefined : this.#destination(name, destination));
      }
    }
    const record: EventInvokeConfigRecord = {
      functionName: name,
      qualifier,
      ...(retries !== undefined
        ? { maximumRetryAttempts: integer('MaximumRetryAttempts', retries, 0, 2) }
        : base?.maximumRetryAttempts !== undefined
          ? { maximumRetryAttempts: base.maximumRetryAttempts }
          : {}),
      ...(age !== undefined
        ? { maximumEventAgeInSeconds: integer('MaximumEventAgeInSeconds', age, 60, 21_600) }
        : base?.maximumEventAgeInSeconds !== undefined
          ? { maximumEventAgeInSeconds: base.maximumEventAgeInSeconds }
          : {}),
      ...(onSuccess === undefined ? {} : { onSuccess }),
      ...(onFailure === undefined ? {} : { onFailure }),
      lastModified: this.clock.now(),
    };
    return record;
  }

  #destination(self: string, value: unknown): string {
    if (typeof value !== 'string' || value.length > 350 || !DESTINATION_PATTERN.test(value)) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${String(value)}' at 'destinationConfig.destination' failed to satisfy constraint: Member must satisfy regular expression pattern: ^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)`,
      );
    }
    const service = DESTINATION_PATTERN.exec(value)![2];
    if (service !== 'lambda') {
      throw invalidParameter(
        `Destinations of type ${service} are not supported by selfless yet: use a Lambda function ARN (arn:aws:lambda:${this.partition.region}:${this.partition.accountId}:function:NAME).`,
      );
    }
    const ref = parseFunctionName(value, this.partition);
    if (ref.name === self) throw invalidParameter("You can't specify the function as a destination for itself.");
    return functionArn(this.partition, ref.name, ref.qualifier);
  }

  async #save(record: EventInvokeConfigRecord): Promise<EventInvokeConfigRecord> {
    await this.store.putEventInvokeConfig(record);
    this.#cache.set(key(record.functionName, record.qualifier), record);
    return record;
  }
}
