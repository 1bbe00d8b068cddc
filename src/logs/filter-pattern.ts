/**
 * CloudWatch Logs filter patterns, as FilterLogEvents applies them to each event's message
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html). A pattern takes one
 * of three forms: terms and quoted phrases for unstructured events, `{ … }` conditions on JSON events, and
 * `[ … ]` fields of space-delimited events. A regex between `%…%` is a whole pattern of its own, or a value
 * inside the other two.
 *
 * Regexes run on a small automaton of our own, not on RegExp: CloudWatch's regexes have no groups, so a
 * Thompson NFA matches them in time linear in the message, and no pattern can make the server backtrack
 * for minutes (V8 needs half a minute for /a*a*a*b/ against a thousand "a"s).
 */

/** A filter pattern's syntax error; the API turns it into CloudWatch's InvalidParameterException. */
export class FilterPatternError extends Error {}

/** A parsed pattern: does one log event's message match? */
export interface FilterPattern {
  matches(message: string): boolean;
}

/** The FilterPattern type's length limit (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_MetricFilter.html). */
const MAX_PATTERN_LENGTH = 1024;
/** PutLogEvents takes events of at most 256 KB, so a regex never needs to read further into a message than that. */
const MAX_REGEX_INPUT = 256 * 1024;
/** "A limit of 2 regex for each filter pattern" in JSON and space-delimited patterns (FilterAndPatternSyntax.html, Quotas). */
const MAX_REGEXES = 2;
/** Our bound on a regex's character states (after expanding `{m,n}`): the cost of matching is at most this per character. */
const MAX_REGEX_STATES = 1000;

const EVERYTHING: FilterPattern = { matches: () => true };

/** Parses a pattern once (throws FilterPatternError); the empty or all-blank pattern matches every event. */
export function parseFilterPattern(pattern: string): FilterPattern {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new FilterPatternError(`the pattern is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}`);
  }
  const cursor = new Cursor(pattern);
  cursor.skipSpace();
  if (cursor.done()) return EVERYTHING;
  if (cursor.peek() === '{') return parseJsonPattern(cursor);
  if (cursor.peek() === '[') return parseDelimitedPattern(cursor);
  const text = pattern.trim();
  if (text.length >= 2 && text.startsWith('%') && text.endsWith('%')) {
    const regex = compileRegex(text.slice(1, -1));
    return { matches: regex };
  }
  return parseTermPattern(cursor);
}

/** A position in the pattern text; its errors say where they happened. */
class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  skipSpace(): void {
    while (isSpace(this.peek())) this.pos += 1;
  }
  eat(token: string): boolean {
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }
  /** The longest run of characters from here that each pass `allowed`. */
  take(allowed: RegExp): string {
    const start = this.pos;
    while (!this.done() && allowed.test(this.peek())) this.pos += 1;
    return this.text.slice(start, this.pos);
  }
  fail(message: string): FilterPatternError {
    return new FilterPatternError(this.done() ? `${message} at the end of the pattern` : `${message} at character ${this.pos + 1}`);
  }
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
}

// ---------------------------------------------------------------------------------------------------------
// Unstructured events: terms and phrases.

/**
 * Terms, following the user guide: case-sensitive; every plain term must occur, none of the `-term`s may,
 * and when there are `?term`s at least one of them must. A term matches as a substring ("ERROR" matches
 * "Exiting with ERRORCODE: -1", Example 2 of the guide's "Matching Terms in Log Events",
 * https://github.com/awsdocs/amazon-cloudwatch-logs-user-guide/blob/master/doc_source/FilterAndPatternSyntax.md),
 * and "terms that include characters other than alphanumeric or underscore must be placed inside double
 * quotes", so an unquoted term with any other character is an error here rather than a guess.
 */
