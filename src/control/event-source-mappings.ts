import { randomUUID } from 'node:crypto';
import {
  AwsError,
  checkRange,
  compilePattern,
  PatternError,
  functionArn,
  invalidParameter,
  pageAfter,
  parseFunctionName,
  resourceConflict,
  resourceNotFound,
  validationError,
  type Clock,
  type EventSourceKind,
  type EventSourceMappingRecord,
  type EventSourceMappingState,
  type Partition,
} from '../core/index.js';
import type { ControlStore } from '../store/index.js';
import type { AliasRegistry } from './aliases.js';
import { ARN, ARN_CONSTRAINT, lambdaDestination } from './destinations.js';
import type { FunctionRegistry } from './registry.js';

/**
 * CreateEventSourceMapping's and UpdateEventSourceMapping's members, typed (api/ reads them from AWS's
 * wire shape); their values are checked here. On update, what is absent stays as it was.
 */
export interface EventSourceMappingSettings {
  readonly enabled?: boolean;
  readonly batchSize?: number;
  readonly maximumBatchingWindowInSeconds?: number;
  /** FilterCriteria.Filters[].Pattern; an empty list clears the filters. */
  readonly filterPatterns?: readonly string[];
  readonly functionResponseTypes?: readonly string[];
  /** ScalingConfig.MaximumConcurrency; null clears it (ScalingConfig given without it). */
  readonly maximumConcurrency?: number | null;
  /** Stream sources only (Kinesis, DynamoDB Streams). */
  readonly parallelizationFactor?: number;
  readonly maximumRecordAgeInSeconds?: number;
  readonly bisectBatchOnFunctionError?: boolean;
  readonly maximumRetryAttempts?: number;
  /** DestinationConfig.OnFailure.Destination; '' clears it. */
  readonly onFailure?: string;
}

export interface CreateEventSourceMappingInput extends EventSourceMappingSettings {
  readonly functionName: string;
  readonly eventSourceArn: string;
  /** Stream sources: where a shard without a checkpoint is read from. */
  readonly startingPosition?: string;
  /** ms since the epoch, for AT_TIMESTAMP. */
  readonly startingPositionTimestamp?: number;
}

export interface UpdateEventSourceMappingInput extends EventSourceMappingSettings {
  /** Another function (or version, or alias) to invoke. */
  readonly functionName?: string;
}

/** What a source can tell about itself before a mapping is made (a queue's visibility timeout). */
export interface SourceInspector {
  /** The queue's visibility timeout in seconds; throws an AwsError when the queue cannot be read. */
  queueVisibilityTimeout(queueArn: string): Promise<number>;
}

/** Whether the role `roleArn` may call `action` on `resource` (false for a role IAM does not hold). */
export type RoleAccessCheck = (roleArn: string, action: string, resource: string) => Promise<boolean>;

/** What a function's role must be allowed on its source before Lambda maps them, in the order Lambda names them. */
const READ_ACTIONS: Record<EventSourceKind, readonly string[]> = {
  sqs: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
  kinesis: ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream', 'kinesis:ListStreams'],
  dynamodb: ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream', 'dynamodb:ListStreams'],
};

/** Sources whose poller selfless has; the others are refused by name. */
const SUPPORTED: ReadonlySet<EventSourceKind> = new Set(['sqs', 'kinesis', 'dynamodb']);
const SOURCE_NAMES: Record<EventSourceKind, string> = { sqs: 'SQS', kinesis: 'Kinesis', dynamodb: 'DynamoDB Streams' };
/** Lambda's limits per source (CreateEventSourceMapping's BatchSize documentation). */
const BATCH = { sqs: { default: 10, max: 10_000, fifoMax: 10 }, streams: { default: 100, max: 10_000 } } as const;

/** AWS's answer to OnSuccess on any mapping selfless builds (it takes them for Kafka sources only), and to any destination of an SQS one. */
export const UNSUPPORTED_DESTINATION = 'Unsupported DestinationConfig parameter for given event source mapping type.';

