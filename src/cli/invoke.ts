import { readFile } from 'node:fs/promises';
import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { addConnectionOptions, withSession, type ConnectionFlags } from './client.js';
import { EXIT, usageError } from './errors.js';
import { err, json, out } from './format.js';

interface InvokeFlags extends ConnectionFlags {
  payload?: string;
  payloadFile?: string;
  qualifier?: string;
  log?: boolean;
  json?: boolean;
}

export function registerInvoke(program: Command): void {
  addConnectionOptions(
    program
      .command('invoke')
      .description('invoke a function synchronously and print what it returned')
      .argument('<name>', 'function name or ARN')
      .option('--payload <json>', 'the event, as JSON text')
      .option('--payload-file <file>', 'read the event from a file ("-" for stdin)')
      .option('--qualifier <qualifier>', 'version or alias to invoke')
      .option('--log', "print the tail of the invocation's log (last 4 KB) on stderr")
      .option('--json', 'print StatusCode, ExecutedVersion, FunctionError, LogResult and Payload as JSON'),
  )
    .addHelpText('after', '\nExit code 1 when the function returned an error (its error JSON is still printed).')
    .action(async (name: string, flags: InvokeFlags) => invoke(name, flags));
}

async function invoke(name: string, flags: InvokeFlags): Promise<void> {
  const payload = await readPayload(flags);
  const result = await withSession(flags, (s) =>
    s.lambda.send(
      new InvokeCommand({
        FunctionName: name,
        ...(payload === undefined ? {} : { Payload: payload }),
        ...(flags.qualifier === undefined ? {} : { Qualifier: flags.qualifier }),
        ...(flags.log ? { LogType: 'Tail' as const } : {}),
      }),
    ),
  );
  const log = result.LogResult === undefined ? undefined : Buffer.from(result.LogResult, 'base64').toString('utf8');
  if (flags.json) {
    await json(summary(result, log));
  } else {
    if (log !== undefined) err(log);
    const bytes = Buffer.from(result.Payload ?? new Uint8Array());
    await out(bytes);
    if (bytes.length === 0 || bytes[bytes.length - 1] !== 0x0a) await out('\n');
  }
  if (result.FunctionError !== undefined) process.exitCode = EXIT.failed;
}

/** Payload bytes are sent untouched: the server, not the CLI, decides what is valid JSON, as Lambda does. */
async function readPayload(flags: InvokeFlags): Promise<Uint8Array | undefined> {
  if (flags.payload !== undefined && flags.payloadFile !== undefined) throw usageError('give --payload or --payload-file, not both');
  if (flags.payload !== undefined) return Buffer.from(flags.payload, 'utf8');
  if (flags.payloadFile === undefined) return undefined;
  try {
    return flags.payloadFile === '-' ? await readStdin() : await readFile(flags.payloadFile);
  } catch (error) {
    throw usageError(`cannot read --payload-file ${flags.payloadFile}: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function summary(result: InvokeCommandOutput, log: string | undefined): Record<string, unknown> {
  const text = Buffer.from(result.Payload ?? new Uint8Array()).toString('utf8');
  let payload: unknown = text;
  try {
    payload = JSON.parse(text);
  } catch {
    // Not JSON (a handler may return any bytes): keep the text.
  }
  return {
    StatusCode: result.StatusCode,
    ExecutedVersion: result.ExecutedVersion,
    ...(result.FunctionError === undefined ? {} : { FunctionError: result.FunctionError }),
    ...(log === undefined ? {} : { LogResult: log }),
    Payload: payload,
  };
}