function parseTermPattern(cursor: Cursor): FilterPattern {
  const required: string[] = [];
  const optional: string[] = [];
  const excluded: string[] = [];
  for (cursor.skipSpace(); !cursor.done(); cursor.skipSpace()) {
    const list = cursor.eat('?') ? optional : cursor.eat('-') ? excluded : required;
    // The guide writes `"ERROR" - "Exiting"`, with a space after the minus.
    if (list !== required) cursor.skipSpace();
    if (cursor.peek() === '?' || cursor.peek() === '-') throw cursor.fail('"?" and "-" each apply to one term and cannot be combined');
    if (cursor.done()) throw cursor.fail(`"${list === optional ? '?' : '-'}" must be followed by a term`);
    list.push(readTerm(cursor));
  }
  return {
    matches: (message) =>
      required.every((t) => message.includes(t)) &&
      !excluded.some((t) => message.includes(t)) &&
      (optional.length === 0 || optional.some((t) => message.includes(t))),
  };
}

function readTerm(cursor: Cursor): string {
  const start = cursor.pos;
  const term = cursor.peek() === '"' ? readQuoted(cursor) : cursor.take(/[A-Za-z0-9_]/);
  if (!cursor.done() && !isSpace(cursor.peek())) {
    const chunk = cursor.text.slice(start).split(/\s/, 1)[0] ?? '';
    cursor.pos = start;
    if (chunk.includes('%')) throw cursor.fail('a regex (%…%) must be the whole pattern when it is not inside { } or [ ]');
    throw cursor.fail(`the term ${chunk} has characters other than letters, digits and "_"; put it in double quotes`);
  }
  return term;
}

/** A double-quoted string; `\"` and `\\` stand for a quote and a backslash, any other backslash for itself. */
function readQuoted(cursor: Cursor): string {
  const start = cursor.pos;
  cursor.pos += 1;
  let text = '';
  while (!cursor.done()) {
    const ch = cursor.peek();
    cursor.pos += 1;
    if (ch === '"') return text;
    const escaped = ch === '\\' ? cursor.peek() : '';
    if (escaped === '"' || escaped === '\\') {
      text += escaped;
      cursor.pos += 1;
    } else {
      text += ch;
    }
  }
  cursor.pos = start;
  throw cursor.fail('unterminated quoted string');
}

// ---------------------------------------------------------------------------------------------------------
// Values and comparisons, shared by JSON and space-delimited patterns.

type Operator = '=' | '!=' | '<' | '>' | '<=' | '>=';
const OPERATORS: ReadonlySet<string> = new Set(['=', '!=', '<', '>', '<=', '>=']);

type Value = { readonly kind: 'number'; readonly n: number } | { readonly kind: 'text'; readonly test: (text: string) => boolean };

/** A pattern's number: "an integer or a decimal with an optional + or - sign", optionally followed by e and an exponent. */
const NUMBER_LITERAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** A number inside a log event; "strings containing scientific notation are not supported". */
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)$/;
/** Characters an unquoted value may hold; the guide quotes `123.123.*` bare and wants "@", "$", "\" etc. quoted. */
const BARE_VALUE = /[A-Za-z0-9_.*+-]/;
const VALUE_END = /[\s)}\],&|]/;

interface RegexBudget {
  used: number;
}

function readOperator(cursor: Cursor): Operator {
  cursor.skipSpace();
  const start = cursor.pos;
  const op = cursor.take(/[=!<>]/);
  if (OPERATORS.has(op)) return op as Operator;
  cursor.pos = start;
  throw cursor.fail(op === '' ? 'expected an operator (=, !=, <, >, <= or >=)' : `unknown operator "${op}"`);
}