/**
 * Event source mappings: Lambda's validation, the records (in the store, deleted with their function by
 * foreign key), a memory copy, and the state each mapping is in. The pollers (sources/) follow the
 * changes announced to `onChange` and report back through `settle` and `recordResult`.
 */
export class EventSourceMappings {
  readonly #cache = new Map<string, EventSourceMappingRecord>();
  #onChange: (uuid: string) => void = () => undefined;

  constructor(
    private readonly store: ControlStore,
    private readonly registry: FunctionRegistry,
    private readonly aliases: AliasRegistry,
    private readonly inspector: SourceInspector,
    private readonly partition: Partition,
    private readonly clock: Clock,
    private readonly roleAccess: RoleAccessCheck,
  ) {}

  async load(): Promise<void> {
    for (const record of await this.store.listEventSourceMappings()) this.#cache.set(record.uuid, record);
  }

  /** Called with a mapping's UUID whenever its settings or its desired state change. */
  follow(onChange: (uuid: string) => void): void {
    this.#onChange = onChange;
  }

  all(): EventSourceMappingRecord[] {
    return [...this.#cache.values()];
  }

  get(uuid: string): EventSourceMappingRecord | undefined {
    return this.#cache.get(uuid);
  }

  require(uuid: string): EventSourceMappingRecord {
    const record = this.#cache.get(uuid);
    if (record === undefined) throw resourceNotFound('The resource you requested does not exist.');
    return record;
  }

  async create(input: CreateEventSourceMappingInput): Promise<EventSourceMappingRecord> {
    // AWS's order: the source, a destination it cannot take, then the function.
    const { source, fifo } = sourceOf(input.eventSourceArn);
    if (source === 'sqs' && input.onFailure !== undefined) throw invalidParameter(UNSUPPORTED_DESTINATION);
    const target = this.#function(input.functionName, () => invalidParameter('Function does not exist'));
    const duplicate = this.all().find((m) => m.eventSourceArn === input.eventSourceArn && m.functionName === target.name && m.qualifier === target.qualifier);
    if (duplicate !== undefined) {
      throw resourceConflict(
        `An event source mapping with ${SOURCE_NAMES[source]} arn (" ${input.eventSourceArn} ") and function (" ${input.functionName} ") already exists. Please update or delete the existing mapping with UUID ${duplicate.uuid}`,
      );
    }
    const batchSize = input.batchSize ?? (source === 'sqs' ? BATCH.sqs.default : BATCH.streams.default);
    const settings = checkSettings(source, fifo, {
      batchSize,
      maximumBatchingWindowInSeconds: input.maximumBatchingWindowInSeconds ?? 0,
      filterPatterns: input.filterPatterns ?? [],
      functionResponseTypes: input.functionResponseTypes ?? [],
      maximumConcurrency: input.maximumConcurrency ?? undefined,
    });
    const stream = this.#streamSettings(source, target.name, input, undefined);
    await this.#checkRoleReads(source, input.eventSourceArn, target.role);
    await this.#checkRoleWrites(stream.onFailure, target.role);
    await this.#checkVisibility(source, input.eventSourceArn, target.timeout);
    const enabled = input.enabled ?? true;
    const record: EventSourceMappingRecord = {
      uuid: randomUUID(),
      functionName: target.name,
      ...(target.qualifier === undefined ? {} : { qualifier: target.qualifier }),
      eventSourceArn: input.eventSourceArn,
      source,
      enabled,
      state: 'Creating',
      stateTransitionReason: 'USER_INITIATED',
      ...settings,
      ...stream,
      ...(source === 'sqs' ? {} : { lastProcessingResult: 'No records processed' }),
      lastModified: this.clock.now(),
    };
    await this.#save(record);
    return record;
  }

  async update(uuid: string, input: UpdateEventSourceMappingInput): Promise<EventSourceMappingRecord> {
    const current = this.require(uuid);
    if (current.state === 'Deleting') throw resourceInUse(uuid);
    const target = input.functionName === undefined ? undefined : this.#function(input.functionName);
    const { fifo } = sourceOf(current.eventSourceArn);
    const settings = checkSettings(current.source, fifo, {
      batchSize: input.batchSize ?? current.batchSize,
      maximumBatchingWindowInSeconds: input.maximumBatchingWindowInSeconds ?? current.maximumBatchingWindowInSeconds,
      filterPatterns: input.filterPatterns ?? current.filterPatterns,
      functionResponseTypes: input.functionResponseTypes ?? current.functionResponseTypes,
      maximumConcurrency: input.maximumConcurrency === null ? undefined : (input.maximumConcurrency ?? current.maximumConcurrency),
    });
    if (target !== undefined) {
      await this.#checkRoleReads(current.source, current.eventSourceArn, target.role);
      await this.#checkVisibility(current.source, current.eventSourceArn, target.timeout);
    }
    const stream = this.#streamSettings(current.source, target?.name ?? current.functionName, input, current);
    if (target !== undefined || input.onFailure !== undefined) {
      const named = current.qualifier === undefined ? current.functionName : `${current.functionName}:${current.qualifier}`;
      await this.#checkRoleWrites(stream.onFailure, (target ?? this.#function(named)).role);
    }
    const enabled = input.enabled ?? current.enabled;
    const state: EventSourceMappingState = enabled !== current.enabled ? (enabled ? 'Enabling' : 'Disabling') : 'Updating';
    const where = target ?? { name: current.functionName, qualifier: current.qualifier };
    const { qualifier: _q, maximumConcurrency: _m, onFailure: _f, ...rest } = current;
    const record: EventSourceMappingRecord = {
      ...rest,
      functionName: where.name,
      ...(where.qualifier === undefined ? {} : { qualifier: where.qualifier }),
      ...settings,
      ...stream,
      enabled,
      state,
      stateTransitionReason: 'USER_INITIATED',
      lastModified: this.clock.now(),
    };
    await this.#save(record);
    return record;
  }

  /** DeleteEventSourceMapping: the mapping is Deleting until its poller has stopped (`remove`). */
  async delete(uuid: string): Promise<EventSourceMappingRecord> {
    const current = this.require(uuid);
    if (current.state === 'Deleting') return current;
    const record: EventSourceMappingRecord = { ...current, state: 'Deleting', stateTransitionReason: 'USER_INITIATED', lastModified: this.clock.now() };
    await this.#save(record);
    return record;
  }

  list(filter: { functionName?: string; eventSourceArn?: string }, marker: string | undefined, maxItems: number) {
    const target = filter.functionName === undefined ? undefined : this.#function(filter.functionName);
    const all = this.all()
      .filter((m) => filter.eventSourceArn === undefined || m.eventSourceArn === filter.eventSourceArn)
      .filter((m) => target === undefined || (m.functionName === target.name && (target.qualifier === undefined || m.qualifier === target.qualifier)));
    const { items: mappings, nextMarker } = pageAfter(all, (m) => m.uuid, marker, maxItems);
    return nextMarker === undefined ? { mappings } : { mappings, nextMarker };
  }

  /** The poller has taken the mapping's settings: it is Enabled or Disabled now (or gone, once Deleting). */
  async settle(uuid: string, state: 'Enabled' | 'Disabled'): Promise<void> {
    const current = this.#cache.get(uuid);
    if (current === undefined || current.state === state || current.state === 'Deleting') return;
    await this.#write({ ...current, state });
  }

  /** What the last poll brought: `OK`, `No records processed`, or `PROBLEM: …` when the source or the function failed. */
  async recordResult(uuid: string, lastProcessingResult: string): Promise<void> {
    const current = this.#cache.get(uuid);
    if (current === undefined || current.lastProcessingResult === lastProcessingResult) return;
    await this.#write({ ...current, lastProcessingResult });
  }

  /** A Deleting mapping whose poller has stopped. */
  async remove(uuid: string): Promise<void> {
    if (!this.#cache.delete(uuid)) return;
    await this.store.deleteEventSourceMapping(uuid);
  }

  /** A deleted function took its mappings with it (the store dropped them in the same commit). */
  forgetFunction(functionName: string): string[] {
    const gone: string[] = [];
    for (const [uuid, record] of this.#cache) {
      if (record.functionName !== functionName) continue;
      this.#cache.delete(uuid);
      gone.push(uuid);
    }
    return gone;
  }

  /**
   * The settings of stream sources, checked as Lambda checks them; refused by name on an SQS mapping.
   * `current` is the mapping being updated (StartingPosition cannot change then).
   */
  #streamSettings(
    source: EventSourceKind,
    functionName: string,
    input: CreateEventSourceMappingInput | UpdateEventSourceMappingInput,
    current: EventSourceMappingRecord | undefined,
  ): Partial<EventSourceMappingRecord> {
    const given = input as CreateEventSourceMappingInput;
    const names = {
      startingPosition: 'StartingPosition',
      startingPositionTimestamp: 'StartingPositionTimestamp',
      parallelizationFactor: 'ParallelizationFactor',
      maximumRecordAgeInSeconds: 'MaximumRecordAgeInSeconds',
      bisectBatchOnFunctionError: 'BisectBatchOnFunctionError',
      maximumRetryAttempts: 'MaximumRetryAttempts',
      onFailure: 'DestinationConfig',
    } as const;
    if (source === 'sqs') {
      for (const [key, name] of Object.entries(names)) {
        if (given[key as keyof typeof names] !== undefined) throw invalidParameter(`${name} is not valid for SQS event sources.`);
      }
      return {};
    }
    let startingPosition = current?.startingPosition;
    let startingPositionTimestamp = current?.startingPositionTimestamp;
    if (current === undefined) {
      if (given.startingPosition === undefined) {
        // AWS's wording of a model error, as an InvalidParameterValueException (so recorded).
        throw invalidParameter("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.");
      }
      if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(given.startingPosition)) {
        throw validationError('startingPosition', given.startingPosition, 'Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]');
      }
      startingPosition = given.startingPosition as EventSourceMappingRecord['startingPosition'];
      if (source === 'dynamodb' && startingPosition === 'AT_TIMESTAMP') {
        throw invalidParameter(`Unsupported starting position for arn type: ${given.eventSourceArn}`);
      }
      if (startingPosition === 'AT_TIMESTAMP') {
        if (given.startingPositionTimestamp === undefined)
          throw invalidParameter('StartingPositionTimestamp is required for the AT_TIMESTAMP starting position.');
        startingPositionTimestamp = given.startingPositionTimestamp;
      } else if (given.startingPositionTimestamp !== undefined) {
        throw invalidParameter('StartingPositionTimestamp is valid only with the AT_TIMESTAMP starting position.');
      }
    }
    const parallelizationFactor = checkRange('parallelizationFactor', input.parallelizationFactor ?? current?.parallelizationFactor ?? 1, 1, 10);
    const maximumRecordAgeInSeconds = checkRange(
      'maximumRecordAgeInSeconds',
      input.maximumRecordAgeInSeconds ?? current?.maximumRecordAgeInSeconds ?? -1,
      -1,
      604_800,
    );
    if (maximumRecordAgeInSeconds !== -1 && maximumRecordAgeInSeconds < 60) {
      throw invalidParameter('MaximumRecordAgeInSeconds must be -1 (no limit) or between 60 and 604800.');
    }
    const maximumRetryAttempts = checkRange('maximumRetryAttempts', input.maximumRetryAttempts ?? current?.maximumRetryAttempts ?? -1, -1, 10_000);
    const onFailure =
      input.onFailure === undefined
        ? current?.onFailure
        : input.onFailure === ''
          ? undefined
          : lambdaDestination(input.onFailure, functionName, this.partition, {
              field: 'destinationConfig.onFailure.destination',
              kind: 'On-failure destinations',
              alsoQueues: true,
            });
    return {
      ...(startingPosition === undefined ? {} : { startingPosition }),
      ...(startingPositionTimestamp === undefined ? {} : { startingPositionTimestamp }),
      parallelizationFactor,
      maximumRecordAgeInSeconds,
      bisectBatchOnFunctionError: input.bisectBatchOnFunctionError ?? current?.bisectBatchOnFunctionError ?? false,
      maximumRetryAttempts,
      ...(onFailure === undefined ? {} : { onFailure }),
    };
  }

