import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilterPatternError, parseFilterPattern } from '../src/logs/filter-pattern.js';

/** [pattern, message, matches?]; rows marked "guide" are the CloudWatch Logs user guide's own examples. */
type Row = [string, string, boolean];

const APACHE_200 = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534';
const APACHE_500 = '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324';
const APACHE_404 = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534';

const TRAIL = JSON.stringify({
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
  ThisFlag: true,
});
const USERS = JSON.stringify({
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [
    { id: 2, email: 'John.Doe@example.com' },
    { id: 3, email: 'Jane.Doe@example.com' },
  ],
  actions: ['GET', 'PUT', 'DELETE'],
  coordinates: [
    [0, 1, 2],
    [4, 5, 6],
    [7, 8, 9],
  ],
});
const NUMBERS = JSON.stringify({ latency: 500, numbers: [9999, 0.005], processes: [0, 0, 0, 0, { averageRuntime: 55.5 }], errorCode: 400 });

const UNSTRUCTURED: Row[] = [
  ['', 'anything', true],
  ['   ', 'anything', true],
  ['ERROR', '[ERROR] A fatal exception has occurred', true], // guide
  ['ERROR', 'Exiting with ERRORCODE: -1', true], // guide: a term matches inside a longer word
  ['ERROR', 'error: lower case', false],
  ['"ERROR" - "Exiting"', 'Exiting with ERRORCODE: -1', false], // guide
  ['"ERROR" - "Exiting"', '[ERROR] A fatal exception has occurred', true], // guide
  ['ERROR Exception', '[ERROR] Caught IllegalArgumentException', true], // guide
  ['ERROR Exception', '[ERROR] Unhandled Exception', true], // guide
  ['ERROR Exception', '[ERROR] Unhandled', false],
  ['Failed to process the request', '[ERROR] Unable to continue: Failed to process the request', true], // guide
  ['Failed to process the request', 'the request: process Failed to', true],
  ['Failed to process the request', '[WARN] Failed to process', false],
  ['ERROR', 'ERROR WARN message', true], // guide
  ['ERROR', 'WARN message', false], // guide
  ['?ERROR ?WARN', 'ERROR WARN message', true], // guide
  ['?ERROR ?WARN', 'ERROR message', true], // guide
  ['?ERROR ?WARN', 'WARN message', true], // guide
  ['?ERROR ?WARN', 'INFO message', false],
  ['ERROR WARN', 'ERROR WARN message', true], // guide
  ['ERROR WARN', 'ERROR message', false], // guide
  ['ERROR -WARN', 'ERROR message', true], // guide
  ['ERROR -WARN', 'ERROR WARN message', false], // guide
  ['-ERROR', 'INFO all good', true],
  ['-ERROR', 'ERROR', false],
  ['ERROR ?timeout ?refused', 'ERROR connection refused', true],
  ['ERROR ?timeout ?refused', 'ERROR disk full', false],
  ['ERROR ?timeout ?refused', 'timeout refused', false],
  ['"Internal Server Error"', '[ERROR 500] Internal Server Error', true],
  ['"Internal Server Error"', 'Internal Error: Server down', false],
  ['?"Internal Server Error" ?timeout', 'socket timeout', true],
  ['"ERROR:" code', 'ERROR: code 7', true],
  ['"ERROR:" code', 'ERROR code 7', false],
  ['"say \\"hi\\""', 'they say "hi" twice', true],
  ['"say \\"hi\\""', 'they say hi twice', false],
  ['"C:\\\\temp"', 'saved to C:\\temp', true],
  ['under_score 42', 'under_score=42', true],
];