function readValue(cursor: Cursor, op: Operator, budget: RegexBudget): Value {
  cursor.skipSpace();
  const start = cursor.pos;
  let value: Value;
  if (cursor.peek() === '"') {
    value = { kind: 'text', test: wildcard(readQuoted(cursor)) };
  } else if (cursor.peek() === '%') {
    value = { kind: 'text', test: readRegex(cursor, budget) };
  } else {
    const bare = cursor.take(BARE_VALUE);
    if (bare === '' && (cursor.done() || VALUE_END.test(cursor.peek()))) throw cursor.fail(`expected a value after "${op}"`);
    value = NUMBER_LITERAL.test(bare) ? { kind: 'number', n: Number(bare) } : { kind: 'text', test: wildcard(bare) };
  }
  if (!cursor.done() && !VALUE_END.test(cursor.peek())) {
    throw cursor.fail('a value with characters other than letters, digits and _ . * + - must be in double quotes');
  }
  if (value.kind === 'text' && op !== '=' && op !== '!=') {
    cursor.pos = start;
    throw cursor.fail(`"${op}" compares numbers, and the value is not a number`);
  }
  return value;
}

function readRegex(cursor: Cursor, budget: RegexBudget): (text: string) => boolean {
  const end = cursor.text.indexOf('%', cursor.pos + 1);
  if (end < 0) throw cursor.fail('unterminated regex (a regex ends with %)');
  budget.used += 1;
  if (budget.used > MAX_REGEXES) throw cursor.fail(`a JSON or space-delimited pattern may hold at most ${MAX_REGEXES} regexes`);
  const test = compileRegex(cursor.text.slice(cursor.pos + 1, end));
  cursor.pos = end + 1;
  return test;
}

/**
 * A string value's test. "You can use the asterisk '*' wildcard character to match any text at, before,
 * or after a search term … Ev*ent will only match the actual string Ev*ent" (the guide's JSON section):
 * a leading or trailing `*` is a wildcard, one in the middle is itself.
 */
function wildcard(pattern: string): (text: string) => boolean {
  const leading = pattern.startsWith('*');
  const trailing = pattern.length > 1 && pattern.endsWith('*');
  if (!leading && !trailing) return (text) => text === pattern;
  const core = pattern.slice(leading ? 1 : 0, trailing ? -1 : undefined);
  if (leading && trailing) return (text) => text.includes(core);
  return leading ? (text) => text.endsWith(core) : (text) => text.startsWith(core);
}

/** Compares a value in the log event (a JSON string or number, or a delimited field's text) with the pattern's. */
function compare(op: Operator, value: Value, actual: string | number): boolean {
  if (value.kind === 'text') {
    const hit = value.test(typeof actual === 'number' ? String(actual) : actual);
    return op === '=' ? hit : !hit;
  }
  const n = typeof actual === 'number' ? actual : DECIMAL_TEXT.test(actual) ? Number(actual) : undefined;
  if (n === undefined) return op === '!=';
  switch (op) {
    case '=':
      return n === value.n;
    case '!=':
      return n !== value.n;
    case '<':
      return n < value.n;
    case '>':
      return n > value.n;
    case '<=':
      return n <= value.n;
    case '>=':
      return n >= value.n;
  }
}

type Predicate<T> = (input: T) => boolean;

/** `a || b && c`: "the syntax follows standard order of operations () > && > ||" (the guide's JSON compound conditions). */
function parseOr<T>(cursor: Cursor, operand: () => Predicate<T>): Predicate<T> {
  const parts = [parseAnd(cursor, operand)];
  while ((cursor.skipSpace(), cursor.eat('||'))) parts.push(parseAnd(cursor, operand));
  return parts.length === 1 ? parts[0]! : (input) => parts.some((p) => p(input));
}

function parseAnd<T>(cursor: Cursor, operand: () => Predicate<T>): Predicate<T> {
  const parts = [parseGroup(cursor, operand)];
  while ((cursor.skipSpace(), cursor.eat('&&'))) parts.push(parseGroup(cursor, operand));
  return parts.length === 1 ? parts[0]! : (input) => parts.every((p) => p(input));
}

function parseGroup<T>(cursor: Cursor, operand: () => Predicate<T>): Predicate<T> {
  cursor.skipSpace();
  if (!cursor.eat('(')) return operand();
  const inner = parseOr(cursor, operand);
  cursor.skipSpace();
  if (!cursor.eat(')')) throw cursor.fail('expected ")"');
  return inner;
}

