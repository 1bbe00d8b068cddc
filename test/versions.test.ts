import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type AliasConfiguration,
  type CreateAliasCommandInput,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { rejectsWith } from './support/assertions.js';
import { waitFor, waitForAttempts } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { decode, nodeZip } from './support/zip.js';

/**
 * Versions and aliases through @aws-sdk/client-lambda, against the real server: PublishVersion,
 * ListVersionsByFunction, qualified Get/Delete, CreateAlias/GetAlias/UpdateAlias/DeleteAlias/ListAliases,
 * and invocations by version, alias and qualified ARN (sync, weighted, async). Expected answers are
 * Lambda's (recorded against AWS where noted).
 */

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ARN = (name: string, qualifier?: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}${qualifier === undefined ? '' : `:${qualifier}`}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('base64');

/** Says which code ran, in which environment, for which version and as which ARN. */
const source = (tag: string) => `const CODE = ${JSON.stringify(tag)};
exports.handler = async (event, context) => {
  console.log('RAN ' + CODE);
  return {
    code: CODE,
    version: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    stage: process.env.STAGE === undefined ? null : process.env.STAGE,
    contextVersion: context.functionVersion,
    invokedArn: context.invokedFunctionArn,
  };
};`;

describe('versions and aliases through @aws-sdk/client-lambda', () => {
  let t: TestPlatform;
  const zips = new Map<string, Buffer>();
  /** The zip of a tagged handler; the same tag always gives the same bytes (zip entries carry mtime 0). */
  const zipOf = async (tag: string) => {
    let zip = zips.get(tag);
    if (zip === undefined) {
      zip = await nodeZip(source(tag));
      zips.set(tag, zip);
    }
    return zip;
  };

  const create = async (name: string, tag: string, input: Partial<CreateFunctionCommandInput> = {}) =>
    t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await zipOf(tag) },
        ...input,
      }),
    );
  const updateCode = async (name: string, tag: string, extra: { Publish?: boolean; RevisionId?: string } = {}) =>
    t.client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await zipOf(tag), ...extra }));
  const publish = (name: string, input: { Description?: string; CodeSha256?: string; RevisionId?: string } = {}) =>
    t.client.send(new PublishVersionCommand({ FunctionName: name, ...input }));
  const config = (name: string, qualifier?: string) => t.client.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: qualifier }));
  const versionsOf = async (name: string) =>
    ((await t.client.send(new ListVersionsByFunctionCommand({ FunctionName: name }))).Versions ?? []).map((v) => v.Version);
  const alias = (name: string, input: Omit<CreateAliasCommandInput, 'FunctionName'>) => t.client.send(new CreateAliasCommand({ FunctionName: name, ...input }));
  /** Versions 1..n of `name`, version i running the code tagged `${name}-v${i}`. */
  const withVersions = async (name: string, n: number) => {
    await create(name, `${name}-v1`);
    assert.equal((await publish(name)).Version, '1');
    for (let i = 2; i <= n; i++) {
      await updateCode(name, `${name}-v${i}`);
      assert.equal((await publish(name)).Version, String(i));
    }
  };
  const invoke = async (name: string, qualifier?: string, logTail = false) => {
    const out = await t.client.send(
      new InvokeCommand({ FunctionName: name, Qualifier: qualifier, Payload: Buffer.from('{}'), ...(logTail ? { LogType: 'Tail' as const } : {}) }),
    );
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined, decode(out.Payload));
    return {
      executed: out.ExecutedVersion,
      body: JSON.parse(decode(out.Payload)) as {
        code: string;
        version: string;
        stream: string;
        stage: string | null;
        contextVersion: string;
        invokedArn: string;
      },
      log: out.LogResult === undefined ? '' : Buffer.from(out.LogResult, 'base64').toString('utf8'),
      requestId: out.$metadata.requestId!,
    };
  };

  before(async () => {
    t = await startPlatform();
  });
  after(() => t.stop());

  describe('PublishVersion', () => {
    it('publishes 1, 2, … as immutable snapshots of $LATEST, with qualified ARNs and their own description', async () => {
      await create('pv', 'pv-a', { Description: 'function description', Environment: { Variables: { STAGE: 'a' } } });
      const v1 = await publish('pv', { Description: 'first' });
      assert.equal(v1.$metadata.httpStatusCode, 201);
      assert.equal(v1.Version, '1');
      assert.equal(v1.FunctionName, 'pv');
      assert.equal(v1.FunctionArn, ARN('pv', '1'));
      assert.equal(v1.Description, 'first');
      assert.equal(v1.CodeSha256, sha256(await zipOf('pv-a')));
      assert.deepEqual(v1.Environment, { Variables: { STAGE: 'a' } });
      assert.match(v1.RevisionId ?? '', UUID);
      // The version's description is its own: $LATEST keeps the function's.
      assert.equal((await config('pv')).Description, 'function description');

      // Change $LATEST's code and configuration, then publish again.
      await updateCode('pv', 'pv-b');
      await t.client.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: 'pv',
          Description: 'second description',
          Environment: { Variables: { STAGE: 'b' } },
          MemorySize: 256,
        }),
      );
      const v2 = await publish('pv');
      assert.equal(v2.Version, '2');
      assert.equal(v2.FunctionArn, ARN('pv', '2'));
      assert.equal(v2.Description, 'second description', 'without Description a version takes $LATEST’s');
      assert.equal(v2.CodeSha256, sha256(await zipOf('pv-b')));
      assert.equal(v2.MemorySize, 256);

      // Version 1 did not move.
      const again = await config('pv', '1');
      assert.equal(again.Version, '1');
      assert.equal(again.FunctionArn, ARN('pv', '1'));
      assert.equal(again.CodeSha256, sha256(await zipOf('pv-a')));
      assert.deepEqual(again.Environment, { Variables: { STAGE: 'a' } });
      assert.equal(again.Description, 'first');
      assert.equal(again.MemorySize, 128);
      assert.equal(again.RevisionId, v1.RevisionId);

      // Nor does it after more changes to $LATEST.
      await updateCode('pv', 'pv-c');
      await t.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'pv', Environment: { Variables: { STAGE: 'c' } } }));
      assert.equal((await config('pv', '1')).CodeSha256, sha256(await zipOf('pv-a')));
      assert.equal((await config('pv', '2')).CodeSha256, sha256(await zipOf('pv-b')));

      // And each version runs its own code with its own configuration.
      const r1 = await invoke('pv', '1');
      assert.equal(r1.executed, '1');
      assert.deepEqual([r1.body.code, r1.body.stage], ['pv-a', 'a']);
      const r2 = await invoke('pv', '2');
      assert.equal(r2.executed, '2');
      assert.deepEqual([r2.body.code, r2.body.stage], ['pv-b', 'b']);
      const latest = await invoke('pv');
      assert.equal(latest.executed, '$LATEST');
      assert.deepEqual([latest.body.code, latest.body.stage], ['pv-c', 'c']);
    });

    it('returns the existing version when nothing changed since it was published (same Version, same RevisionId)', async () => {
      await create('same', 'same-a');
      const first = await publish('same');
      const repeated = await publish('same');
      assert.equal(repeated.$metadata.httpStatusCode, 201);
      assert.equal(repeated.Version, '1');
      assert.equal(repeated.FunctionArn, ARN('same', '1'));
      assert.equal(repeated.RevisionId, first.RevisionId);
      assert.deepEqual(await versionsOf('same'), ['$LATEST', '1']);
      // A change makes the next publish a new version.
      await t.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'same', Timeout: 9 }));
      const second = await publish('same');
      assert.equal(second.Version, '2');
      assert.notEqual(second.RevisionId, first.RevisionId);
      assert.equal((await publish('same')).Version, '2');
      assert.deepEqual(await versionsOf('same'), ['$LATEST', '1', '2']);
    });

    it('checks the CodeSha256 precondition: a mismatch is InvalidParameterValueException, a match publishes', async () => {
      await create('sha', 'sha-a');
      await rejectsWith(publish('sha', { CodeSha256: 'bogus' }), 'InvalidParameterValueException', 400);
      assert.deepEqual(await versionsOf('sha'), ['$LATEST']);
      const out = await publish('sha', { CodeSha256: sha256(await zipOf('sha-a')) });
      assert.equal(out.Version, '1');
    });

    it('words the CodeSha256 mismatch as Lambda does', async () => {
      await create('sha-msg', 'sha-msg-a');
      const actual = sha256(await zipOf('sha-msg-a'));
      await rejectsWith(
        publish('sha-msg', { CodeSha256: 'somenonexistentsha256' }),
        'InvalidParameterValueException',
        400,
        `CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST (${actual}). Please try again with the CodeSHA256 in $LATEST.`,
      );
    });

    it('checks the RevisionId precondition: a mismatch is PreconditionFailedException (412), a match publishes', async () => {
      const created = await create('rev', 'rev-a');
      await rejectsWith(
        publish('rev', { RevisionId: '00000000-0000-4000-8000-000000000000' }),
        'PreconditionFailedException',
        412,
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      );
      const out = await publish('rev', { RevisionId: created.RevisionId });
      assert.equal(out.Version, '1');
    });

    it('answers 404 for a function that does not exist', async () => {
      await rejectsWith(publish('no-such-function'), 'ResourceNotFoundException', 404, `Function not found: ${ARN('no-such-function')}`);
    });

    it('CreateFunction with Publish: true answers with version 1, which exists and runs', async () => {
      const out = await create('cp', 'cp-a', { Publish: true });
      assert.equal(out.$metadata.httpStatusCode, 201);
      assert.equal(out.Version, '1');
      assert.equal(out.CodeSha256, sha256(await zipOf('cp-a')));
      assert.deepEqual(await versionsOf('cp'), ['$LATEST', '1']);
      assert.equal((await config('cp', '1')).Version, '1');
      // Nothing changed since: publishing again returns version 1.
      assert.equal((await publish('cp')).Version, '1');
      const run = await invoke('cp', '1');
      assert.equal(run.executed, '1');
      assert.equal(run.body.code, 'cp-a');
    });

    it('CreateFunction with Publish: true answers with the unqualified FunctionArn, as Lambda does', async () => {
      const out = await create('cp-arn', 'cp-arn-a', { Publish: true });
      assert.equal(out.Version, '1');
      assert.equal(out.FunctionArn, ARN('cp-arn'));
    });

    it('UpdateFunctionCode with Publish: true answers with the published version', async () => {
      await create('uc', 'uc-a');
      assert.equal((await publish('uc')).Version, '1');
      const out = await updateCode('uc', 'uc-b', { Publish: true });
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.equal(out.Version, '2');
      assert.equal(out.FunctionArn, ARN('uc', '2'));
      assert.equal(out.CodeSha256, sha256(await zipOf('uc-b')));
      assert.deepEqual(await versionsOf('uc'), ['$LATEST', '1', '2']);
      // $LATEST has the new code too; version 1 the old.
      assert.equal((await config('uc')).CodeSha256, sha256(await zipOf('uc-b')));
      assert.equal((await invoke('uc', '1')).body.code, 'uc-a');
      assert.equal((await invoke('uc', '2')).body.code, 'uc-b');
    });
  });

  describe('ListVersionsByFunction', () => {
    before(() => withVersions('lv', 5));

    it('lists $LATEST, then 1..N, in the list shape', async () => {
      const out = await t.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'lv' }));
      assert.equal(out.$metadata.httpStatusCode, 200);
      const versions = out.Versions ?? [];
      assert.deepEqual(
        versions.map((v) => v.Version),
        ['$LATEST', '1', '2', '3', '4', '5'],
      );
      for (const v of versions.slice(1)) assert.equal(v.FunctionArn, ARN('lv', v.Version));
      for (const [i, v] of versions.slice(1).entries()) assert.equal(v.CodeSha256, sha256(await zipOf(`lv-v${i + 1}`)));
      // List operations omit State, LastUpdateStatus and RuntimeVersionConfig.
      for (const v of versions) {
        assert.equal(v.State, undefined);
        assert.equal(v.LastUpdateStatus, undefined);
        assert.equal(v.RuntimeVersionConfig, undefined);
      }
      assert.equal(out.NextMarker, undefined);
    });

    it('names $LATEST by its qualified ARN in the list', async () => {
      const out = await t.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'lv' }));
      assert.equal(out.Versions?.[0]?.FunctionArn, ARN('lv', '$LATEST'));
    });

    it('pages with MaxItems and Marker', async () => {
      const pages: string[][] = [];
      let marker: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const out = await t.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'lv', MaxItems: 2, Marker: marker }));
        pages.push((out.Versions ?? []).map((v) => v.Version!));
        marker = out.NextMarker;
        if (!marker) break;
      }
      assert.deepEqual(pages, [
        ['$LATEST', '1'],
        ['2', '3'],
        ['4', '5'],
      ]);
    });

    it('answers 404 for a function that does not exist', async () => {
      await rejectsWith(
        t.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'no-such-function' })),
        'ResourceNotFoundException',
        404,
        `Function not found: ${ARN('no-such-function')}`,
      );
    });
  });

  describe('GetFunction / GetFunctionConfiguration with a qualifier', () => {
    before(async () => {
      await withVersions('gq', 2);
      await alias('gq', { Name: 'live', FunctionVersion: '1' });
    });

    it('returns a version by Qualifier, by qualified name and by qualified ARN', async () => {
      for (const [name, qualifier] of [
        ['gq', '1'],
        ['gq:1', undefined],
        [ARN('gq', '1'), undefined],
        [ARN('gq'), '1'],
      ] as const) {
        const out = await config(name, qualifier);
        assert.equal(out.Version, '1', `${name} ${qualifier}`);
        assert.equal(out.FunctionArn, ARN('gq', '1'));
        assert.equal(out.CodeSha256, sha256(await zipOf('gq-v1')));
        assert.equal(out.State, 'Active');
      }
      const full = await t.client.send(new GetFunctionCommand({ FunctionName: 'gq', Qualifier: '2' }));
      assert.equal(full.Configuration?.Version, '2');
      assert.equal(full.Configuration?.FunctionArn, ARN('gq', '2'));
      assert.equal(full.Code?.RepositoryType, 'S3');
      // The download link serves that version's package.
      const download = await fetch(full.Code!.Location!);
      assert.equal(download.status, 200);
      assert.equal(sha256(Buffer.from(await download.arrayBuffer())), sha256(await zipOf('gq-v2')));
    });

    it('returns what an alias points at', async () => {
      const out = await config('gq', 'live');
      assert.equal(out.Version, '1');
      assert.equal(out.CodeSha256, sha256(await zipOf('gq-v1')));
      const full = await t.client.send(new GetFunctionCommand({ FunctionName: 'gq:live' }));
      assert.equal(full.Configuration?.Version, '1');
      assert.equal(full.Configuration?.CodeSha256, sha256(await zipOf('gq-v1')));
    });

    it('names the alias in FunctionArn when asked through an alias', async () => {
      const full = await t.client.send(new GetFunctionCommand({ FunctionName: 'gq', Qualifier: 'live' }));
      assert.equal(full.Configuration?.FunctionArn, ARN('gq', 'live'));
      assert.equal((await config('gq', 'live')).FunctionArn, ARN('gq', 'live'));
    });

    it('returns $LATEST for Qualifier $LATEST', async () => {
      const out = await config('gq', '$LATEST');
      assert.equal(out.Version, '$LATEST');
      assert.equal(out.CodeSha256, sha256(await zipOf('gq-v2')));
      const full = await t.client.send(new GetFunctionCommand({ FunctionName: 'gq', Qualifier: '$LATEST' }));
      assert.equal(full.Configuration?.Version, '$LATEST');
    });

    it('names $LATEST in FunctionArn when asked with Qualifier $LATEST', async () => {
      const full = await t.client.send(new GetFunctionCommand({ FunctionName: 'gq', Qualifier: '$LATEST' }));
      assert.equal(full.Configuration?.FunctionArn, ARN('gq', '$LATEST'));
      assert.equal((await config('gq', '$LATEST')).FunctionArn, ARN('gq', '$LATEST'));
    });

    it('answers ResourceNotFoundException for a missing version or alias', async () => {
      await rejectsWith(config('gq', '99'), 'ResourceNotFoundException', 404, `Function not found: ${ARN('gq', '99')}`);
      await rejectsWith(
        t.client.send(new GetFunctionCommand({ FunctionName: 'gq:99' })),
        'ResourceNotFoundException',
        404,
        `Function not found: ${ARN('gq', '99')}`,
      );
      await rejectsWith(
        t.client.send(new GetFunctionCommand({ FunctionName: 'gq', Qualifier: 'aliasdoesnotexist' })),
        'ResourceNotFoundException',
        404,
        `Function not found: ${ARN('gq', 'aliasdoesnotexist')}`,
      );
      await rejectsWith(config('no-such-function', '1'), 'ResourceNotFoundException', 404);
    });

    it('refuses a name qualifier that disagrees with Qualifier', async () => {
      await rejectsWith(
        config('gq:1', '2'),
        'InvalidParameterValueException',
        400,
        'The derived qualifier from the function name does not match the specified qualifier.',
      );
    });
  });

  describe('DeleteFunction with a qualifier', () => {
    it('deletes one version: it is gone from the list, Get and Invoke; the others stay; numbers are not reused', async () => {
      await withVersions('dv', 3);
      const out = await t.client.send(new DeleteFunctionCommand({ FunctionName: 'dv', Qualifier: '2' }));
      assert.equal(out.$metadata.httpStatusCode, 204);
      assert.deepEqual(await versionsOf('dv'), ['$LATEST', '1', '3']);
      await rejectsWith(config('dv', '2'), 'ResourceNotFoundException', 404, `Function not found: ${ARN('dv', '2')}`);
      await rejectsWith(invoke('dv', '2'), 'ResourceNotFoundException', 404, `Function not found: ${ARN('dv', '2')}`);
      assert.equal((await invoke('dv', '1')).body.code, 'dv-v1');
      assert.equal((await invoke('dv', '3')).body.code, 'dv-v3');
      assert.equal((await invoke('dv')).body.code, 'dv-v3');

      // The qualified name works as well; deleting the newest version does not free its number.
      await t.client.send(new DeleteFunctionCommand({ FunctionName: 'dv:3' }));
      assert.deepEqual(await versionsOf('dv'), ['$LATEST', '1']);
      await updateCode('dv', 'dv-v4');
      assert.equal((await publish('dv')).Version, '4');
    });

    it('refuses to delete $LATEST alone', async () => {
      await create('dl', 'dl-a');
      const message = '$LATEST version cannot be deleted without deleting the function.';
      await rejectsWith(t.client.send(new DeleteFunctionCommand({ FunctionName: 'dl', Qualifier: '$LATEST' })), 'InvalidParameterValueException', 400, message);
      await rejectsWith(t.client.send(new DeleteFunctionCommand({ FunctionName: 'dl:$LATEST' })), 'InvalidParameterValueException', 400, message);
      assert.equal((await config('dl')).Version, '$LATEST');
    });

    it('refuses to delete a version an alias points or routes at', async () => {
      await withVersions('da', 3);
      await alias('da', { Name: 'live', FunctionVersion: '1' });
      await alias('da', { Name: 'canary', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } } });
      await rejectsWith(
        t.client.send(new DeleteFunctionCommand({ FunctionName: 'da', Qualifier: '1' })),
        'ResourceConflictException',
        409,
        /Unable to delete version because the following aliases reference it: \[.*live.*\]/,
      );
      await rejectsWith(
        t.client.send(new DeleteFunctionCommand({ FunctionName: 'da', Qualifier: '2' })),
        'ResourceConflictException',
        409,
        'Unable to delete version because the following aliases reference it: [canary]',
      );
      assert.deepEqual(await versionsOf('da'), ['$LATEST', '1', '2', '3']);
      // Once nothing refers to it, it goes.
      await t.client.send(new UpdateAliasCommand({ FunctionName: 'da', Name: 'canary', RoutingConfig: { AdditionalVersionWeights: {} } }));
      await t.client.send(new DeleteFunctionCommand({ FunctionName: 'da', Qualifier: '2' }));
      assert.deepEqual(await versionsOf('da'), ['$LATEST', '1', '3']);
    });

    it('answers 404 when the function does not exist', async () => {
      await rejectsWith(t.client.send(new DeleteFunctionCommand({ FunctionName: 'no-such-function', Qualifier: '1' })), 'ResourceNotFoundException', 404);
    });

    it('deleting the function removes its versions and aliases; a new function of that name starts again at version 1', async () => {
      await withVersions('gone', 2);
      await alias('gone', { Name: 'live', FunctionVersion: '2' });
      assert.equal((await invoke('gone', 'live')).body.code, 'gone-v2');
      await t.client.send(new DeleteFunctionCommand({ FunctionName: 'gone' }));
      await rejectsWith(config('gone', '1'), 'ResourceNotFoundException', 404);
      await rejectsWith(invoke('gone', 'live'), 'ResourceNotFoundException', 404);

      await create('gone', 'gone-new');
      assert.deepEqual(await versionsOf('gone'), ['$LATEST']);
      await rejectsWith(t.client.send(new GetAliasCommand({ FunctionName: 'gone', Name: 'live' })), 'ResourceNotFoundException', 404);
      assert.deepEqual((await t.client.send(new ListAliasesCommand({ FunctionName: 'gone' }))).Aliases ?? [], []);
      await rejectsWith(invoke('gone', '1'), 'ResourceNotFoundException', 404);
      const v1 = await publish('gone');
      assert.equal(v1.Version, '1');
      assert.equal(v1.CodeSha256, sha256(await zipOf('gone-new')));
      const run = await invoke('gone', '1');
      assert.equal(run.executed, '1');
      assert.equal(run.body.code, 'gone-new');
    });
  });

  describe('aliases', () => {
    before(() => withVersions('al', 3));

    const shape = (out: AliasConfiguration) => ({
      AliasArn: out.AliasArn,
      Name: out.Name,
      FunctionVersion: out.FunctionVersion,
      Description: out.Description,
      RoutingConfig: out.RoutingConfig,
      RevisionId: out.RevisionId,
    });

    it('CreateAlias answers 201 with the alias, RoutingConfig only when set; GetAlias returns the same', async () => {
      const plain = await alias('al', { Name: 'live', FunctionVersion: '1' });
      assert.equal(plain.$metadata.httpStatusCode, 201);
      assert.match(plain.RevisionId ?? '', UUID);
      assert.deepEqual(shape(plain), {
        AliasArn: ARN('al', 'live'),
        Name: 'live',
        FunctionVersion: '1',
        Description: '',
        RoutingConfig: undefined,
        RevisionId: plain.RevisionId,
      });
      const got = await t.client.send(new GetAliasCommand({ FunctionName: 'al', Name: 'live' }));
      assert.equal(got.$metadata.httpStatusCode, 200);
      assert.deepEqual(shape(got), shape(plain));

      const routed = await alias('al', {
        Name: 'canary',
        FunctionVersion: '1',
        Description: 'ten percent',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
      });
      assert.deepEqual(shape(routed), {
        AliasArn: ARN('al', 'canary'),
        Name: 'canary',
        FunctionVersion: '1',
        Description: 'ten percent',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
        RevisionId: routed.RevisionId,
      });
      assert.deepEqual(shape(await t.client.send(new GetAliasCommand({ FunctionName: ARN('al'), Name: 'canary' }))), shape(routed));

      // An alias may point at $LATEST (without routing).
      const latest = await alias('al', { Name: 'edge', FunctionVersion: '$LATEST' });
      assert.equal(latest.FunctionVersion, '$LATEST');
    });

    it('UpdateAlias changes FunctionVersion, RoutingConfig and Description, checking RevisionId', async () => {
      const created = await alias('al', { Name: 'upd', FunctionVersion: '1', Description: 'kept' });
      const moved = await t.client.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'upd', FunctionVersion: '2', RevisionId: created.RevisionId }));
      assert.equal(moved.$metadata.httpStatusCode, 200);
      assert.equal(moved.FunctionVersion, '2');
      assert.equal(moved.Description, 'kept');
      assert.notEqual(moved.RevisionId, created.RevisionId);
      assert.match(moved.RevisionId ?? '', UUID);

      await rejectsWith(
        t.client.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'upd', FunctionVersion: '3', RevisionId: created.RevisionId })),
        'PreconditionFailedException',
        412,
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      );
      assert.equal((await t.client.send(new GetAliasCommand({ FunctionName: 'al', Name: 'upd' }))).FunctionVersion, '2');

      const routed = await t.client.send(
        new UpdateAliasCommand({ FunctionName: 'al', Name: 'upd', RoutingConfig: { AdditionalVersionWeights: { '3': 0.5 } } }),
      );
      assert.equal(routed.FunctionVersion, '2');
      assert.deepEqual(routed.RoutingConfig, { AdditionalVersionWeights: { '3': 0.5 } });
      // Updating something else keeps the routing.
      const described = await t.client.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'upd', Description: 'changed' }));
      assert.equal(described.Description, 'changed');
      assert.deepEqual(described.RoutingConfig, { AdditionalVersionWeights: { '3': 0.5 } });
      // Empty weights remove it.
      const cleared = await t.client.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'upd', RoutingConfig: { AdditionalVersionWeights: {} } }));
      assert.equal(cleared.RoutingConfig, undefined);
      assert.equal((await t.client.send(new GetAliasCommand({ FunctionName: 'al', Name: 'upd' }))).RoutingConfig, undefined);

      await rejectsWith(
        t.client.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'upd', FunctionVersion: '99' })),
        'ResourceNotFoundException',
        404,
        `Function not found: ${ARN('al', '99')}`,
      );
      await rejectsWith(t.client.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'nope', FunctionVersion: '1' })), 'ResourceNotFoundException', 404);
    });

    it('DeleteAlias answers 204; the alias is gone from Get, List and Invoke', async () => {
      await alias('al', { Name: 'doomed', FunctionVersion: '1' });
      assert.equal((await invoke('al', 'doomed')).executed, '1');
      const out = await t.client.send(new DeleteAliasCommand({ FunctionName: 'al', Name: 'doomed' }));
      assert.equal(out.$metadata.httpStatusCode, 204);
      await rejectsWith(
        t.client.send(new GetAliasCommand({ FunctionName: 'al', Name: 'doomed' })),
        'ResourceNotFoundException',
        404,
        `Cannot find alias arn: ${ARN('al', 'doomed')}`,
      );
      const names = ((await t.client.send(new ListAliasesCommand({ FunctionName: 'al' }))).Aliases ?? []).map((a) => a.Name);
      assert.ok(!names.includes('doomed'), names.join());
      await rejectsWith(invoke('al', 'doomed'), 'ResourceNotFoundException', 404, `Function not found: ${ARN('al', 'doomed')}`);
    });

    it('ListAliases filters by FunctionVersion and pages with MaxItems and Marker', async () => {
      await withVersions('la', 2);
      for (const [name, version] of [
        ['a1', '1'],
        ['a2', '2'],
        ['a3', '1'],
        ['a4', '1'],
        ['a5', '2'],
      ] as const)
        await alias('la', { Name: name, FunctionVersion: version });

      const all = await t.client.send(new ListAliasesCommand({ FunctionName: 'la' }));
      assert.equal(all.$metadata.httpStatusCode, 200);
      assert.deepEqual((all.Aliases ?? []).map((a) => a.Name).sort(), ['a1', 'a2', 'a3', 'a4', 'a5']);
      assert.equal(all.NextMarker, undefined);
      const a2 = all.Aliases!.find((a) => a.Name === 'a2')!;
      assert.deepEqual(a2, { AliasArn: ARN('la', 'a2'), Name: 'a2', FunctionVersion: '2', Description: '', RevisionId: a2.RevisionId });

      const onV1 = await t.client.send(new ListAliasesCommand({ FunctionName: 'la', FunctionVersion: '1' }));
      assert.deepEqual((onV1.Aliases ?? []).map((a) => a.Name).sort(), ['a1', 'a3', 'a4']);

      const pages: string[][] = [];
      let marker: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const out = await t.client.send(new ListAliasesCommand({ FunctionName: 'la', MaxItems: 2, Marker: marker }));
        pages.push((out.Aliases ?? []).map((a) => a.Name!));
        marker = out.NextMarker;
        if (!marker) break;
      }
      assert.deepEqual(
        pages.map((p) => p.length),
        [2, 2, 1],
      );
      assert.deepEqual(pages.flat().sort(), ['a1', 'a2', 'a3', 'a4', 'a5']);

      await rejectsWith(t.client.send(new ListAliasesCommand({ FunctionName: 'no-such-function' })), 'ResourceNotFoundException', 404);
    });

    it('refuses bad aliases as Lambda does', async () => {
      await alias('al', { Name: 'taken', FunctionVersion: '1' });
      await rejectsWith(alias('al', { Name: 'taken', FunctionVersion: '2' }), 'ResourceConflictException', 409, `Alias already exists: ${ARN('al', 'taken')}`);
      await rejectsWith(alias('al', { Name: '123', FunctionVersion: '1' }), 'ValidationException', 400);
      await rejectsWith(
        alias('al', { Name: 'missing-version', FunctionVersion: '99' }),
        'ResourceNotFoundException',
        404,
        `Function not found: ${ARN('al', '99')}`,
      );
      await rejectsWith(alias('no-such-function', { Name: 'x', FunctionVersion: '1' }), 'ResourceNotFoundException', 404);
      for (const weight of [1.5, -0.1]) {
        await rejectsWith(
          alias('al', { Name: 'bad-weight', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': weight } } }),
          'ValidationException',
          400,
        );
      }
      await rejectsWith(
        alias('al', { Name: 'two-extra', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1, '3': 0.1 } } }),
        'InvalidParameterValueException',
        400,
        'Number of items in AdditionalVersionWeights cannot be greater than 1',
      );
      await rejectsWith(
        alias('al', { Name: 'latest-routed', FunctionVersion: '$LATEST', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } } }),
        'InvalidParameterValueException',
        400,
        '$LATEST is not supported for an alias pointing to more than 1 version',
      );
      await rejectsWith(
        alias('al', { Name: 'self-routed', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '1': 0.1 } } }),
        'InvalidParameterValueException',
        400,
        'Invalid function version 1. Function version 1 is already included in routing configuration.',
      );
      await rejectsWith(
        t.client.send(new GetAliasCommand({ FunctionName: 'al', Name: 'nope' })),
        'ResourceNotFoundException',
        404,
        `Cannot find alias arn: ${ARN('al', 'nope')}`,
      );
      // None of the refused ones exists.
      const names = ((await t.client.send(new ListAliasesCommand({ FunctionName: 'al' }))).Aliases ?? []).map((a) => a.Name);
      for (const refused of ['123', 'missing-version', 'bad-weight', 'two-extra', 'latest-routed', 'self-routed']) assert.ok(!names.includes(refused), refused);
    });

    it('refuses routing to a version that does not exist with ResourceNotFoundException', async () => {
      await rejectsWith(
        alias('al', { Name: 'routes-nowhere', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '10': 0.5 } } }),
        'ResourceNotFoundException',
        404,
        `Function not found: ${ARN('al', '10')}`,
      );
    });

    it('refuses routing to $LATEST with ValidationException', async () => {
      await rejectsWith(
        alias('al', { Name: 'routes-latest', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { $LATEST: 0.5 } } }),
        'ValidationException',
        400,
        /Map keys must satisfy constraint/,
      );
    });
  });

  describe('invoking versions and aliases', () => {
    before(async () => {
      await withVersions('iv', 2);
      await alias('iv', { Name: 'live', FunctionVersion: '1' });
    });

    it('runs the version named by number, alias or qualified ARN, and reports it in ExecutedVersion', async () => {
      const cases: Array<[name: string, qualifier: string | undefined, version: string, invokedArn: string]> = [
        ['iv', '1', '1', ARN('iv', '1')],
        ['iv:2', undefined, '2', ARN('iv', '2')],
        ['iv', 'live', '1', ARN('iv', 'live')],
        [ARN('iv', 'live'), undefined, '1', ARN('iv', 'live')],
        [ARN('iv'), 'live', '1', ARN('iv', 'live')],
        ['iv', undefined, '$LATEST', ARN('iv')],
        ['iv', '$LATEST', '$LATEST', ARN('iv', '$LATEST')],
      ];
      for (const [name, qualifier, version, invokedArn] of cases) {
        const what = `${name} ${qualifier ?? ''}`;
        const run = await invoke(name, qualifier);
        assert.equal(run.executed, version, what);
        assert.equal(run.body.code, version === '1' ? 'iv-v1' : 'iv-v2', what);
        assert.equal(run.body.version, version, what);
        assert.equal(run.body.contextVersion, version, what);
        assert.equal(run.body.invokedArn, invokedArn, what);
      }
    });

    it('runs each version in environments of its own (log streams carry [N], START lines Version: N)', async () => {
      const streams = new Map<string, string>();
      for (const qualifier of ['1', '2', '$LATEST']) {
        const run = await invoke('iv', qualifier, true);
        assert.match(run.body.stream, new RegExp(`^\\d{4}/\\d\\d/\\d\\d/\\[${qualifier.replace('$', '\\$')}\\][0-9a-f]{32}$`));
        assert.match(run.log, new RegExp(`START RequestId: ${run.requestId} Version: ${qualifier.replace('$', '\\$')}\\n`));
        streams.set(qualifier, run.body.stream);
      }
      assert.equal(new Set(streams.values()).size, 3, [...streams.values()].join(' '));
      // An alias reuses its version's environments.
      const viaAlias = await invoke('iv', 'live', true);
      assert.match(viaAlias.body.stream, /\/\[1\][0-9a-f]{32}$/);
      assert.match(viaAlias.log, new RegExp(`START RequestId: ${viaAlias.requestId} Version: 1\\n`));
    });

    it('follows the alias when it moves', async () => {
      await alias('iv', { Name: 'moving', FunctionVersion: '1' });
      assert.equal((await invoke('iv', 'moving')).executed, '1');
      await t.client.send(new UpdateAliasCommand({ FunctionName: 'iv', Name: 'moving', FunctionVersion: '2' }));
      const run = await invoke('iv', 'moving');
      assert.equal(run.executed, '2');
      assert.equal(run.body.code, 'iv-v2');
    });

    it('answers 404 for a version or alias that does not exist', async () => {
      await rejectsWith(invoke('iv', '7'), 'ResourceNotFoundException', 404, `Function not found: ${ARN('iv', '7')}`);
      await rejectsWith(invoke(ARN('iv', 'nope')), 'ResourceNotFoundException', 404, `Function not found: ${ARN('iv', 'nope')}`);
    });

    it('routes by weight: AdditionalVersionWeights {"2": 0.25} sends about a quarter to version 2; moving the alias sends all', async () => {
      await withVersions('wr', 2);
      await alias('wr', { Name: 'canary', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } } });
      const N = 400;
      const counts: Record<string, number> = {};
      let started = 0;
      // Four callers at a time: modest concurrency, as a real client would.
      const caller = async () => {
        while (started < N) {
          started++;
          const run = await invoke('wr', 'canary');
          assert.ok(run.executed === '1' || run.executed === '2', String(run.executed));
          assert.equal(run.body.code, `wr-v${run.executed}`, 'the code that ran is the reported version’s');
          assert.equal(run.body.version, run.executed);
          counts[run.executed!] = (counts[run.executed!] ?? 0) + 1;
        }
      };
      await Promise.all([caller(), caller(), caller(), caller()]);
      assert.equal((counts['1'] ?? 0) + (counts['2'] ?? 0), N);
      // Binomial(400, 0.25): sd ≈ 0.022, so ±0.1 is over 4.5 sd.
      const share = (counts['2'] ?? 0) / N;
      assert.ok(Math.abs(share - 0.25) <= 0.1, `version 2 ran ${counts['2'] ?? 0} of ${N}`);

      const moved = await t.client.send(
        new UpdateAliasCommand({ FunctionName: 'wr', Name: 'canary', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } }),
      );
      assert.equal(moved.FunctionVersion, '2');
      assert.equal(moved.RoutingConfig, undefined);
      for (let i = 0; i < 50; i++) {
        const run = await invoke('wr', 'canary');
        assert.equal(run.executed, '2');
        assert.equal(run.body.code, 'wr-v2');
      }
    });

    it('runs an asynchronous (Event) invocation of an alias on the alias’s version', async () => {
      await withVersions('ev', 2);
      await alias('ev', { Name: 'live', FunctionVersion: '1' });
      const event = async () => {
        const out = await t.client.send(new InvokeCommand({ FunctionName: 'ev', Qualifier: 'live', InvocationType: 'Event', Payload: Buffer.from('{}') }));
        assert.equal(out.StatusCode, 202);
        return out.$metadata.requestId!;
      };
      /** The START line of the request and what its handler logged. */
      const ran = async (requestId: string) => {
        const events = await waitForAttempts(t.platform, 'ev', requestId);
        const start = events.find((e) => e.message.startsWith(`START RequestId: ${requestId}`))!.message;
        const said = events
          .filter((e) => e.message.includes(`\t${requestId}\t`) && e.message.includes('RAN '))
          .map((e) => e.message.slice(e.message.indexOf('RAN ')).trim());
        return { start: start.trim(), said };
      };

      const first = await ran(await event());
      assert.match(first.start, / Version: 1$/);
      assert.deepEqual(first.said, ['RAN ev-v1']);

      await t.client.send(new UpdateAliasCommand({ FunctionName: 'ev', Name: 'live', FunctionVersion: '2' }));
      const second = await ran(await event());
      assert.match(second.start, / Version: 2$/);
      assert.deepEqual(second.said, ['RAN ev-v2']);

      // By version number and qualified ARN too.
      const byArn = await t.client.send(new InvokeCommand({ FunctionName: ARN('ev', '1'), InvocationType: 'Event', Payload: Buffer.from('{}') }));
      assert.equal(byArn.StatusCode, 202);
      const third = await waitFor('the event by ARN to run', async () => {
        const r = await ran(byArn.$metadata.requestId!);
        return r.said.length > 0 ? r : undefined;
      });
      assert.match(third.start, / Version: 1$/);
      assert.deepEqual(third.said, ['RAN ev-v1']);
    });
  });
});