const REGEX: Row[] = [
  ['%AUTHORIZED%', '[ERROR 401] UNAUTHORIZED REQUEST', true], // guide
  ['%AUTHORIZED%', '[SUCCESS 200] AUTHORIZED REQUEST', true], // guide
  ['%AUTHORIZED%', 'authorized', false],
  ['%^[hc]at%', 'cat and hat', true], // guide
  ['%^[hc]at%', 'the cat', false],
  ['%[hc]at$%', 'the hat', true], // guide
  ['%[hc]at$%', 'hat trick', false],
  ['%colou?r%', 'color', true], // guide
  ['%colou?r%', 'colour', true], // guide
  ['%colou?r%', 'colouur', false],
  ['%[abcx-z]%', 'y', true], // guide
  ['%[abcx-z]%', 'w', false],
  ['%a{3,5}%', 'baab', false], // guide
  ['%a{3,5}%', 'baaab', true], // guide
  ['%^a{3}$%', 'aaaa', false],
  ['%^ba{2,}b$%', 'baaaaab', true],
  ['%gray|grey%', 'grey', true],
  ['%gray|grey%', 'gry', false],
  ['%^ERROR|WARN$%', 'an ERROR', false],
  ['%^ERROR|WARN$%', 'a WARN', true],
  ['%10\\.10\\.0\\.1%', 'from 10.10.0.1', true], // guide
  ['%10\\.10\\.0\\.1%', 'from 10a10b0c1', false],
  ['%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%', 'client 192.168.0.1 connected', true], // guide
  ['%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%', 'client 192.168.0 connected', false],
  ['%[Ee]rror|[Ff]ail%', 'an error', true], // guide
  ['%[Ee]rror|[Ff]ail%', 'Failed', true], // guide
  ['%[Ee]rror|[Ff]ail%', 'ERROR', false],
  ['%[^0-9]%', '12345', false],
  ['%[^0-9]%', '123x5', true],
  ['%^[\\d-]+$%', '12-34', true],
  ['%^[\\d-]+$%', '12_34', false],
  ['%\\w+@\\w+%', 'mail bob@example now', true],
  ['%\\s\\S%', 'nospace', false],
  ['%te*st%', 'tst', true],
  ['%te+st%', 'tst', false],
  ['%a.c%', 'abc', true],
  ['%a.c%', 'a\nc', false],
  ['%[.]%', 'abc', false],
  ['%x*?y%', 'xxy', true],
  ['%^$%', '', true],
  ['%^$%', 'x', false],
  ['%ERROR 401%', 'got ERROR 401 back', true],
  ['%status=4\\d\\d;%', 'path=/ status=404; ok', true],
  ['%\\[ERROR\\]%', '[ERROR] x', true],
  ['%\\[ERROR\\]%', 'ERROR x', false],
];

