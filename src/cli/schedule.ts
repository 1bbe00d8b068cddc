import type { Command } from 'commander';
import { addConnectionOptions, withSession, type ConnectionFlags } from './client.js';
import { json, out, table } from './format.js';

interface ScheduleLsFlags extends ConnectionFlags {
  next?: string;
  json?: boolean;
}

/** The shape of GET /selfless/v1/schedules. */
interface ScheduleSummary {
  readonly kind: 'rule' | 'schedule';
  readonly name: string;
  readonly groupName?: string;
  readonly timezone?: string;
  readonly scheduleExpression: string;
  readonly state: string;
  readonly targets: string[];
  readonly lastFire: string | null;
  readonly nextRuns: string[];
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('EventBridge scheduled rules and Scheduler schedules');
  addConnectionOptions(
    schedule
      .command('ls')
      .description('list rules and schedules with their state, targets, last run and next runs')
      .option('--next <count>', 'how many next runs to show', '3')
      .option('--json', 'print them as JSON'),
  ).action(async (flags: ScheduleLsFlags) => scheduleLs(flags));
}

async function scheduleLs(flags: ScheduleLsFlags): Promise<void> {
  const { schedules } = await withSession(flags, (s) => s.get<{ schedules: ScheduleSummary[] }>('/selfless/v1/schedules', { next: flags.next ?? '3' }));
  if (flags.json) {
    await json(schedules);
    return;
  }
  if (schedules.length === 0) {
    await out('no schedules; create one with `aws events put-rule` or `aws scheduler create-schedule`\n');
    return;
  }
  const rows = schedules.map((s) => [
    s.kind === 'rule' ? `rule ${s.name}` : `schedule ${s.groupName}/${s.name}`,
    s.timezone === undefined || s.timezone === 'UTC' ? s.scheduleExpression : `${s.scheduleExpression} ${s.timezone}`,
    s.state,
    s.targets.map((arn) => arn.slice(arn.indexOf(':function:') + ':function:'.length)).join(', ') || '-',
    s.lastFire ?? '-',
    s.nextRuns.join(' ') || '-',
  ]);
  await out(table(['NAME', 'EXPRESSION', 'STATE', 'TARGETS', 'LAST RUN', 'NEXT RUNS'], rows));
}
