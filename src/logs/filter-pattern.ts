/**
 * CloudWatch Logs filter patterns, as FilterLogEvents applies them (the CloudWatch Logs user guide,
 * "Filter pattern syntax for metric filters, subscription filters, filter log events"):
 *
 * - Unstructured events: case-sensitive terms that must all occur (`ERROR ARGUMENTS`), `?term`s of which
 *   one must occur, `-term`s that must not, double-quoted phrases for text with spaces or punctuation,
 *   and regular expressions between `%…%`.
 * - JSON events: `{ $.a.b = "x" && ($.n > 3 || $.list[0] != 4) }`, with `*` wildcards in string values,
 *   `IS NULL`, `IS TRUE`, `IS FALSE`, `EXISTS` and `NOT EXISTS`. An event that is not a JSON object
 *   never matches a JSON pattern.
 *
 * Space-delimited patterns (`[ip, user, ...]`) are refused as not supported yet.
 */

/** A filter pattern's syntax error; the API turns it into CloudWatch's InvalidParameterException. */
export class FilterPatternError extends Error {}

/** A parsed pattern: does one log event's message match? */
export interface FilterPattern {
  matches(message: string): boolean;
}

/** The service model's FilterPattern length limit. */
const MAX_PATTERN_LENGTH = 1024;
/** CloudWatch allows at most this many regular expressions in one pattern. */
const MAX_REGEXES = 2;

const EVERYTHING: FilterPattern = { matches: () => true };

/** Parses a pattern once (throws FilterPatternError); the empty or all-blank pattern matches every event. */
export function parseFilterPattern(pattern: string): FilterPattern {
  if (pattern.length > MAX_PATTERN_LENGTH) throw new FilterPatternError(`a filter pattern is at most ${MAX_PATTERN_LENGTH} characters`);
  const text = pattern.trim();
  if (text === '') return EVERYTHING;
  if (text.startsWith('{')) return parseJsonPattern(text);
  if (text.startsWith('[')) throw new FilterPatternError('space-delimited filter patterns ([a, b, ...]) are not supported by selfless yet');
  return parseTermPattern(text);
}

// --- unstructured: terms, phrases, regexes -------------------------------------------------------

type Test = (message: string) => boolean;

function parseTermPattern(text: string): FilterPattern {
  const all: Test[] = [];
  const any: Test[] = [];
  const none: Test[] = [];
  let regexes = 0;
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i += 1;
      continue;
    }
    let into = all;
    if (text[i] === '?') into = any;
    else if (text[i] === '-') into = none;
    if (into !== all) i += 1;
    let test: Test;
    if (text[i] === '"') {
      const end = closing(text, i, '"');
      const phrase = unescapeQuoted(text.slice(i + 1, end));
      test = (m) => m.includes(phrase);
      i = end + 1;
    } else if (text[i] === '%') {
      const end = text.indexOf('%', i + 1);
      if (end === -1) throw new FilterPatternError(`the regular expression that starts at ${i + 1} has no closing %`);
      if (++regexes > MAX_REGEXES) throw new FilterPatternError(`a filter pattern holds at most ${MAX_REGEXES} regular expressions`);
      const regex = compileRegex(text.slice(i + 1, end));
      test = (m) => regex.test(m);
      i = end + 1;
    } else {
      let end = i;
      while (end < text.length && !/\s/.test(text[end]!)) end += 1;
      const term = text.slice(i, end);
      if (term === '') throw new FilterPatternError(`a ${into === any ? '?' : '-'} at ${i} is not followed by a term`);
      if (/["%{}[\]]/.test(term)) throw new FilterPatternError(`the term ${term} must be quoted: it holds characters other than letters and digits`);
      test = (m) => m.includes(term);
      i = end;
    }
    into.push(test);
  }
  return {
    matches: (m) => all.every((t) => t(m)) && (any.length === 0 || any.some((t) => t(m))) && !none.some((t) => t(m)),
  };
}

function closing(text: string, open: number, quote: string): number {
  for (let i = open + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === quote) return i;
  }
  throw new FilterPatternError(`the quote at ${open + 1} is not closed`);
}

const unescapeQuoted = (text: string) => text.replace(/\\(.)/g, '$1');

/**
 * CloudWatch's regexes are a subset without backreferences or lookaround, which is also what keeps
 * matching linear enough here: patterns with those, or with a quantifier on a group (nested repetition,
 * the catastrophic-backtracking shape), are refused.
 */