const JSON_ROWS: Row[] = [
  ['{ $.eventType = "UpdateTrail" }', TRAIL, true], // guide
  ['{ $.sourceIPAddress != 123.123.* }', TRAIL, true], // guide
  ['{ $.sourceIPAddress != 111.111.* }', TRAIL, false],
  ['{ $.arrayKey[0] = "value" }', TRAIL, true], // guide
  ['{ $.arrayKey[1] = "value" }', TRAIL, false],
  ['{ $.objectList[1].id = 2 }', TRAIL, true], // guide
  ['{ $.objectList[0].id = 2 }', TRAIL, false],
  ['{ $.objectList[5].id = 2 }', TRAIL, false],
  ['{ $.eventType[0] = "UpdateTrail" }', TRAIL, false],
  ['{ $.SomeObject IS NULL }', TRAIL, true], // guide
  ['{ $.eventType IS NULL }', TRAIL, false],
  ['{ $.Missing IS NULL }', TRAIL, false],
  ['{ $.SomeOtherObject NOT EXISTS }', TRAIL, true], // guide
  ['{ $.SomeObject NOT EXISTS }', TRAIL, false],
  ['{ $.ThisFlag IS TRUE }', TRAIL, true], // guide
  ['{ $.ThisFlag IS FALSE }', TRAIL, false],
  ['{ $.flag IS FALSE }', '{"flag":false}', true],
  ['{ $.SomeObject is null }', TRAIL, true],
  ['{ $.ThisFlag = true }', TRAIL, false],
  ['{ $.eventType = Update* }', TRAIL, true],
  ['{ $.eventType = *Trail }', TRAIL, true],
  ['{ $.eventType = *dateTr* }', TRAIL, true],
  ['{ $.eventType = *Event }', TRAIL, false],
  ['{ $.eventType = Up*ail }', TRAIL, false],
  ['{ $.eventType = Up*ail }', '{"eventType":"Up*ail"}', true],
  ['{ $.eventType = * }', TRAIL, true],
  ['{ $.latency = * }', NUMBERS, true],
  ['{ $.Missing = * }', TRAIL, false],
  ['{ $.eventType = UpdateTrail }', TRAIL, true],
  ['{ $.eventType = updatetrail }', TRAIL, false],
  ['{ $.eventType != "UpdateTrail" }', TRAIL, false],
  ['{ $.Missing != "UpdateTrail" }', TRAIL, false],
  ['{$.foo = bar}', '{"foo": "bar"}', true], // guide
  ['{$.foo = baz }', '{"foo": "bar"}', false], // guide
  ['{$.foo = bar || $.foo = baz }', '{"foo": "bar"}', true], // guide
  ['{$.foo = bar || $.foo = baz }', '{"foo": "baz"}', true], // guide
  ['{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', USERS, true], // guide
  ['{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', USERS, false], // guide
  ['{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }', USERS, true], // guide
  ['{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }', USERS, false], // guide
  ['{ $.coordinates[2][0] = 7 && $.actions[2] = DELETE }', USERS, true],
  ['{ ((($.user.id = 1))) }', USERS, true],
  ['{ $.users = 1 }', '{"users": [1, 2, 3]}', false], // guide
  ['{ $.users != 1 }', '{"users": [1, 2, 3]}', false], // guide
  ['{ $.user != 1 }', USERS, false],
  ['{ $.latency >= 500 }', NUMBERS, true], // guide
  ['{ $.latency > 500 }', NUMBERS, false],
  ['{ $.numbers[0] < 10e3 }', NUMBERS, true], // guide
  ['{ $.numbers[1] < 10e-3 }', NUMBERS, true], // guide
  ['{ $.numbers[0] < 10e-3 }', NUMBERS, false],
  ['{ $.processes[4].averageRuntime <= 55.5 }', NUMBERS, true], // guide
  ['{ $.processes[4].averageRuntime < 55.5 }', NUMBERS, false],
  ['{ $.errorCode = 400 }', NUMBERS, true], // guide
  ['{ $.errorCode != 500 }', NUMBERS, true], // guide
  ['{ $.errorCode != 400 }', NUMBERS, false],
  ['{ $.latency > +100 }', NUMBERS, true], // guide (the guide's value is +1000)
  ['{ $.latency > -1.5 }', NUMBERS, true],
  ['{ $.errorCode = 400.0 }', NUMBERS, true],
  ['{ $.errorCode = 400 }', '{"errorCode": "400"}', true],
  ['{ $.errorCode = 400 }', '{"errorCode": "4e2"}', false],
  ['{ $.errorCode > 1 }', '{"errorCode": "many"}', false],
  ['{ $.errorCode != 1 }', '{"errorCode": "many"}', true],
  ['{ $.errorCode = 4* }', NUMBERS, true],
  ['{ $.id = "1" }', '{"id": 1}', true],
  ['{ $.a.b-c.d_e = deep }', '{"a": {"b-c": {"d_e": "deep"}}}', true],
  ['{ $.a.b = 1 }', '{"a": [{"b": 1}]}', false],
  ['{ $.constructor NOT EXISTS }', '{}', true],
  ['{ $.message = %address already% }', '{"message": "bind: address already in use"}', true],
  ['{ $.message = %^address% }', '{"message": "bind: address already in use"}', false],
  ['{ $.message != %^bind% && $.level = ERROR }', '{"message": "listen", "level": "ERROR"}', true],
  ['{ $.email = "*@example.com" }', '{"email": "jo@example.com"}', true],
  ['{ $.eventType = "UpdateTrail" }', 'UpdateTrail happened', false],
  ['{ $.eventType = "UpdateTrail" }', '["UpdateTrail"]', false],
  ['{ $.eventType = "UpdateTrail" }', '{"eventType": "UpdateTrail"', false],
  ['{ $.eventType NOT EXISTS }', 'not json', false],
  ['  { $.level = "ERROR" }  ', '  {"level":"ERROR"}', true],
];

