import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import * as lambda from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest, HttpResponse } from '@smithy/protocol-http';
import { ROLE, startPlatform, type TestPlatform } from '../support/platform.js';
import { PythonInterpreters } from '../../src/runtime/index.js';
import { makeZip, nodeZip } from '../support/zip.js';
import { FUNCTIONS } from './functions.js';
import { loadRecordings, type RecordedLine } from './recordings.js';
import { BEFORE, MARKED, PENDING, UNSERVED_OPERATIONS, WORLDS, type World } from './worlds.js';

/**
 * The parity suite (issue 14): every request real AWS Lambda was recorded answering is sent to a running
 * selfless through the AWS SDK, and the answer is compared with AWS's field by field (status, error code,
 * message, which body keys are there). One line per mismatch, then `N/M scenarios match`.
 */

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  /** The body parsed when it is a JSON object. */
  readonly body: Record<string, unknown> | undefined;
  readonly raw: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** The raw answer of the last request, as it came off the wire (the SDK's parse hides which keys were there). */
let lastAnswer: Answer | undefined;

class RecordingHandler extends NodeHttpHandler {
  override async handle(request: HttpRequest, options?: Parameters<NodeHttpHandler['handle']>[1]): Promise<{ response: HttpResponse }> {
    const { response } = await super.handle(request, options);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    const raw = Buffer.concat(chunks);
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const type = response.headers['x-amzn-errortype'];
    lastAnswer = { status: response.statusCode, code: type?.split(':')[0], body, raw: raw.toString('utf8'), headers: { ...response.headers } };
    response.body = Readable.from([raw]);
    return { response };
  }
}

/** The Python runtime the recorded Python functions run on here: the first the host has. */
const interpreters = new PythonInterpreters(process.env);
let python: string | undefined;
for (const v of ['3.10', '3.11', '3.12', '3.13', '3.14']) if (python === undefined && (await interpreters.find(v)) !== undefined) python = `python${v}`;

let server: TestPlatform;
let client: lambda.LambdaClient;
let zip: Buffer;
/** The zips of functions.ts, by name, for `<code:NAME>`. */
const zips = new Map<string, Buffer>();
const WRONG_REGION = 'eu-central-1';

before(async () => {
  server = await startPlatform();
  client = new lambda.LambdaClient({
    endpoint: server.platform.url,
    region: server.platform.config.region,
    credentials: server.platform.rootKey,
    maxAttempts: 1,
    requestHandler: new RecordingHandler(),
  });
  zip = await nodeZip('exports.handler = async (event) => event;');
  for (const [name, fn] of Object.entries(FUNCTIONS)) zips.set(name, await makeZip(fn.files));
});

after(async () => {
  client.destroy();
  await server.stop();
});

/** Names a group's requests use, by the recordings' placeholders. */
interface Names {
  readonly fn: string;
  readonly fn2: string;
  readonly missing: string;
  readonly uid: string;
  codeSha256?: string;
}

let groups = 0;

function namesFor(): Names {
  groups += 1;
  const uid = randomUUID().slice(0, 8);
  return { fn: `parity-${groups}-${uid}`, fn2: `parity-${groups}-${uid}-2`, missing: `i-dont-exist-${uid}`, uid };
}

async function send(operation: string, input: Record<string, unknown>): Promise<Answer> {
  const Command = (lambda as unknown as Record<string, (new (input: unknown) => never) | undefined>)[`${operation}Command`];
  if (Command === undefined) throw new Error(`no SDK command for ${operation}`);
  lastAnswer = undefined;
  try {
    await client.send(new Command(input));
  } catch (error) {
    if (lastAnswer === undefined) throw error;
  }
  if (lastAnswer === undefined) throw new Error(`${operation}: no answer recorded`);
  return lastAnswer;
}

async function must(operation: string, input: Record<string, unknown>): Promise<void> {
  const answer = await send(operation, input);
  if (answer.status >= 300) throw new Error(`setting up, ${operation} answered ${answer.status} ${answer.code}: ${JSON.stringify(answer.body)}`);
}

/** Builds a group's world; false when this host cannot (the function's language has no interpreter here). */
async function build(world: World, names: Names): Promise<boolean> {
  if (world.exists === false) return true;
  const code = world.code === undefined ? undefined : FUNCTIONS[world.code];
  if (code === undefined && world.code !== undefined) throw new Error(`no parity function ${world.code}`);
  if (code?.language === 'python' && python === undefined) return false;
  const create = async (name: string) =>
    // As the recordings' own fixture created them: with an empty Environment, which AWS then echoes.
    must('CreateFunction', {
      FunctionName: name,
      Runtime: code === undefined ? 'nodejs22.x' : code.language === 'python' ? python : 'nodejs22.x',
      Role: ROLE,
      Handler: code?.handler ?? 'index.handler',
      Code: { ZipFile: code === undefined ? zip : zips.get(world.code!)! },
      ...(world.environment === null ? {} : { Environment: { Variables: { ...world.environment } } }),
      ...(world.timeout === undefined ? {} : { Timeout: world.timeout }),
    });
  await create(names.fn);
  if (world.second === true) await create(names.fn2);
  for (let v = 1; v <= (world.versions ?? 0); v += 1) {
    await must('UpdateFunctionConfiguration', { FunctionName: names.fn, Description: `version ${v}` });
    await must('PublishVersion', { FunctionName: names.fn });
  }
  for (const [alias, target] of Object.entries(world.aliases ?? {})) {
    const routing = typeof target === 'string' ? {} : { RoutingConfig: { AdditionalVersionWeights: target.weights } };
    await must('CreateAlias', { FunctionName: names.fn, Name: alias, FunctionVersion: typeof target === 'string' ? target : target.version, ...routing });
  }
  if (world.urlConfig === true) await must('CreateFunctionUrlConfig', { FunctionName: names.fn, AuthType: 'NONE' });
  for (const statement of world.policy ?? []) {
    const [sid, qualifier] = statement.split(':');
    await must('AddPermission', {
      FunctionName: names.fn,
      StatementId: sid,
      Action: 'lambda:InvokeFunction',
      Principal: 's3.amazonaws.com',
      ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
    });
  }
  for (const qualifier of world.eventInvokeConfigs ?? []) {
    await must('PutFunctionEventInvokeConfig', { FunctionName: names.fn, Qualifier: qualifier, MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 60 });
  }
  if ((world.tags ?? 0) > 0) await must('TagResource', { Resource: functionArn(names.fn), Tags: manyTags(world.tags ?? 0) });
  for (const qualifier of world.provisioned ?? []) {
    await must('PutProvisionedConcurrencyConfig', { FunctionName: names.fn, Qualifier: qualifier, ProvisionedConcurrentExecutions: 1 });
  }
  if (world.reserved !== undefined) await must('PutFunctionConcurrency', { FunctionName: names.fn, ReservedConcurrentExecutions: world.reserved });
  const got = await client.send(new lambda.GetFunctionCommand({ FunctionName: names.fn }));
  names.codeSha256 = got.Configuration?.CodeSha256 ?? '';
  if (world.deleted === true) await must('DeleteFunction', { FunctionName: names.fn });
  return true;
}

function functionArn(name: string): string {
  return `arn:aws:lambda:${server.platform.config.region}:${server.platform.config.accountId}:function:${name}`;
}

function manyTags(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, k) => [`${k}_key`, `${k}_value`]));
}