  /** The function a mapping invokes: a version or alias must exist, or it is `missing`'s error (CreateEventSourceMapping words it its own way). */
  #function(functionName: string, missing?: () => AwsError): { name: string; qualifier?: string; timeout: number; role: string } {
    const ref = parseFunctionName(functionName, this.partition, 140);
    const record = this.registry.cached(ref.name) === undefined ? undefined : this.aliases.target(ref.name, ref.qualifier);
    if (record === undefined) throw missing?.() ?? this.registry.notFound(ref.name, ref.qualifier);
    return { name: ref.name, ...(ref.qualifier === undefined ? {} : { qualifier: ref.qualifier }), timeout: record.timeout, role: record.role };
  }

  /** The role must be allowed to send to an SQS on-failure destination, as Lambda checks. */
  async #checkRoleWrites(destination: string | undefined, roleArn: string): Promise<void> {
    if (destination === undefined || !destination.startsWith('arn:aws:sqs:')) return;
    if (!(await this.roleAccess(roleArn, 'sqs:SendMessage', destination))) {
      throw invalidParameter('The function execution role does not have permissions to call SendMessage on SQS');
    }
  }

  /**
   * Lambda refuses a mapping whose function's role may not read the source, in its own words. The
   * role's policies decide; the source's own policy lives with the source, where selfless cannot see it.
   */
  async #checkRoleReads(source: EventSourceKind, arn: string, roleArn: string): Promise<void> {
    for (const action of READ_ACTIONS[source]) {
      if (await this.roleAccess(roleArn, action, arn)) continue;
      if (source === 'sqs') throw invalidParameter(`The function execution role does not have permissions to call ${action.slice(4)} on SQS`);
      throw invalidParameter(
        `Cannot access stream ${arn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.`,
      );
    }
  }

  /** Lambda refuses an SQS mapping whose function could outlast the queue's visibility timeout: the message would be handed out twice. */
  async #checkVisibility(source: EventSourceKind, arn: string, functionTimeout: number): Promise<void> {
    if (source !== 'sqs') return;
    const visibility = await this.inspector.queueVisibilityTimeout(arn);
    if (visibility < functionTimeout) {
      throw invalidParameter(`Queue visibility timeout: ${visibility} seconds is less than Function timeout: ${functionTimeout} seconds`);
    }
  }

  async #save(record: EventSourceMappingRecord): Promise<void> {
    await this.#write(record);
    this.#onChange(record.uuid);
  }

  async #write(record: EventSourceMappingRecord): Promise<void> {
    await this.store.putEventSourceMapping(record);
    this.#cache.set(record.uuid, record);
  }

  /** Takes or renews the lease that makes `owner` the one process polling the mapping. */
  claim(uuid: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.store.claimMapping(uuid, owner, this.clock.now(), ttlMs);
  }

  release(uuid: string, owner: string): Promise<void> {
    return this.store.releaseMapping(uuid, owner);
  }

  /** A stream mapping's checkpoints per shard (deleted with the mapping). */
  checkpoints(uuid: string): { list(): Promise<Map<string, string>>; put(shardId: string, position: string): Promise<void> } {
    return { list: () => this.store.listCheckpoints(uuid), put: (shardId, position) => this.store.putCheckpoint(uuid, shardId, position) };
  }

  /** The mapping's ARN, as Lambda names it. */
  arn(uuid: string): string {
    return `arn:aws:lambda:${this.partition.region}:${this.partition.accountId}:event-source-mapping:${uuid}`;
  }

  /** The ARN of the function (version, alias) a mapping invokes. */
  functionArn(record: EventSourceMappingRecord): string {
    return functionArn(this.partition, record.functionName, record.qualifier);
  }
}

