import type { Groups, ManagedPolicies, Roles, RoleSessions, ServiceAllowed, Users } from '../auth/index.js';
import type { Clock, Partition, PlatformConfig } from '../core/index.js';
import type {
  AliasRegistry,
  CodeRepository,
  EventInvokeConfigs,
  EventSourceMappings,
  FunctionPolicies,
  FunctionRegistry,
  FunctionUrls,
} from '../control/index.js';
import type { AsyncInvoker, InvokeService, ProvisionedConcurrency } from '../invoke/index.js';
import type { LogGroups } from '../logs/log-groups.js';
import type { LiveTails } from '../logs/live-tail.js';
import type { PlatformMetrics } from '../metrics/prometheus.js';
import type { InvocationHistory, LogStore, MetricSeries, UsageMeter } from '../metering/index.js';
import type { EnvironmentPool } from '../runtime/index.js';
import type { CodeLinks } from './code-links.js';
import type { PublicAllowed } from './function-url-gateway.js';
import type { NotificationTokens } from './s3-notifications.js';
import type { EventRules, ScheduleEngine, Schedules } from '../schedules/index.js';

/** What the routes work with: the services built by the composition root. */
export interface Services {
  readonly partition: Partition;
  readonly registry: FunctionRegistry;
  /** The account concurrency limit GetAccountSettings reports. */
  readonly accountConcurrency: number;
  readonly aliases: AliasRegistry;
  readonly code: CodeRepository;
  readonly invoke: InvokeService;
  readonly async: AsyncInvoker;
  readonly provisioned: ProvisionedConcurrency;
  readonly eventInvokeConfigs: EventInvokeConfigs;
  readonly eventSourceMappings: EventSourceMappings;
  readonly pool: EnvironmentPool;
  readonly logs: LogStore;
  /** CloudWatch Logs' view of the same logs: groups, streams, filters, retention. */
  readonly logGroups: LogGroups;
  /** CloudWatch Logs' Live Tail sessions over the same logs. */
  readonly liveTails: LiveTails;
  /** Prometheus's view of the platform, served at /metrics. */
  readonly metrics: PlatformMetrics;
  readonly usage: UsageMeter;
  readonly history: InvocationHistory;
  /** Figures by the minute: CloudWatch's AWS/Lambda metrics and the console's charts. */
  readonly series: MetricSeries;
  readonly prices: PlatformConfig['prices'];
  readonly clock: Clock;
  readonly codeLinks: CodeLinks;
  readonly notificationTokens: NotificationTokens;
  readonly roles: Roles;
  readonly policies: ManagedPolicies;
  readonly users: Users;
  readonly groups: Groups;
  readonly sessions: RoleSessions;
  readonly functionPolicies: FunctionPolicies;
  readonly functionUrls: FunctionUrls;
  /** Whether anyone, unsigned, may invoke a function URL of auth type NONE (by the function's policy). */
  readonly publicAllowed: PublicAllowed;
  /** Whether a service principal (S3 delivering a notification) may act on a resource, by its resource policy. */
  readonly serviceAllowed: ServiceAllowed;
  /** EventBridge's scheduled rules, Scheduler's schedules, and the engine that runs both. */
  readonly rules: EventRules;
  readonly schedules: Schedules;
  readonly scheduleEngine: ScheduleEngine;
}
