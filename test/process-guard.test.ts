import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ROLE } from './support/platform.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { decode, nodeZip } from './support/zip.js';

/**
 * The process guard of `selfless serve`: a bug that escapes as an unhandled rejection or an uncaught
 * exception is logged and the server keeps serving. The escape is injected with `--import` (a module
 * that, on SIGUSR2, rejects a promise nobody handles and throws from a timer), since the platform's own
 * paths are meant to have none left.
 */
describe('process guard', () => {
  let dir: string;
  let server: ServerProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'selfless-guard-'));
    const inject = join(dir, 'inject.mjs');
    await writeFile(
      inject,
      `process.on('SIGUSR2', () => {
  Promise.reject(new Error('injected rejection'));
  setTimeout(() => { throw new Error('injected exception'); }, 0);
  setTimeout(() => console.log('injected: both thrown'), 50);
});
`,
    );
    server = await startServer({ dataDir: join(dir, 'data'), env: { NODE_OPTIONS: `--import=${inject}` } });
  });
  after(async () => {
    await server?.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('logs an unhandled rejection and an uncaught exception and keeps serving', async () => {
    server.kill('SIGUSR2');
    for (const end = Date.now() + 30_000; !server.output().includes('injected: both thrown') && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
    const output = server.output();
    assert.match(output, /BUG: unhandled promise rejection \(still serving\)[\s\S]*injected rejection/);
    assert.match(output, /BUG: uncaught exception \(still serving\)[\s\S]*injected exception/);
    assert.equal(server.child.exitCode, null, `the server exited:\n${output}`);

    const client = server.client();
    try {
      await client.send(
        new CreateFunctionCommand({
          FunctionName: 'still-serving',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await nodeZip('exports.handler = async (e) => e;') },
        }),
      );
      const out = await client.send(new InvokeCommand({ FunctionName: 'still-serving', Payload: JSON.stringify({ ok: 1 }) }));
      assert.equal(out.FunctionError, undefined);
      assert.equal(decode(out.Payload), '{"ok":1}');
    } finally {
      client.destroy();
    }
  });
});
