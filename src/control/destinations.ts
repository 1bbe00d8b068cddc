import { invalidParameter, functionArn, parseFunctionName, validationError, type Partition } from '../core/index.js';

/** The service model's ARN pattern (EventSourceArn, DestinationConfig): the service is group 2, the resource group 6. */
export const ARN = /^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-]+):([a-z]{2}(-gov)?-[a-z]+-\d)?:(\d{12})?:(.*)$/;
/** The same pattern as the model writes it, for ValidationException messages. */
export const ARN_CONSTRAINT = 'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';
/** DestinationArn's length limit in the model. */
const DESTINATION_MAX = 350;

/**
 * A destination ARN as Lambda checks it (the model's pattern and length, not the function itself),
 * normalised to a function ARN. Only Lambda functions: SQS, SNS and S3 destinations need sources
 * selfless does not write to yet. `field` names the member in the ValidationException, `kind` the
 * destinations in the refusal.
 */
export function lambdaDestination(arn: string, self: string, partition: Partition, options: { field: string; kind: string }): string {
  const match = arn.length > DESTINATION_MAX ? null : ARN.exec(arn);
  if (match === null) throw validationError(options.field, arn, `Member must satisfy regular expression pattern: ^$|${ARN_CONSTRAINT}`);
  const service = match[2];
  if (service !== 'lambda') {
    throw invalidParameter(
      `${options.kind} of type ${service} are not supported by selfless yet: use a Lambda function ARN (arn:aws:lambda:${partition.region}:${partition.accountId}:function:NAME).`,
    );
  }
  const ref = parseFunctionName(arn, partition);
  if (ref.name === self) throw invalidParameter("You can't specify the function as a destination for itself.");
  return functionArn(partition, ref.name, ref.qualifier);
}
