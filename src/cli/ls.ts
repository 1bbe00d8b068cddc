import { ListFunctionsCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { addConnectionOptions, withSession, type ConnectionFlags, type Session } from './client.js';
import { ServerError } from './errors.js';
import { formatBytes, json, out, table } from './format.js';

interface LsFlags extends ConnectionFlags {
  json?: boolean;
}

/** The shape of GET /selfless/v1/environments. */
interface EnvironmentStats {
  readonly environments: number;
  readonly idle: number;
  readonly busy: number;
  readonly starting: number;
  /** Older servers leave it out. */
  readonly provisioned?: number;
}

export function registerLs(program: Command): void {
  addConnectionOptions(
    program
      .command('ls')
      .description('list functions with their warm (idle), busy and provisioned execution environments')
      .option('--json', 'print the function configurations, each with its Environments counts'),
  ).action(async (flags: LsFlags) => ls(flags));
}

async function ls(flags: LsFlags): Promise<void> {
  const { functions, environments } = await withSession(flags, async (s) => {
    const [functions, environments] = await Promise.all([listAll(s), environmentsByFunction(s)]);
    return { functions, environments };
  });
  if (flags.json) {
    await json(functions.map((f) => ({ ...f, ...(environments ? { Environments: environments.get(f.FunctionName ?? '') ?? none } : {}) })));
    return;
  }
  if (functions.length === 0) {
    await out('no functions; create one with `selfless deploy <folder> --name NAME --handler index.handler`\n');
    return;
  }
  const rows = functions.map((f) => {
    const env = environments?.get(f.FunctionName ?? '') ?? (environments ? none : undefined);
    return [
      f.FunctionName ?? '',
      f.Runtime ?? '',
      `${f.MemorySize ?? ''} MB`,
      `${f.Timeout ?? ''} s`,
      formatBytes(f.CodeSize ?? 0),
      f.LastModified ?? '',
      env ? String(env.idle) : '-',
      env ? String(env.busy) : '-',
      env ? String(env.provisioned ?? 0) : '-',
    ];
  });
  await out(table(['NAME', 'RUNTIME', 'MEMORY', 'TIMEOUT', 'CODE SIZE', 'LAST MODIFIED', 'WARM', 'BUSY', 'PROVISIONED'], rows));
}

const none: EnvironmentStats = { environments: 0, idle: 0, busy: 0, starting: 0 };

async function listAll(s: Session): Promise<FunctionConfiguration[]> {
  const functions: FunctionConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await s.lambda.send(new ListFunctionsCommand(marker === undefined ? {} : { Marker: marker }));
    functions.push(...(page.Functions ?? []));
    marker = page.NextMarker;
  } while (marker !== undefined);
  return functions;
}

/**
 * Environment counts are selfless's own route; against a server without it (another Lambda emulator)
 * the list still shows, with '-' for the counts.
 */
async function environmentsByFunction(s: Session): Promise<Map<string, EnvironmentStats> | undefined> {
  try {
    const body = await s.get<{ functions: (EnvironmentStats & { functionName: string })[] }>('/selfless/v1/environments');
    return new Map(body.functions.map(({ functionName, ...stats }) => [functionName, stats]));
  } catch (error) {
    if (error instanceof ServerError) return undefined;
    throw error;
  }
}
