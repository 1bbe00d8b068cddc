import { AwsError, checkRange, validationError, type RuleTargetRecord } from '../core/index.js';
import type { EventRuleRecord } from '../core/index.js';
import { jsonBody, route, type Route } from './http.js';
import { jsonProtocol } from './json-protocol.js';
import { deadLetterArnOf, LAMBDA_FUNCTION_ARN, retryPolicyOf } from './schedule-targets.js';
import type { Services } from './services.js';
import { expectInteger, expectObject, expectString, expectStringMap, optional, required, type Body } from './wire.js';

/** EventBridge's names (rules, target ids). */
const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const TARGET_SERVICES = [
  'EcsParameters',
  'KinesisParameters',
  'RunCommandParameters',
  'BatchParameters',
  'SqsParameters',
  'HttpParameters',
  'RedshiftDataParameters',
  'SageMakerPipelineParameters',
  'AppSyncParameters',
];
type Operation = (body: Body, s: Services) => Promise<object> | object;

/**
 * EventBridge's scheduled rules (AWS JSON 1.1: `POST /` with `X-Amz-Target: AWSEvents.<Operation>`), so
 * `aws events …`, the SDK's EventBridge client and Terraform's aws_cloudwatch_event_rule work unchanged.
 */
const OPERATIONS: Readonly<Record<string, Operation>> = {
  PutRule: async (b, s) => {
    const name = ruleName(b, 'Name');
    const state = optional(b, 'State', expectString) ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') throw validationError('state', state, 'Member must satisfy enum value set: [ENABLED, DISABLED]');
    const description = optional(b, 'Description', expectString);
    if (description !== undefined && description.length > 512)
      throw validationError('description', description, 'Member must have length less than or equal to 512');
    if (optional(b, 'Tags', (f, v) => v) !== undefined) throw new AwsError('ValidationException', 'Tags on rules are not supported by selfless yet.');
    const arn = await s.rules.put({
      name,
      scheduleExpression: optional(b, 'ScheduleExpression', expectString),
      eventPattern: optional(b, 'EventPattern', expectString),
      state,
      description,
      roleArn: optional(b, 'RoleArn', expectString),
      eventBusName: optional(b, 'EventBusName', expectString),
    });
    return { RuleArn: arn };
  },
  DescribeRule: (b, s) => {
    const rule = s.rules.describe(ruleName(b, 'Name'), optional(b, 'EventBusName', expectString));
    return { ...ruleShape(rule, s), CreatedBy: s.partition.accountId };
  },
  ListRules: (b, s) => {
    const { rules, nextMarker } = s.rules.list(optional(b, 'NamePrefix', expectString), optional(b, 'EventBusName', expectString), nextToken(b), limit(b));
    return { Rules: rules.map((r) => ruleShape(r, s)), ...(nextMarker === undefined ? {} : { NextToken: nextMarker }) };
  },
  ListRuleNamesByTarget: (b, s) => {
    const target = expectString('TargetArn', required(b, 'TargetArn'));
    const { names, nextMarker } = s.rules.namesByTarget(target, optional(b, 'EventBusName', expectString), nextToken(b), limit(b));
    return { RuleNames: names, ...(nextMarker === undefined ? {} : { NextToken: nextMarker }) };
  },
  EnableRule: async (b, s) => {
    await s.rules.setState(ruleName(b, 'Name'), 'ENABLED', optional(b, 'EventBusName', expectString));
    return {};
  },
  DisableRule: async (b, s) => {
    await s.rules.setState(ruleName(b, 'Name'), 'DISABLED', optional(b, 'EventBusName', expectString));
    return {};
  },
  DeleteRule: async (b, s) => {
    await s.rules.delete(ruleName(b, 'Name'), optional(b, 'EventBusName', expectString));
    return {};
  },
  PutTargets: async (b, s) => {
    const raw = required(b, 'Targets');
    if (!Array.isArray(raw) || raw.length < 1 || raw.length > 10)
      throw validationError('targets', raw, 'Member must have length less than or equal to 10 and greater than or equal to 1');
    const targets = raw.map((t, i) => targetOf(expectObject(`Targets.${i + 1}`, t)));
    const failed = await s.rules.putTargets(ruleName(b, 'Rule'), targets, optional(b, 'EventBusName', expectString));
    return { FailedEntryCount: failed.length, FailedEntries: failed.map(failedShape) };
  },
  RemoveTargets: async (b, s) => {
    const raw = required(b, 'Ids');
    if (!Array.isArray(raw) || raw.length < 1 || raw.length > 100)
      throw validationError('ids', raw, 'Member must have length less than or equal to 100 and greater than or equal to 1');
    const ids = raw.map((id, i) => expectString(`Ids.${i + 1}`, id));
    const failed = await s.rules.removeTargets(ruleName(b, 'Rule'), ids, optional(b, 'EventBusName', expectString));
    return { FailedEntryCount: failed.length, FailedEntries: failed.map(failedShape) };
  },
  ListTargetsByRule: (b, s) => {
    const { targets, nextMarker } = s.rules.targets(ruleName(b, 'Rule'), optional(b, 'EventBusName', expectString), nextToken(b), limit(b));
    return { Targets: targets.map(targetShape), ...(nextMarker === undefined ? {} : { NextToken: nextMarker }) };
  },
};

