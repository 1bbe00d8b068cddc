import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ROLE, startPlatform } from './support/platform.js';
import { decode, nodeZip } from './support/zip.js';

describe('restart persistence', () => {
  it('keeps every function, its code and its credentials across a restart on the same data dir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'selfless-persist-'));
    try {
      const first = await startPlatform({ dataDir });
      const zip = await nodeZip('exports.handler = async (e) => ({ persisted: e.n });');
      await first.client.send(
        new CreateFunctionCommand({
          FunctionName: 'kept',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: zip },
          Tags: { t: '1' },
        }),
      );
      const before = await first.client.send(new GetFunctionCommand({ FunctionName: 'kept' }));
      const key = first.platform.rootKey;
      await first.platform.close();

      const second = await startPlatform({ dataDir });
      try {
        assert.deepEqual(second.platform.rootKey, key, 'the same root key is read back');
        assert.equal(second.platform.rootKeyCreated, false);
        const after = await second.client.send(new GetFunctionCommand({ FunctionName: 'kept' }));
        assert.deepEqual(after.Configuration, before.Configuration);
        assert.deepEqual(after.Tags, { t: '1' });
        assert.deepEqual(
          (await second.client.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName),
          ['kept'],
        );
        const out = await second.client.send(new InvokeCommand({ FunctionName: 'kept', Payload: Buffer.from('{"n":5}') }));
        assert.deepEqual(JSON.parse(decode(out.Payload)), { persisted: 5 });
      } finally {
        await second.platform.close();
        second.client.destroy();
        first.client.destroy();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
