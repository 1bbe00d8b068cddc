import { createHash } from 'node:crypto';
import { awsTimestamp, functionArn, type AliasRecord, type EventInvokeConfigRecord, type FunctionRecord, type Partition } from '../core/index.js';
import { codeSha256Base64 } from '../control/index.js';
import type { ProvisionedConcurrencyStatus } from '../invoke/index.js';

/**
 * FunctionConfiguration as AWS returns it (service model shape; field set as recorded against AWS).
 * List operations omit State, LastUpdateStatus and RuntimeVersionConfig, as ListFunctions does.
 */
export function functionConfiguration(
  record: FunctionRecord,
  partition: Partition,
  options: {
    forList?: boolean;
    /** How the FunctionArn is qualified when not by the record's own version ('' for none). */
    arnQualifier?: string;
    /**
     * The answer to a create or an update says what AWS's does, though selfless is done already:
     * `Pending` ("The function is being created."), or an update `InProgress` (worded alike, as AWS
     * words it); GetFunction and the waiters see `Active` / `Successful` at once.
     */
    answering?: 'create' | 'update';
  } = {},
): Record<string, unknown> {
  const qualifier = options.arnQualifier === undefined ? record.version : options.arnQualifier || undefined;
  const configuration: Record<string, unknown> = {
    FunctionName: record.name,
    // A version's configuration names the version; $LATEST's the unqualified function.
    FunctionArn: functionArn(partition, record.name, qualifier),
    Runtime: record.runtime,
    Role: record.role,
    Handler: record.handler,
    CodeSize: record.codeSize,
    Description: record.description,
    Timeout: record.timeout,
    MemorySize: record.memorySize,
    LastModified: awsTimestamp(record.lastModifiedMs),
    CodeSha256: codeSha256Base64(record.codeSha256),
    Version: record.version ?? '$LATEST',
    ...(record.environment === undefined ? {} : { Environment: { Variables: record.environment } }),
    TracingConfig: { Mode: record.tracingMode },
    RevisionId: record.revisionId,
    PackageType: 'Zip',
    Architectures: [record.architecture],
    EphemeralStorage: { Size: record.ephemeralStorageMb },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: {
      ...(record.applicationLogLevel === undefined ? {} : { ApplicationLogLevel: record.applicationLogLevel }),
      LogFormat: record.logFormat,
      LogGroup: record.logGroup,
      ...(record.systemLogLevel === undefined ? {} : { SystemLogLevel: record.systemLogLevel }),
    },
  };
  if (options.forList) return configuration;
  const state =
    options.answering === 'create'
      ? { State: 'Pending', StateReason: BEING_CREATED, StateReasonCode: 'Creating' }
      : options.answering === 'update'
        ? { State: 'Active', LastUpdateStatus: 'InProgress', LastUpdateStatusReason: BEING_CREATED, LastUpdateStatusReasonCode: 'Creating' }
        : { State: 'Active', LastUpdateStatus: 'Successful' };
  return {
    ...configuration,
    ...state,
    RuntimeVersionConfig: { RuntimeVersionArn: runtimeVersionArn(record.runtime, partition) },
  };
}

const BEING_CREATED = 'The function is being created.';

/** A stable runtime version ARN per runtime, shaped like AWS's. */
function runtimeVersionArn(runtime: string, partition: Partition): string {
  const id = createHash('sha256').update(`selfless:${runtime}`).digest('hex');
  return `arn:aws:lambda:${partition.region}::runtime:${id}`;
}

/** AliasConfiguration as AWS returns it. */
export function aliasConfiguration(alias: AliasRecord, partition: Partition): Record<string, unknown> {
  return {
    AliasArn: functionArn(partition, alias.functionName, alias.name),
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    ...(alias.additionalVersionWeights === undefined ? {} : { RoutingConfig: { AdditionalVersionWeights: alias.additionalVersionWeights } }),
    RevisionId: alias.revisionId,
  };
}

/** FunctionEventInvokeConfig as AWS returns it. */
export function eventInvokeConfiguration(record: EventInvokeConfigRecord, partition: Partition): Record<string, unknown> {
  return {
    LastModified: record.lastModified / 1000,
    FunctionArn: functionArn(partition, record.functionName, record.qualifier),
    ...(record.maximumRetryAttempts === undefined ? {} : { MaximumRetryAttempts: record.maximumRetryAttempts }),
    ...(record.maximumEventAgeInSeconds === undefined ? {} : { MaximumEventAgeInSeconds: record.maximumEventAgeInSeconds }),
    DestinationConfig: {
      OnSuccess: record.onSuccess === undefined ? {} : { Destination: record.onSuccess },
      OnFailure: record.onFailure === undefined ? {} : { Destination: record.onFailure },
    },
  };
}

/** ProvisionedConcurrencyConfig as AWS returns it (with its FunctionArn in a list); READY once all are initialised. */
export function provisionedConcurrencyConfig({ record, ready }: ProvisionedConcurrencyStatus, partition: Partition, options: { withArn?: boolean } = {}) {
  return {
    ...(options.withArn === true ? { FunctionArn: functionArn(partition, record.functionName, record.qualifier) } : {}),
    RequestedProvisionedConcurrentExecutions: record.requested,
    AvailableProvisionedConcurrentExecutions: ready,
    AllocatedProvisionedConcurrentExecutions: ready,
    Status: ready >= record.requested ? 'READY' : 'IN_PROGRESS',
    LastModified: awsTimestamp(record.lastModified),
  };
}
