export { ScheduleDelivery, DEFAULT_RETRY, type DeliveryPorts } from './delivery.js';
export { ScheduleEngine } from './engine.js';
export { EventRules, MAX_TARGETS_PER_RULE, type FailedTarget, type PutRuleInput } from './rules.js';
export { Schedules, DEFAULT_GROUP, type ScheduleFilter, type ScheduleInput } from './schedules.js';
export { TimedRegistry } from './registry.js';
export { parseExpression, nextRun } from './expressions.js';
export { ruleArn, scheduleArn } from './payloads.js';
