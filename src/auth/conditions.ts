import { BlockList, isIP } from 'node:net';

/** A request's context keys (`aws:SourceIp`, `lambda:FunctionUrlAuthType`, …): one value, or several for multi-valued keys. */
export type RequestContextValues = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One test of a Condition block: an operator over a key with the policy's values. */
export interface ConditionTest {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

type Compare = (requestValue: string, policyValue: string) => boolean;

interface Operator {
  readonly compare: Compare;
  /** Negated operators (StringNotEquals, NotIpAddress, …) hold when no policy value matches, and when the key is absent. */
  readonly negated: boolean;
  /** Whether `${…}` policy variables are substituted in its values. */
  readonly variables: boolean;
}

const stringEquals: Compare = (a, b) => a === b;
const ignoreCase: Compare = (a, b) => a.toLowerCase() === b.toLowerCase();
const like: Compare = (a, b) => globMatch(b, a, false);
const numeric =
  (test: (a: number, b: number) => boolean): Compare =>
  (a, b) => {
    const x = Number(a);
    const y = Number(b);
    return a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y) && test(x, y);
  };
const date =
  (test: (a: number, b: number) => boolean): Compare =>
  (a, b) => {
    const x = parseDate(a);
    const y = parseDate(b);
    return x !== undefined && y !== undefined && test(x, y);
  };
const bool: Compare = (a, b) => a.toLowerCase() === b.toLowerCase();
const ip: Compare = (a, b) => inCidr(a, b);
const arnLike: Compare = (a, b) => arnMatch(b, a);

const BASE: Readonly<Record<string, Operator>> = {
  StringEquals: { compare: stringEquals, negated: false, variables: true },
  StringNotEquals: { compare: stringEquals, negated: true, variables: true },
  StringEqualsIgnoreCase: { compare: ignoreCase, negated: false, variables: true },
  StringNotEqualsIgnoreCase: { compare: ignoreCase, negated: true, variables: true },
  StringLike: { compare: like, negated: false, variables: true },
  StringNotLike: { compare: like, negated: true, variables: true },
  NumericEquals: { compare: numeric((a, b) => a === b), negated: false, variables: false },
  NumericNotEquals: { compare: numeric((a, b) => a === b), negated: true, variables: false },
  NumericLessThan: { compare: numeric((a, b) => a < b), negated: false, variables: false },
  NumericLessThanEquals: { compare: numeric((a, b) => a <= b), negated: false, variables: false },
  NumericGreaterThan: { compare: numeric((a, b) => a > b), negated: false, variables: false },
  NumericGreaterThanEquals: { compare: numeric((a, b) => a >= b), negated: false, variables: false },
  DateEquals: { compare: date((a, b) => a === b), negated: false, variables: false },
  DateNotEquals: { compare: date((a, b) => a === b), negated: true, variables: false },
  DateLessThan: { compare: date((a, b) => a < b), negated: false, variables: false },
  DateLessThanEquals: { compare: date((a, b) => a <= b), negated: false, variables: false },
  DateGreaterThan: { compare: date((a, b) => a > b), negated: false, variables: false },
  DateGreaterThanEquals: { compare: date((a, b) => a >= b), negated: false, variables: false },
  Bool: { compare: bool, negated: false, variables: true },
  IpAddress: { compare: ip, negated: false, variables: false },
  NotIpAddress: { compare: ip, negated: true, variables: false },
  ArnEquals: { compare: arnLike, negated: false, variables: true },
  ArnLike: { compare: arnLike, negated: false, variables: true },
  ArnNotEquals: { compare: arnLike, negated: true, variables: true },
  ArnNotLike: { compare: arnLike, negated: true, variables: true },
};

/** Why an operator name cannot be used, or undefined when it can (`ForAnyValue:StringLike`, `DateLessThanIfExists`, `Null`). */
export function unsupportedOperator(name: string): string | undefined {
  const { base, set, ifExists } = splitOperator(name);
  if (base === 'Null') return set === undefined && !ifExists ? undefined : `${name}: Null takes neither a set qualifier nor IfExists`;
  if (BASE[base] === undefined) return `${name} is not a condition operator selfless supports`;
  return undefined;
}