const DELIMITED: Row[] = [
  ['[ip, user, username, timestamp, request, status_code, bytes]', APACHE_200, true], // guide
  ['[ip, user, username, timestamp, request, status_code]', APACHE_200, false],
  ['[..., status_code, bytes]', APACHE_200, true], // guide
  ['[ip, user, ..., status_code, bytes]', APACHE_200, true], // guide
  ['[ip, user, ...]', APACHE_200, true], // guide
  ['[ip, user, username, timestamp, request, status_code, bytes > 1000]', APACHE_200, true], // guide
  ['[ip, user, username, timestamp, request, status_code, bytes > 2000]', APACHE_200, false],
  ['[ip, user, username, timestamp, request, status_code = 200, bytes]', APACHE_200, true], // guide
  ['[ip, user, username, timestamp, request, status_code = 200, bytes]', APACHE_500, false], // guide
  ['[ip, user, username, timestamp, request, status_code = 4*, bytes]', APACHE_404, true], // guide
  ['[ip, user, username, timestamp, request, status_code = 4*, bytes]', APACHE_500, false], // guide
  ['[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]', APACHE_404, true], // guide
  ['[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]', APACHE_200, false], // guide
  ['[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]', APACHE_404, true], // guide
  ['[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]', APACHE_500, false], // guide
  ['[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000, bytes]', APACHE_404, true],
  ['[ip, user, username, timestamp, request, status_code = 4* && bytes > 2000, bytes]', APACHE_404, false],
  ['[..., request=*.html*, status_code=4*,]', APACHE_404, true], // guide
  ['[..., request=*.html*, status_code=4*,]', APACHE_200, false], // guide
  ['[ip, user, username, timestamp = "10/Oct/2000:13:25:15 -0700", ...]', APACHE_200, true],
  ['[ip, user, username = %^fr%, ...]', APACHE_200, true],
  ['[ip, user, username = %^an%, ...]', APACHE_200, false],
  ['[ip, user != -, ...]', APACHE_200, false],
  ['[..., bytes > 1000]', '- - - not-a-number', false],
  ['[w1=ERROR, w2]', 'ERROR message', true], // guide
  ['[w1=ERROR, w2]', 'ERROR WARN message', false], // guide
  ['[w1=ERROR || w1=WARN, w2]', 'ERROR message', true], // guide
  ['[w1=ERROR || w1=WARN, w2]', 'WARN message', true], // guide
  ['[w1=ERROR || w1=WARN, w2]', 'ERROR WARN message', false], // guide
  ['[w1!=ERROR && w1!=WARN, w2]', 'INFO message', true],
  ['[w1!=ERROR && w1!=WARN, w2]', 'WARN message', false],
  ['[a, b]', '  one\t two  ', true],
  ['[a]', '', false],
  ['[...]', '', true],
];

