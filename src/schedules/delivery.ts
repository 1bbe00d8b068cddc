import {
  AwsError,
  newRequestId,
  parseFunctionName,
  type DeliveryRetryPolicy,
  type Partition,
  type Scheduler,
  type TimedRecord,
  type Timer,
} from '../core/index.js';
import type { Logger } from '../core/logger.js';
import { ruleArn, scheduleArn, scheduledEvent, schedulerPayload, targetPayload } from './payloads.js';

/** EventBridge's default retry policy for a target: 24 hours, 185 attempts. */
export const DEFAULT_RETRY: DeliveryRetryPolicy = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 };
/** Async invocation's payload limit (Lambda's, for the Event invocation type). */
const EVENT_PAYLOAD_LIMIT = 1024 * 1024;
const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 60_000;

export interface DeliveryPorts {
  readonly partition: Partition;
  readonly clock: Scheduler;
  /** The durable async queue (AsyncInvoker.enqueue): retries and destinations apply from there. */
  enqueue(input: { functionName: string; payload: Buffer; requestId: string; limit: number; operation: string; trigger: 'schedule' }): Promise<void>;
  /**
   * Whether the service may invoke the function: a rule by the function's resource policy for
   * events.amazonaws.com, a schedule by its role or the resource policy for scheduler.amazonaws.com.
   */
  mayInvoke(record: TimedRecord, functionArn: string, roleArn: string | undefined): Promise<boolean>;
  /** Sends an undeliverable run to a target's dead-letter queue (SQS). */
  deadLetter(queueArn: string, body: string): Promise<void>;
  readonly log: Logger;
}

/** One run's delivery to one target, retried within its policy, then dead-lettered. */
interface Attempt {
  readonly record: TimedRecord;
  readonly label: string;
  readonly functionArn: string;
  readonly roleArn: string | undefined;
  readonly retry: DeliveryRetryPolicy;
  readonly deadLetterArn: string | undefined;
  payload(attempt: number): string;
}

/**
 * Delivers a schedule's run as EventBridge does: an asynchronous invocation per target (the function's
 * own retries and destinations then apply), the call itself retried with backoff while it fails for a
 * reason that may pass (a platform shutting down) within the target's RetryPolicy, and sent to the
 * target's dead-letter queue when it cannot succeed (no such function, no permission) or runs out of
 * retries. Retries wait in memory: a restart drops them (the run itself stays recorded as fired).
 */
export class ScheduleDelivery {
  readonly #p: DeliveryPorts;
  /** Retries waiting for their turn: a close wakes them, to give up. */
  readonly #waiting = new Set<{ timer: Timer; wake: () => void }>();
  #closed = false;

  constructor(ports: DeliveryPorts) {
    this.#p = ports;
  }

  /** Gives up the retries waiting in memory (a shutdown): their runs stay recorded as fired. */
  close(): void {
    this.#closed = true;
    for (const wait of this.#waiting) {
      wait.timer.cancel();
      wait.wake();
    }
    this.#waiting.clear();
  }

  /** Every target's first attempt; resolves when each has been delivered, dead-lettered or dropped. */
  deliver(record: TimedRecord, dueMs: number): Promise<void> {
    const attempts = record.kind === 'rule' ? this.#ruleAttempts(record, dueMs) : [this.#scheduleAttempt(record, dueMs)];
    return Promise.all(attempts.map((a) => this.#run(a, dueMs, 1))).then(() => undefined);
  }

  #ruleAttempts(record: Extract<TimedRecord, { kind: 'rule' }>, dueMs: number): Attempt[] {
    const arn = ruleArn(this.#p.partition, record.name);
    const event = scheduledEvent(this.#p.partition, record.name, dueMs, newRequestId());
    return record.targets.map((target) => ({
      record,
      label: `rule ${record.name} target ${target.id}`,
      functionArn: target.arn,
      roleArn: target.roleArn,
      retry: { ...DEFAULT_RETRY, ...target.retryPolicy },
      deadLetterArn: target.deadLetterArn,
      payload: () => targetPayload(target, event, arn),
    }));
  }

  #scheduleAttempt(record: Extract<TimedRecord, { kind: 'schedule' }>, dueMs: number): Attempt {
    const arn = scheduleArn(this.#p.partition, record.groupName, record.name);
    const executionId = newRequestId();
    return {
      record,
      label: `schedule ${record.groupName}/${record.name}`,
      functionArn: record.target.arn,
      roleArn: record.target.roleArn,
      retry: record.target.retryPolicy,
      deadLetterArn: record.target.deadLetterArn,
      payload: (attempt) => schedulerPayload(record, arn, dueMs, executionId, attempt),
    };
  }

  async #run(attempt: Attempt, dueMs: number, number: number): Promise<void> {
    const { log, clock } = this.#p;
    if (this.#closed) return;
    const payload = attempt.payload(number);
    let failure: { code: string; message: string; retryable: boolean };
    try {
      parseFunctionName(attempt.functionArn, this.#p.partition);
      if (!(await this.#p.mayInvoke(attempt.record, attempt.functionArn, attempt.roleArn))) {
        throw new AwsError(
          'AccessDeniedException',
          `Not authorized to invoke ${attempt.functionArn}: add a permission for the service (or give the role lambda:InvokeFunction).`,
        );
      }
      await this.#p.enqueue({
        functionName: attempt.functionArn,
        payload: Buffer.from(payload),
        requestId: newRequestId(),
        limit: EVENT_PAYLOAD_LIMIT,
        operation: 'Event',
        trigger: 'schedule',
      });
      return;
    } catch (error) {
      const code = error instanceof AwsError ? error.code : 'InternalError';
      const message = error instanceof Error ? error.message : String(error);
      failure = { code, message, retryable: !(error instanceof AwsError) || error.code === 'ServiceException' || error.code === 'TooManyRequestsException' };
    }
    const delay = Math.min(FIRST_RETRY_MS * 2 ** (number - 1), LONGEST_RETRY_MS);
    const ageMs = clock.now() + delay - dueMs;
    if (failure.retryable && number <= attempt.retry.maximumRetryAttempts && ageMs <= attempt.retry.maximumEventAgeInSeconds * 1000) {
      if (await this.#wait(delay)) return this.#run(attempt, dueMs, number + 1);
      log.warn(
        { target: attempt.functionArn, attempts: number },
        `${attempt.label}: run of ${new Date(dueMs).toISOString()} dropped with its retries at shutdown`,
      );
      return;
    }
    log.warn(
      { target: attempt.functionArn, errorCode: failure.code, attempts: number },
      `${attempt.label}: run of ${new Date(dueMs).toISOString()} not delivered: ${failure.message}`,
    );
    if (attempt.deadLetterArn === undefined) return;
    try {
      await this.#p.deadLetter(attempt.deadLetterArn, payload);
    } catch (error) {
      log.error({ err: error, queue: attempt.deadLetterArn }, `${attempt.label}: the dead-letter queue refused the run too`);
    }
  }

  /** Waits `ms`; false when a close came first. */
  #wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wait = {
        timer: this.#p.clock.setTimeout(() => {
          this.#waiting.delete(wait);
          resolve(!this.#closed);
        }, ms),
        wake: () => resolve(false),
      };
      this.#waiting.add(wait);
    });
  }
}
