import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const run = promisify(execFile);

/** The AWS CLI v2 (Debian's awscli package installs it at /usr/bin/aws; `.ci/run` installs it). */
async function findAwsCliV2(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/aws', 'aws']) {
    try {
      const { stdout, stderr } = await run(candidate, ['--version']);
      if (/^aws-cli\/2\./.test(stdout + stderr)) return candidate;
    } catch {
      // Not installed here.
    }
  }
  return undefined;
}

const aws = await findAwsCliV2();

describe(
  'the AWS CLI v2 works unchanged with --endpoint-url',
  { skip: aws === undefined ? 'AWS CLI v2 not installed (apt-get install -y awscli)' : false },
  () => {
    let t: TestPlatform;
    let work: string;
    const cli = async (...args: string[]) => {
      const { stdout } = await run(aws!, [...args, '--endpoint-url', t.platform.url, '--output', 'json'], {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          HOME: work,
          AWS_ACCESS_KEY_ID: t.platform.rootKey.accessKeyId,
          AWS_SECRET_ACCESS_KEY: t.platform.rootKey.secretAccessKey,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_PAGER: '',
        },
      });
      return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, any>);
    };

    before(async () => {
      t = await startPlatform();
      work = await mkdtemp(join(tmpdir(), 'selfless-awscli-'));
      await writeFile(join(work, 'f.zip'), await nodeZip('exports.handler = async (event) => ({ echo: event });'));
    });
    after(async () => {
      await t.stop();
      await rm(work, { recursive: true, force: true });
    });

    it('create-function, invoke, get/list/update/delete as in the README', async () => {
      const created = await cli(
        'lambda',
        'create-function',
        '--function-name',
        'f',
        '--runtime',
        'nodejs22.x',
        '--handler',
        'index.handler',
        '--role',
        ROLE,
        '--zip-file',
        'fileb://f.zip',
      );
      assert.equal(created.FunctionName, 'f');
      // As on AWS, the create answer says Pending; the function is Active by the time it is read.
      assert.equal(created.State, 'Pending');

      const invoked = await cli(
        'lambda',
        'invoke',
        '--function-name',
        'f',
        '--payload',
        '{"key":"value"}',
        '--cli-binary-format',
        'raw-in-base64-out',
        'out.json',
      );
      assert.deepEqual(invoked, { ExecutedVersion: '$LATEST', StatusCode: 200 });
      assert.deepEqual(JSON.parse(await readFile(join(work, 'out.json'), 'utf8')), { echo: { key: 'value' } });

      const tail = await cli('lambda', 'invoke', '--function-name', 'f', '--log-type', 'Tail', 'out2.json');
      assert.match(Buffer.from(tail.LogResult, 'base64').toString('utf8'), /REPORT RequestId: /);

      assert.equal((await cli('lambda', 'get-function', '--function-name', 'f')).Configuration.FunctionName, 'f');
      assert.deepEqual(
        (await cli('lambda', 'list-functions')).Functions.map((f: { FunctionName: string }) => f.FunctionName),
        ['f'],
      );
      const updated = await cli('lambda', 'update-function-configuration', '--function-name', 'f', '--timeout', '9');
      assert.equal(updated.Timeout, 9);
      await cli('lambda', 'wait', 'function-updated-v2', '--function-name', 'f');
      await cli('lambda', 'tag-resource', '--resource', 'arn:aws:lambda:us-east-1:000000000000:function:f', '--tags', 'a=1,b=2');
      await cli('lambda', 'untag-resource', '--resource', 'arn:aws:lambda:us-east-1:000000000000:function:f', '--tag-keys', 'b');
      assert.deepEqual((await cli('lambda', 'list-tags', '--resource', 'arn:aws:lambda:us-east-1:000000000000:function:f')).Tags, { a: '1' });
      assert.ok((await cli('lambda', 'get-account-settings')).AccountLimit);
      await cli('lambda', 'delete-function', '--function-name', 'f');
      await assert.rejects(cli('lambda', 'get-function', '--function-name', 'f'), /ResourceNotFoundException/);
    });
  },
);