// ---------------------------------------------------------------------------------------------------------
// JSON events: `{ SELECTOR OPERATOR VALUE }`, `IS NULL|TRUE|FALSE`, `NOT EXISTS`, combined with && and ||.

function parseJsonPattern(cursor: Cursor): FilterPattern {
  cursor.eat('{');
  cursor.skipSpace();
  if (cursor.peek() === '}') throw cursor.fail('a JSON pattern needs a condition between { and }');
  const budget: RegexBudget = { used: 0 };
  const condition = parseOr<unknown>(cursor, () => parseJsonCondition(cursor, budget));
  cursor.skipSpace();
  if (!cursor.eat('}')) throw cursor.fail(cursor.done() ? 'missing "}" to close the JSON pattern' : 'expected &&, || or "}"');
  cursor.skipSpace();
  if (!cursor.done()) throw cursor.fail('unexpected text after the JSON pattern');
  return {
    matches: (message) => {
      const root = parseJsonObject(message);
      return root !== undefined && condition(root);
    },
  };
}

/** The message as a JSON object, or undefined: a JSON pattern never matches anything else. */
function parseJsonObject(message: string): unknown {
  if (!message.trimStart().startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(message);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonCondition(cursor: Cursor, budget: RegexBudget): Predicate<unknown> {
  const select = parseSelector(cursor);
  cursor.skipSpace();
  const word = (/^[A-Za-z]+/.exec(cursor.text.slice(cursor.pos))?.[0] ?? '').toUpperCase();
  if (word === 'IS' || word === 'NOT') {
    cursor.pos += word.length;
    cursor.skipSpace();
    const what = `${word} ${cursor.take(/[A-Za-z]/).toUpperCase()}`;
    const test = KEYWORD_TESTS[what];
    if (test === undefined) throw cursor.fail(word === 'IS' ? 'IS must be followed by NULL, TRUE or FALSE' : 'NOT must be followed by EXISTS');
    return (root) => test(select(root));
  }
  if (word === 'EXISTS') throw cursor.fail(`EXISTS is not in CloudWatch's documented syntax; write "= *" or NOT EXISTS`);
  const op = readOperator(cursor);
  const value = readValue(cursor, op, budget);
  // "The SELECTOR must point to a value node (string or number) in the JSON"; anywhere else neither = nor != holds.
  return (root) => {
    const node = select(root);
    return (typeof node === 'string' || typeof node === 'number') && compare(op, value, node);
  };
}

/** `undefined` is a missing property: JSON itself has no undefined. */
const KEYWORD_TESTS: Readonly<Record<string, (node: unknown) => boolean>> = {
  'IS NULL': (node) => node === null,
  'IS TRUE': (node) => node === true,
  'IS FALSE': (node) => node === false,
  'NOT EXISTS': (node) => node === undefined,
};

/**
 * `$.a.b[0]`: "property selectors always start with dollar sign ($) … alphanumeric strings that also support
 * '-' and '_' characters. Array elements are denoted with [NUMBER] syntax, and must follow a property."
 */
function parseSelector(cursor: Cursor): (root: unknown) => unknown {
  if (!cursor.eat('$')) throw cursor.fail('expected a selector such as $.field');
  const steps: (string | number)[] = [];
  for (;;) {
    if (cursor.eat('.')) {
      const name = cursor.take(/[A-Za-z0-9_-]/);
      if (name === '') throw cursor.fail('expected a property name after "."');
      steps.push(name);
    } else if (cursor.peek() === '[') {
      if (steps.length === 0) throw cursor.fail('an array index must follow a property, as in $.list[0]');
      cursor.eat('[');
      const digits = cursor.take(/[0-9]/);
      if (digits === '' || !cursor.eat(']')) throw cursor.fail('expected an array index such as [0]');
      steps.push(Number(digits));
    } else {
      break;
    }
  }
  if (steps.length === 0) throw cursor.fail('a selector names a property, as in $.field');
  return (root) => {
    let node = root;
    for (const step of steps) {
      if (typeof step === 'number') node = Array.isArray(node) ? (node[step] as unknown) : undefined;
      else node = isObject(node) && Object.hasOwn(node, step) ? node[step] : undefined;
      if (node === undefined) return undefined;
    }
    return node;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Space-delimited events: `[ip, user, ..., status_code = 4*, bytes > 1000]`.

type Slot = { readonly kind: 'field'; readonly name: string | undefined } | { readonly kind: 'ellipsis' };

/**
 * Each comma-separated slot names one field of the event, in order; `...` stands for any number of fields,
 * and an empty slot for an unnamed one (the guide's `[..., request=*.html*, status_code=4*,]`). Conditions
 * use = and != (with *) on text and the numeric operators on numbers, joined by && and ||, and may name
 * any field of the pattern. Without `...` the event must have exactly as many fields as the pattern: the
 * guide's `[w1=ERROR, w2]` matches "ERROR message" but not "ERROR WARN message".
 */
function parseDelimitedPattern(cursor: Cursor): FilterPattern {
  cursor.eat('[');
  cursor.skipSpace();
  if (cursor.peek() === ']') throw cursor.fail('a space-delimited pattern needs at least one field between [ and ]');
  const budget: RegexBudget = { used: 0 };
  const slots: Slot[] = [];
  const conditions: Predicate<ReadonlyMap<string, string>>[] = [];
  const referenced: string[] = [];
  for (;;) {
    cursor.skipSpace();
    if (cursor.eat('...')) {
      if (slots.some((s) => s.kind === 'ellipsis')) throw cursor.fail('only one "..." is supported in a space-delimited pattern');
      slots.push({ kind: 'ellipsis' });
    } else if (cursor.peek() === ',' || cursor.peek() === ']') {
      slots.push({ kind: 'field', name: undefined });
    } else {
      const names: string[] = [];
      conditions.push(parseOr(cursor, () => parseFieldCondition(cursor, names, budget)));
      slots.push({ kind: 'field', name: names[0] });
      referenced.push(...names);
    }
    cursor.skipSpace();
    if (cursor.eat(']')) break;
    if (!cursor.eat(',')) throw cursor.fail(cursor.done() ? 'missing "]" to close the space-delimited pattern' : 'expected "," or "]"');
  }
  cursor.skipSpace();
  if (!cursor.done()) throw cursor.fail('unexpected text after the space-delimited pattern');
  const declared = slots.flatMap((s) => (s.kind === 'field' && s.name !== undefined ? [s.name] : []));
  const duplicate = declared.find((name, i) => declared.indexOf(name) !== i);
  if (duplicate !== undefined) throw new FilterPatternError(`the field ${duplicate} appears twice in the space-delimited pattern`);
  const unknown = referenced.find((name) => !declared.includes(name));
  if (unknown !== undefined) throw new FilterPatternError(`a condition names ${unknown}, which is not a field of the space-delimited pattern`);

  const ellipsis = slots.findIndex((s) => s.kind === 'ellipsis');
  return {
    matches(message) {
      const fields = splitFields(message);
      if (ellipsis < 0 ? fields.length !== slots.length : fields.length < slots.length - 1) return false;
      const bound = new Map<string, string>();
      slots.forEach((slot, i) => {
        if (slot.kind === 'ellipsis' || slot.name === undefined) return;
        const index = ellipsis < 0 || i < ellipsis ? i : fields.length - (slots.length - i);
        bound.set(slot.name, fields[index]!);
      });
      return conditions.every((c) => c(bound));
    },
  };
}

/** A slot's name alone always holds; `name OP value` compares that field. `names` collects the names, in order. */
function parseFieldCondition(cursor: Cursor, names: string[], budget: RegexBudget): Predicate<ReadonlyMap<string, string>> {
  cursor.skipSpace();
  const name = cursor.take(/[A-Za-z0-9_]/);
  if (name === '') throw cursor.fail('expected a field name');
  names.push(name);
  cursor.skipSpace();
  if (names.length === 1 && (cursor.done() || cursor.peek() === ',' || cursor.peek() === ']')) return () => true;
  if (/[A-Za-z0-9_]/.test(cursor.peek())) throw cursor.fail(`expected "," or an operator after the field ${name}`);
  const op = readOperator(cursor);
  const value = readValue(cursor, op, budget);
  return (fields) => {
    const field = fields.get(name);
    return field !== undefined && compare(op, value, field);
  };
}

/** "The characters between a pair of square brackets [] or two double quotes ("") are treated as a single field." */
function splitFields(message: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (i < message.length && isSpace(message[i]!)) i += 1;
    if (i >= message.length) return fields;
    const open = message[i];
    const close = open === '[' ? ']' : open === '"' ? '"' : undefined;
    const end = close === undefined ? -1 : message.indexOf(close, i + 1);
    if (end >= 0) {
      fields.push(message.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    const start = i;
    while (i < message.length && !isSpace(message[i]!)) i += 1;
    fields.push(message.slice(start, i));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Regexes (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html): "Filter patterns
// with regex can only include" alphanumerics, the symbols : _ # = @ / ; , - and the operators
// ^ $ ? [ ] { } | \ * + . ; "the ( and ) operators are not supported" and "multi-byte characters are not
// supported". We also accept a space: the AWS CDK's own example regex value is "bind: address already in use".

const REGEX_CHARACTER = /[A-Za-z0-9:_#=@/;,\- ^$?[\]{}|\\*+.]/;
const QUANTIFIER = /[*+?{]/;

type CharTest = (code: number) => boolean;
type Item = { readonly kind: 'char'; readonly test: CharTest; readonly min: number; readonly max: number } | { readonly kind: 'start' | 'end' };

/** The regex's test: does it match anywhere in the text (or its first MAX_REGEX_INPUT characters)? */
function compileRegex(body: string): (text: string) => boolean {
  for (const ch of body) {
    if (ch.charCodeAt(0) > 0x7f) throw new FilterPatternError('multi-byte characters are not supported in a regex');
    if (ch === '(' || ch === ')') throw new FilterPatternError('a regex cannot use ( or ): CloudWatch does not support subpatterns');
    if (!REGEX_CHARACTER.test(ch)) throw new FilterPatternError(`"${ch}" is not supported in a regex`);
  }
  const automaton = new Automaton();
  const entries = parseAlternatives(body).map((items) => items.reduceRight((next, item) => automaton.addItem(item, next), MATCH_STATE));
  const start = entries.reduceRight((rest, entry) => automaton.add(SPLIT, entry, rest));
  return (text) => automaton.search(start, text.length > MAX_REGEX_INPUT ? text.slice(0, MAX_REGEX_INPUT) : text);
}

function parseAlternatives(body: string): Item[][] {
  const alternatives: Item[][] = [[]];
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    const items = alternatives[alternatives.length - 1]!;
    if (ch === '|') {
      alternatives.push([]);
      i += 1;
      continue;
    }
    if (ch === '^' || ch === '$') {
      if (QUANTIFIER.test(body[i + 1] ?? '')) throw new FilterPatternError(`"${ch}" cannot be repeated in a regex`);
      items.push({ kind: ch === '^' ? 'start' : 'end' });
      i += 1;
      continue;
    }
    let test: CharTest;
    if (ch === '.') {
      [test, i] = [notLineBreak, i + 1];
    } else if (ch === '[') {
      [test, i] = parseClass(body, i);
    } else if (ch === '\\') {
      const escape = parseEscape(body, i);
      [test, i] = [escape.test, escape.end];
    } else if (QUANTIFIER.test(ch)) {
      throw new FilterPatternError(`"${ch}" has nothing to repeat in the regex`);
    } else if (ch === ']' || ch === '}') {
      throw new FilterPatternError(`unbalanced "${ch}" in the regex`);
    } else {
      const code = ch.charCodeAt(0);
      [test, i] = [(c) => c === code, i + 1];
    }
    const quantifier = parseQuantifier(body, i);
    i = quantifier.end;
    items.push({ kind: 'char', test, min: quantifier.min, max: quantifier.max });
  }
  return alternatives;
}

function parseQuantifier(body: string, at: number): { min: number; max: number; end: number } {
  const ch = body[at];
  let [min, max, end] = [1, 1, at + 1];
  if (ch === '*') [min, max] = [0, Infinity];
  else if (ch === '+') [min, max] = [1, Infinity];
  else if (ch === '?') [min, max] = [0, 1];
  else if (ch === '{') {
    const count = /^\{(\d+)(,(\d*))?\}/.exec(body.slice(at));
    if (count === null) throw new FilterPatternError('"{" in a regex must start a repeat count such as {3} or {3,5}');
    min = Number(count[1]);
    max = count[2] === undefined ? min : count[3] === '' ? Infinity : Number(count[3]);
    if (max < min) throw new FilterPatternError(`the repeat count ${count[0]} has its maximum below its minimum`);
    end = at + count[0].length;
  } else return { min, max, end: at };
  if (Math.max(min, max === Infinity ? 0 : max) > MAX_REGEX_STATES) throw new FilterPatternError(`a regex repeat count may be at most ${MAX_REGEX_STATES}`);
  // A lazy quantifier (`*?`) finds a match exactly when the greedy one does.
  if (body[end] === '?') end += 1;
  if (QUANTIFIER.test(body[end] ?? '')) throw new FilterPatternError('a regex quantifier cannot follow another');
  return { min, max, end };
}

/** `[abc]`, `[a-z]`, `[^0-9]`, with escapes such as `\d` or `\]` inside. */
function parseClass(body: string, at: number): [CharTest, number] {
  let i = at + 1;
  const negated = body[i] === '^';
  if (negated) i += 1;
  const members: CharTest[] = [];
  for (;;) {
    if (i >= body.length) throw new FilterPatternError('unterminated "[" in the regex');
    if (body[i] === ']') {
      if (members.length === 0) throw new FilterPatternError('empty character class "[]" in the regex');
      break;
    }
    const lowStart = i;
    const low = classMember(body, i);
    i = low.end;
    if (low.code === undefined || body[i] !== '-' || i + 1 >= body.length || body[i + 1] === ']') {
      members.push(low.test);
      continue;
    }
    const high = classMember(body, i + 1);
    if (high.code === undefined) throw new FilterPatternError('a range in a regex character class cannot end with a class such as \\d');
    const [from, to] = [low.code, high.code];
    if (to < from) throw new FilterPatternError(`the range ${body.slice(lowStart, high.end)} in the regex is out of order`);
    members.push((c) => c >= from && c <= to);
    i = high.end;
  }
  const inClass: CharTest = (c) => members.some((m) => m(c));
  return [negated ? (c) => !inClass(c) : inClass, i + 1];
}

function classMember(body: string, at: number): { test: CharTest; code: number | undefined; end: number } {
  if (body[at] === '\\') return parseEscape(body, at);
  const code = body.charCodeAt(at);
  return { test: (c) => c === code, code, end: at + 1 };
}

/** `\d \D \w \W \s \S`, or a backslash making an operator or symbol literal (`\.`); `code` is set for a literal. */
function parseEscape(body: string, at: number): { test: CharTest; code: number | undefined; end: number } {
  const ch = body[at + 1];
  if (ch === undefined) throw new FilterPatternError('the regex ends with a lone "\\"');
  const shorthand = SHORTHANDS[ch];
  if (shorthand !== undefined) return { test: shorthand, code: undefined, end: at + 2 };
  if (/[A-Za-z0-9]/.test(ch)) throw new FilterPatternError(`"\\${ch}" is not a supported escape in a regex`);
  const code = ch.charCodeAt(0);
  return { test: (c) => c === code, code, end: at + 2 };
}

const isDigit: CharTest = (c) => c >= 0x30 && c <= 0x39;
const isWord: CharTest = (c) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
/** JavaScript's \s: ASCII white space and the Unicode space separators. */
const isWhite: CharTest = (c) =>
  c === 0x20 ||
  (c >= 0x09 && c <= 0x0d) ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  [0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff].includes(c);
const notLineBreak: CharTest = (c) => c !== 0x0a && c !== 0x0d && c !== 0x2028 && c !== 0x2029;
const SHORTHANDS: Readonly<Record<string, CharTest>> = {
  d: isDigit,
  D: (c) => !isDigit(c),
  w: isWord,
  W: (c) => !isWord(c),
  s: isWhite,
  S: (c) => !isWhite(c),
};

const MATCH_STATE = 0;
const CHAR = 0;
const SPLIT = 1;
const AT_START = 2;
const AT_END = 3;
const MATCH = 4;

/**
 * A Thompson NFA in parallel arrays. `search` keeps the set of states alive after each character, so it
 * reads each character once and touches each state at most once per character: no backtracking.
 */
class Automaton {
  readonly #kind: number[] = [MATCH];
  readonly #next: number[] = [-1];
  readonly #alt: number[] = [-1];
  readonly #test: (CharTest | undefined)[] = [undefined];
  #chars = 0;

  add(kind: number, next: number, alt = -1, test?: CharTest): number {
    if (kind === CHAR && ++this.#chars > MAX_REGEX_STATES) {
      throw new FilterPatternError(`the regex is too large: it may need at most ${MAX_REGEX_STATES} characters once repeats are expanded`);
    }
    this.#kind.push(kind);
    this.#next.push(next);
    this.#alt.push(alt);
    this.#test.push(test);
    return this.#kind.length - 1;
  }

  /** The state that matches `item` and then continues at `next`; `a{2,4}` becomes a a a? a?, `a+` a a*. */
  addItem(item: Item, next: number): number {
    if (item.kind !== 'char') return this.add(item.kind === 'start' ? AT_START : AT_END, next);
    let entry = next;
    if (item.max === Infinity) {
      entry = this.add(SPLIT, -1, next);
      this.#next[entry] = this.add(CHAR, entry, -1, item.test);
    } else {
      for (let k = item.min; k < item.max; k++) entry = this.add(SPLIT, this.add(CHAR, entry, -1, item.test), next);
    }
    for (let k = 0; k < item.min; k++) entry = this.add(CHAR, entry, -1, item.test);
    return entry;
  }

  search(start: number, text: string): boolean {
    const seen = new Int32Array(this.#kind.length);
    let generation = 0;
    let current: number[] = [];
    let following: number[] = [];
    const stack: number[] = [];
    // Adds the character states reachable from `from` at `pos` to `into`; true once the match state is reached.
    const close = (from: number, pos: number, into: number[]): boolean => {
      stack.push(from);
      while (stack.length > 0) {
        const s = stack.pop()!;
        if (seen[s] === generation) continue;
        seen[s] = generation;
        switch (this.#kind[s]) {
          case CHAR:
            into.push(s);
            break;
          case SPLIT:
            stack.push(this.#alt[s]!, this.#next[s]!);
            break;
          case AT_START:
            if (pos === 0) stack.push(this.#next[s]!);
            break;
          case AT_END:
            if (pos === text.length) stack.push(this.#next[s]!);
            break;
          case MATCH:
            stack.length = 0;
            return true;
        }
      }
      return false;
    };
    generation += 1;
    if (close(start, 0, current)) return true;
    for (let pos = 0; pos < text.length; pos++) {
      const code = text.charCodeAt(pos);
      generation += 1;
      following.length = 0;
      for (const s of current) {
        if (this.#test[s]!(code) && close(this.#next[s]!, pos + 1, following)) return true;
      }
      // A match may begin at any position: the pattern is searched for, not anchored.
      if (close(start, pos + 1, following)) return true;
      [current, following] = [following, current];
    }
    return false;
  }
}
