import type { Command } from 'commander';
import { addConnectionOptions, withSession, type ConnectionFlags } from './client.js';
import { usageError } from './errors.js';
import { json, out, table } from './format.js';

interface FailedFlags extends ConnectionFlags {
  json?: boolean;
}

interface RedriveFlags extends ConnectionFlags {
  id?: string[];
  all?: boolean;
}

interface FailedEvent {
  readonly requestId: string;
  readonly condition: string;
  readonly failedAt: number;
  readonly approximateInvokeCount: number;
  readonly lastError: string | null;
  readonly payload: string;
}

export function registerEvents(program: Command): void {
  const events = program.command('events').description('asynchronous events that failed for good (no on-failure destination), and redriving them');
  addConnectionOptions(
    events
      .command('failed')
      .description("list a function's failed async events: request id, cause, attempts, last error")
      .argument('<name>', 'function name or ARN')
      .option('--json', 'print the events as JSON (payloads included)'),
  ).action(async (name: string, flags: FailedFlags) => failed(name, flags));
  addConnectionOptions(
    events
      .command('redrive')
      .description('put failed async events back in the queue (fresh age and retries, same request id)')
      .argument('<name>', 'function name or ARN')
      .option('--id <requestId...>', 'the request ids to redrive')
      .option('--all', 'redrive every failed event of the function'),
  ).action(async (name: string, flags: RedriveFlags) => redrive(name, flags));
}

async function failed(name: string, flags: FailedFlags): Promise<void> {
  await withSession(flags, async (s) => {
    const { events } = await s.get<{ events: FailedEvent[] }>(`/selfless/v1/functions/${encodeURIComponent(name)}/failed-events`);
    if (flags.json) return json(events);
    if (events.length === 0) return out(`no failed events for ${name}\n`);
    const oneLine = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').slice(0, 120);
    await out(
      table(
        ['REQUEST ID', 'CAUSE', 'ATTEMPTS', 'FAILED AT', 'LAST ERROR'],
        events.map((e) => [e.requestId, e.condition, String(e.approximateInvokeCount), new Date(e.failedAt).toISOString(), oneLine(e.lastError)]),
      ),
    );
  });
}

async function redrive(name: string, flags: RedriveFlags): Promise<void> {
  if (Boolean(flags.all) === (flags.id !== undefined)) throw usageError('give either --all or --id <requestId...>');
  await withSession(flags, async (s) => {
    const { redriven } = await s.post<{ redriven: string[] }>(
      `/selfless/v1/functions/${encodeURIComponent(name)}/failed-events/redrive`,
      flags.all ? { all: true } : { requestIds: flags.id },
    );
    await out(redriven.length === 0 ? 'nothing to redrive\n' : `redriven: ${redriven.length}\n${redriven.map((id) => `  ${id}\n`).join('')}`);
  });
}