export function eventsRoutes(s: Services): Route[] {
  const bound = Object.fromEntries(Object.entries(OPERATIONS).map(([name, operation]) => [name, (body: Body) => operation(body, s)]));
  const { operationOf, handler } = jsonProtocol('AWSEvents', 'EventBridge', bound);
  return [
    route('POST', '/', 'EventBridge', handler, {
      service: 'events',
      action: (ctx) => `events:${operationOf(ctx)}`,
      // A rule's operations are authorized on the rule; the lists on every rule.
      resource: (ctx) => {
        const body = jsonBody(ctx);
        const name = body.Name ?? body.Rule;
        return typeof name === 'string' && NAME.test(name) ? s.rules.arnOf(name) : '*';
      },
    }),
  ];
}

function ruleName(body: Body, field: 'Name' | 'Rule'): string {
  const name = expectString(field, required(body, field));
  if (!NAME.test(name)) throw validationError(field.toLowerCase(), name, 'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+');
  return name;
}

function nextToken(body: Body): string | undefined {
  return optional(body, 'NextToken', expectString);
}

function limit(body: Body): number {
  const value = optional(body, 'Limit', expectInteger);
  return value === undefined ? 100 : checkRange('limit', value, 1, 100);
}

function targetOf(t: Body): RuleTargetRecord {
  const id = expectString('Id', required(t, 'Id'));
  if (!NAME.test(id)) throw validationError('id', id, 'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+');
  const arn = expectString('Arn', required(t, 'Arn'));
  if (!LAMBDA_FUNCTION_ARN.test(arn)) {
    throw new AwsError(
      'ValidationException',
      `Target ${id}: selfless delivers scheduled rules to Lambda functions only, and ${arn} is not a Lambda function ARN.`,
    );
  }
  const unsupported = TARGET_SERVICES.find((name) => t[name] !== undefined && t[name] !== null);
  if (unsupported !== undefined)
    throw new AwsError('ValidationException', `Target ${id}: ${unsupported} is for other target types; a Lambda target takes none.`);
  const input = optional(t, 'Input', expectString);
  const inputPath = optional(t, 'InputPath', expectString);
  const transformer = optional(t, 'InputTransformer', expectObject);
  if ([input, inputPath, transformer].filter((v) => v !== undefined).length > 1) {
    throw new AwsError('ValidationException', `Target ${id}: only one of Input, InputPath, or InputTransformer must be provided.`);
  }
  if (input !== undefined && !isJson(input)) throw new AwsError('ValidationException', `Target ${id}: Input is not valid JSON text.`);
  const retryPolicy = retryPolicyOf(t, '');
  const roleArn = optional(t, 'RoleArn', expectString);
  const deadLetterArn = deadLetterArnOf(t, `Target ${id}: `);
  return {
    id,
    arn,
    ...(input === undefined ? {} : { input }),
    ...(inputPath === undefined ? {} : { inputPath }),
    ...(transformer === undefined
      ? {}
      : {
          inputTransformer: {
            inputTemplate: expectString('InputTemplate', required(transformer, 'InputTemplate')),
            ...(transformer.InputPathsMap == null ? {} : { inputPathsMap: expectStringMap('InputPathsMap', transformer.InputPathsMap) }),
          },
        }),
    ...(roleArn === undefined ? {} : { roleArn }),
    ...(retryPolicy === undefined ? {} : { retryPolicy }),
    ...(deadLetterArn === undefined ? {} : { deadLetterArn }),
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function ruleShape(rule: EventRuleRecord, s: Services): Record<string, unknown> {
  return {
    Name: rule.name,
    Arn: s.rules.arnOf(rule.name),
    ScheduleExpression: rule.scheduleExpression,
    State: rule.state,
    ...(rule.description === undefined ? {} : { Description: rule.description }),
    ...(rule.roleArn === undefined ? {} : { RoleArn: rule.roleArn }),
    EventBusName: 'default',
  };
}

function targetShape(t: RuleTargetRecord): Record<string, unknown> {
  return {
    Id: t.id,
    Arn: t.arn,
    ...(t.roleArn === undefined ? {} : { RoleArn: t.roleArn }),
    ...(t.input === undefined ? {} : { Input: t.input }),
    ...(t.inputPath === undefined ? {} : { InputPath: t.inputPath }),
    ...(t.inputTransformer === undefined
      ? {}
      : {
          InputTransformer: {
            InputTemplate: t.inputTransformer.inputTemplate,
            ...(t.inputTransformer.inputPathsMap === undefined ? {} : { InputPathsMap: t.inputTransformer.inputPathsMap }),
          },
        }),
    ...(t.retryPolicy === undefined
      ? {}
      : { RetryPolicy: { MaximumRetryAttempts: t.retryPolicy.maximumRetryAttempts, MaximumEventAgeInSeconds: t.retryPolicy.maximumEventAgeInSeconds } }),
    ...(t.deadLetterArn === undefined ? {} : { DeadLetterConfig: { Arn: t.deadLetterArn } }),
  };
}

const failedShape = (f: { targetId: string; errorCode: string; errorMessage: string }) => ({
  TargetId: f.targetId,
  ErrorCode: f.errorCode,
  ErrorMessage: f.errorMessage,
});
