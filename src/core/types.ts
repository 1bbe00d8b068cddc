/** The stored state of a function's $LATEST: everything its FunctionConfiguration is built from. */
export interface FunctionRecord {
  readonly name: string;
  readonly runtime: string;
  readonly role: string;
  readonly handler: string;
  readonly description: string;
  readonly timeout: number;
  readonly memorySize: number;
  /** Omitted when never set, as AWS omits `Environment`. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly architecture: 'x86_64' | 'arm64';
  readonly ephemeralStorageMb: number;
  readonly tracingMode: 'PassThrough' | 'Active';
  readonly logFormat: 'Text' | 'JSON';
  /** With LogFormat JSON only (both INFO unless set), as Lambda keeps them. */
  readonly applicationLogLevel?: string;
  readonly systemLogLevel?: string;
  readonly logGroup: string;
  /** Lowercase hex SHA-256 of the zip: the key of the code package on disk. */
  readonly codeSha256: string;
  readonly codeSize: number;
  readonly lastModifiedMs: number;
  readonly revisionId: string;
  readonly tags: Readonly<Record<string, string>>;
  /** PutFunctionConcurrency: at most this many invocations at once (on $LATEST's record; applies to every version). */
  readonly reservedConcurrency?: number;
  /** A published version's number ('1', '2'...); absent on $LATEST. Versions are immutable snapshots. */
  readonly version?: string;
  /** On $LATEST: the last version number handed out (never reused, even after a delete). */
  readonly lastVersion?: number;
  /** On $LATEST: its revision when that version was published, to tell whether anything changed since. */
  readonly publishedRevision?: string;
}

/** An alias: a name for a version, optionally splitting traffic with one more version. */
export interface AliasRecord {
  readonly functionName: string;
  readonly name: string;
  readonly functionVersion: string;
  readonly description: string;
  /** Additional version → weight (0..1); at most one entry. */
  readonly additionalVersionWeights?: Readonly<Record<string, number>>;
  readonly revisionId: string;
}

/** One metered invocation. */
export interface UsageRecord {
  readonly requestId: string;
  readonly functionName: string;
  readonly version: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly billedMs: number;
  readonly memoryMb: number;
  readonly architecture: 'x86_64' | 'arm64';
  readonly initMs: number;
  readonly cold: boolean;
  /** `success`, `error` (the function reported one), `timeout`, `crash`, … */
  readonly outcome: string;
}

/** What started an invocation: the Invoke API, the async queue (Event invokes, other services' events), a schedule, an event source mapping, a function URL. */
export type InvocationTrigger = 'api' | 'event' | 'schedule' | 'mapping' | 'url';

/** One invocation as `selfless history` shows it (beyond Lambda): bounded per function. */
export interface InvocationHistoryRecord {
  readonly requestId: string;
  readonly functionName: string;
  readonly version: string;
  readonly trigger: InvocationTrigger;
  readonly startMs: number;
  readonly cold: boolean;
  readonly initMs: number;
  readonly durationMs: number;
  readonly billedMs: number;
  readonly memorySize: number;
  readonly maxMemoryMb: number;
  readonly outcome: string;
  /** The error's type (`errorType` of the function's error, or the platform's: Sandbox.Timedout, …). */
  readonly errorType?: string;
  /** The first lines of its log, START included. */
  readonly logHead: string;
  /** Whether its event was captured (SELFLESS_HISTORY_PAYLOADS), so `selfless replay` can send it again. */
  readonly captured: boolean;
}

/**
 * One function's figures over one minute (or, under the empty name, every function's): what CloudWatch's
 * AWS/Lambda metrics and the console's charts are computed from. Minutes merge: several rows of one
 * minute (from a restart, or from several nodes) add up to the same figures.
 */
export interface MinuteStats {
  invocations: number;
  /** Invocations that ended in a function error (handled, unhandled, timeout, crash). */
  errors: number;
  throttles: number;
  coldStarts: number;
  /** Milliseconds. */
  durationSum: number;
  durationMin: number;
  durationMax: number;
  /** Durations as a histogram of logarithmic buckets, bucket index → count (../metering/minute-stats.ts), for percentiles. */
  durations: Record<string, number>;
  /** GB-seconds billed, and the share of them on arm64 (priced differently). */
  gbSeconds: number;
  armGbSeconds: number;
  /** The most invocations running at once during the minute. */
  concurrencyMax: number;
  /** Stream mappings' IteratorAge, the highest of the minute, in ms; 0 when none was observed. */
  iteratorAgeMax: number;
  /** How many IteratorAge readings the minute had (none: the metric has no datapoint). */
  iteratorAgeSamples: number;
}

export interface MetricMinute {
  readonly functionName: string;
  /** The minute's start, epoch ms. */
  readonly minuteMs: number;
  readonly stats: MinuteStats;
}