function compileRegex(source: string): RegExp {
  if (/\\[1-9]|\(\?[=!<]/.test(source)) throw new FilterPatternError('regular expressions in filter patterns take no backreferences or lookaround');
  if (/\)[*+?{]/.test(source)) throw new FilterPatternError('regular expressions in filter patterns take no quantifier on a group');
  try {
    return new RegExp(source, 'u');
  } catch (error) {
    throw new FilterPatternError(`invalid regular expression %${source}%: ${(error as Error).message}`);
  }
}

// --- JSON: selectors, comparisons, && / || -------------------------------------------------------

type Token = { kind: 'selector' | 'word' | 'string' | 'op' | 'paren'; text: string };

type Condition = (event: unknown) => boolean;

function parseJsonPattern(text: string): FilterPattern {
  if (!text.endsWith('}')) throw new FilterPatternError('a JSON filter pattern must end with }');
  const tokens = tokenize(text.slice(1, -1));
  if (tokens.length === 0) throw new FilterPatternError('a JSON filter pattern holds at least one condition');
  const parser = new ConditionParser(tokens);
  const condition = parser.parseOr();
  parser.expectEnd();
  return {
    matches: (message) => {
      const start = message.trimStart();
      if (!start.startsWith('{')) return false;
      let event: unknown;
      try {
        event = JSON.parse(start);
      } catch {
        return false;
      }
      return typeof event === 'object' && event !== null && !Array.isArray(event) && condition(event);
    },
  };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i += 1;
    else if (c === '(' || c === ')') {
      tokens.push({ kind: 'paren', text: c });
      i += 1;
    } else if (c === '"') {
      const end = closing(text, i, '"');
      tokens.push({ kind: 'string', text: unescapeQuoted(text.slice(i + 1, end)) });
      i = end + 1;
    } else if (text.startsWith('&&', i) || text.startsWith('||', i) || text.startsWith('!=', i) || text.startsWith('<=', i) || text.startsWith('>=', i)) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2) });
      i += 2;
    } else if (c === '=' || c === '<' || c === '>') {
      tokens.push({ kind: 'op', text: c });
      i += 1;
    } else {
      let end = i;
      while (end < text.length && !/[\s()"=<>!&|]/.test(text[end]!)) end += 1;
      if (end === i) throw new FilterPatternError(`unexpected ${c} at ${i + 2} in the JSON filter pattern`);
      const word = text.slice(i, end);
      tokens.push({ kind: word.startsWith('$') ? 'selector' : 'word', text: word });
      i = end;
    }
  }
  return tokens;
}

class ConditionParser {
  #at = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  parseOr(): Condition {
    const parts = [this.#parseAnd()];
    while (this.#peek()?.text === '||') {
      this.#at += 1;
      parts.push(this.#parseAnd());
    }
    return parts.length === 1 ? parts[0]! : (e) => parts.some((p) => p(e));
  }

  expectEnd(): void {
    const extra = this.#peek();
    if (extra !== undefined) throw new FilterPatternError(`unexpected ${extra.text} in the JSON filter pattern`);
  }

  #parseAnd(): Condition {
    const parts = [this.#parsePrimary()];
    while (this.#peek()?.text === '&&') {
      this.#at += 1;
      parts.push(this.#parsePrimary());
    }
    return parts.length === 1 ? parts[0]! : (e) => parts.every((p) => p(e));
  }

  #parsePrimary(): Condition {
    const token = this.#next('a condition');
    if (token.kind === 'paren' && token.text === '(') {
      const inner = this.parseOr();
      const close = this.#next(')');
      if (close.text !== ')') throw new FilterPatternError(`expected ) but found ${close.text}`);
      return inner;
    }
    if (token.kind !== 'selector') throw new FilterPatternError(`expected a selector such as $.field but found ${token.text}`);
    const path = parseSelector(token.text);
    const op = this.#next('an operator after the selector');
    if (op.kind === 'word') return this.#keywordTest(path, op.text);
    if (op.kind !== 'op' || op.text === '&&' || op.text === '||') throw new FilterPatternError(`expected an operator after ${token.text} but found ${op.text}`);
    const value = this.#next(`a value after ${op.text}`);
    if (value.kind !== 'string' && value.kind !== 'word') throw new FilterPatternError(`expected a value after ${op.text} but found ${value.text}`);
    return comparison(path, op.text, value);
  }

  /** `IS NULL`, `IS TRUE`, `IS FALSE`, `EXISTS`, `NOT EXISTS`. */
  #keywordTest(path: readonly PathStep[], first: string): Condition {
    const keyword = first.toUpperCase();
    if (keyword === 'EXISTS') return (e) => select(e, path) !== MISSING;
    if (keyword === 'NOT') {
      const second = this.#next('EXISTS after NOT');
      if (second.text.toUpperCase() !== 'EXISTS') throw new FilterPatternError(`expected EXISTS after NOT but found ${second.text}`);
      return (e) => select(e, path) === MISSING;
    }
    if (keyword === 'IS') {
      const second = this.#next('NULL, TRUE or FALSE after IS').text.toUpperCase();
      if (second === 'NULL') return (e) => select(e, path) === null;
      if (second === 'TRUE') return (e) => select(e, path) === true;
      if (second === 'FALSE') return (e) => select(e, path) === false;
      throw new FilterPatternError(`expected NULL, TRUE or FALSE after IS but found ${second}`);
    }
    throw new FilterPatternError(`expected an operator but found ${first}`);
  }

