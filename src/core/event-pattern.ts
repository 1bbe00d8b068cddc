/**
 * FilterCriteria: EventBridge event patterns, as Lambda applies them to the records of an event source
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html). A pattern is an object
 * whose keys are ANDed; a key's value is either a nested pattern or a list of rules, ORed, each matched
 * against the record's value there (against any element when that value is a list). `$or` takes a list
 * of patterns. No maintained JavaScript implementation of these rules exists as a library, so ours is
 * kept small and table-tested (test/filter.test.ts).
 */

export type Matcher = (record: unknown) => boolean;

export class PatternError extends Error {}

/** A pattern's matcher; a PatternError says what is wrong with it. */
export function compilePattern(text: string): Matcher {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch {
    throw new PatternError('the pattern is not JSON');
  }
  if (!isObject(pattern)) throw new PatternError('the pattern is not a JSON object');
  return compileObject(pattern);
}

/** A record goes through when any of the filters matches it (or there are none). */
export function anyPattern(patterns: readonly string[]): Matcher {
  if (patterns.length === 0) return () => true;
  const matchers = patterns.map(compilePattern);
  return (record) => matchers.some((m) => m(record));
}

function compileObject(pattern: Record<string, unknown>): Matcher {
  const parts: Matcher[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) throw new PatternError('$or takes a list of at least two patterns');
      const alternatives = value.map((p) => compileObject(p as Record<string, unknown>));
      parts.push((record) => alternatives.some((m) => m(record)));
    } else if (Array.isArray(value)) {
      const rules = value.map(compileRule);
      if (rules.length === 0) throw new PatternError(`the rules of "${key}" are an empty list`);
      const exists = value.find((v) => isObject(v) && 'exists' in v) as { exists: boolean } | undefined;
      parts.push((record) => {
        const present = isObject(record) && Object.hasOwn(record, key);
        if (!present) return exists !== undefined && exists.exists === false;
        const field = (record as Record<string, unknown>)[key];
        const values = Array.isArray(field) ? field : [field];
        return rules.some((rule) => values.some((v) => rule(v)));
      });
    } else if (isObject(value)) {
      const nested = compileObject(value);
      parts.push((record) => isObject(record) && Object.hasOwn(record, key) && nested((record as Record<string, unknown>)[key]));
    } else {
      throw new PatternError(`the value of "${key}" must be a list of rules or a nested pattern`);
    }
  }
  return (record) => parts.every((p) => p(record));
}

type Rule = (value: unknown) => boolean;

function compileRule(rule: unknown): Rule {
  if (rule === null || typeof rule === 'string' || typeof rule === 'number' || typeof rule === 'boolean') return (v) => equal(v, rule);
  if (!isObject(rule)) throw new PatternError('a rule is a value or an object with one operator');
  const entries = Object.entries(rule);
  if (entries.length !== 1) throw new PatternError('a rule object has exactly one operator');
  const [operator, operand] = entries[0]!;
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') throw new PatternError('exists takes true or false');
      // Presence is decided by the key (see compileObject); a present value satisfies exists: true only.
      return () => operand;
    case 'prefix':
      return affix(operand, (v, s) => v.startsWith(s), 'prefix');
    case 'suffix':
      return affix(operand, (v, s) => v.endsWith(s), 'suffix');
    case 'equals-ignore-case': {
      const wanted = expectString(operand, operator).toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === wanted;
    }
    case 'wildcard': {
      const regex = wildcard(expectString(operand, operator));
      return (v) => typeof v === 'string' && regex.test(v);
    }
    case 'numeric':
      return numeric(operand);
    case 'anything-but':
      return anythingBut(operand);
    case 'cidr':
      return cidr(expectString(operand, operator));
    default:
      throw new PatternError(`unknown operator "${operator}"`);
  }
}

function affix(operand: unknown, test: (value: string, affix: string) => boolean, name: string): Rule {
  if (typeof operand === 'string') return (v) => typeof v === 'string' && test(v, operand);
  if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string' && Object.keys(operand).length === 1) {
    const lower = operand['equals-ignore-case'].toLowerCase();
    return (v) => typeof v === 'string' && test(v.toLowerCase(), lower);
  }
  throw new PatternError(`${name} takes a string, or {"equals-ignore-case": string}`);
}

function anythingBut(operand: unknown): Rule {
  if (Array.isArray(operand)) {
    if (!operand.every((v) => typeof v === 'string' || typeof v === 'number')) throw new PatternError('anything-but takes strings or numbers');
    return (v) => v !== undefined && !operand.some((o) => equal(v, o));
  }
  if (typeof operand === 'string' || typeof operand === 'number') return (v) => v !== undefined && !equal(v, operand);
  if (isObject(operand) && Object.keys(operand).length === 1) {
    const [operator, inner] = Object.entries(operand)[0]!;
    if (operator === 'equals-ignore-case') {
      const list = (Array.isArray(inner) ? inner : [inner]).map((s) => expectString(s, 'anything-but equals-ignore-case').toLowerCase());
      return (v) => typeof v === 'string' && !list.includes(v.toLowerCase());
    }
    if (operator === 'prefix' || operator === 'suffix' || operator === 'wildcard') {
      const positive = compileRule({ [operator]: inner });
      return (v) => typeof v === 'string' && !positive(v);
    }
  }
  throw new PatternError('anything-but takes a value, a list, or {"prefix" | "suffix" | "wildcard" | "equals-ignore-case": …}');
}

function numeric(operand: unknown): Rule {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
    throw new PatternError('numeric takes one or two pairs of an operator and a number');
  }
  const tests: Array<(n: number) => boolean> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const [op, bound] = [operand[i], operand[i + 1]];
    if (typeof bound !== 'number') throw new PatternError('numeric bounds are numbers');
    switch (op) {
      case '=':
        tests.push((n) => n === bound);
        break;
      case '<':
        tests.push((n) => n < bound);
        break;
      case '<=':
        tests.push((n) => n <= bound);
        break;
      case '>':
        tests.push((n) => n > bound);
        break;
      case '>=':
        tests.push((n) => n >= bound);
        break;
      default:
        throw new PatternError(`unknown numeric operator "${String(op)}"`);
    }
  }
  return (v) => typeof v === 'number' && tests.every((t) => t(v));
}

/** `*` matches any run of characters; `\*` a star. */
function wildcard(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && pattern[i + 1] === '*') {
      source += '\\*';
      i++;
    } else if (c === '*') source += '.*';
    else source += c.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function cidr(block: string): Rule {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(block);
  if (match === null || Number(match[5]) > 32) throw new PatternError('cidr takes an IPv4 block such as 10.0.0.0/24');
  const bits = Number(match[5]);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  const network = (ipv4(match.slice(1, 5).join('.'))! & mask) >>> 0;
  return (v) => {
    if (typeof v !== 'string') return false;
    const address = ipv4(v);
    return address !== undefined && (address & mask) >>> 0 === network;
  };
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function equal(value: unknown, wanted: unknown): boolean {
  return value === wanted;
}

function expectString(value: unknown, operator: string): string {
  if (typeof value !== 'string') throw new PatternError(`${operator} takes a string`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
