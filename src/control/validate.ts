import { AwsError, checkRange, invalidParameter, shownValue, validationError } from '../core/index.js';

/**
 * Field checks for CreateFunction / UpdateFunctionConfiguration, with the limits and wording AWS uses
 * (service model constraints; quotas from https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */

export const LIMITS = {
  memoryMin: 128,
  memoryMax: 10_240,
  timeoutMin: 1,
  timeoutMax: 900,
  ephemeralMin: 512,
  ephemeralMax: 10_240,
  environmentBytes: 4096,
  descriptionMax: 256,
  handlerMax: 128,
  tagsMax: 50,
} as const;

const HANDLER = /^[^\s]+$/;
const ROLE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const ENV_KEY = /^[a-zA-Z]([a-zA-Z0-9_])+$/;
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

export function expectString(field: string, value: unknown): string {
  if (typeof value !== 'string') throw serialization(field, value, 'a string');
  return value;
}

export function expectInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization(field, value, 'an integer');
  return value;
}

export function expectObject(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw serialization(field, value, 'an object');
  return value as Record<string, unknown>;
}

function serialization(field: string, value: unknown, expected: string): AwsError {
  return new AwsError('InvalidParameterValueException', `${field} must be ${expected}, got ${shownValue(value)}`);
}

export function checkMemory(value: unknown): number {
  return checkRange('memorySize', expectInteger('MemorySize', value), LIMITS.memoryMin, LIMITS.memoryMax);
}

export function checkTimeout(value: unknown): number {
  return checkRange('timeout', expectInteger('Timeout', value), LIMITS.timeoutMin, LIMITS.timeoutMax);
}

export function checkHandler(value: unknown): string {
  const handler = expectString('Handler', value);
  if (handler.length > LIMITS.handlerMax) throw validationError('handler', handler, `Member must have length less than or equal to ${LIMITS.handlerMax}`);
  if (!HANDLER.test(handler)) throw validationError('handler', handler, 'Member must satisfy regular expression pattern: [^\\s]+');
  return handler;
}

export function checkRole(value: unknown): string {
  const role = expectString('Role', value);
  if (!ROLE.test(role)) {
    throw validationError('role', role, 'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+');
  }
  return role;
}

export function checkDescription(value: unknown): string {
  const description = expectString('Description', value);
  if (description.length > LIMITS.descriptionMax) {
    throw validationError('description', description, `Member must have length less than or equal to ${LIMITS.descriptionMax}`);
  }
  return description;
}

export function checkEphemeralStorage(value: unknown): number {
  const size = expectObject('EphemeralStorage', value).Size;
  return checkRange('ephemeralStorage.size', expectInteger('EphemeralStorage.Size', size), LIMITS.ephemeralMin, LIMITS.ephemeralMax);
}

/** Environment.Variables: key pattern, reserved keys, 4 KB over the JSON of the map (as AWS measures it). */
export function checkEnvironment(value: unknown): Record<string, string> {
  const variables = expectObject('Environment', value).Variables ?? {};
  const vars = expectObject('Environment.Variables', variables);
  const result: Record<string, string> = {};
  const reserved: string[] = [];
  for (const [key, val] of Object.entries(vars)) {
    if (!ENV_KEY.test(key)) {
      throw validationError('environment.variables', key, 'Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+');
    }
    if (RESERVED_ENV_KEYS.includes(key)) reserved.push(key);
    result[key] = expectString(`Environment.Variables.${key}`, val);
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

export function checkArchitectures(value: unknown, hostArchitecture: 'x86_64' | 'arm64'): 'x86_64' | 'arm64' {
  if (!Array.isArray(value) || value.length !== 1) {
    throw validationError('architectures', value, 'Member must have length less than or equal to 1');
  }
  const [architecture] = value;
  if (architecture !== 'x86_64' && architecture !== 'arm64') {
    throw validationError('architectures', value, 'Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]');
  }
  if (architecture !== hostArchitecture) {
    throw invalidParameter(`Architecture ${architecture} is not supported on this host yet: selfless runs functions on ${hostArchitecture} here.`);
  }
  return architecture;
}

export function checkTags(value: unknown): Record<string, string> {
  const tags = expectObject('Tags', value);
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
    const text = expectString(`Tags.${key}`, val);
    if (text.length > 256 || !TAG_VALUE.test(text)) {
      throw validationError(
        'tags',
        text,
        'Member must satisfy constraint: [Member must have length less than or equal to 256, Member must satisfy regular expression pattern: ^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$]',
      );
    }
  }
  return tags as Record<string, string>;
}

/** Refuses, by name, every parameter we cannot honour yet: never accept and ignore. */
export function refuseUnsupported(body: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (isEmptySetting(value)) continue;
    throw invalidParameter(`${name} is not supported by selfless yet.`);
  }
}

/** Empty lists/objects (e.g. `Layers: []`, `VpcConfig: {SubnetIds: []}`) are what tools send for "none". */
function isEmptySetting(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).every((v) => v === undefined || v === null || v === '' || isEmptySetting(v));
  }
  return false;
}