describe('parseFilterPattern', () => {
  const groups: Array<[string, Row[]]> = [
    ['unstructured terms and phrases', UNSTRUCTURED],
    ['regular expressions', REGEX],
    ['JSON conditions', JSON_ROWS],
    ['space-delimited fields', DELIMITED],
  ];
  for (const [name, rows] of groups) {
    it(`matches ${name} as CloudWatch documents`, () => {
      const wrong = rows.filter(([pattern, message, expected]) => parseFilterPattern(pattern).matches(message) !== expected);
      assert.deepEqual(wrong, []);
    });
  }

  it('matches a regex in time linear in the message (V8 would backtrack for seconds here)', () => {
    const timed = (pattern: string, message: string, limitMs: number) => {
      const started = performance.now();
      assert.equal(parseFilterPattern(pattern).matches(message), false);
      const took = performance.now() - started;
      assert.ok(took < limitMs, `${pattern} took ${Math.round(took)} ms`);
    };
    // RegExp needs seconds for this one; asserting before the next case makes a backtracking engine fail, not hang.
    timed('%a*a*a*b%', 'a'.repeat(400), 1000);
    timed('%a*a*a*a*a*a*a*a*a*a*a*a*b%', 'a'.repeat(256 * 1024), 2000);
  });

  it('reads at most 256 KB of a message with a regex', () => {
    const tail = 'a'.repeat(256 * 1024) + 'XYZ';
    assert.equal(parseFilterPattern('%XYZ%').matches(tail), false);
    assert.equal(parseFilterPattern('%XYZ%').matches('XYZ' + tail), true);
    assert.equal(parseFilterPattern('XYZ').matches(tail), true);
  });

  it('agrees with RegExp on regexes too small for backtracking to matter', () => {
    const next = seeded(42);
    const atoms = ['a', 'b', '.', '[ab]', '[^a]', '\\d', '1', '\\w', '\\s', ' ', '[a-b1]', '\\.', '-'];
    const quantifiers = ['', '', '', '*', '+', '?', '{2}', '{1,2}', '{0,}', '*?'];
    const wrong: string[] = [];
    for (let k = 0; k < 2000; k++) {
      const alternatives = Array.from({ length: 1 + next(2) }, () => {
        const items = Array.from({ length: 1 + next(4) }, () => atoms[next(atoms.length)]! + quantifiers[next(quantifiers.length)]!);
        return (next(4) === 0 ? '^' : '') + items.join('') + (next(4) === 0 ? '$' : '');
      });
      const body = alternatives.join('|');
      const [ours, theirs] = [parseFilterPattern(`%${body}%`), new RegExp(body)];
      for (let t = 0; t < 5; t++) {
        const text = Array.from({ length: next(7) }, () => 'ab1 .\n-'[next(7)]).join('');
        if (ours.matches(text) !== theirs.test(text)) wrong.push(`${body} on ${JSON.stringify(text)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('accepts a pattern of exactly 1024 characters', () => {
    assert.equal(parseFilterPattern('a'.repeat(1024)).matches('a'.repeat(1024)), true);
  });
});

/** A small deterministic generator, so a failing input can be reproduced. */
function seeded(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % below;
  };
}

/** [pattern, what the error must say]. */
const ERRORS: Array<[string, RegExp]> = [
  ['x'.repeat(1025), /1025 characters long; the limit is 1024/],
  ['"unterminated', /unterminated quoted string at character 1/],
  ['ERROR "Internal', /unterminated quoted string at character 7/],
  ['foo.bar', /term foo\.bar has characters other than letters, digits and "_"; put it in double quotes/],
  ['ERROR user@example.com', /term user@example\.com .*double quotes at character 7/],
  ['"ERROR"x', /term "ERROR"x .*double quotes/],
  ['ERROR -', /"-" must be followed by a term at the end of the pattern/],
  ['ERROR ?', /"\?" must be followed by a term/],
  ['?-ERROR', /"\?" and "-" .* cannot be combined/],
  ['%ERROR% WARN', /regex \(%…%\) must be the whole pattern/],
  ['%something!%', /"!" is not supported in a regex/],
  ['%(a|b)%', /cannot use \( or \)/],
  ['%é%', /multi-byte characters are not supported/],
  ['%[a-%', /unterminated "\["/],
  ['%[]%', /empty character class/],
  ['%[z-a]%', /the range z-a in the regex is out of order/],
  ['%[a-\\d]%', /cannot end with a class such as \\d/],
  ['%*a%', /"\*" has nothing to repeat/],
  ['%a|+b%', /"\+" has nothing to repeat/],
  ['%a**%', /quantifier cannot follow another/],
  ['%^*a%', /"\^" cannot be repeated/],
  ['%a{5,2}%', /maximum below its minimum/],
  ['%a{x}%', /must start a repeat count/],
  ['%a}%', /unbalanced "}"/],
  ['%a]%', /unbalanced "]"/],
  ['%\\q%', /"\\q" is not a supported escape/],
  ['%abc\\%', /lone "\\"/],
  ['%a{2000}%', /repeat count may be at most 1000/],
  ['%a{999}b{999}%', /regex is too large/],
  ['{ $.a = 1', /missing "}" to close the JSON pattern at the end of the pattern/],
  ['{ $.a = 1 } extra', /unexpected text after the JSON pattern at character 13/],
  ['{ }', /needs a condition/],
  ['{ ($.a = 1 }', /expected "\)" at character 12/],
  ['{ $.a = 1 $.b = 2 }', /expected &&, \|\| or "}"/],
  ['{ $.a == 1 }', /unknown operator "==" at character 7/],
  ['{ $.a => 1 }', /unknown operator "=>"/],
  ['{ $.a ~ 1 }', /expected an operator/],
  ['{ $.a }', /expected an operator/],
  ['{ $.a > abc }', /">" compares numbers, and the value is not a number/],
  ['{ $.a < "1" }', /"<" compares numbers/],
  ['{ $.a >= %1% }', /">=" compares numbers/],
  ['{ a = 1 }', /expected a selector such as \$\.field at character 3/],
  ['{ $ = 1 }', /a selector names a property/],
  ['{ $[0] = 1 }', /array index must follow a property/],
  ['{ $.a[x] = 1 }', /expected an array index/],
  ['{ $. = 1 }', /expected a property name/],
  ['{ $.a IS MAYBE }', /IS must be followed by NULL, TRUE or FALSE/],
  ['{ $.a NOT THERE }', /NOT must be followed by EXISTS/],
  ['{ $.a EXISTS }', /EXISTS is not in CloudWatch's documented syntax/],
  ['{ $.a = foo@bar }', /must be in double quotes/],
  ['{ $.a = "x }', /unterminated quoted string/],
  ['{ $.a = }', /expected a value after "="/],
  ['{ $.a = 1 && }', /expected a selector/],
  ['{ $.a = %x }', /unterminated regex/],
  ['{ $.a = %x% && $.b = %y% && $.c = %z% }', /at most 2 regexes/],
  ['{ $.a = %(x)% }', /cannot use \( or \)/],
  ['[a, b', /missing "]" to close the space-delimited pattern/],
  ['[ip user]', /expected "," or an operator after the field ip at character 5/],
  ['[]', /needs at least one field/],
  ['[..., a, ...]', /only one "\.\.\."/],
  ['[a, a]', /field a appears twice/],
  ['[a = 1 && b > 2]', /names b, which is not a field/],
  ['[a ~ 1]', /expected an operator/],
  ['[=ERROR]', /expected a field name/],
  ['[a = %x%, b = %y%, c = %z%]', /at most 2 regexes/],
  ['[a] x', /unexpected text after the space-delimited pattern/],
];

describe('parseFilterPattern errors', () => {
  it('throws a FilterPatternError naming what is wrong', () => {
    const wrong = ERRORS.flatMap(([pattern, expected]) => {
      try {
        parseFilterPattern(pattern);
        return [{ pattern, expected: String(expected), got: 'no error' }];
      } catch (error) {
        if (error instanceof FilterPatternError && expected.test(error.message)) return [];
        return [{ pattern, expected: String(expected), got: String(error) }];
      }
    });
    assert.deepEqual(wrong, []);
  });

  it('fails only with FilterPatternError, and its patterns never throw while matching', () => {
    const next = seeded(7);
    const pieces = ['{', '}', '[', ']', '(', ')', '$', '.', 'a', '0', ' ', '=', '!=', '<', '>=', '&&', '||', '"', '\\', '%', '*', '?', '-', ',', '...'];
    const keywords = ['IS', 'NULL', 'NOT', 'EXISTS', 'TRUE', '$.a', '$.a[0]', '|', '^', '{2,3}', 'é', '\n'];
    const messages = ['', 'a b', '{"a": 1}', '{"a": [1, "x"], "b": null}', '[a] "b c" d', 'not json {'];
    const all = [...pieces, ...keywords];
    let parsed = 0;
    for (let k = 0; k < 20_000; k++) {
      const body = Array.from({ length: 1 + next(12) }, () => all[next(all.length)]!).join('');
      const pattern = ['', '{ ', '['][next(3)]! + body;
      let compiled;
      try {
        compiled = parseFilterPattern(pattern);
      } catch (error) {
        assert.ok(error instanceof FilterPatternError, `${JSON.stringify(pattern)} threw ${String(error)}`);
        continue;
      }
      parsed += 1;
      for (const message of messages) compiled.matches(message);
    }
    assert.ok(parsed > 100, `only ${parsed} random patterns parsed; the generator no longer exercises matching`);
  });
});
