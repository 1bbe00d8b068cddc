import type { Command } from 'commander';
import { addConnectionOptions, withSession, type ConnectionFlags } from './client.js';
import { EXIT } from './errors.js';
import { json, out } from './format.js';

interface ReplayFlags extends ConnectionFlags {
  json?: boolean;
}

interface Replayed {
  readonly requestId: string;
  readonly replayOf: string;
  readonly functionName: string;
  readonly executedVersion: string;
  readonly functionError?: string;
  readonly payload: string;
}

export function registerReplay(program: Command): void {
  addConnectionOptions(
    program
      .command('replay')
      .description('invoke a function again with the event of an earlier invocation (captured with SELFLESS_HISTORY_PAYLOADS=1)')
      .argument('<request-id>', 'the request id, as `selfless history` lists it')
      .option('--json', 'print the new request id, the version that ran, FunctionError and Payload as JSON'),
  ).action(async (requestId: string, flags: ReplayFlags) => replay(requestId, flags));
}

async function replay(requestId: string, flags: ReplayFlags): Promise<void> {
  const result = await withSession(flags, (s) => s.post<Replayed>(`/selfless/v1/invocations/${encodeURIComponent(requestId)}/replay`, {}));
  if (flags.json) await json(result);
  else await out(result.payload.endsWith('\n') ? result.payload : `${result.payload}\n`);
  if (result.functionError !== undefined) process.exitCode = EXIT.failed;
}
