import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, GetFunctionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { startServerProcess, type ServerProcess } from './support/hostile.js';
import { ROLE } from './support/platform.js';
import { nodeZip } from './support/zip.js';

/**
 * GetFunction's Code.Location is served from the code store while UpdateFunctionCode may be removing that
 * very zip. The download used to stat the file, then open a stream on the path with no error handler:
 * a removal in between was an unhandled 'error' event (ENOENT), which ended the server.
 */
describe('downloading code while it is replaced', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(async () => {
    await server?.stop();
  });

  it('serves whole zips or a clean 404, and the server stays up', async () => {
    const client = server.client;
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'replaced',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip('exports.handler = async () => 0;') },
      }),
    );
    const statuses = new Map<number, number>();
    for (let round = 1; round <= 30; round += 1) {
      const { Code } = await client.send(new GetFunctionCommand({ FunctionName: 'replaced' }));
      // A large package, so its download is still running while the update removes the old zip.
      const next = await nodeZip(`exports.handler = async () => ${round}; // ${'x'.repeat(200_000 + round)}`);
      const get = () =>
        fetch(Code!.Location!).then(async (res) => ({
          status: res.status,
          bytes: Buffer.from(await res.arrayBuffer()),
          length: Number(res.headers.get('content-length')),
        }));
      // Downloads spread over the update, so some land between its removal of the old zip and their open.
      const downloads = Array.from({ length: 8 }, (_, i) => new Promise((r) => setTimeout(r, i * 3)).then(get));
      await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'replaced', ZipFile: next }));
      for (const download of await Promise.all(downloads)) {
        statuses.set(download.status, (statuses.get(download.status) ?? 0) + 1);
        assert.ok(download.status === 200 || download.status === 404, `status ${download.status}`);
        if (download.status === 200) {
          assert.equal(download.bytes.length, download.length, 'a download was cut short');
          assert.equal(download.bytes.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004');
        }
      }
    }
    assert.equal(server.process.exitCode, null, `the server exited:\n${server.output().slice(-4000)}`);
    assert.doesNotMatch(server.output(), /BUG:|ENOENT/, 'an error escaped');
  });
});
