import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureNodeSdk, findNodeSdk, nodeSdkVersions } from '../src/runtime/index.js';

const PACKAGES = { '@aws-sdk/client-s3': '3.0.0' };

describe('the runtime SDK install: whole or not at all, once per machine', () => {
  let dir: string;
  let fakeNpm: string;
  let failingNpm: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'selfless-sdk-'));
    // Stands in for npm: installs what package.json asks into node_modules, and counts its runs.
    fakeNpm = join(dir, 'npm');
    await writeFile(
      fakeNpm,
      `#!/bin/sh
echo run >> "${join(dir, 'runs')}"
mkdir -p node_modules/@aws-sdk/client-s3
echo '{"name":"@aws-sdk/client-s3","version":"3.0.0"}' > node_modules/@aws-sdk/client-s3/package.json
`,
    );
    failingNpm = join(dir, 'npm-offline');
    await writeFile(failingNpm, '#!/bin/sh\necho "npm error network request failed" >&2\nexit 1\n');
    await chmod(fakeNpm, 0o755);
    await chmod(failingNpm, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('fails with npm’s own words and leaves nothing behind that looks installed', async () => {
    const cacheDir = join(dir, 'offline');
    await assert.rejects(ensureNodeSdk({ cacheDir, npm: failingNpm }, PACKAGES), /npm install of the AWS SDK failed: npm error network request failed/);
    assert.equal(findNodeSdk(cacheDir, PACKAGES), undefined);
    assert.deepEqual(await readdir(join(cacheDir, 'aws-sdk-js-v3')), [], 'the staging dir is removed');
  });

  it('installs into a folder named by the package list, readable by environments, and reuses it without npm', async () => {
    const cacheDir = join(dir, 'cache');
    const [first, second] = await Promise.all([ensureNodeSdk({ cacheDir, npm: fakeNpm }, PACKAGES), ensureNodeSdk({ cacheDir, npm: fakeNpm }, PACKAGES)]);
    assert.equal(first, second, 'concurrent callers share one install');
    assert.equal(findNodeSdk(cacheDir, PACKAGES), first);
    assert.equal(JSON.parse(await readFile(join(first, 'node_modules/@aws-sdk/client-s3/package.json'), 'utf8')).version, '3.0.0');
    const manifest = JSON.parse(await readFile(join(first, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.deepEqual(manifest.dependencies, PACKAGES, 'npm was asked for exactly the pinned versions');
    assert.equal((statSync(first).mode & 0o777).toString(8), '755', 'environments run as other users and read it');
    assert.equal(await ensureNodeSdk({ cacheDir, npm: failingNpm }, PACKAGES), first, 'an installed copy needs no npm');
    assert.equal((await readFile(join(dir, 'runs'), 'utf8')).trim().split('\n').length, 1, 'npm ran once');
    // Other pins install beside it; the default pins are not installed in this cache.
    assert.equal(findNodeSdk(cacheDir, { '@aws-sdk/client-s3': '3.0.1' }), undefined);
    assert.equal(nodeSdkVersions(cacheDir), undefined);
  });
});
