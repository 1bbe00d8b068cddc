import type { Partition, RuleTargetRecord, SchedulerScheduleRecord } from '../core/index.js';

/** EventBridge's time format in events: seconds, no fraction. */
export const eventTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export const ruleArn = (partition: Partition, name: string): string => `arn:aws:events:${partition.region}:${partition.accountId}:rule/${name}`;
export const scheduleArn = (partition: Partition, group: string, name: string): string =>
  `arn:aws:scheduler:${partition.region}:${partition.accountId}:schedule/${group}/${name}`;

/** The event a scheduled rule sends (LAMBDA-FACTS §8): `Scheduled Event` from `aws.events`, at the run's time. */
export function scheduledEvent(partition: Partition, rule: string, dueMs: number, id: string): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: partition.accountId,
    time: eventTime(dueMs),
    region: partition.region,
    resources: [ruleArn(partition, rule)],
    detail: {},
  };
}

/** What a rule's target is sent: the event, or its Input, the part InputPath selects, or InputTransformer's text. */
export function targetPayload(target: RuleTargetRecord, event: Record<string, unknown>, ruleArnText: string): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) return JSON.stringify(selectPath(event, target.inputPath) ?? null);
  if (target.inputTransformer !== undefined) {
    const values = new Map<string, unknown>();
    for (const [key, path] of Object.entries(target.inputTransformer.inputPathsMap ?? {})) values.set(key, selectPath(event, path));
    values.set('aws.events.rule-arn', ruleArnText);
    values.set('aws.events.rule-name', ruleArnText.slice(ruleArnText.lastIndexOf('/') + 1));
    values.set('aws.events.event.ingestion-time', event.time);
    values.set('aws.events.event', event);
    values.set('aws.events.event.json', event);
    return fillTemplate(target.inputTransformer.inputTemplate, values);
  }
  return JSON.stringify(event);
}

/** Scheduler's payload: the target's Input with its context attributes filled in, else `{}`. */
export function schedulerPayload(record: SchedulerScheduleRecord, arn: string, dueMs: number, executionId: string, attempt: number): string {
  if (record.target.input === undefined) return '{}';
  const values = new Map<string, unknown>([
    ['aws.scheduler.schedule-arn', arn],
    ['aws.scheduler.scheduled-time', eventTime(dueMs)],
    ['aws.scheduler.execution-id', executionId],
    ['aws.scheduler.attempt-number', String(attempt)],
  ]);
  return fillTemplate(record.target.input, values, true);
}

/**
 * A JSONPath as EventBridge takes them (`$`, `$.detail.id`, `$.resources[0]`): dotted names and array
 * indexes; anything else selects nothing.
 */
export function selectPath(value: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  const steps = path.slice(1).match(/\.[^.[\]]+|\[\d+\]/g) ?? [];
  if (steps.join('') !== path.slice(1)) return undefined;
  let current = value;
  for (const step of steps) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = step.startsWith('[') ? (current as unknown[])[Number(step.slice(1, -1))] : (current as Record<string, unknown>)[step.slice(1)];
  }
  return current;
}

/**
 * Fills `<name>` placeholders as EventBridge does: inside a JSON string a value goes in as text (a string
 * escaped, anything else as its JSON), outside one as JSON. Unknown names stay as written.
 * `textOnly` (Scheduler's context attributes) puts values in as text everywhere.
 */
export function fillTemplate(template: string, values: ReadonlyMap<string, unknown>, textOnly = false): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i += 1) {
    const c = template[i]!;
    if (c === '<') {
      const end = template.indexOf('>', i);
      const name = end < 0 ? undefined : template.slice(i + 1, end);
      if (name !== undefined && values.has(name)) {
        const value = values.get(name);
        const json = JSON.stringify(value ?? null);
        if (textOnly || inString) out += typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : escapeForString(json);
        else out += json;
        i = end;
        continue;
      }
    }
    if (c === '\\' && inString) {
      out += c + (template[i + 1] ?? '');
      i += 1;
      continue;
    }
    if (c === '"') inString = !inString;
    out += c;
  }
  return out;
}

const escapeForString = (text: string): string => JSON.stringify(text).slice(1, -1);
