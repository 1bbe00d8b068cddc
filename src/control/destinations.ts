import { invalidParameter, functionArn, parseFunctionName, validationError, type Partition } from '../core/index.js';

/** The service model's ARN pattern (EventSourceArn, DestinationConfig): the service is group 2, the resource group 6. */
export const ARN = /^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-]+):([a-z]{2}(-gov)?-[a-z]+-\d)?:(\d{12})?:(.*)$/;
/** The same pattern as the model writes it, for ValidationException messages. */
export const ARN_CONSTRAINT = 'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';
/** DestinationArn's length limit in the model. */
const DESTINATION_MAX = 350;

/**
 * A destination ARN as Lambda checks it (the model's pattern and length, not the function itself),
 * normalised to a function ARN. Lambda functions, and SQS queues where `alsoQueues` (the on-failure
 * destinations of stream mappings); SNS and S3 destinations need clients selfless does not have yet. `field` names the member in the ValidationException, `kind` the
 * destinations in the refusal.
 */
export function lambdaDestination(arn: string, self: string, partition: Partition, options: { field: string; kind: string; alsoQueues?: boolean }): string {
  const match = arn.length > DESTINATION_MAX ? null : ARN.exec(arn);
  if (match === null) throw validationError(options.field, arn, `Member must satisfy regular expression pattern: ^$|${ARN_CONSTRAINT}`);
  const service = match[2];
  // A queue is written to as it is named: its region and account are in its ARN, its name is the resource.
  if (service === 'sqs' && options.alsoQueues === true) {
    if (match[3] === undefined || match[5] === undefined || !/^[\w-]{1,80}(\.fifo)?$/.test(match[6]!)) {
      throw invalidParameter(`The destination ${arn} is not a queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME).`);
    }
    if (match[6]!.endsWith('.fifo')) throw invalidParameter(`${options.kind} must be standard queues; ${arn} is a FIFO queue.`);
    return arn;
  }
  if (service !== 'lambda') {
    throw invalidParameter(
      `${options.kind} of type ${service} are not supported by selfless yet: use a Lambda function ARN (arn:aws:lambda:${partition.region}:${partition.accountId}:function:NAME).`,
    );
  }
  const ref = parseFunctionName(arn, partition);
  if (ref.name === self) throw invalidParameter("You can't specify the function as a destination for itself.");
  return functionArn(partition, ref.name, ref.qualifier);
}
