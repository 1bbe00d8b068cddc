import {
  AwsError,
  pageAfter,
  resourceNotFound,
  scheduleKey,
  type Clock,
  type DeliveryRetryPolicy,
  type Partition,
  type SchedulerScheduleRecord,
  type TimedRecord,
} from '../core/index.js';
import { DEFAULT_RETRY } from './delivery.js';
import { knownTimezone, parseExpression } from './expressions.js';
import { scheduleArn } from './payloads.js';
import type { TimedRegistry } from './registry.js';

/** The group every account has; selfless has no others (CreateScheduleGroup is not served). */
export const DEFAULT_GROUP = 'default';

/** What CreateSchedule and UpdateSchedule give: every setting (an update replaces them all, as on AWS). */
export interface ScheduleInput {
  readonly name: string;
  readonly groupName: string | undefined;
  readonly scheduleExpression: string;
  readonly timezone: string | undefined;
  readonly state: 'ENABLED' | 'DISABLED' | undefined;
  readonly description: string | undefined;
  readonly startDate: number | undefined;
  readonly endDate: number | undefined;
  readonly flexibleWindow: SchedulerScheduleRecord['flexibleWindow'];
  readonly target: {
    readonly arn: string;
    readonly roleArn: string;
    readonly input: string | undefined;
    readonly retryPolicy: Partial<DeliveryRetryPolicy> | undefined;
    readonly deadLetterArn: string | undefined;
  };
  readonly actionAfterCompletion: 'NONE' | 'DELETE' | undefined;
}

export interface ScheduleFilter {
  readonly groupName: string | undefined;
  readonly namePrefix: string | undefined;
  readonly state: string | undefined;
}

/** EventBridge Scheduler's schedules (in the default group), each with one Lambda function as its target. */
export class Schedules {
  readonly #registry: TimedRegistry;
  readonly #partition: Partition;
  readonly #clock: Clock;

  constructor(registry: TimedRegistry, partition: Partition, clock: Clock) {
    this.#registry = registry;
    this.#partition = partition;
    this.#clock = clock;
  }

