import { invalidParameter, validationError, type EventSourceMappingRecord } from '../core/index.js';
import { UNSUPPORTED_DESTINATION, type EventSourceMappings, type EventSourceMappingSettings } from '../control/index.js';
import { jsonBody, nextMarker, pageParams, route, type RequestContext, type Route } from './http.js';
import type { Services } from './services.js';
import { expectBoolean, expectInteger, expectObject, expectString, optional, refuseUnsupported, required, type Body } from './wire.js';

/** Parameters of sources selfless cannot poll yet (Kafka, MQ, DocumentDB) and settings it cannot honour: refused by name. */
const UNSUPPORTED = [
  'Topics',
  'Queues',
  'SourceAccessConfigurations',
  'SelfManagedEventSource',
  'AmazonManagedKafkaEventSourceConfig',
  'SelfManagedKafkaEventSourceConfig',
  'DocumentDBEventSourceConfig',
  'KMSKeyArn',
  'MetricsConfig',
  'LoggingConfig',
  'ProvisionedPollerConfig',
  'Tags',
] as const;

/** Create, Get, List, Update, Delete EventSourceMapping(s). */
export function eventSourceMappingRoutes(s: Services): Route[] {
  const path = '/2015-03-31/event-source-mappings';
  const shape = (record: EventSourceMappingRecord) => mappingConfiguration(record, s.eventSourceMappings);
  const resource = (ctx: RequestContext) => s.eventSourceMappings.arn(ctx.params.UUID ?? '*');
  return [
    route('POST', path, 'CreateEventSourceMapping', async (ctx) => {
      const body = jsonBody(ctx);
      const input = {
        functionName: expectString('FunctionName', required(body, 'FunctionName')),
        // Not a model requirement: Lambda's own check, in its own words.
        eventSourceArn: expectString('EventSourceArn', body.EventSourceArn ?? unrecognizedSource()),
        startingPosition: optional(body, 'StartingPosition', expectString),
        // A timestamp member: epoch seconds on AWS's JSON protocols.
        startingPositionTimestamp: optional(body, 'StartingPositionTimestamp', (field, value) => {
          if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidParameter(`${field} must be a timestamp (seconds since the epoch).`);
          return Math.round(value * 1000);
        }),
        ...settings(body),
      };
      return { status: 202, body: shape(await s.eventSourceMappings.create(input)) };
    }),
    route('GET', path, 'ListEventSourceMappings', (ctx) => {
      const { marker, maxItems } = pageParams(ctx, 100);
      const filter = {
        ...(ctx.query.get('FunctionName') === null ? {} : { functionName: ctx.query.get('FunctionName')! }),
        ...(ctx.query.get('EventSourceArn') === null ? {} : { eventSourceArn: ctx.query.get('EventSourceArn')! }),
      };
      const page = s.eventSourceMappings.list(filter, marker, maxItems);
      return { status: 200, body: { EventSourceMappings: page.mappings.map(shape), ...nextMarker(page.nextMarker) } };
    }),
    route('GET', `${path}/{UUID}`, 'GetEventSourceMapping', (ctx) => ({ status: 200, body: shape(s.eventSourceMappings.require(ctx.params.UUID!)) }), {
      resource,
    }),
    route(
      'PUT',
      `${path}/{UUID}`,
      'UpdateEventSourceMapping',
      async (ctx) => {
        const body = jsonBody(ctx);
        if (body.EventSourceArn !== undefined) throw invalidParameter('EventSourceArn cannot be updated: create a new mapping.');
        const input = { functionName: optional(body, 'FunctionName', expectString), ...settings(body) };
        return { status: 202, body: shape(await s.eventSourceMappings.update(ctx.params.UUID!, input)) };
      },
      { resource },
    ),
    route(
      'DELETE',
      `${path}/{UUID}`,
      'DeleteEventSourceMapping',
      async (ctx) => ({ status: 202, body: shape(await s.eventSourceMappings.delete(ctx.params.UUID!)) }),
      { resource },
    ),
  ];
}

