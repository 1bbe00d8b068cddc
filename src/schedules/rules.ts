import {
  AwsError,
  pageAfter,
  resourceNotFound,
  ruleKey,
  type Clock,
  type EventRuleRecord,
  type Partition,
  type RuleTargetRecord,
  type TimedRecord,
} from '../core/index.js';
import { parseExpression } from './expressions.js';
import { ruleArn } from './payloads.js';
import type { TimedRegistry } from './registry.js';

/** EventBridge's quota of targets per rule. */
export const MAX_TARGETS_PER_RULE = 5;
const DEFAULT_BUS = 'default';

export interface PutRuleInput {
  readonly name: string;
  readonly scheduleExpression: string | undefined;
  readonly eventPattern: string | undefined;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly description: string | undefined;
  readonly roleArn: string | undefined;
  readonly eventBusName: string | undefined;
}

export interface FailedTarget {
  readonly targetId: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/**
 * EventBridge rules on the default event bus that run on a schedule (PutRule with a ScheduleExpression),
 * with Lambda functions as their targets. Rules matching events (EventPattern) and other buses are
 * refused: selfless has no event bus to match against.
 */
export class EventRules {
  readonly #registry: TimedRegistry;
  readonly #partition: Partition;
  readonly #clock: Clock;

  constructor(registry: TimedRegistry, partition: Partition, clock: Clock) {
    this.#registry = registry;
    this.#partition = partition;
    this.#clock = clock;
  }