/** The stand-ins for the placeholders requests and messages share. */
function standIns(text: string, names: Names): string {
  return text
    .replaceAll('<function-name-2>', names.fn2)
    .replaceAll('<function-name>', names.fn)
    .replaceAll('<fn-name>', names.fn)
    .replaceAll('<resource-name>', names.fn)
    .replaceAll('<nonexisting-fn-name>', names.missing)
    .replaceAll('<alias-name>', 'parity-alias')
    .replaceAll('<wrong-region>', WRONG_REGION)
    .replaceAll('<region>', server.platform.config.region)
    .replaceAll('111111111111', server.platform.config.accountId);
}

/** The recorded request with its placeholders filled in; undefined when one has no stand-in here. */
function fill(request: Record<string, unknown>, names: Names): Record<string, unknown> | undefined {
  let unresolved = false;
  const text = (value: string): string =>
    standIns(value.replaceAll('<function-arn>', functionArn(names.fn)), names)
      .replaceAll('<role-arn>', ROLE)
      // Streams that are never read: the checks these requests meet come before any read.
      .replaceAll('<kinesis-stream-arn>', `arn:aws:kinesis:${server.platform.config.region}:${server.platform.config.accountId}:stream/parity-stream`)
      .replaceAll('<table-name>', 'parity-table')
      .replaceAll('<stream-name>', '2025-11-25T02:00:00.000')
      // Malformed on purpose: the recordings' values broke the model's patterns.
      .replaceAll('<subnet_id_2>', 'not-a-subnet')
      .replaceAll('<security_group_id_2>', 'not-a-group')
      .replaceAll('<random-uuid>', randomUUID())
      .replaceAll('<uid>', names.uid);
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (key === 'ZipFile' && value === '<zip>') return zip;
    const code = key === 'ZipFile' && typeof value === 'string' ? /^<code:([\w-]+)>$/.exec(value) : null;
    if (code !== null) return zips.get(code[1]!);
    if (key === 'Tags' && typeof value === 'string') {
      const many = /\((\d+) tags\)/.exec(value);
      if (many !== null) return manyTags(Number(many[1]));
    }
    if (key === 'Payload' && typeof value === 'string') return Buffer.from(value);
    if (key === 'StartingPositionTimestamp' && typeof value === 'string') return new Date(Number(value) * 1000);
    const limit = typeof value === 'string' ? /^<AccountLimit\.ConcurrentExecutions( \+ 1)?>$/.exec(value) : null;
    if (limit !== null) return server.platform.config.accountConcurrency + (limit[1] === undefined ? 0 : 1);
    if (typeof value === 'string') {
      const filled = text(value);
      if (/<[^>]+>/.test(filled)) unresolved = true;
      if (key === 'ZipFile') return Buffer.from(filled);
      return filled;
    }
    if (Array.isArray(value)) return value.map((item) => walk(item, undefined));
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  const filled = walk(request, undefined) as Record<string, unknown>;
  return unresolved ? undefined : filled;
}

