import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateAliasCommand, CreateFunctionCommand, ListAliasesCommand } from '@aws-sdk/client-lambda';
import { pageAfter } from '../src/core/index.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

describe('List paging', () => {
  it('orders keys the way it compares them with the marker, so no page skips an item', () => {
    const names = ['c', 'B', 'a', 'A-1', 'b'];
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = pageAfter(names, (n) => n, marker, 2);
      seen.push(...page.items);
      marker = page.nextMarker;
    } while (marker !== undefined);
    assert.deepEqual(seen, ['A-1', 'B', 'a', 'b', 'c']);
  });

  describe('ListAliases', () => {
    let t: TestPlatform;
    before(async () => {
      t = await startPlatform();
      await t.client.send(
        new CreateFunctionCommand({
          FunctionName: 'paged',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await nodeZip('exports.handler = async () => 1;') },
        }),
      );
      for (const Name of ['b', 'B', 'a']) await t.client.send(new CreateAliasCommand({ FunctionName: 'paged', Name, FunctionVersion: '$LATEST' }));
    });
    after(() => t.stop());

    it('returns every alias across pages of one, mixed case included (a locale sort used to skip "B")', async () => {
      const names: string[] = [];
      let Marker: string | undefined;
      do {
        const page = await t.client.send(new ListAliasesCommand({ FunctionName: 'paged', MaxItems: 1, ...(Marker === undefined ? {} : { Marker }) }));
        names.push(...(page.Aliases ?? []).map((a) => a.Name!));
        Marker = page.NextMarker;
      } while (Marker !== undefined);
      assert.deepEqual(names, ['B', 'a', 'b']);
    });
  });
});