  arnOf(name: string): string {
    return ruleArn(this.#partition, name);
  }

  /** Creates the rule, or replaces an existing one's settings (its targets stay). Returns its ARN. */
  async put(input: PutRuleInput): Promise<string> {
    checkBus(input.eventBusName);
    if (input.eventPattern !== undefined) {
      throw new AwsError(
        'ValidationException',
        'selfless runs scheduled rules only: EventPattern is not supported (there is no event bus to match events on); give a ScheduleExpression.',
      );
    }
    if (input.scheduleExpression === undefined) throw new AwsError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
    if (parseExpression(input.scheduleExpression, { allowAt: false }) === undefined) {
      throw new AwsError('ValidationException', 'Parameter ScheduleExpression is not valid.');
    }
    const now = this.#clock.now();
    await this.#registry.write(ruleKey(input.name), (current) => {
      const previous = current?.kind === 'rule' ? current : undefined;
      // Runs are owed from when the schedule took effect as it now is: a rule edited in place keeps its rhythm.
      const unchanged = previous !== undefined && previous.scheduleExpression === input.scheduleExpression && previous.state === 'ENABLED';
      const record: EventRuleRecord = {
        kind: 'rule',
        name: input.name,
        scheduleExpression: input.scheduleExpression!,
        state: input.state,
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.roleArn === undefined ? {} : { roleArn: input.roleArn }),
        targets: previous?.targets ?? [],
        createdAt: previous?.createdAt ?? now,
        activeSince: unchanged ? previous.activeSince : now,
      };
      return record;
    });
    return this.arnOf(input.name);
  }

  describe(name: string, eventBusName?: string): EventRuleRecord {
    checkBus(eventBusName);
    return this.#existing(name);
  }

  list(
    namePrefix: string | undefined,
    eventBusName: string | undefined,
    marker: string | undefined,
    limit: number,
  ): { rules: EventRuleRecord[]; nextMarker?: string } {
    checkBus(eventBusName);
    const rules = this.#rules().filter((r) => namePrefix === undefined || r.name.startsWith(namePrefix));
    const { items, nextMarker } = pageAfter(rules, (r) => r.name, marker, limit);
    return nextMarker === undefined ? { rules: items } : { rules: items, nextMarker };
  }

  /** The rules that send to a function (ListRuleNamesByTarget). */
  namesByTarget(targetArn: string, eventBusName: string | undefined, marker: string | undefined, limit: number): { names: string[]; nextMarker?: string } {
    checkBus(eventBusName);
    const rules = this.#rules().filter((r) => r.targets.some((t) => t.arn === targetArn));
    const { items, nextMarker } = pageAfter(rules, (r) => r.name, marker, limit);
    const names = items.map((r) => r.name);
    return nextMarker === undefined ? { names } : { names, nextMarker };
  }

  async setState(name: string, state: 'ENABLED' | 'DISABLED', eventBusName?: string): Promise<void> {
    checkBus(eventBusName);
    const now = this.#clock.now();
    await this.#registry.write(ruleKey(name), (current) => {
      const rule = this.#ruleOrThrow(name, current);
      if (rule.state === state) return rule;
      // Enabled again, it owes nothing for the time it was off.
      return { ...rule, state, activeSince: state === 'ENABLED' ? now : rule.activeSince };
    });
  }

  /** Deleting a rule that does not exist succeeds, as on AWS; one with targets is refused. */
  async delete(name: string, eventBusName?: string): Promise<void> {
    checkBus(eventBusName);
    if (this.#registry.get(ruleKey(name)) === undefined) return;
    await this.#registry.write(ruleKey(name), (current) => {
      if (current?.kind === 'rule' && current.targets.length > 0) throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
      return null;
    });
  }

  /** Adds or replaces targets (by Id); the quota is checked on the whole set, as AWS does. */
  async putTargets(name: string, targets: readonly RuleTargetRecord[], eventBusName?: string): Promise<FailedTarget[]> {
    checkBus(eventBusName);
    await this.#registry.write(ruleKey(name), (current) => {
      const rule = this.#ruleOrThrow(name, current);
      const byId = new Map(rule.targets.map((t) => [t.id, t]));
      for (const target of targets) byId.set(target.id, target);
      if (byId.size > MAX_TARGETS_PER_RULE) throw new AwsError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
      return { ...rule, targets: [...byId.values()] };
    });
    return [];
  }

  /** Removes targets by Id; an Id the rule does not have is reported as a failed entry. */
  async removeTargets(name: string, ids: readonly string[], eventBusName?: string): Promise<FailedTarget[]> {
    checkBus(eventBusName);
    const failed: FailedTarget[] = [];
    await this.#registry.write(ruleKey(name), (current) => {
      const rule = this.#ruleOrThrow(name, current);
      for (const id of ids) {
        if (!rule.targets.some((t) => t.id === id))
          failed.push({ targetId: id, errorCode: 'ResourceNotFoundException', errorMessage: `Target ${id} does not exist on rule ${name}.` });
      }
      return { ...rule, targets: rule.targets.filter((t) => !ids.includes(t.id)) };
    });
    return failed;
  }

  targets(name: string, eventBusName: string | undefined, marker: string | undefined, limit: number): { targets: RuleTargetRecord[]; nextMarker?: string } {
    checkBus(eventBusName);
    const { items, nextMarker } = pageAfter(this.#existing(name).targets, (t) => t.id, marker, limit);
    return nextMarker === undefined ? { targets: items } : { targets: items, nextMarker };
  }

  #rules(): EventRuleRecord[] {
    return this.#registry.all().filter((r): r is EventRuleRecord => r.kind === 'rule');
  }

  #existing(name: string): EventRuleRecord {
    return this.#ruleOrThrow(name, this.#registry.get(ruleKey(name)));
  }

  #ruleOrThrow(name: string, record: TimedRecord | undefined): EventRuleRecord {
    if (record?.kind !== 'rule') throw resourceNotFound(`Rule ${name} does not exist on EventBus ${DEFAULT_BUS}.`);
    return record;
  }
}

/** Only the default bus exists here (a bus named by ARN is the default one when it is this account's). */
function checkBus(eventBusName: string | undefined): void {
  if (eventBusName === undefined || eventBusName === DEFAULT_BUS || /^arn:aws[\w-]*:events:[\w-]+:\d{12}:event-bus\/default$/.test(eventBusName)) return;
  throw resourceNotFound(`Event bus ${eventBusName} does not exist.`);
}
