import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { waitFor } from './support/async.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

// Compiled to dist/test/, so the repository root is two levels up.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'selfless.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment a user's shell would give the CLI, minus any selfless or AWS settings of the machine running the tests. */
function baseEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'SELFLESS_RUNTIME_CACHE', 'XDG_CACHE_HOME']) if (process.env[key] !== undefined) env[key] = process.env[key];
  return { ...env, ...extra };
}

function start(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function finish(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp, seen: string[] = []): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const onExit = (code: number | null) => reject(new Error(`exited with ${code} before printing ${pattern}; stdout so far:\n${seen.join('\n')}`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      seen.push(line);
      const match = pattern.exec(line);
      if (match) {
        child.off('exit', onExit);
        resolve(match);
      }
    });
  });
}

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the selfless CLI against a running server', { timeout: 120_000 }, () => {
  let t: TestPlatform;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => finish(start(args, env));

  before(async () => {
    t = await startPlatform({ idleTimeoutMs: 60_000 });
    work = await mkdtemp(join(tmpdir(), 'selfless-cli-'));
    // The credentials come from the data dir's credentials.json, as on the server's own machine.
    env = baseEnv({ SELFLESS_ENDPOINT: t.platform.url, SELFLESS_DATA_DIR: t.dataDir });
    await mkdir(join(work, 'hello'));
    await writeFile(join(work, 'hello', 'index.js'), 'exports.handler = async (e) => ({ got: e });\n');
    await writeFile(join(work, 'boom.zip'), await nodeZip('exports.handler = async () => { throw new TypeError("boom"); };'));
  });
  after(async () => {
    await t.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('deploys a folder, then updates it in place', async () => {
    const created = await cli('deploy', join(work, 'hello'), '--name', 'hello', '--handler', 'index.handler', '--runtime', 'nodejs22.x');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created hello \(nodejs22\.x, index\.handler\): CodeSha256=\S+ CodeSize=\d+/);
    // Without --role, the first deploy makes the default execution role, as the console does.
    const roleArn = `arn:aws:iam::${t.platform.config.accountId}:role/selfless`;
    assert.match(created.stderr, new RegExp(`created the execution role ${roleArn} \\(AWSLambdaBasicExecutionRole\\)`));
    const iam = new IAMClient({ endpoint: t.platform.url, region: t.platform.config.region, credentials: t.platform.rootKey });
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'selfless' }));
    iam.destroy();
    assert.deepEqual(
      attached.AttachedPolicies?.map((p) => p.PolicyName),
      ['AWSLambdaBasicExecutionRole'],
    );
    assert.equal((await t.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'hello' }))).Role, roleArn);

    const updated = await cli('deploy', join(work, 'hello'), '--name', 'hello', '--timeout', '7', '--env', 'GREETING=hi', 'PAIR=x=y', '--json');
    assert.equal(updated.code, 0, updated.stderr);
    const configuration = JSON.parse(updated.stdout) as { FunctionName: string; Timeout: number; Handler: string; Environment: unknown };
    assert.equal(configuration.FunctionName, 'hello');
    assert.equal(configuration.Timeout, 7);
    assert.equal(configuration.Handler, 'index.handler', 'flags not given keep their value');
    assert.deepEqual(configuration.Environment, { Variables: { GREETING: 'hi', PAIR: 'x=y' } });
  });

  it('deploys a .zip file', async () => {
    const run = await cli('deploy', join(work, 'boom.zip'), '--name', 'boom', '--handler', 'index.handler', '--runtime', 'nodejs22.x');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^created boom /);
    assert.doesNotMatch(run.stderr, /created the execution role/, 'the default role is made once, then reused');
  });

  it('invokes and prints the payload; --log puts the log tail on stderr', async () => {
    const run = await cli('invoke', 'hello', '--payload', '{"a":1}');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '{"got":{"a":1}}\n');

    const logged = await cli('invoke', 'hello', '--payload', '{"b":2}', '--log');
    assert.equal(logged.code, 0, logged.stderr);
    assert.equal(logged.stdout, '{"got":{"b":2}}\n');
    assert.match(logged.stderr, /REPORT RequestId: /);

    const file = join(work, 'event.json');
    await writeFile(file, '{"from":"file"}');
    const fromFile = await cli('invoke', 'hello', '--payload-file', file, '--json');
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.deepEqual(JSON.parse(fromFile.stdout), { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: { got: { from: 'file' } } });
  });

  it('exits 1 with the error payload when the function fails', async () => {
    const run = await cli('invoke', 'boom');
    assert.equal(run.code, 1);
    const error = JSON.parse(run.stdout) as { errorType: string; errorMessage: string };
    assert.equal(error.errorType, 'TypeError');
    assert.equal(error.errorMessage, 'boom');
  });

  it("sends a payload that is not JSON and reports the server's error with exit 1", async () => {
    const run = await cli('invoke', 'hello', '--payload', '{not json');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: InvalidRequestContentException: /m);
  });

  it('exits 1 with ResourceNotFoundException for a missing function', async () => {
    const run = await cli('invoke', 'nope');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: ResourceNotFoundException: /m);
    assert.equal(run.stdout, '');
  });

  it('ls shows the functions with their environments', async () => {
    const run = await cli('ls');
    assert.equal(run.code, 0, run.stderr);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    assert.match(header!, /^NAME\s+RUNTIME\s+MEMORY\s+TIMEOUT\s+CODE SIZE\s+LAST MODIFIED\s+WARM\s+BUSY\s+PROVISIONED$/);
    assert.deepEqual(
      rows.map((r) => r.split(/\s+/)[0]),
      ['boom', 'hello'],
    );
    assert.match(rows[1]!, /^hello\s+nodejs22\.x\s+128 MB\s+7 s\s+/);

    const listed = await cli('ls', '--json');
    const functions = JSON.parse(listed.stdout) as { FunctionName: string; Environments: { idle: number; busy: number } }[];
    const hello = functions.find((f) => f.FunctionName === 'hello');
    assert.ok(hello);
    assert.ok(hello.Environments.idle >= 1, 'the environment of the invokes above is still warm');
    assert.equal(hello.Environments.busy, 0);
  });

  it('logs shows START, the output, END and REPORT lines', async () => {
    const run = await cli('logs', 'hello');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^START RequestId: \S+ Version: \$LATEST$/m);
    assert.match(run.stdout, /^END RequestId: /m);
    assert.match(run.stdout, /^REPORT RequestId: \S+\tDuration: /m);

    const none = await cli('logs', 'hello', '--since', '2999-01-01T00:00:00Z');
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '');
    assert.equal((await cli('logs', 'hello', '--since', 'yesterday')).code, 2);
  });

  it('logs --follow prints new lines until SIGINT, then exits 0', async () => {
    // Only lines from now on, so the REPORT awaited below can only be the next invocation's.
    const child = start(['logs', 'hello', '--follow', '--since', new Date().toISOString()], env);
    const result = finish(child);
    const report = waitForLine(child, /^REPORT RequestId: /);
    const invoked = await cli('invoke', 'hello', '--payload', '{"followed":true}');
    assert.equal(invoked.code, 0, invoked.stderr);
    await report;
    child.kill('SIGINT');
    const { code } = await result;
    assert.equal(code, 0);
  });

  it('usage counts requests, errors and cost per function with a total', async () => {
    const run = await cli('usage', '--since', '1h');
    assert.equal(run.code, 0, run.stderr);
    const hello = /^hello\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+\$([\d.]+)$/m.exec(run.stdout);
    assert.ok(hello, run.stdout);
    assert.ok(Number(hello[1]) >= 1);
    assert.match(run.stdout, /^TOTAL\s+\d+/m);

    const asJson = JSON.parse((await cli('usage', '--json')).stdout) as {
      functions: { functionName: string; requests: number; errors: number }[];
      total: { requests: number };
    };
    const boom = asJson.functions.find((f) => f.functionName === 'boom');
    assert.equal(boom?.errors, 1);
    assert.ok(asJson.total.requests >= 5);

    const csv = await cli('usage', '--format', 'csv', '--by-day');
    assert.equal(csv.code, 0, csv.stderr);
    const [header, ...lines] = csv.stdout.trimEnd().split('\n');
    assert.equal(header, 'function,day,requests,errors,cold_starts,billed_ms,gb_seconds,cost_usd');
    const today = new Date().toISOString().slice(0, 10);
    const boomRow = lines.find((line) => line.startsWith('boom,'))?.split(',');
    assert.deepEqual(boomRow?.slice(0, 4), ['boom', today, '1', '1']);
    assert.ok(Number(boomRow?.[7]) > 0, 'a cost, at AWS prices');
    const bad = await cli('usage', '--format', 'xml');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format must be one of table, json, csv, not xml/);
  });

  it('history lists invocations newest first, with their trigger, start type, outcome and error type', async () => {
    const errors = await cli('history', 'boom', '--errors');
    assert.equal(errors.code, 0, errors.stderr);
    assert.match(errors.stdout, /^START\s+REQUEST ID\s+VERSION\s+TRIGGER/m);
    assert.match(errors.stdout, /\$LATEST\s+api\s+cold \d+ ms\s+[\d.]+ ms\s+\d+ ms\s+\d+\/128 MB\s+error\s+TypeError$/m);
    await t.client.send(new InvokeCommand({ FunctionName: 'hello', InvocationType: 'Event', Payload: Buffer.from('{"queued":true}') }));
    const newest = await waitFor('the queued invocation in the history', async () => {
      const run = await cli('history', 'hello', '--json', '--limit', '1');
      const [latest] = (JSON.parse(run.stdout) as { invocations: Array<Record<string, unknown>> }).invocations;
      return latest?.trigger === 'event' ? latest : undefined;
    });
    assert.equal(newest.outcome, 'success');
    assert.equal(newest.cold, false);
    assert.match(String(newest.logHead), /^START RequestId: \S+ Version: \$LATEST/);
    const all = JSON.parse((await cli('history', 'hello', '--json')).stdout) as { invocations: Array<{ startMs: number; trigger: string }> };
    assert.ok(all.invocations.length >= 4, JSON.stringify(all));
    assert.deepEqual(
      all.invocations.map((r) => r.startMs),
      all.invocations.map((r) => r.startMs).sort((a, b) => b - a),
      'newest first',
    );
    // Events are not captured unless the server was started with SELFLESS_HISTORY_PAYLOADS=1.
    const replay = await cli('replay', String(newest.requestId));
    assert.equal(replay.code, 1);
    assert.match(replay.stderr, /InvalidParameterValueException: Invocation \S+ was recorded without its event/);
  });

  it('schedule ls shows each rule and schedule with its next runs', async () => {
    assert.match((await cli('schedule', 'ls')).stdout, /^no schedules/);
    const events = new EventBridgeClient({ endpoint: t.platform.url, region: 'us-east-1', credentials: t.platform.rootKey, maxAttempts: 1 });
    await events.send(new PutRuleCommand({ Name: 'daily-report', ScheduleExpression: 'cron(30 6 * * ? *)' }));
    await events.send(new PutTargetsCommand({ Rule: 'daily-report', Targets: [{ Id: 'h', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:hello' }] }));
    const run = await cli('schedule', 'ls', '--next', '2');
    assert.equal(run.code, 0, run.stderr);
    const row = /^rule daily-report\s+cron\(30 6 \* \* \? \*\)\s+ENABLED\s+hello\s+-\s+(\S+) (\S+)$/m.exec(run.stdout);
    assert.ok(row, run.stdout);
    assert.match(row[1]!, /T06:30:00\.000Z$/);
    assert.equal(Date.parse(row[2]!) - Date.parse(row[1]!), 86_400_000);
    const listed = JSON.parse((await cli('schedule', 'ls', '--json')).stdout) as Array<{ name: string; nextRuns: string[] }>;
    assert.equal(listed.find((r) => r.name === 'daily-report')?.nextRuns.length, 3);
    await events.send(new RemoveTargetsCommand({ Rule: 'daily-report', Ids: ['h'] }));
    await events.send(new DeleteRuleCommand({ Name: 'daily-report' }));
    events.destroy();
  });

  it('exits 3 without credentials, saying where it looked', async () => {
    const empty = join(work, 'no-data-dir');
    const run = await finish(start(['ls'], baseEnv({ SELFLESS_ENDPOINT: t.platform.url, SELFLESS_DATA_DIR: empty })));
    assert.equal(run.code, 3);
    assert.ok(run.stderr.includes(join(empty, 'credentials.json')), run.stderr);
    assert.match(run.stderr, /SELFLESS_ACCESS_KEY_ID/);
  });

  it('exits 3 when the server cannot be reached', async () => {
    const run = await finish(start(['ls'], { ...env, SELFLESS_ENDPOINT: `http://127.0.0.1:${await closedPort()}` }));
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /cannot reach selfless at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('exits 1 when the server refuses the credentials', async () => {
    const run = await finish(start(['ls'], { ...env, SELFLESS_ACCESS_KEY_ID: 'AKSLNOTAREALKEY00000', SELFLESS_SECRET_ACCESS_KEY: 'not-the-secret-at-all' }));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: UnrecognizedClientException: /m);
  });

  it('exits 2 on bad usage and 0 on --help', async () => {
    const unknown = await cli('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    assert.match(unknown.stderr, /Usage: selfless/);
    assert.equal((await cli('deploy', join(work, 'hello'))).code, 2, 'missing --name');
    assert.equal((await cli('deploy', join(work, 'missing'), '--name', 'x', '--handler', 'i.h')).code, 2);
    assert.equal((await cli('deploy', join(work, 'hello'), '--name', 'x', '--memory', 'lots')).code, 2);
    assert.equal((await cli('invoke', 'hello', '--payload', '{}', '--payload-file', 'x')).code, 2);
    const commands = ['serve', 'deploy', 'invoke', 'ls', 'rm', 'logs', 'usage', 'runtimes'];
    const helps = await Promise.all(commands.map((command) => cli(command, '--help')));
    helps.forEach((help, i) => {
      assert.equal(help.code, 0, `${commands[i]} --help`);
      assert.match(help.stdout, new RegExp(`^Usage: selfless ${commands[i]}`));
    });
    assert.equal((await cli('help', 'deploy')).code, 0);
  });

  it('rm deletes functions', async () => {
    const run = await cli('rm', 'hello', 'boom');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'deleted hello\ndeleted boom\n');
    const gone = await cli('invoke', 'hello');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /ResourceNotFoundException/);
    const again = await cli('rm', 'hello');
    assert.equal(again.code, 1);
    assert.match((await cli('ls')).stdout, /^no functions/);
  });
});

describe('selfless serve', { timeout: 60_000 }, () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'selfless-serve-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('prints the new root key once, a ready line, and exits 0 on SIGTERM', async () => {
    const child = start(['serve', '--port', '0', '--data-dir', dataDir], baseEnv({}));
    const result = finish(child);
    const seen: string[] = [];
    const [, url] = await waitForLine(child, /^selfless listening on (http:\/\/127\.0\.0\.1:\d+)$/, seen);

    const file = join(dataDir, 'credentials.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const key = JSON.parse(await readFile(file, 'utf8')) as { accessKeyId: string; secretAccessKey: string };
    assert.ok(seen.includes(`export SELFLESS_ACCESS_KEY_ID=${key.accessKeyId}`), seen.join('\n'));
    assert.ok(seen.includes(`export SELFLESS_SECRET_ACCESS_KEY=${key.secretAccessKey}`));
    assert.ok(seen.includes(`export AWS_ACCESS_KEY_ID=${key.accessKeyId}`));
    assert.ok(seen.includes(`export AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`));
    assert.ok(seen.includes('export AWS_REGION=us-east-1'));

    // The CLI on the same machine finds the key through the data dir alone.
    const ls = await finish(start(['ls', '--data-dir', dataDir, '--endpoint-url', url!], baseEnv({})));
    assert.equal(ls.code, 0, ls.stderr);

    child.kill('SIGTERM');
    const { code, stdout } = await result;
    assert.equal(code, 0);
    assert.equal(stdout.match(/selfless listening on/g)?.length, 1, 'exactly one ready line');
  });

  it('does not print the key again on restart, and warns loudly about deprecated runtimes', async () => {
    const child = start(['serve', '--port', '0', '--data-dir', dataDir, '--allow-deprecated-runtimes'], baseEnv({}));
    const result = finish(child);
    await waitForLine(child, /^selfless listening on /);
    child.kill('SIGINT');
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0);
    assert.doesNotMatch(stdout, /export /);
    assert.match(stderr, /WARNING: --allow-deprecated-runtimes/);
  });

  it('exits 2 on an invalid flag value', async () => {
    const run = await finish(start(['serve', '--port', 'eighty', '--data-dir', dataDir], baseEnv({})));
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: invalid configuration: port/m);
  });
});
