import { AwsError, validationError } from './errors.js';

/** Where the platform lives: every ARN it issues names this region and account. */
export interface Partition {
  readonly region: string;
  readonly accountId: string;
}

export interface FunctionRef {
  readonly name: string;
  /** `$LATEST`, a version number or an alias, when the caller named one. */
  readonly qualifier?: string;
}

// The service model's FunctionName / NamespacedFunctionName patterns, anchored.
const FUNCTION_ARN_PATTERN =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;
const MODEL_PATTERN_TEXT =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';

export const FUNCTION_NAME_MAX = 64;

/**
 * Parses a FunctionName parameter: a bare name, a partial ARN (`123456789012:function:f`) or a full ARN,
 * each optionally with `:qualifier`. `maxLength` is 140 on create/update operations and 256 elsewhere
 * (service model FunctionName vs NamespacedFunctionName).
 */
export function parseFunctionName(input: string, partition: Partition, maxLength = 256): FunctionRef {
  if (input.length < 1 || input.length > maxLength) {
    throw validationError(
      'functionName',
      input,
      `Member must have length ${input.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${maxLength}`}`,
    );
  }
  const match = FUNCTION_ARN_PATTERN.exec(input);
  if (!match) {
    throw validationError('functionName', input, `Member must satisfy regular expression pattern: ${MODEL_PATTERN_TEXT}`);
  }
  const [, region, account, name, qualifier] = match;
  if (region !== undefined && region !== partition.region) {
    throw new AwsError('ResourceNotFoundException', `Functions from '${region}' are not reachable in this region ('${partition.region}')`);
  }
  if (account !== undefined && account !== partition.accountId) {
    throw new AwsError('AccessDeniedException', `The function belongs to account ${account}, not to ${partition.accountId}.`);
  }
  // A name longer than any function may have is not refused here: looked up, it is simply not found, as
  // on AWS; CreateFunction refuses it (checkNewFunctionName).
  return qualifier === undefined ? { name: name! } : { name: name!, qualifier };
}

/** CreateFunction's own limit on the name part, worded as AWS words it (an InvalidParameterValueException). */
export function checkNewFunctionName(input: string, name: string): void {
  if (name.length > FUNCTION_NAME_MAX) {
    throw new AwsError(
      'InvalidParameterValueException',
      `1 validation error detected: Value '${input}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to ${FUNCTION_NAME_MAX}`,
    );
  }
}

export function functionArn(partition: Partition, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${partition.region}:${partition.accountId}:function:${name}`;
  return qualifier === undefined ? base : `${base}:${qualifier}`;
}

/**
 * Resolves the qualifier of a request from the name's `:suffix` and `?Qualifier=`; AWS insists they agree.
 */
export function resolveQualifier(ref: FunctionRef, queryQualifier: string | undefined): string | undefined {
  if (queryQualifier !== undefined && ref.qualifier !== undefined && queryQualifier !== ref.qualifier) {
    throw new AwsError('InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
  }
  return queryQualifier ?? ref.qualifier;
}