function resourceInUse(uuid: string): AwsError {
  return new AwsError('ResourceInUseException', `Cannot update the event source mapping ${uuid}: it is being deleted.`);
}

/** What kind of source an ARN names, refusing the kinds selfless cannot poll. */
function sourceOf(arn: string): { source: EventSourceKind; fifo: boolean } {
  const match = ARN.exec(arn);
  if (match === null) {
    throw validationError('eventSourceArn', arn, `Member must satisfy regular expression pattern: ${ARN_CONSTRAINT}`);
  }
  const service = match[2]!;
  const resource = match[6]!;
  let source: EventSourceKind | undefined;
  if (service === 'sqs') source = 'sqs';
  else if (service === 'kinesis' && resource.startsWith('stream/')) source = 'kinesis';
  else if (service === 'dynamodb' && /^table\/[^/]+\/stream\//.test(resource)) source = 'dynamodb';
  if (source === undefined) {
    if (['kafka', 'mq', 'rds', 'docdb-elastic'].includes(service))
      throw invalidParameter(`Event sources of type ${service} are not supported by selfless yet.`);
    throw invalidParameter('Unrecognized event source, must be kinesis, dynamodb stream or sqs.');
  }
  if (!SUPPORTED.has(source)) throw invalidParameter(`${SOURCE_NAMES[source]} event sources are not supported by selfless yet.`);
  return { source, fifo: source === 'sqs' && resource.endsWith('.fifo') };
}

interface CheckedSettings {
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
  readonly filterPatterns: readonly string[];
  readonly functionResponseTypes: readonly string[];
  readonly maximumConcurrency?: number | undefined;
}

function checkSettings(
  source: EventSourceKind,
  fifo: boolean,
  settings: CheckedSettings,
): Omit<CheckedSettings, 'maximumConcurrency'> & { maximumConcurrency?: number } {
  const { batchSize, maximumBatchingWindowInSeconds, filterPatterns, functionResponseTypes, maximumConcurrency } = settings;
  checkRange('batchSize', batchSize, 1, source === 'sqs' ? BATCH.sqs.max : BATCH.streams.max);
  checkRange('maximumBatchingWindowInSeconds', maximumBatchingWindowInSeconds, 0, 300);
  if (source === 'sqs') {
    if (fifo && batchSize > BATCH.sqs.fifoMax) throw invalidParameter(`BatchSize must be at most ${BATCH.sqs.fifoMax} for a FIFO queue.`);
    if (batchSize > 10 && maximumBatchingWindowInSeconds === 0) {
      throw invalidParameter('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
    }
  }
  for (const type of functionResponseTypes) {
    if (type !== 'ReportBatchItemFailures') {
      throw validationError(
        'functionResponseTypes',
        functionResponseTypes,
        'Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]',
      );
    }
  }
  if (filterPatterns.length > 5) throw invalidParameter('The number of filters cannot exceed 5.');
  for (const pattern of filterPatterns) checkPattern(pattern);
  if (maximumConcurrency !== undefined) checkRange('scalingConfig.maximumConcurrency', maximumConcurrency, 2, 1000);
  return {
    batchSize,
    maximumBatchingWindowInSeconds,
    filterPatterns,
    functionResponseTypes,
    ...(maximumConcurrency === undefined ? {} : { maximumConcurrency }),
  };
}

/** A filter pattern must compile (the poller applies it). */
function checkPattern(pattern: string): void {
  try {
    compilePattern(pattern);
  } catch (error) {
    if (error instanceof PatternError) throw invalidParameter(`Invalid filter pattern definition: ${error.message}.`);
    throw error;
  }
}
