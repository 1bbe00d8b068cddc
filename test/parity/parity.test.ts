import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as lambda from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest, HttpResponse } from '@smithy/protocol-http';
import { ROLE, startPlatform, type TestPlatform } from '../support/platform.js';
import { nodeZip } from '../support/zip.js';
import { loadRecordings, type RecordedLine } from './recordings.js';
import { MARKED, PENDING, UNSERVED_OPERATIONS, WORLDS, type World } from './worlds.js';

/**
 * The parity suite (issue 14): every request real AWS Lambda was recorded answering is sent to a running
 * selfless through the AWS SDK, and the answer is compared with AWS's field by field (status, error code,
 * message, which body keys are there). One line per mismatch, then `N/M scenarios match`.
 */

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly body: Record<string, unknown> | undefined;
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
    lastAnswer = { status: response.statusCode, code: type?.split(':')[0], body };
    const { Readable } = await import('node:stream');
    response.body = Readable.from([raw]);
    return { response };
  }
}

let server: TestPlatform;
let client: lambda.LambdaClient;
let zip: Buffer;
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

async function build(world: World, names: Names): Promise<void> {
  if (world.exists === false) return;
  const create = (name: string) =>
    // As the recordings' own fixture created them: with an empty Environment, which AWS then echoes.
    must('CreateFunction', {
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: ROLE,
      Handler: 'index.handler',
      Code: { ZipFile: zip },
      Environment: { Variables: {} },
    });
  await create(names.fn);
  if (world.second === true) await create(names.fn2);
  for (let v = 1; v <= (world.versions ?? 0); v += 1) {
    await must('UpdateFunctionConfiguration', { FunctionName: names.fn, Description: `version ${v}` });
    await must('PublishVersion', { FunctionName: names.fn });
  }
  for (const [alias, version] of Object.entries(world.aliases ?? {}))
    await must('CreateAlias', { FunctionName: names.fn, Name: alias, FunctionVersion: version });
  if (world.urlConfig === true) await must('CreateFunctionUrlConfig', { FunctionName: names.fn, AuthType: 'NONE' });
  for (const sid of world.policy ?? []) {
    await must('AddPermission', { FunctionName: names.fn, StatementId: sid, Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' });
  }
  for (const qualifier of world.eventInvokeConfigs ?? []) {
    await must('PutFunctionEventInvokeConfig', { FunctionName: names.fn, Qualifier: qualifier, MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 60 });
  }
  if ((world.tags ?? 0) > 0) await must('TagResource', { Resource: functionArn(names.fn), Tags: manyTags(world.tags ?? 0) });
  for (const qualifier of world.provisioned ?? []) {
    await must('PutProvisionedConcurrencyConfig', { FunctionName: names.fn, Qualifier: qualifier, ProvisionedConcurrentExecutions: 1 });
  }
  const got = await client.send(new lambda.GetFunctionCommand({ FunctionName: names.fn }));
  names.codeSha256 = got.Configuration?.CodeSha256 ?? '';
  if (world.deleted === true) await must('DeleteFunction', { FunctionName: names.fn });
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
    // Which of the modelled keys the body carries (botocore lists only those for modelled errors).
    if (line.bodyKeys !== null && line.bodyKeys.some((key) => MODELLED_ERROR_KEYS.includes(key))) {
      for (const key of MODELLED_ERROR_KEYS) {
        const want = line.bodyKeys.includes(key);
        const have = answer.body !== undefined && key in answer.body;
        if (want !== have) diffs.push(`body key ${key}: AWS ${want ? 'has it' : 'has none'}, here ${have ? 'has it' : 'has none'}`);
      }
    }
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

function markOf(line: RecordedLine): string | undefined {
  if (line.operation === null) return 'the recording does not say which request it answered';
  if (UNSERVED_OPERATIONS.test(line.operation)) return `selfless does not serve ${line.operation}`;
  if (line.stale === true) return "the recording is older than the test that made it (LocalStack's snapshot is stale)";
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
    await build(worldOf(group[0]!), names);
    for (const line of group) {
      const input = fill(line.request, names);
      if (input === undefined) {
        marked.push(`${line.id}: its request names a resource with no stand-in here (${JSON.stringify(line.request).slice(0, 120)})`);
        continue;
      }
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
