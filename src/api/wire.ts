import { AwsError, invalidParameter, shownValue } from '../core/index.js';

/**
 * Reading AWS's JSON request bodies into typed service inputs: a member of the wrong JSON type is the
 * caller's error before any service sees it, worded as Lambda words it. Value rules (ranges, patterns,
 * limits) are the services'.
 */

export type Body = Record<string, unknown>;

export function expectString(field: string, value: unknown): string {
  if (typeof value !== 'string') throw serialization(field, value, 'a string');
  return value;
}

export function expectInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization(field, value, 'an integer');
  return value;
}

export function expectBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw serialization(field, value, 'a boolean');
  return value;
}

/** An integer member, with the wording Lambda uses for some (`ReservedConcurrentExecutions must be an integer.`). */
export function expectLambdaInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidParameter(`${field} must be an integer.`);
  return value;
}

export function expectObject(field: string, value: unknown): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw serialization(field, value, 'an object');
  return value as Body;
}

/** A map of strings (Environment.Variables, Tags). */
export function expectStringMap(field: string, value: unknown): Record<string, string> {
  const map = expectObject(field, value);
  for (const [key, member] of Object.entries(map)) expectString(`${field}.${key}`, member);
  return map as Record<string, string>;
}

function serialization(field: string, value: unknown, expected: string): AwsError {
  return new AwsError('InvalidParameterValueException', `${field} must be ${expected}, got ${shownValue(value)}`);
}

/** Members absent or null are undefined: AWS's tools send null for "not set". */
export function optional<T>(body: Body, field: string, read: (field: string, value: unknown) => T): T | undefined {
  const value = body[field];
  return value === undefined || value === null ? undefined : read(field, value);
}

/** A member the service model marks required: AWS's ValidationException when it is absent or null. */
export function required(body: Body, field: string): unknown {
  const value = body[field];
  if (value === undefined || value === null) {
    const member = field.charAt(0).toLowerCase() + field.slice(1);
    throw new AwsError('ValidationException', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

/** Refuses, by name, every parameter we cannot honour yet: never accept and ignore. */
export function refuseUnsupported(body: Body, names: readonly string[]): void {
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
