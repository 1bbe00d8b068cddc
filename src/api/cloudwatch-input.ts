import { AwsError } from '../core/index.js';

/**
 * Reading CloudWatch's request members, whichever protocol brought them: AWS JSON 1.0 gives numbers and
 * epoch seconds, the Query protocol gives strings (ISO 8601 for times). Errors are worded as CloudWatch
 * words them (`The parameter X is required.`, `The value v for parameter X is invalid.`).
 */

export type Doc = Record<string, unknown>;

export const missing = (field: string) => new AwsError('MissingRequiredParameterException', `The parameter ${field} is required.`);
export const invalidValue = (message: string) => new AwsError('InvalidParameterValueException', message);
const badValue = (field: string, value: unknown) => invalidValue(`The value ${shown(value)} for parameter ${field} is invalid.`);

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 256 ? `${text.slice(0, 256)}…` : text;
}

/** A member, absent when missing or null (what AWS's tools send for "not set"). */
function member(doc: Doc, name: string): unknown {
  const value = doc[name];
  return value === null ? undefined : value;
}

export function text(doc: Doc, name: string, field = name): string | undefined {
  const value = member(doc, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badValue(field, value);
  return value;
}

export function requiredText(doc: Doc, name: string, field = name): string {
  const value = text(doc, name, field);
  if (value === undefined || value === '') throw missing(field);
  return value;
}

/** A string of 1 to `max` characters, as the model's length constraints have it. */
export function checkLength(field: string, value: string, max: number): string {
  if (value.length < 1 || value.length > max) throw invalidValue(`The parameter ${field} must be between 1 and ${max} characters long.`);
  return value;
}

export function integer(doc: Doc, name: string, field = name): number | undefined {
  const value = member(doc, name);
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw badValue(field, value);
  return n;
}

export function boolean(doc: Doc, name: string, field = name): boolean | undefined {
  const value = member(doc, name);
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw badValue(field, value);
}

/** A timestamp as epoch ms: epoch seconds (AWS JSON's form) or ISO 8601 (the Query protocol's). */
export function timestamp(doc: Doc, name: string, field = name): number | undefined {
  const value = member(doc, name);
  if (value === undefined) return undefined;
  let ms = Number.NaN;
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string') ms = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (!Number.isFinite(ms)) throw badValue(field, value);
  return ms;
}

export function requiredTimestamp(doc: Doc, name: string, field = name): number {
  const ms = timestamp(doc, name, field);
  if (ms === undefined) throw missing(field);
  return ms;
}

export function structure(doc: Doc, name: string, field = name): Doc | undefined {
  const value = member(doc, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badValue(field, value);
  return value as Doc;
}

/** A list of at most `max` items; `Name.member.N` names item N, as CloudWatch's messages do. */
export function list<T>(doc: Doc, name: string, max: number, read: (item: unknown, field: string) => T, field = name): T[] | undefined {
  const value = member(doc, name);
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw badValue(field, value);
  if (value.length > max) throw invalidValue(`The collection ${field} must not have a size greater than ${max}.`);
  return value.map((item, i) => read(item, `${field}.member.${i + 1}`));
}

export function textItem(item: unknown, field: string): string {
  if (item === undefined || item === null || item === '') throw missing(field);
  if (typeof item !== 'string') throw badValue(field, item);
  return item;
}

export function structureItem(item: unknown, field: string): Doc {
  if (item === undefined || item === null) throw missing(field);
  if (typeof item !== 'object' || Array.isArray(item)) throw badValue(field, item);
  return item as Doc;
}

/** A member selfless does not serve: refused by name, never accepted and ignored. */
export function refuse(doc: Doc, name: string, field = name): void {
  const value = member(doc, name);
  if (value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0)) return;
  throw invalidValue(`The parameter ${field} is not supported by selfless.`);
}