function settings(body: Body): EventSourceMappingSettings {
  refuseUnsupported(body, UNSUPPORTED);
  const window = optional(body, 'TumblingWindowInSeconds', expectInteger);
  if (window !== undefined && window !== 0) throw invalidParameter('TumblingWindowInSeconds (tumbling windows) is not supported by selfless yet.');
  return {
    enabled: optional(body, 'Enabled', expectBoolean),
    parallelizationFactor: optional(body, 'ParallelizationFactor', expectInteger),
    maximumRecordAgeInSeconds: optional(body, 'MaximumRecordAgeInSeconds', expectInteger),
    bisectBatchOnFunctionError: optional(body, 'BisectBatchOnFunctionError', expectBoolean),
    maximumRetryAttempts: optional(body, 'MaximumRetryAttempts', expectInteger),
    onFailure: optional(body, 'DestinationConfig', (field, value) => {
      const config = expectObject(field, value);
      const destination = (member: unknown) => (member === undefined || member === null ? undefined : expectObject(field, member).Destination);
      const onSuccess = destination(config.OnSuccess);
      if (onSuccess !== undefined && onSuccess !== null && onSuccess !== '') throw invalidParameter(UNSUPPORTED_DESTINATION);
      const onFailure = destination(config.OnFailure);
      return onFailure === undefined || onFailure === null ? '' : expectString('DestinationConfig.OnFailure.Destination', onFailure);
    }),
    batchSize: optional(body, 'BatchSize', expectInteger),
    maximumBatchingWindowInSeconds: optional(body, 'MaximumBatchingWindowInSeconds', expectInteger),
    filterPatterns: optional(body, 'FilterCriteria', filterPatterns),
    functionResponseTypes: optional(body, 'FunctionResponseTypes', (field, value) => {
      if (!Array.isArray(value) || value.length > 1) throw validationError('functionResponseTypes', value, 'Member must have length less than or equal to 1');
      return value.map((v: unknown) => expectString(field, v));
    }),
    maximumConcurrency: optional(body, 'ScalingConfig', (field, value) => {
      const max = expectObject(field, value).MaximumConcurrency;
      return max === undefined || max === null ? null : expectInteger('ScalingConfig.MaximumConcurrency', max);
    }),
  };
}

/** FilterCriteria.Filters[].Pattern. */
function filterPatterns(field: string, value: unknown): string[] {
  const filters = expectObject(field, value).Filters ?? [];
  if (!Array.isArray(filters)) throw invalidParameter('FilterCriteria.Filters must be a list.');
  return filters.map((filter: unknown) => expectString('FilterCriteria.Filters.Pattern', expectObject('FilterCriteria.Filters', filter).Pattern));
}

/** EventSourceMappingConfiguration as AWS returns it; LastModified in epoch seconds. */
function mappingConfiguration(record: EventSourceMappingRecord, mappings: EventSourceMappings): Record<string, unknown> {
  return {
    UUID: record.uuid,
    BatchSize: record.batchSize,
    MaximumBatchingWindowInSeconds: record.maximumBatchingWindowInSeconds,
    EventSourceArn: record.eventSourceArn,
    ...(record.filterPatterns.length === 0 ? {} : { FilterCriteria: { Filters: record.filterPatterns.map((Pattern) => ({ Pattern })) } }),
    FunctionArn: mappings.functionArn(record),
    LastModified: record.lastModified / 1000,
    ...(record.lastProcessingResult === undefined ? {} : { LastProcessingResult: record.lastProcessingResult }),
    State: record.state,
    StateTransitionReason: record.stateTransitionReason,
    FunctionResponseTypes: record.functionResponseTypes,
    ...(record.maximumConcurrency === undefined ? {} : { ScalingConfig: { MaximumConcurrency: record.maximumConcurrency } }),
    ...(record.source === 'sqs'
      ? {}
      : {
          StartingPosition: record.startingPosition,
          ...(record.startingPositionTimestamp === undefined ? {} : { StartingPositionTimestamp: record.startingPositionTimestamp / 1000 }),
          ParallelizationFactor: record.parallelizationFactor,
          MaximumRecordAgeInSeconds: record.maximumRecordAgeInSeconds,
          BisectBatchOnFunctionError: record.bisectBatchOnFunctionError,
          MaximumRetryAttempts: record.maximumRetryAttempts,
          TumblingWindowInSeconds: 0,
          DestinationConfig: { OnFailure: record.onFailure === undefined ? {} : { Destination: record.onFailure } },
        }),
    EventSourceMappingArn: mappings.arn(record.uuid),
  };
}

function unrecognizedSource(): never {
  throw invalidParameter('Unrecognized event source.');
}
