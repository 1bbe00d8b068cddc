import { randomBytes } from 'node:crypto';
import { AwsError } from '../core/index.js';

/** One page of an IAM List operation; `marker` set when there is more. */
export interface Page<T> {
  readonly items: T[];
  readonly marker?: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** IAM's wording for a value outside a member's constraint. */
export function iamValidation(member: string, value: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value '${value.slice(0, 256)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;

/** An IAM path (`/`, or `/division/team/`), `/` unless given. */
export function checkIamPath(given: string | undefined): string {
  const path = given ?? '/';
  if (path.length > 512 || !PATH.test(path)) {
    throw iamValidation('path', path, 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)');
  }
  return path;
}

/** MaxItems of IAM's List operations: 1–1000, 100 unless given. */
export function checkMaxItems(given: number | undefined): number {
  const maxItems = given ?? 100;
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
    throw iamValidation('maxItems', String(given), 'Member must have value less than or equal to 1000 and greater than or equal to 1');
  }
  return maxItems;
}

/** One page of entities sorted by name (as the store lists them), after `marker` (a name, any case), at most `maxItems`. */
export function pageByName<T>(all: readonly T[], nameOf: (item: T) => string, marker: string | undefined, maxItems: number | undefined): Page<T> {
  const limit = checkMaxItems(maxItems);
  const from = marker === undefined ? 0 : all.filter((item) => nameOf(item).toLowerCase() <= marker.toLowerCase()).length;
  const items = all.slice(from, from + limit);
  return from + limit < all.length ? { items, marker: nameOf(items[items.length - 1]!) } : { items };
}

/** The random part of an IAM id (its kind is its prefix: AROA roles, ANPA policies). */
export function randomIamId(length: number): string {
  let id = '';
  for (const byte of randomBytes(length)) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}
