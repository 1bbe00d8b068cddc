import { AwsError, checkRange, validationError, type SchedulerScheduleRecord } from '../core/index.js';
import type { ScheduleInput } from '../schedules/index.js';
import { jsonBody, route, type RequestContext, type Route } from './http.js';
import { deadLetterArnOf, LAMBDA_FUNCTION_ARN, retryPolicyOf } from './schedule-targets.js';
import type { Services } from './services.js';
import { expectInteger, expectObject, expectString, optional, required, type Body } from './wire.js';

const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const OTHER_TARGETS = ['EcsParameters', 'EventBridgeParameters', 'KinesisParameters', 'SageMakerPipelineParameters', 'SqsParameters'];

/**
 * EventBridge Scheduler (REST-JSON under `/schedules`), so `aws scheduler …` and the SDK's Scheduler
 * client work unchanged. Dates travel as epoch seconds.
 */
export function schedulerRoutes(s: Services): Route[] {
  const resource = (ctx: RequestContext) => s.schedules.arnOf({ groupName: ctx.query.get('groupName') ?? groupOf(ctx), name: ctx.params.Name! });
  const passRole = (ctx: RequestContext) => {
    const target = jsonBody(ctx).Target as Body | undefined;
    const roleArn = typeof target?.RoleArn === 'string' ? target.RoleArn : undefined;
    return roleArn === undefined ? [] : [{ action: 'iam:PassRole', resource: roleArn, conditionValues: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }];
  };
  const options = { service: 'scheduler', resource };
  return [
    route(
      'POST',
      '/schedules/{Name}',
      'CreateSchedule',
      async (ctx) => {
        const created = await s.schedules.create(scheduleInput(ctx));
        return { status: 200, body: { ScheduleArn: s.schedules.arnOf(created) } };
      },
      { ...options, alsoAuthorize: passRole },
    ),
    route(
      'PUT',
      '/schedules/{Name}',
      'UpdateSchedule',
      async (ctx) => {
        const updated = await s.schedules.update(scheduleInput(ctx));
        return { status: 200, body: { ScheduleArn: s.schedules.arnOf(updated) } };
      },
      { ...options, alsoAuthorize: passRole },
    ),
    route(
      'GET',
      '/schedules/{Name}',
      'GetSchedule',
      (ctx) => ({ status: 200, body: scheduleShape(s.schedules.get(scheduleName(ctx), ctx.query.get('groupName') ?? undefined), s) }),
      options,
    ),
    route(
      'DELETE',
      '/schedules/{Name}',
      'DeleteSchedule',
      async (ctx) => {
        await s.schedules.delete(scheduleName(ctx), ctx.query.get('groupName') ?? undefined);
        return { status: 200, body: {} };
      },
      options,
    ),
    route(
      'GET',
      '/schedules',
      'ListSchedules',
      (ctx) => {
        const raw = ctx.query.get('MaxResults');
        const max = raw === null ? 100 : Number(raw);
        if (!Number.isInteger(max)) throw validationError('maxResults', raw, 'Member must be an integer');
        checkRange('maxResults', max, 1, 100);
        const { schedules, nextMarker } = s.schedules.list(
          {
            groupName: ctx.query.get('ScheduleGroup') ?? undefined,
            namePrefix: ctx.query.get('NamePrefix') ?? undefined,
            state: ctx.query.get('State') ?? undefined,
          },
          ctx.query.get('NextToken') ?? undefined,
          max,
        );
        return {
          status: 200,
          body: {
            Schedules: schedules.map((r) => ({
              Arn: s.schedules.arnOf(r),
              Name: r.name,
              GroupName: r.groupName,
              State: r.state,
              CreationDate: seconds(r.createdAt),
              LastModificationDate: seconds(r.modifiedAt),
              Target: { Arn: r.target.arn },
            })),
            ...(nextMarker === undefined ? {} : { NextToken: nextMarker }),
          },
        };
      },
      { service: 'scheduler' },
    ),
  ];
}

const groupOf = (ctx: RequestContext): string => {
  if (ctx.req.method !== 'POST' && ctx.req.method !== 'PUT') return 'default';
  const group = jsonBody(ctx).GroupName;
  return typeof group === 'string' ? group : 'default';
};

function scheduleName(ctx: RequestContext): string {
  const name = ctx.params.Name!;
  if (!NAME.test(name)) throw validationError('name', name, 'Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$');
  return name;
}