  #peek(): Token | undefined {
    return this.tokens[this.#at];
  }

  #next(what: string): Token {
    const token = this.tokens[this.#at];
    if (token === undefined) throw new FilterPatternError(`the JSON filter pattern ends where ${what} was expected`);
    this.#at += 1;
    return token;
  }
}

type PathStep = string | number;
const MISSING = Symbol('missing');

/** `$.a.b[0].c` → ['a', 'b', 0, 'c']. */
function parseSelector(selector: string): PathStep[] {
  if (selector === '$') throw new FilterPatternError('a selector names a field: $.field');
  if (!selector.startsWith('$.') && !selector.startsWith('$[')) throw new FilterPatternError(`a selector starts with $. but ${selector} does not`);
  const steps: PathStep[] = [];
  const part = /\.([^.[\]]+)|\[(\d+)\]/y;
  part.lastIndex = 1;
  while (part.lastIndex < selector.length) {
    const match = part.exec(selector);
    if (match === null) throw new FilterPatternError(`the selector ${selector} is not valid`);
    steps.push(match[1] ?? Number(match[2]));
  }
  return steps;
}

function select(event: unknown, path: readonly PathStep[]): unknown {
  let current: unknown = event;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return MISSING;
      current = current[step];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, step)) return MISSING;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

function comparison(path: readonly PathStep[], op: string, value: Token): Condition {
  const number = value.kind === 'word' ? Number(value.text) : Number.NaN;
  if (value.kind === 'word' && value.text !== '' && Number.isFinite(number)) {
    const test = numberTest(op, number);
    return (e) => {
      const field = select(e, path);
      return typeof field === 'number' ? test(field) : op === '!=' && field !== MISSING;
    };
  }
  if (op !== '=' && op !== '!=') throw new FilterPatternError(`${op} compares numbers, and ${value.text} is not one`);
  const matchesText = wildcard(value.text);
  return (e) => {
    const field = select(e, path);
    if (field === MISSING) return false;
    const same = typeof field === 'string' ? matchesText(field) : false;
    return op === '=' ? same : !same;
  };
}

function numberTest(op: string, n: number): (field: number) => boolean {
  switch (op) {
    case '=':
      return (f) => f === n;
    case '!=':
      return (f) => f !== n;
    case '<':
      return (f) => f < n;
    case '>':
      return (f) => f > n;
    case '<=':
      return (f) => f <= n;
    default:
      return (f) => f >= n;
  }
}

/** `abc*` and the like: `*` stands for any run of characters; everything else is literal. */
function wildcard(pattern: string): (text: string) => boolean {
  if (!pattern.includes('*')) return (text) => text === pattern;
  const parts = pattern.split('*');
  return (text) => {
    if (!text.startsWith(parts[0]!) || !text.endsWith(parts.at(-1)!)) return false;
    let at = parts[0]!.length;
    const end = text.length - parts.at(-1)!.length;
    if (end < at) return false;
    for (const part of parts.slice(1, -1)) {
      const found = text.indexOf(part, at);
      if (found === -1 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}
