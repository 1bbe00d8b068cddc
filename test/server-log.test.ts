import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { loadConfig } from '../src/core/index.js';
import { textLine } from '../src/core/logger.js';
import { startPlatform } from './support/platform.js';
import { startServer } from './support/server-process.js';

describe("the server's own log", () => {
  it('writes no access lines unless asked, and one per request naming its request id and operation when asked', async () => {
    const quiet = await startPlatform();
    try {
      await quiet.client.send(new ListFunctionsCommand({}));
      assert.deepEqual(
        quiet.logs.filter((line) => line.includes('/2015-03-31/functions')),
        [],
      );
    } finally {
      await quiet.stop();
    }

    const t = await startPlatform({}, { SELFLESS_ACCESS_LOG: '1' });
    try {
      const out = await t.client.send(new ListFunctionsCommand({ MaxItems: 5 }));
      const requestId = out.$metadata.requestId!;
      const line = await eventuallyFind(t.logs, (l) => l.includes(requestId));
      assert.match(line, /^selfless: GET \/2015-03-31\/functions\/? 200 \d+\.\d ms \(requestId=[\w-]+ operation=ListFunctions\)$/);
      assert.ok(!line.includes('MaxItems'), 'no query string (a presigned link keeps its signature there)');
    } finally {
      await t.stop();
    }
  });

  it('writes JSON lines with SELFLESS_LOG_FORMAT=json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-server-log-'));
    const server = await startServer({ dataDir: join(dir, 'data'), env: { SELFLESS_LOG_FORMAT: 'json', SELFLESS_ACCESS_LOG: '1' } });
    try {
      const client = server.client();
      const out = await client.send(new ListFunctionsCommand({}));
      client.destroy();
      const requestId = out.$metadata.requestId!;
      const entries = () =>
        server
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      const found = await eventually(() => entries().find((e) => e.requestId === requestId));
      assert.equal(found.level, 30);
      assert.equal(found.operation, 'ListFunctions');
      assert.match(String(found.msg), /^GET \/2015-03-31\/functions\/? 200 /);
      assert.equal(typeof found.time, 'string');
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('formats text lines with their fields and an error stack, and refuses an unknown format or level', () => {
    const error = new Error('boom');
    const { line, level } = textLine(JSON.stringify({ level: 50, msg: 'request failed', requestId: 'r-1', err: { message: 'boom', stack: error.stack } }));
    assert.equal(level, 50);
    assert.ok(line.startsWith('selfless: request failed (requestId=r-1)\nError: boom\n'), line);
    assert.throws(() => loadConfig({ SELFLESS_LOG_FORMAT: 'xml' }), /SELFLESS_LOG_FORMAT must be one of text, json/);
    assert.throws(() => loadConfig({ SELFLESS_LOG_LEVEL: 'loud' }), /SELFLESS_LOG_LEVEL must be one of debug, info, warn, error, silent/);
  });
});

async function eventually<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('not found in time');
}

const eventuallyFind = (lines: string[], match: (line: string) => boolean) => eventually(() => lines.find(match));
