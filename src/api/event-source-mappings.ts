import { invalidParameter, validationError, type EventSourceMappingRecord } from '../core/index.js';
import type { EventSourceMappings, EventSourceMappingSettings } from '../control/index.js';
import { jsonBody, nextMarker, pageParams, route, type RequestContext, type Route } from './http.js';
import type { Services } from './services.js';
import { expectInteger, expectObject, expectString, optional, refuseUnsupported, required, type Body } from './wire.js';

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
/** Settings of stream sources (Kinesis, DynamoDB Streams), which selfless does not poll yet. */
const STREAM_ONLY = [
  'StartingPosition',
  'StartingPositionTimestamp',
  'ParallelizationFactor',
  'MaximumRecordAgeInSeconds',
  'BisectBatchOnFunctionError',
  'MaximumRetryAttempts',
  'TumblingWindowInSeconds',
  'DestinationConfig',
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
        eventSourceArn: expectString('EventSourceArn', required(body, 'EventSourceArn')),
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
  for (const name of STREAM_ONLY) {
    if (body[name] !== undefined && body[name] !== null)
      throw invalidParameter(`${name} applies to stream event sources (Kinesis, DynamoDB Streams), which selfless does not poll yet.`);
  }
  const enabled = body.Enabled;
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') throw invalidParameter('Enabled must be a boolean.');
  return {
    enabled: enabled ?? undefined,
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
    EventSourceMappingArn: mappings.arn(record.uuid),
  };
}
