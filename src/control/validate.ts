import { checkRange, invalidParameter, validationError } from '../core/index.js';

/**
 * Lambda's own rules for CreateFunction / UpdateFunctionConfiguration, on top of the service model's
 * (lengths, patterns, ranges and enums are checked at the front door, api/model-validation.ts): quotas
 * from https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html, reserved keys, tags, the
 * host's architecture. The values' JSON types were checked where the request was read (api/wire.ts).
 */

export const LIMITS = {
  memoryMin: 128,
  memoryMax: 10_240,
  timeoutMin: 1,
  timeoutMax: 900,
  environmentBytes: 4096,
  tagsMax: 50,
} as const;

const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Keys Lambda sets itself and refuses from customers (configuration-envvars.html, "Reserved environment variables"). */
export const RESERVED_ENV_KEYS: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

export function checkMemory(value: number): number {
  return checkRange('memorySize', value, LIMITS.memoryMin, LIMITS.memoryMax);
}

export function checkTimeout(value: number): number {
  return checkRange('timeout', value, LIMITS.timeoutMin, LIMITS.timeoutMax);
}

/** Environment.Variables: reserved keys, 4 KB over the JSON of the map (as AWS measures it); the key pattern is the model's. */
export function checkEnvironment(variables: Readonly<Record<string, string>>): Record<string, string> {
  const result: Record<string, string> = {};
  const reserved: string[] = [];
  for (const [key, val] of Object.entries(variables)) {
    if (RESERVED_ENV_KEYS.includes(key)) reserved.push(key);
    result[key] = val;
  }
  if (reserved.length > 0) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  const measured = JSON.stringify(result);
  if (Buffer.byteLength(measured) > LIMITS.environmentBytes) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
    );
  }
  return result;
}

/** Architectures (one of the model's two, checked at the front door): the host's only, for now. */
export function checkArchitectures(value: readonly string[], hostArchitecture: 'x86_64' | 'arm64'): 'x86_64' | 'arm64' {
  const architecture = value[0] === 'arm64' ? 'arm64' : 'x86_64';
  if (architecture !== hostArchitecture) {
    throw invalidParameter(`Architecture ${architecture} is not supported on this host yet: selfless runs functions on ${hostArchitecture} here.`);
  }
  return architecture;
}

export function checkTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(tags);
  if (entries.length > LIMITS.tagsMax) throw invalidParameter('Number of tags exceeds resource tag limit.');
  for (const [key, val] of entries) {
    if (key.length < 1 || key.length > 128 || !TAG_KEY.test(key)) {
      throw validationError(
        'tags',
        key,
        'Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$]',
      );
    }
    const text = val;
    if (text.length > 256 || !TAG_VALUE.test(text)) {
      throw validationError(
        'tags',
        text,
        'Member must satisfy constraint: [Member must have length less than or equal to 256, Member must satisfy regular expression pattern: ^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$]',
      );
    }
  }
  return { ...tags };
}
