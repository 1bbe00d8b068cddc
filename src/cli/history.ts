import type { Command } from 'commander';
import type { InvocationHistoryRecord } from '../core/index.js';
import { addConnectionOptions, withSession, type ConnectionFlags } from './client.js';
import { json, out, parseSince, table } from './format.js';

interface HistoryFlags extends ConnectionFlags {
  errors?: boolean;
  since?: string;
  limit?: string;
  json?: boolean;
}

export function registerHistory(program: Command): void {
  addConnectionOptions(
    program
      .command('history')
      .description("a function's recent invocations, newest first: trigger, cold or warm, durations, memory, outcome")
      .argument('<name>', 'function name or ARN')
      .option('--errors', 'only invocations that did not succeed')
      .option('--since <when>', 'only invocations from this long ago (30m, 24h, 7d) or since an ISO time')
      .option('--limit <n>', 'at most this many (default 100, at most 1000)')
      .option('--json', 'print the records as JSON, with the first lines of each log'),
  ).action(async (name: string, flags: HistoryFlags) => history(name, flags));
}

async function history(name: string, flags: HistoryFlags): Promise<void> {
  const query: Record<string, string> = {};
  if (flags.since !== undefined) query.sinceMs = String(parseSince(flags.since));
  if (flags.errors === true) query.errors = 'true';
  if (flags.limit !== undefined) query.limit = flags.limit;
  const { invocations } = await withSession(flags, (s) =>
    s.get<{ invocations: InvocationHistoryRecord[] }>(`/selfless/v1/functions/${encodeURIComponent(name)}/history`, query),
  );
  if (flags.json) return json({ invocations });
  if (invocations.length === 0) return out('no invocations recorded');
  const rows = invocations.map((r) => [
    new Date(r.startMs).toISOString(),
    r.requestId,
    r.version,
    r.trigger,
    r.cold ? `cold ${r.initMs.toFixed(0)} ms` : 'warm',
    `${r.durationMs.toFixed(2)} ms`,
    `${r.billedMs} ms`,
    `${r.maxMemoryMb}/${r.memorySize} MB`,
    r.outcome,
    r.errorType ?? '',
  ]);
  await out(table(['START', 'REQUEST ID', 'VERSION', 'TRIGGER', 'START TYPE', 'DURATION', 'BILLED', 'MEMORY', 'OUTCOME', 'ERROR TYPE'], rows));
}