  arnOf(record: Pick<SchedulerScheduleRecord, 'groupName' | 'name'>): string {
    return scheduleArn(this.#partition, record.groupName, record.name);
  }

  async create(input: ScheduleInput): Promise<SchedulerScheduleRecord> {
    const group = checkGroup(input.groupName);
    const now = this.#clock.now();
    const created = await this.#registry.write(scheduleKey(group, input.name), (current) => {
      if (current !== undefined) throw new AwsError('ConflictException', `Schedule ${input.name} already exists.`);
      return recordOf(input, group, now, now, now);
    });
    return created!;
  }

  async update(input: ScheduleInput): Promise<SchedulerScheduleRecord> {
    const group = checkGroup(input.groupName);
    const now = this.#clock.now();
    const updated = await this.#registry.write(scheduleKey(group, input.name), (current) => {
      const previous = scheduleOrThrow(input.name, current);
      const next = recordOf(input, group, previous.createdAt, now, now);
      // The same timing, still enabled: its rhythm (a rate's anchor) and owed runs carry on.
      const sameTiming =
        previous.state === 'ENABLED' &&
        next.state === 'ENABLED' &&
        previous.scheduleExpression === next.scheduleExpression &&
        previous.timezone === next.timezone &&
        previous.startDate === next.startDate;
      return sameTiming ? { ...next, activeSince: previous.activeSince } : next;
    });
    return updated!;
  }

  get(name: string, groupName: string | undefined): SchedulerScheduleRecord {
    const group = checkGroup(groupName);
    return scheduleOrThrow(name, this.#registry.get(scheduleKey(group, name)));
  }

  async delete(name: string, groupName: string | undefined): Promise<void> {
    const group = checkGroup(groupName);
    await this.#registry.write(scheduleKey(group, name), (current) => {
      scheduleOrThrow(name, current);
      return null;
    });
  }

  /** A schedule whose last run is behind it, with ActionAfterCompletion DELETE (the engine's call). */
  async completed(record: SchedulerScheduleRecord): Promise<void> {
    await this.#registry.write(scheduleKey(record.groupName, record.name), (current) => {
      // Updated since (given another expression, say): it is no longer the schedule that completed.
      return current === record || current === undefined ? null : current;
    });
  }

  list(filter: ScheduleFilter, marker: string | undefined, limit: number): { schedules: SchedulerScheduleRecord[]; nextMarker?: string } {
    if (filter.groupName !== undefined) checkGroup(filter.groupName);
    if (filter.state !== undefined && filter.state !== 'ENABLED' && filter.state !== 'DISABLED') {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${filter.state}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]`,
      );
    }
    const schedules = this.#registry
      .all()
      .filter((r): r is SchedulerScheduleRecord => r.kind === 'schedule')
      .filter((r) => (filter.namePrefix === undefined || r.name.startsWith(filter.namePrefix)) && (filter.state === undefined || r.state === filter.state));
    const { items, nextMarker } = pageAfter(schedules, (r) => `${r.groupName}/${r.name}`, marker, limit);
    return nextMarker === undefined ? { schedules: items } : { schedules: items, nextMarker };
  }
}

function checkGroup(groupName: string | undefined): string {
  const group = groupName ?? DEFAULT_GROUP;
  if (group !== DEFAULT_GROUP) throw resourceNotFound(`Schedule group ${group} does not exist.`);
  return group;
}

function scheduleOrThrow(name: string, record: TimedRecord | undefined): SchedulerScheduleRecord {
  if (record?.kind !== 'schedule') throw resourceNotFound(`Schedule ${name} does not exist.`);
  return record;
}

/** The stored schedule for an input, checked as Scheduler checks it. */
function recordOf(input: ScheduleInput, group: string, createdAt: number, modifiedAt: number, activeSince: number): SchedulerScheduleRecord {
  const timezone = input.timezone ?? 'UTC';
  if (!knownTimezone(timezone)) throw new AwsError('ValidationException', `Invalid time zone: ${timezone}.`);
  if (parseExpression(input.scheduleExpression, { allowAt: true, timezone }) === undefined) {
    throw new AwsError('ValidationException', `Invalid Schedule Expression ${input.scheduleExpression}.`);
  }
  const { mode, maximumWindowInMinutes } = input.flexibleWindow;
  if (mode === 'FLEXIBLE' && maximumWindowInMinutes === undefined) {
    throw new AwsError('ValidationException', 'MaximumWindowInMinutes must be provided when Mode is FLEXIBLE.');
  }
  if (mode === 'OFF' && maximumWindowInMinutes !== undefined) {
    throw new AwsError('ValidationException', 'MaximumWindowInMinutes must not be provided when Mode is OFF.');
  }
  if (input.startDate !== undefined && input.endDate !== undefined && input.endDate <= input.startDate) {
    throw new AwsError('ValidationException', 'The EndDate must be after the StartDate.');
  }
  const { target } = input;
  return {
    kind: 'schedule',
    name: input.name,
    groupName: group,
    scheduleExpression: input.scheduleExpression,
    timezone,
    state: input.state ?? 'ENABLED',
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.startDate === undefined ? {} : { startDate: input.startDate }),
    ...(input.endDate === undefined ? {} : { endDate: input.endDate }),
    flexibleWindow: mode === 'FLEXIBLE' ? { mode, maximumWindowInMinutes: maximumWindowInMinutes! } : { mode },
    target: {
      arn: target.arn,
      roleArn: target.roleArn,
      ...(target.input === undefined ? {} : { input: target.input }),
      retryPolicy: { ...DEFAULT_RETRY, ...target.retryPolicy },
      ...(target.deadLetterArn === undefined ? {} : { deadLetterArn: target.deadLetterArn }),
    },
    actionAfterCompletion: input.actionAfterCompletion ?? 'NONE',
    createdAt,
    modifiedAt,
    activeSince,
  };
}
