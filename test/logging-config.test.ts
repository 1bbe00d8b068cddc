import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  UpdateFunctionConfigurationCommand,
  type LoggingConfig,
} from '@aws-sdk/client-lambda';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const HANDLER = `exports.handler = async () => {
  console.debug('a debug line');
  console.info('an info line');
  console.error('an error line');
  return 'ok';
};`;

describe('LoggingConfig: JSON logs with application and system log levels', () => {
  let t: TestPlatform;
  /** The invocation's log tail, a line each. */
  const tail = async (name: string) => {
    const out = await t.client.send(new InvokeCommand({ FunctionName: name, LogType: 'Tail' }));
    assert.equal(out.FunctionError, undefined);
    return Buffer.from(out.LogResult!, 'base64').toString('utf8').trimEnd().split('\n');
  };
  const configure = async (name: string, LoggingConfig: LoggingConfig) => {
    await t.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, LoggingConfig }));
  };

  before(async () => {
    t = await startPlatform();
    const create = (name: string, LoggingConfig: LoggingConfig) =>
      nodeZip(HANDLER).then((ZipFile) =>
        t.client.send(
          new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile }, LoggingConfig }),
        ),
      );
    await create('json-logs', { LogFormat: 'JSON' });
    await create('text-logs', { LogFormat: 'Text' });
  });
  after(() => t.stop());

  it('fills in both levels as INFO for JSON, as Lambda does, and none for Text', async () => {
    const json = await t.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'json-logs' }));
    assert.deepEqual(json.LoggingConfig, { ApplicationLogLevel: 'INFO', LogFormat: 'JSON', LogGroup: '/aws/lambda/json-logs', SystemLogLevel: 'INFO' });
    const text = await t.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'text-logs' }));
    assert.deepEqual(text.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/text-logs' });
  });

  it('writes JSON lines and platform records, without the lines below the application level', async () => {
    const lines = (await tail('json-logs')).map((line) => JSON.parse(line) as Record<string, any>);
    assert.equal(lines[0]!.type, 'platform.start');
    assert.equal(lines[0]!.record.version, '$LATEST');
    const app = lines.filter((l) => l.level !== undefined);
    assert.deepEqual(
      app.map((l) => [l.level, l.message]),
      [
        ['INFO', 'an info line'],
        ['ERROR', 'an error line'],
      ],
    );
    assert.equal(app[0]!.requestId, lines[0]!.record.requestId);
    const report = lines.at(-1)!;
    assert.equal(report.type, 'platform.report');
    assert.equal(report.record.status, 'success');
    assert.equal(report.record.metrics.memorySizeMB, 128);
    assert.ok(report.record.metrics.billedDurationMs >= 1 && typeof report.record.metrics.initDurationMs === 'number');
    assert.ok(!lines.some((l) => typeof l.message === 'string' && l.message.startsWith('END RequestId')), 'no END line in JSON');
  });

  it('follows a changed ApplicationLogLevel and SystemLogLevel', async () => {
    await configure('json-logs', { LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG', SystemLogLevel: 'WARN' });
    const config = await t.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'json-logs' }));
    assert.equal(config.LoggingConfig?.ApplicationLogLevel, 'DEBUG');
    const lines = (await tail('json-logs')).map((line) => JSON.parse(line) as Record<string, any>);
    assert.deepEqual(
      lines.map((l) => l.level ?? l.type),
      ['DEBUG', 'INFO', 'ERROR'],
      'the debug line is in, and the INFO platform records are out under SystemLogLevel WARN',
    );
  });

  it('keeps Text as it was, and refuses levels without JSON', async () => {
    const lines = await tail('text-logs');
    assert.match(lines[0]!, /^START RequestId: \S+ Version: \$LATEST$/);
    assert.ok(lines.some((l) => /\tINFO\tan info line$/.test(l)));
    assert.match(lines.at(-1)!, /^REPORT RequestId: /);
    await assert.rejects(configure('text-logs', { ApplicationLogLevel: 'DEBUG' }), (error: Error) => {
      assert.equal(error.name, 'InvalidParameterValueException');
      assert.match(error.message, /LogFormat must be JSON/);
      return true;
    });
  });
});