/** A context key's value: keys are case-insensitive in IAM (`AWS:SourceArn` is `aws:SourceArn`). */
function contextValue(context: RequestContextValues, key: string): string | readonly string[] | undefined {
  if (key in context) return context[key];
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) if (name.toLowerCase() === lower) return value;
  return undefined;
}

/** Whether a test holds for the request (AWS's rules: a missing key fails a test, but passes a negated one, IfExists, and ForAllValues). */
export function conditionHolds(test: ConditionTest, context: RequestContextValues): boolean {
  const { base, set, ifExists } = splitOperator(test.operator);
  const raw = contextValue(context, test.key);
  const present = raw !== undefined && !(Array.isArray(raw) && raw.length === 0);
  if (base === 'Null') return test.values.some((v) => v.toLowerCase() === (present ? 'false' : 'true'));
  const operator = BASE[base]!;
  const glob = operator.compare === like || operator.compare === arnLike;
  // Literal `${*}`-style escapes only mean something to wildcard matching; elsewhere they are the character.
  const values = operator.variables ? test.values.map((v) => (glob ? substitute(v, context) : substitute(v, context)?.replaceAll('\u0000', ''))) : test.values;
  const requestValues: readonly string[] = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
  // A value that matches one of the policy's values (a variable that did not resolve matches nothing).
  const matchesAny = (value: string) => values.some((v) => v !== undefined && operator.compare(value, v));
  const holdsFor = (value: string) => (operator.negated ? !matchesAny(value) : matchesAny(value));
  if (set === 'ForAllValues') return !present || requestValues.every(holdsFor);
  if (set === 'ForAnyValue') return present && requestValues.some(holdsFor);
  if (!present) return ifExists || operator.negated;
  return operator.negated ? requestValues.every(holdsFor) : requestValues.some(holdsFor);
}

function splitOperator(name: string): { base: string; set?: 'ForAllValues' | 'ForAnyValue'; ifExists: boolean } {
  let rest = name;
  let set: 'ForAllValues' | 'ForAnyValue' | undefined;
  for (const prefix of ['ForAllValues', 'ForAnyValue'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  const ifExists = rest.endsWith('IfExists');
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  return { base: rest, ...(set === undefined ? {} : { set }), ifExists };
}

/**
 * `${aws:username}` and the other policy variables, from the request's context; `${*}`, `${?}`, `${$}`
 * stand for the literal characters. undefined when a variable has no value (the value then matches nothing).
 */
export function substitute(value: string, context: RequestContextValues): string | undefined {
  let missing = false;
  const out = value.replace(/\$\{([^}]+)\}/g, (_all, name: string) => {
    if (name === '*' || name === '?' || name === '$') return `\u0000${name}`;
    const found = contextValue(context, name);
    if (typeof found !== 'string') {
      missing = true;
      return '';
    }
    return found;
  });
  return missing ? undefined : out;
}

/** IAM's wildcards: `*` any run of characters, `?` one; a literal `*`/`?`/`$` marked by substitute() with a NUL before it. */
export function globMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i]!;
    if (c === '\u0000' && i + 1 < pattern.length) {
      i += 1;
      source += escapeRegExp(pattern[i]!);
    } else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's').test(value);
}

/** ARN matching: each of the six colon-separated parts matched on its own, wildcards within a part (the resource part may hold colons). */
function arnMatch(pattern: string, arn: string): boolean {
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (p === undefined || a === undefined) return false;
  return p.every((part, i) => globMatch(part, a[i]!, false));
}

function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function parseDate(value: string): number | undefined {
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function inCidr(address: string, cidr: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const [network = '', bits] = cidr.split('/');
  const networkFamily = isIP(network);
  if (networkFamily !== family) return false;
  const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(network, prefix, type);
  return list.check(address, type);
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}