function scheduleInput(ctx: RequestContext): ScheduleInput {
  const b = jsonBody(ctx);
  const name = scheduleName(ctx);
  // Inputs are kept as the rest of selfless's state is, under no key of the caller's choosing.
  if (optional(b, 'KmsKeyArn', expectString) !== undefined) throw new AwsError('ValidationException', 'KmsKeyArn is not supported by selfless: leave it out.');
  const expression = expectString('ScheduleExpression', required(b, 'ScheduleExpression'));
  if (expression.length > 256) throw validationError('scheduleExpression', expression, 'Member must have length less than or equal to 256');
  const window = expectObject('FlexibleTimeWindow', required(b, 'FlexibleTimeWindow'));
  const mode = expectString('Mode', required(window, 'Mode'));
  if (mode !== 'OFF' && mode !== 'FLEXIBLE') throw validationError('flexibleTimeWindow.mode', mode, 'Member must satisfy enum value set: [OFF, FLEXIBLE]');
  const minutes = optional(window, 'MaximumWindowInMinutes', expectInteger);
  if (minutes !== undefined) checkRange('flexibleTimeWindow.maximumWindowInMinutes', minutes, 1, 1440);
  const target = expectObject('Target', required(b, 'Target'));
  const arn = expectString('Arn', required(target, 'Arn'));
  if (!LAMBDA_FUNCTION_ARN.test(arn))
    throw new AwsError('ValidationException', `selfless's Scheduler delivers to Lambda functions only, and ${arn} is not a Lambda function ARN.`);
  const other = OTHER_TARGETS.find((field) => target[field] !== undefined && target[field] !== null);
  if (other !== undefined) throw new AwsError('ValidationException', `${other} is for other target types; a Lambda target takes none.`);
  const roleArn = expectString('RoleArn', required(target, 'RoleArn'));
  if (!ROLE_ARN.test(roleArn))
    throw validationError('target.roleArn', roleArn, 'Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$');
  const input = optional(target, 'Input', expectString);
  if (input === '') throw validationError('target.input', input, 'Member must have length greater than or equal to 1');
  const retryPolicy = retryPolicyOf(target, 'target.retryPolicy.');
  const deadLetterArn = deadLetterArnOf(target, '');
  const state = optional(b, 'State', expectString);
  if (state !== undefined && state !== 'ENABLED' && state !== 'DISABLED')
    throw validationError('state', state, 'Member must satisfy enum value set: [ENABLED, DISABLED]');
  const after = optional(b, 'ActionAfterCompletion', expectString);
  if (after !== undefined && after !== 'NONE' && after !== 'DELETE')
    throw validationError('actionAfterCompletion', after, 'Member must satisfy enum value set: [NONE, DELETE]');
  const description = optional(b, 'Description', expectString);
  if (description !== undefined && description.length > 512)
    throw validationError('description', description, 'Member must have length less than or equal to 512');
  const group = optional(b, 'GroupName', expectString);
  if (group !== undefined && !NAME.test(group)) throw validationError('groupName', group, 'Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$');
  return {
    name,
    groupName: group,
    scheduleExpression: expression,
    timezone: optional(b, 'ScheduleExpressionTimezone', expectString),
    state,
    description,
    startDate: optional(b, 'StartDate', date),
    endDate: optional(b, 'EndDate', date),
    flexibleWindow: minutes === undefined ? { mode } : { mode, maximumWindowInMinutes: minutes },
    target: {
      arn,
      roleArn,
      input,
      retryPolicy,
      deadLetterArn,
    },
    actionAfterCompletion: after,
  };
}

/** A timestamp member: epoch seconds (what the SDKs send), or an ISO 8601 string. */
function date(field: string, value: unknown): number {
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new AwsError('ValidationException', `${field} must be a timestamp, got ${JSON.stringify(value)}`);
  return ms;
}

const seconds = (ms: number): number => ms / 1000;

function scheduleShape(r: SchedulerScheduleRecord, s: Services): Record<string, unknown> {
  return {
    Arn: s.schedules.arnOf(r),
    Name: r.name,
    GroupName: r.groupName,
    ScheduleExpression: r.scheduleExpression,
    ScheduleExpressionTimezone: r.timezone,
    State: r.state,
    ...(r.description === undefined ? {} : { Description: r.description }),
    ...(r.startDate === undefined ? {} : { StartDate: seconds(r.startDate) }),
    ...(r.endDate === undefined ? {} : { EndDate: seconds(r.endDate) }),
    FlexibleTimeWindow: {
      Mode: r.flexibleWindow.mode,
      ...(r.flexibleWindow.maximumWindowInMinutes === undefined ? {} : { MaximumWindowInMinutes: r.flexibleWindow.maximumWindowInMinutes }),
    },
    Target: {
      Arn: r.target.arn,
      RoleArn: r.target.roleArn,
      ...(r.target.input === undefined ? {} : { Input: r.target.input }),
      RetryPolicy: { MaximumRetryAttempts: r.target.retryPolicy.maximumRetryAttempts, MaximumEventAgeInSeconds: r.target.retryPolicy.maximumEventAgeInSeconds },
      ...(r.target.deadLetterArn === undefined ? {} : { DeadLetterConfig: { Arn: r.target.deadLetterArn } }),
    },
    ActionAfterCompletion: r.actionAfterCompletion,
    CreationDate: seconds(r.createdAt),
    LastModificationDate: seconds(r.modifiedAt),
  };
}