/** AWS's recorded message as it would read here; placeholders with no stand-in match anything. */
function expectedMessage(recorded: string, names: Names): RegExp {
  const here = standIns(
    recorded
      .replace(/<a:len\((\d+)\)>/g, (_, n: string) => 'a'.repeat(Number(n)))
      .replaceAll('<partition>', 'aws')
      .replaceAll('<function-name:1>', names.fn)
      .replaceAll('<resource:1>', names.fn)
      .replaceAll('<code-sha256:1>', names.codeSha256 ?? '<code-sha256:1>'),
    names,
  );
  const pattern = here
    .split(/(<[^>]+>)/)
    .map((part, i) => (i % 2 === 1 ? '.*?' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`, 's');
}

/** The keys of AWS's error body that the SDK's model names (the rest of `bodyKeys` is botocore's own). */
const MODELLED_ERROR_KEYS = ['Type', 'message', 'Message'];

function compare(line: RecordedLine, answer: Answer, names: Names): string[] {
  const diffs: string[] = [];
  if (line.status !== null && answer.status !== line.status) diffs.push(`status: AWS ${line.status}, here ${answer.status}`);
  if (line.kind === 'error') {
    if (answer.code !== line.code) diffs.push(`code: AWS ${line.code}, here ${answer.code ?? '(none)'}`);
    const message = answer.body?.message ?? answer.body?.Message;
    const text = typeof message === 'string' ? message : '';
    if (line.errors !== undefined && line.errors !== null) {
      const clauses = text.replace(/^\d+ validation errors? detected: /, '').split('; ');
      const want = line.errors.map((clause) => expectedMessage(clause, names));
      const count = new RegExp(`^${line.errors.length} validation errors? detected: `);
      if (!count.test(text) || clauses.length !== want.length || !want.every((re) => clauses.some((c) => re.test(c)))) {
        diffs.push(`message: AWS ${line.errors.length} clauses ${JSON.stringify(line.errors)}, here ${JSON.stringify(text)}`);
      }
    } else if (typeof line.message === 'string' && !expectedMessage(line.message, names).test(text)) {
      diffs.push(`message: AWS ${JSON.stringify(line.message)}, here ${JSON.stringify(text)}`);
    }
    if (line.reason !== undefined && answer.body?.Reason !== line.reason) diffs.push(`Reason: AWS ${line.reason}, here ${String(answer.body?.Reason)}`);
    // Which of the modelled keys the body carries (botocore lists only those for modelled errors).
    if (line.bodyKeys !== null && line.bodyKeys.some((key) => MODELLED_ERROR_KEYS.includes(key))) {
      for (const key of MODELLED_ERROR_KEYS) {
        const want = line.bodyKeys.includes(key);
        const have = answer.body !== undefined && key in answer.body;
        if (want !== have) diffs.push(`body key ${key}: AWS ${want ? 'has it' : 'has none'}, here ${have ? 'has it' : 'has none'}`);
      }
    }
  } else if (line.operation === 'Invoke') {
    diffs.push(...compareInvoke(line, answer, names));
  } else if (line.bodyKeys !== null) {
    const have = Object.keys(answer.body ?? {}).sort();
    const want = [...line.bodyKeys].sort();
    const missing = want.filter((k) => !have.includes(k));
    const extra = have.filter((k) => !want.includes(k));
    if (missing.length > 0 || extra.length > 0)
      diffs.push(`body keys: AWS has ${JSON.stringify(missing)} not here; here has ${JSON.stringify(extra)} not in AWS's`);
  }
  return diffs;
}

/** An invoke's answer: its headers, whether it had a log tail, and its payload (placeholders match anything). */
function compareInvoke(line: RecordedLine, answer: Answer, names: Names): string[] {
  const diffs: string[] = [];
  const header = (name: string) => answer.headers[name] ?? null;
  if (line.functionError !== undefined && header('x-amz-function-error') !== line.functionError) {
    diffs.push(`X-Amz-Function-Error: AWS ${line.functionError}, here ${header('x-amz-function-error')}`);
  }
  if (line.executedVersion !== undefined && header('x-amz-executed-version') !== line.executedVersion) {
    diffs.push(`X-Amz-Executed-Version: AWS ${line.executedVersion}, here ${header('x-amz-executed-version')}`);
  }
  if (line.logResult !== undefined && (header('x-amz-log-result') !== null) !== line.logResult) {
    diffs.push(`X-Amz-Log-Result: AWS ${line.logResult ? 'sent it' : 'sent none'}, here ${line.logResult ? 'none' : 'one'}`);
  }
  if (line.payloadRaw !== undefined && line.payloadRaw !== null) {
    if (!expectedMessage(line.payloadRaw, names).test(answer.raw))
      diffs.push(`payload: AWS ${JSON.stringify(line.payloadRaw)}, here ${JSON.stringify(answer.raw.slice(0, 300))}`);
  } else if (line.payload !== undefined && line.payload !== null) {
    let here: unknown;
    try {
      here = JSON.parse(answer.raw);
    } catch {
      here = answer.raw;
    }
    const diff = payloadDiff(line.payload, here, names, 'payload');
    if (diff !== undefined) diffs.push(diff);
  }
  return diffs;
}

/** Where a payload differs from AWS's: same keys, same values; a stack trace's frames are the runtime's own. */
function payloadDiff(aws: unknown, here: unknown, names: Names, at: string): string | undefined {
  if (typeof aws === 'string')
    return typeof here === 'string' && expectedMessage(aws, names).test(here) ? undefined : `${at}: AWS ${JSON.stringify(aws)}, here ${JSON.stringify(here)}`;
  if (Array.isArray(aws)) {
    if (!Array.isArray(here)) return `${at}: AWS a list, here ${JSON.stringify(here)}`;
    if (at.endsWith('.stackTrace')) return undefined;
    if (aws.length !== here.length) return `${at}: AWS ${aws.length} items, here ${here.length}`;
    for (const [i, item] of aws.entries()) {
      const diff = payloadDiff(item, here[i], names, `${at}[${i}]`);
      if (diff !== undefined) return diff;
    }
    return undefined;
  }
  if (typeof aws === 'object' && aws !== null) {
    if (typeof here !== 'object' || here === null || Array.isArray(here)) return `${at}: AWS an object, here ${JSON.stringify(here)}`;
    const want = Object.keys(aws).sort();
    const have = Object.keys(here).sort();
    if (want.join() !== have.join()) return `${at} keys: AWS ${JSON.stringify(want)}, here ${JSON.stringify(have)}`;
    for (const key of want) {
      const diff = payloadDiff((aws as Record<string, unknown>)[key], (here as Record<string, unknown>)[key], names, `${at}.${key}`);
      if (diff !== undefined) return diff;
    }
    return undefined;
  }
  return aws === here ? undefined : `${at}: AWS ${JSON.stringify(aws)}, here ${JSON.stringify(here)}`;
}

function markOf(line: RecordedLine): string | undefined {
  if (line.operation === null) return 'the recording does not say which request it answered';
  if (UNSERVED_OPERATIONS.test(line.operation)) return `selfless does not serve ${line.operation}`;
  if (line.stale === true) return "the recording is older than the test that made it (LocalStack's snapshot is stale)";
  if (line.status === null && line.bodyKeys === null) return 'the test checked this answer with assertions only: no recording to compare with';
  const mark = MARKED[line.id] ?? MARKED[line.test.replace(/^Test\w+::/, '')];
  // PARITY_PENDING=1 replays the known differences too, to work on them.
  return mark === PENDING && process.env.PARITY_PENDING !== undefined ? undefined : mark;
}

function worldOf(line: RecordedLine): World {
  return WORLDS[line.id] ?? WORLDS[line.test.replace(/^Test\w+::/, '')] ?? {};
}

test('parity with AWS Lambda: every recorded answer, replayed', async () => {
  const lines = loadRecordings();
  const mismatches: string[] = [];
  const marked: string[] = [];
  let run = 0;
  // Requests that share a world (same test, same state) run against one set of functions, in order.
  const byWorld = new Map<string, RecordedLine[]>();
  for (const line of lines) {
    const mark = markOf(line);
    if (mark !== undefined) {
      marked.push(`${line.id}: ${mark}`);
      continue;
    }
    const key = WORLDS[line.id] !== undefined ? line.id : line.test;
    byWorld.set(key, [...(byWorld.get(key) ?? []), line]);
  }
  for (const group of byWorld.values()) {
    const names = namesFor();
    if (!(await build(worldOf(group[0]!), names))) {
      for (const line of group) marked.push(`${line.id}: it needs a Python interpreter, which this host has none of`);
      continue;
    }
    for (const line of group) {
      const input = fill(line.request, names);
      if (input === undefined) {
        marked.push(`${line.id}: its request names a resource with no stand-in here (${JSON.stringify(line.request).slice(0, 120)})`);
        continue;
      }
      for (const step of BEFORE[line.id] ?? []) await must(step.operation, fill(step.input, names) ?? {});
      run += 1;
      const answer = await send(line.operation!, input);
      for (const diff of compare(line, answer, names)) mismatches.push(`MISMATCH ${line.id} (${line.operation}): ${diff}`);
    }
  }
  const failed = new Set(mismatches.map((m) => m.split(' ')[1]));
  for (const m of mismatches) console.log(m);
  console.log(`marked, not replayed: ${marked.length}`);
  if (process.env.PARITY_VERBOSE !== undefined) for (const m of marked) console.log(`  MARKED ${m}`);
  console.log(`${run - failed.size}/${run} scenarios match`);
  assert.ok(run >= 150, `only ${run} scenarios ran`);
  assert.equal(mismatches.length, 0, `${mismatches.length} mismatches with AWS: see the MISMATCH lines above`);
});