/** One chunk of a function's log stream. */
export interface LogEvent {
  readonly functionName: string;
  /** The CloudWatch log group it belongs to: the function's LoggingConfig.LogGroup when it was written. */
  readonly logGroup: string;
  readonly stream: string;
  readonly timeMs: number;
  readonly message: string;
}

/** PutFunctionEventInvokeConfig's settings for one function and qualifier; unset members use Lambda's defaults. */
export interface EventInvokeConfigRecord {
  readonly functionName: string;
  readonly qualifier: string;
  readonly maximumRetryAttempts?: number;
  readonly maximumEventAgeInSeconds?: number;
  /** Destination ARNs (Lambda functions). */
  readonly onSuccess?: string;
  readonly onFailure?: string;
  /** ms since the epoch. */
  readonly lastModified: number;
}

/** A function's resource-based policy (AddPermission) for one qualifier ('' for the unqualified function). */
export interface FunctionPolicyRecord {
  readonly functionName: string;
  readonly qualifier: string;
  readonly revisionId: string;
  /** The statements in Lambda's format, in the order added. */
  readonly statements: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/** A function URL's CORS settings, as CreateFunctionUrlConfig takes them (members left out are absent). */
export interface FunctionUrlCors {
  readonly allowCredentials?: boolean;
  readonly allowHeaders?: readonly string[];
  readonly allowMethods?: readonly string[];
  readonly allowOrigins?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAge?: number;
}

/** A function URL: an HTTP endpoint for the unqualified function (qualifier '') or one alias. */
export interface FunctionUrlRecord {
  readonly functionName: string;
  readonly qualifier: string;
  /** The URL's host label, `<urlId>.lambda-url.<region>.…`: 32 lowercase letters and digits, as AWS's. */
  readonly urlId: string;
  readonly authType: 'NONE' | 'AWS_IAM';
  readonly invokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
  readonly cors?: FunctionUrlCors;
  /** ISO-8601 with microseconds, as Lambda writes them. */
  readonly creationTime: string;
  readonly lastModifiedTime: string;
}

/** The kinds of event source a mapping polls. */
export type EventSourceKind = 'sqs' | 'kinesis' | 'dynamodb';

/**
 * An event source mapping's states, as Lambda names them: Creating, Enabling and Updating become
 * Enabled (or Disabled) once the poller has taken the change; Deleting ends with the mapping gone.
 */
export type EventSourceMappingState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';

/** CreateEventSourceMapping's settings, with what the poller last reported. */
export interface EventSourceMappingRecord {
  readonly uuid: string;
  /** The function it invokes, and the version or alias when FunctionName was qualified. */
  readonly functionName: string;
  readonly qualifier?: string;
  readonly eventSourceArn: string;
  readonly source: EventSourceKind;
  /** What the user asked for; `state` says where the poller is with it. */
  readonly enabled: boolean;
  readonly state: EventSourceMappingState;
  readonly stateTransitionReason: string;
  readonly lastProcessingResult?: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
  /** FilterCriteria.Filters[].Pattern, each an EventBridge pattern as JSON text. */
  readonly filterPatterns: readonly string[];
  /** `ReportBatchItemFailures`, or nothing. */
  readonly functionResponseTypes: readonly string[];
  /** ScalingConfig.MaximumConcurrency (SQS). */
  readonly maximumConcurrency?: number;
  /** Stream sources (Kinesis, DynamoDB Streams): where reading starts when a shard has no checkpoint yet. */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  /** ms since the epoch, for AT_TIMESTAMP. */
  readonly startingPositionTimestamp?: number;
  readonly parallelizationFactor?: number;
  /** -1: no limit. */
  readonly maximumRecordAgeInSeconds?: number;
  readonly bisectBatchOnFunctionError?: boolean;
  /** -1: retried until the records expire. */
  readonly maximumRetryAttempts?: number;
  /** DestinationConfig.OnFailure.Destination: a Lambda function ARN. */
  readonly onFailure?: string;
  /** ms since the epoch. */
  readonly lastModified: number;
}

/** PutProvisionedConcurrencyConfig: environments kept initialised for one version or alias. */
export interface ProvisionedConcurrencyRecord {
  readonly functionName: string;
  /** A version number or an alias name. */
  readonly qualifier: string;
  readonly requested: number;
  /** ms since the epoch. */
  readonly lastModified: number;
}

/** What an IAM identity (a role or a user) may do: its inline policies and the managed policies attached to it. */
export interface PolicyHolderRecord {
  /** Inline policies (PutRolePolicy, PutUserPolicy), by name: the JSON text as given. */
  readonly inlinePolicies?: Readonly<Record<string, string>>;
  /** Managed policies attached (AttachRolePolicy, AttachUserPolicy), by ARN, in the order attached. */
  readonly attachedPolicies?: readonly string[];
}

/** An IAM role (CreateRole): who may assume it is its trust policy, kept as the JSON text it was given. */
export interface RoleRecord extends PolicyHolderRecord {
  readonly roleName: string;
  readonly roleId: string;
  readonly arn: string;
  readonly path: string;
  readonly createDate: number;
  readonly assumeRolePolicyDocument: string;
  readonly description?: string;
  readonly maxSessionDuration: number;
  readonly tags: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

/** An IAM user (CreateUser): a long-term identity that signs with its access keys. */
export interface UserRecord extends PolicyHolderRecord {
  readonly userName: string;
  readonly userId: string;
  readonly arn: string;
  readonly path: string;
  readonly createDate: number;
  readonly tags: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

/** An IAM group (CreateGroup): its members get its policies on top of their own. */
export interface GroupRecord extends PolicyHolderRecord {
  readonly groupName: string;
  readonly groupId: string;
  readonly arn: string;
  readonly path: string;
  readonly createDate: number;
  /** Member user names, as the users spell them, in the order they were added. */
  readonly users: readonly string[];
}

/** A user's access key as kept at rest: the secret sealed (AES-256-GCM) under a key derived from the root secret. */
export interface StoredAccessKey {
  readonly accessKeyId: string;
  readonly userName: string;
  readonly status: 'Active' | 'Inactive';
  readonly createDate: number;
  readonly sealedSecret: string;
}

/** A customer managed policy (CreatePolicy) and its versions (at most five), the default among them. */
export interface ManagedPolicyRecord {
  readonly policyName: string;
  readonly policyId: string;
  readonly arn: string;
  readonly path: string;
  readonly description?: string;
  readonly createDate: number;
  readonly updateDate: number;
  readonly defaultVersionId: string;
  readonly versions: ReadonlyArray<{ readonly versionId: string; readonly document: string; readonly createDate: number }>;
  /** The number the next version gets (v1, v2, …; numbers are not reused). */
  readonly nextVersion: number;
  readonly tags: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

/** How long EventBridge keeps trying to deliver a run, and how often (a target's RetryPolicy). */
export interface DeliveryRetryPolicy {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeInSeconds: number;
}

/** A target of a scheduled EventBridge rule: a Lambda function, and what it is sent. */
export interface RuleTargetRecord {
  readonly id: string;
  readonly arn: string;
  readonly input?: string;
  readonly inputPath?: string;
  readonly inputTransformer?: { readonly inputPathsMap?: Readonly<Record<string, string>>; readonly inputTemplate: string };
  readonly roleArn?: string;
  readonly retryPolicy?: Partial<DeliveryRetryPolicy>;
  /** An SQS queue for runs that could not be delivered. */
  readonly deadLetterArn?: string;
}

/** An EventBridge rule on the default bus with a ScheduleExpression (PutRule, PutTargets). */
export interface EventRuleRecord {
  readonly kind: 'rule';
  readonly name: string;
  readonly scheduleExpression: string;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly description?: string;
  readonly roleArn?: string;
  readonly targets: readonly RuleTargetRecord[];
  readonly createdAt: number;
  /** Since when the schedule has been in force as it is (created, enabled or its expression changed): runs before it are not owed. */
  readonly activeSince: number;
}

/** An EventBridge Scheduler schedule (CreateSchedule), in a schedule group. */
export interface SchedulerScheduleRecord {
  readonly kind: 'schedule';
  readonly name: string;
  readonly groupName: string;
  readonly scheduleExpression: string;
  readonly timezone: string;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly description?: string;
  readonly startDate?: number;
  readonly endDate?: number;
  readonly flexibleWindow: { readonly mode: 'OFF' | 'FLEXIBLE'; readonly maximumWindowInMinutes?: number };
  readonly target: {
    readonly arn: string;
    readonly roleArn: string;
    readonly input?: string;
    readonly retryPolicy: DeliveryRetryPolicy;
    readonly deadLetterArn?: string;
  };
  readonly actionAfterCompletion: 'NONE' | 'DELETE';
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly activeSince: number;
}

/** What fires on a schedule: a rule or a Scheduler schedule. */
export type TimedRecord = EventRuleRecord | SchedulerScheduleRecord;

/** A timed record's unique key in the store: `rule/default/NAME` or `schedule/GROUP/NAME`. */
export const timedKey = (record: TimedRecord): string => (record.kind === 'rule' ? ruleKey(record.name) : scheduleKey(record.groupName, record.name));
export const ruleKey = (name: string): string => `rule/default/${name}`;
export const scheduleKey = (group: string, name: string): string => `schedule/${group}/${name}`;
