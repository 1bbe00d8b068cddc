import type { Command } from 'commander';
import { addConnectionOptions, withSession, type ConnectionFlags } from './client.js';
import type { FunctionUsage } from '../metering/index.js';
import { usageError } from './errors.js';
import { json, out, parseSince, table } from './format.js';

interface UsageFlags extends ConnectionFlags {
  since?: string;
  json?: boolean;
  format?: string;
  byDay?: boolean;
}

const FORMATS = ['table', 'json', 'csv'];

export function registerUsage(program: Command): void {
  addConnectionOptions(
    program
      .command('usage')
      .description('requests, errors, cold starts, GB-seconds and cost per function, at AWS on-demand prices')
      .option('--since <when>', 'only invocations from this long ago (30m, 24h, 30d) or since an ISO time; default: everything recorded')
      .option('--by-day', 'a row per function and UTC day')
      .option('--format <format>', 'table (the default), json, or csv (for a spreadsheet or a script)')
      .option('--json', 'the same as --format json'),
  )
    .addHelpText('after', "\nPrices are the server's (SELFLESS_PRICE_* variables, default AWS us-east-1 on-demand).")
    .action(async (flags: UsageFlags) => usage(flags));
}

async function usage(flags: UsageFlags): Promise<void> {
  const format = flags.json ? 'json' : (flags.format ?? 'table');
  if (!FORMATS.includes(format)) throw usageError(`--format must be one of ${FORMATS.join(', ')}, not ${format}`);
  const sinceMs = flags.since === undefined ? 0 : parseSince(flags.since);
  const query = { sinceMs: String(sinceMs), ...(flags.byDay ? { byDay: 'true' } : {}) };
  const { functions } = await withSession(flags, (s) => s.get<{ functions: FunctionUsage[] }>('/selfless/v1/usage', query));
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
  if (format === 'json') {
    await json({ sinceMs, functions, total });
    return;
  }
  if (format === 'csv') {
    const header = ['function', ...(flags.byDay ? ['day'] : []), 'requests', 'errors', 'cold_starts', 'billed_ms', 'gb_seconds', 'cost_usd'];
    const lines = functions.map((f) =>
      [f.functionName, ...(flags.byDay ? [f.day ?? ''] : []), f.requests, f.errors, f.coldStarts, f.billedMs, f.gbSeconds, f.cost].map(csvField).join(','),
    );
    await out(`${[header.join(','), ...lines].join('\n')}\n`);
    return;
  }
  const row = (name: string, u: Omit<FunctionUsage, 'functionName'>) => [
    name,
    ...(flags.byDay ? [u.day ?? ''] : []),
    String(u.requests),
    String(u.errors),
    String(u.coldStarts),
    u.gbSeconds.toFixed(6),
    usd(u.cost),
  ];
  const rows = [...functions.map((f) => row(f.functionName, f)), row('TOTAL', total)];
  const since = sinceMs === 0 ? 'everything recorded' : `since ${new Date(sinceMs).toISOString()}`;
  await out(`${since}\n${table(['FUNCTION', ...(flags.byDay ? ['DAY'] : []), 'REQUESTS', 'ERRORS', 'COLD STARTS', 'GB-SECONDS', 'COST (USD)'], rows)}`);
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Costs of a few invocations are millionths of a dollar; whole cents would show them all as zero. */
function usd(cost: number): string {
  return `$${cost >= 1 ? cost.toFixed(2) : cost.toFixed(8)}`;
}
