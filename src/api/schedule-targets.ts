import { AwsError, checkRange, type DeliveryRetryPolicy } from '../core/index.js';
import { expectInteger, expectObject, expectString, optional, type Body } from './wire.js';

/**
 * What EventBridge rules and Scheduler schedules share in a target: the Lambda function it names, its
 * RetryPolicy and its DeadLetterConfig, read alike from either API's JSON.
 */

/** The targets selfless delivers to: Lambda functions (a version or alias too). */
export const LAMBDA_FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]{1,64}(:[\w$-]+)?$/;
const SQS_QUEUE_ARN = /^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w-]{1,80}$/;

/** RetryPolicy within the model's bounds (`field` prefixes the member names in errors). */
export function retryPolicyOf(target: Body, field: string): Partial<DeliveryRetryPolicy> | undefined {
  const retry = optional(target, 'RetryPolicy', expectObject);
  if (retry === undefined) return undefined;
  const attempts = optional(retry, 'MaximumRetryAttempts', expectInteger);
  const age = optional(retry, 'MaximumEventAgeInSeconds', expectInteger);
  if (attempts !== undefined) checkRange(`${field}maximumRetryAttempts`, attempts, 0, 185);
  if (age !== undefined) checkRange(`${field}maximumEventAgeInSeconds`, age, 60, 86_400);
  if (attempts === undefined && age === undefined) return undefined;
  return { ...(attempts === undefined ? {} : { maximumRetryAttempts: attempts }), ...(age === undefined ? {} : { maximumEventAgeInSeconds: age }) };
}

/** DeadLetterConfig.Arn: an SQS queue, the one kind of dead-letter target both services take. */
export function deadLetterArnOf(target: Body, label: string): string | undefined {
  const deadLetter = optional(target, 'DeadLetterConfig', expectObject);
  const arn = deadLetter === undefined ? undefined : optional(deadLetter, 'Arn', expectString);
  if (arn !== undefined && !SQS_QUEUE_ARN.test(arn)) throw new AwsError('ValidationException', `${label}DeadLetterConfig.Arn must be an SQS queue ARN.`);
  return arn;
}
