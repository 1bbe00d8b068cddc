import type { Command } from 'commander';
import { addConnectionOptions, withSession, type ConnectionFlags } from './client.js';
import type { FunctionUsage } from '../metering/index.js';
import { json, out, parseSince, table } from './format.js';

interface UsageFlags extends ConnectionFlags {
  since?: string;
  json?: boolean;
}

export function registerUsage(program: Command): void {
  addConnectionOptions(
    program
      .command('usage')
      .description('requests, errors, cold starts, GB-seconds and cost per function, at AWS on-demand prices')
      .option('--since <when>', 'only invocations from this long ago (30m, 24h, 30d) or since an ISO time; default: everything recorded')
      .option('--json', 'print the rows and the total as JSON'),
  )
    .addHelpText('after', "\nPrices are the server's (SELFLESS_PRICE_* variables, default AWS us-east-1 on-demand).")
    .action(async (flags: UsageFlags) => usage(flags));
}

async function usage(flags: UsageFlags): Promise<void> {
  const sinceMs = flags.since === undefined ? 0 : parseSince(flags.since);
  const { functions } = await withSession(flags, (s) => s.get<{ functions: FunctionUsage[] }>('/selfless/v1/usage', { sinceMs: String(sinceMs) }));
  const total = functions.reduce(
    (t, f) => ({
      requests: t.requests + f.requests,
      errors: t.errors + f.errors,
      coldStarts: t.coldStarts + f.coldStarts,
      billedMs: t.billedMs + f.billedMs,
      gbSeconds: t.gbSeconds + f.gbSeconds,
      cost: t.cost + f.cost,
    }),
    { requests: 0, errors: 0, coldStarts: 0, billedMs: 0, gbSeconds: 0, cost: 0 },
  );
  if (flags.json) {
    await json({ sinceMs, functions, total });
    return;
  }
  const row = (name: string, u: Omit<FunctionUsage, 'functionName'>) => [
    name,
    String(u.requests),
    String(u.errors),
    String(u.coldStarts),
    u.gbSeconds.toFixed(6),
    usd(u.cost),
  ];
  const rows = [...functions.map((f) => row(f.functionName, f)), row('TOTAL', total)];
  const since = sinceMs === 0 ? 'everything recorded' : `since ${new Date(sinceMs).toISOString()}`;
  await out(`${since}\n${table(['FUNCTION', 'REQUESTS', 'ERRORS', 'COLD STARTS', 'GB-SECONDS', 'COST (USD)'], rows)}`);
}

/** Costs of a few invocations are millionths of a dollar; whole cents would show them all as zero. */
function usd(cost: number): string {
  return `$${cost >= 1 ? cost.toFixed(2) : cost.toFixed(8)}`;
}
