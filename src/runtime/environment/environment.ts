import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { background, newHexId, publish, readLimitedBody, type ReportError, type Scheduler, type Timer } from '../../core/index.js';
import { reportTo, type Logger } from '../../core/logger.js';
import { exitMessage, functionErrorPayload, InitFailure, type PlatformErrorType } from '../function-errors.js';
import { endLine, reportOf, startLine } from '../log-format.js';
import type { ConfinedProcess, Isolation } from '../sandbox/isolation.js';
import type { RuntimeProcess, Spawner } from '../spawner.js';
import { LogFraming } from './log-framing.js';
import { feed, MAX_STREAMED_RESPONSE_BYTES, openStream, RESPONSE_MODE_HEADER, STREAMING, trailerFailure, type OpenStream } from './response-stream.js';
import { headerValue, invalidRequestId, RuntimeApiEndpoint, send } from './runtime-api.js';
import { canMove, STARTING, type EnvironmentState } from './state.js';
import type { EnvironmentSpec, InvocationReport, InvocationRequest, InvocationResult, Launcher, LogDestination, LogSink, Outcome } from '../types.js';

/**
 * Lambda's sync response cap: 6 MiB + 100 bytes, as the runtime interface emulator enforces
 * (`MaxPayloadSize`), https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;
/** Lambda's init phase limit for on-demand environments. */
export const DEFAULT_INIT_TIMEOUT_MS = 10_000;
const ERROR_BODY_LIMIT = 1024 * 1024;

interface Current {
  readonly request: InvocationRequest;
  readonly startMs: number;
  readonly startedAt: number;
  readonly cold: boolean;
  readonly timer: Timer;
  answeredAt?: number;
  outcome?: Outcome;
  statusDetail?: string;
  errorType?: string;
  log: string;
  /** A streamed answer handed to the caller as it arrives: its result is resolved; #answer ends the stream. */
  streaming?: OpenStream;
  resolveResult(result: InvocationResult): void;
  resolveReport(report: InvocationReport): void;
}

export interface EnvironmentOptions {
  readonly platformId: string;
  /** The function configuration; for a pre-started environment, the template it was started for. */
  readonly spec: EnvironmentSpec;
  /** Start a generic runtime that loads no code until `assign()` gives it a function. */
  readonly prestarted?: boolean;
  /** Started ahead of demand for provisioned concurrency: its init is not a cold start of any invocation. */
  readonly provisioned?: boolean;
  readonly launcher: Launcher;
  /** Starts the runtime process (from a small helper process, not by forking the platform). */
  readonly spawner: Spawner;
  readonly isolation: Isolation;
  readonly logs: LogSink;
  /** Time, and the init, invocation and freeze timers. */
  readonly clock: Scheduler;
  readonly initTimeoutMs?: number;
  /** The platform's log; the environment's failures of background work (teardown, log framing) go to a child naming it. */
  readonly log: Logger;
  /** Called when the environment waits for work (its runtime is blocked on `/next`). */
  readonly onIdle: (env: Environment) => void;
  /** Called once when the environment has stopped for good. */
  readonly onStopped: (env: Environment) => void;
}

/**
 * How long an environment stays idle before it is frozen. Freezing and thawing a Node runtime costs
 * the platform about 0.2 ms of CPU per invocation (the kernel stops and wakes each of its threads),
 * a quarter of a warm invoke; back-to-back invocations, which leave an environment idle for well under
 * a millisecond, skip it. What a function leaves running gets at most this long after each invocation.
 */
const FREEZE_AFTER_IDLE_MS = 10;

/**
 * One execution environment: a runtime process and the Runtime API endpoint only it is given, driven
 * through the states of ./state.ts. One invocation at a time; never reused for another function or
 * configuration. A pre-started environment boots a generic runtime that has run nothing, waits in the
 * pool on ASSIGNMENT_PATH, and initialises once assign() gives it a function.
 */
export class Environment {
  readonly id = newHexId();
  /** Reports failures of background work, with the environment's id in the line. */
  readonly #report: ReportError;
  #spec: EnvironmentSpec;
  #logStream: string;
  #logDestination: LogDestination;
  #runtimeApi = '';
  #pendingAssignment: ServerResponse | undefined;
  #state: EnvironmentState;
  #options: EnvironmentOptions;
  #provisioned: boolean;
  #endpoint: RuntimeApiEndpoint | undefined;
  #child: RuntimeProcess | undefined;
  #confined: ConfinedProcess | undefined;
  #pendingNext: ServerResponse | undefined;
  #current: Current | undefined;
  #served = 0;
  #initMs = 0;
  #idleSince = 0;
  #initStartedAt = 0;
  #initTimer: Timer | undefined;
  /** Settles the promise of start() or assign() when the environment leaves a STARTING state. */
  #startResolve: () => void = () => undefined;
  #startReject: (error: InitFailure) => void = () => undefined;
  #initFailure: InitFailure | undefined;
  #freezeTimer: Timer | undefined;
  #frozen = false;
  /** Initialising again after a timeout: a pre-started runtime asks for its assignment once more. */
  #restarting = false;
  /** While a timed-out runtime's restart is under way: its end arms the idle freeze. */
  #restartPending = false;
  readonly #log: LogFraming;

  constructor(options: EnvironmentOptions) {
    this.#options = options;
    this.#report = reportTo(options.log.child({ environmentId: this.id }));
    this.#provisioned = options.provisioned === true;
    this.#spec = options.spec;
    this.#logStream = this.#streamName();
    this.#logDestination = this.#destination();
    this.#state = options.prestarted === true ? 'booting' : 'initialising';
    this.#log = new LogFraming({
      logs: options.logs,
      clock: options.clock,
      destination: () => this.#logDestination,
      environmentId: this.id,
      onError: this.#report,
    });
  }

  /** The function configuration this environment runs (a pre-started one: its template until assigned). */
  get spec(): EnvironmentSpec {
    return this.#spec;
  }

  get logStream(): string {
    return this.#logStream;
  }

  #streamName(): string {
    const day = new Date(this.#options.clock.now()).toISOString().slice(0, 10).replaceAll('-', '/');
    return `${day}/[${this.#spec.version}]${this.id}`;
  }

  #destination(): LogDestination {
    return { functionName: this.#spec.functionName, logGroup: this.#spec.logGroup, stream: this.#logStream };
  }

  get state(): EnvironmentState {
    return this.#state;
  }

  /**
   * The one place the state changes. Leaving a STARTING state settles the start: ready (pooled or idle),
   * or failed (stopped) with the init failure recorded, else a runtime that exited without a reason.
   */
  #move(to: EnvironmentState): void {
    const from = this.#state;
    if (!canMove(from, to)) throw new Error(`environment ${this.id}: no transition from ${from} to ${to}`);
    this.#state = to;
    if (!STARTING.has(from)) return;
    this.#initTimer?.cancel();
    if (to === 'stopped') this.#startReject(this.#initFailure ?? InitFailure.of('Runtime.ExitError', 'Runtime exited without providing a reason'));
    else this.#startResolve();
  }

  /**
   * Busy with an invocation the runtime has answered (not timed out or crashed): idle again as soon as
   * its `/next` arrives, so a waiting invocation can count on it rather than start another environment.
   */
  get finishing(): boolean {
    const outcome = this.#current?.outcome;
    return this.#state === 'busy' && (outcome === 'success' || outcome === 'error' || outcome === 'oversize');
  }

  get idleSince(): number {
    return this.#idleSince;
  }

  /** Whether provisioned concurrency keeps it (see unprovision()). */
  get provisioned(): boolean {
    return this.#provisioned;
  }

  /** Provisioned concurrency was lowered: from now on it is reaped when idle, like any other. */
  unprovision(): void {
    this.#provisioned = false;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Starts the runtime; settles when its first `/next` arrives (init done) or init fails. A pre-started
   * environment settles when its runtime waits for an assignment.
   */
  start(): Promise<void> {
    const ready = this.#expectStart();
    this.#boot().catch((error: unknown) => this.#failStart(asInitFailure(error)));
    return ready;
  }

  /**
   * Gives a pooled, pre-started environment its function: the code is shown at its task root, the
   * runtime receives the function's environment variables and loads the handler. Settles as start()
   * does, when the runtime's first `/next` arrives.
   */
  assign(spec: EnvironmentSpec): Promise<void> {
    const waiting = this.#pendingAssignment;
    if (this.#state !== 'pooled' || waiting === undefined) throw new Error(`environment ${this.id} is ${this.#state}, not pooled`);
    this.#pendingAssignment = undefined;
    this.#spec = spec;
    this.#logStream = this.#streamName();
    this.#logDestination = this.#destination();
    const ready = this.#expectStart();
    this.#move('initialising');
    void (async () => {
      await this.#confined!.assignCode(spec.codeDir);
      const environment = await this.#options.launcher.assignment(spec, this.#runtimeApi, this.#logStream);
      if (this.#state !== 'initialising') return;
      this.#initStartedAt = performance.now();
      this.#armInitTimer();
      send(waiting, 200, { environment });
    })().catch((error: unknown) => this.#failStart(asInitFailure(error)));
    return ready;
  }

  #expectStart(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#startResolve = resolve;
      this.#startReject = reject;
    });
  }

  #armInitTimer(): void {
    const initTimeoutMs = this.#options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS;
    this.#initTimer?.cancel();
    this.#initTimer = this.#options.clock.setTimeout(
      () => {
        const errorMessage = `INIT phase timed out after ${(initTimeoutMs / 1000).toFixed(2)} seconds`;
        this.#failStart(InitFailure.of('Sandbox.Timedout', errorMessage));
      },
      initTimeoutMs,
      { keepAlive: true },
    );
  }

  async #boot(): Promise<void> {
    this.#endpoint = new RuntimeApiEndpoint({
      environmentId: this.id,
      sandboxed: this.#options.isolation.sandboxed,
      uid: () => this.#confined?.uid,
      onError: this.#report,
      handlers: {
        next: (res) => this.#onNext(res),
        awaitAssignment: (res) => this.#onAwaitAssignment(res),
        initError: (req, res) => this.#onInitError(req, res),
        response: (requestId, req, res) => this.#onResponse(requestId, req, res),
        error: (requestId, req, res) => this.#onError(requestId, req, res),
      },
    });
    this.#runtimeApi = await this.#endpoint.listen();
    const { launcher, prestarted = false } = this.#options;
    const plan = prestarted ? await launcher.prestart(this.#spec, this.#runtimeApi) : await launcher.launch(this.#spec, this.#runtimeApi, this.#logStream);
    if (this.#state === 'stopped') return;
    const confined = await this.#options.isolation.confine(this.#spec, plan, this.id, { prestarted });
    this.#confined = confined;
    if ((this.#state as EnvironmentState) === 'stopped') return background(confined.release(), 'releasing a sandbox', this.#report); // stopped while the sandbox was prepared
    let child: RuntimeProcess;
    try {
      child = await this.#options.spawner.spawn({
        command: confined.command,
        args: confined.args,
        cwd: confined.cwd,
        env: plan.env,
        fd3Input: confined.fd3Input,
      });
    } catch (error) {
      background(confined.release(), 'releasing a sandbox', this.#report);
      throw error;
    }
    this.#child = child;
    if (child.pid !== undefined) confined.attach(child.pid);
    this.#initStartedAt = performance.now();
    publish('selfless:env:start', () => ({ ...this.#names(), prestarted: this.#options.prestarted === true }));
    this.#log.pipe(child, () => this.#current);
    child.once('error', (error: NodeJS.ErrnoException) => {
      // The entrypoint could not be executed at all: Lambda reports Runtime.InvalidEntrypoint.
      const reason = error.code === 'ENOENT' ? 'no such file or directory' : error.code === 'EACCES' ? 'permission denied' : error.message;
      const errorMessage = `Error: fork/exec ${plan.command}: ${reason}`;
      this.#failStart(InitFailure.of('Runtime.InvalidEntrypoint', errorMessage));
      background(this.#onExit(`error: ${reason}`), 'ending an environment', this.#report);
    });
    child.once('exit', (code, signal) => background(this.#onExit(confined.exitReason(code, signal)), 'ending an environment', this.#report));
    // Every process of the environment is gone once the spawned one has been reaped and killed through
    // the sandbox: only then may its uid and cgroup go to another environment.
    child.once('close', () => {
      confined.kill();
      background(confined.release(), 'releasing a sandbox', this.#report);
    });
    // Stopped while the process was being started: nothing else will end it.
    if ((this.#state as EnvironmentState) === 'stopped') return confined.kill();
    this.#armInitTimer();
  }

  /** Runs one invocation. Only valid while idle. */
  invoke(request: InvocationRequest): { result: Promise<InvocationResult>; report: Promise<InvocationReport> } {
    if (this.#state !== 'idle' || this.#pendingNext === undefined) throw new Error(`environment ${this.id} is ${this.#state}, not idle`);
    this.#move('busy');
    let resolveResult!: (r: InvocationResult) => void;
    let resolveReport!: (r: InvocationReport) => void;
    const result = new Promise<InvocationResult>((r) => (resolveResult = r));
    const report = new Promise<InvocationReport>((r) => (resolveReport = r));
    const startMs = this.#options.clock.now();
    const deadline = startMs + this.spec.timeoutMs;
    const current: Current = {
      request,
      startMs,
      startedAt: performance.now(),
      cold: this.#served === 0 && !this.#options.provisioned,
      timer: this.#options.clock.setTimeout(() => this.#onTimeout(), this.spec.timeoutMs, { keepAlive: true }),
      log: '',
      resolveResult,
      resolveReport,
    };
    this.#current = current;
    this.#served += 1;
    const start = startLine(this.spec, request.requestId, this.spec.version, startMs);
    if (start !== undefined) this.#log.write(start, current);
    publish('selfless:invoke:start', () => ({ ...this.#names(), requestId: request.requestId, cold: current.cold }));
    // With its length, the event goes out as one plain body in the write that carries the head, not chunked.
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': request.payload.length,
      'Lambda-Runtime-Aws-Request-Id': request.requestId,
      'Lambda-Runtime-Deadline-Ms': String(deadline),
      'Lambda-Runtime-Invoked-Function-Arn': request.invokedArn,
      'Lambda-Runtime-Trace-Id': request.traceId,
    };
    if (request.clientContext !== undefined) headers['Lambda-Runtime-Client-Context'] = request.clientContext;
    const next = this.#pendingNext;
    this.#pendingNext = undefined;
    this.#thaw();
    next.writeHead(200, headers);
    next.end(request.payload);
    return { result, report };
  }

  /** Stops the environment now (SIGKILL to its process group) and releases its endpoint. */
  stop(): void {
    if (this.#state === 'stopped') return;
    this.#kill();
    this.#finishStopped();
  }

  /** Stops the environment once its current invocation (if any) is finished. */
  retire(): void {
    if (this.#state === 'busy') this.#move('retiring');
    else if (this.#state !== 'retiring') this.stop();
  }

  // --- Runtime API (served by RuntimeApiEndpoint) -----------------------------------------------

  #onAwaitAssignment(res: ServerResponse): void {
    if (this.#state === 'initialising' && this.#restarting) return this.#reassign(res);
    if (this.#state !== 'booting') {
      return send(res, 403, { errorMessage: 'Only a pre-started runtime waits for an assignment, once.', errorType: 'InvalidStateTransition' });
    }
    this.#pendingAssignment = res;
    res.once('close', () => {
      // The runtime gave up waiting (it exited): the environment is of no use any more.
      if (this.#pendingAssignment === res) this.stop();
    });
    this.#idleSince = this.#options.clock.now();
    this.#move('pooled');
  }

  #onNext(res: ServerResponse): void {
    if (this.#state === 'booting' || this.#state === 'pooled') {
      return send(res, 403, {
        errorMessage: 'State transition from Ready to Ready failed for runtime. Error: a pre-started runtime waits for its assignment first',
        errorType: 'InvalidStateTransition',
      });
    }
    if (this.#pendingNext !== undefined || this.#state === 'stopped') {
      return send(res, 403, {
        errorMessage: 'State transition from Ready to Ready failed for runtime. Error: a /next request is already pending',
        errorType: 'InvalidStateTransition',
      });
    }
    const current = this.#current;
    if (current !== undefined && current.answeredAt === undefined) {
      return send(res, 403, {
        errorMessage: 'State transition from Invoking to Ready failed for runtime. Error: the current invocation has no response yet',
        errorType: 'InvalidStateTransition',
      });
    }
    this.#pendingNext = res;
    res.once('close', () => {
      if (this.#pendingNext === res) this.#pendingNext = undefined;
    });
    if (this.#state === 'initialising') {
      this.#restarting = false;
      this.#initMs = performance.now() - this.#initStartedAt;
      publish('selfless:env:ready', () => ({ ...this.#names(), initMs: this.#initMs }));
    } else if (current !== undefined) {
      this.#current = undefined;
      this.#finishInvocation(current);
    }
    if (this.#state === 'retiring') return this.stop();
    this.#idleSince = this.#options.clock.now();
    this.#move('idle');
    this.#options.onIdle(this);
    // Unless that handed it the next invocation: what the function left running waits, unbilled, frozen.
    if (this.#state === 'idle' && !this.#restartPending) this.#armFreeze();
  }

  #armFreeze(): void {
    if (this.#confined !== undefined) this.#freezeTimer = this.#options.clock.setTimeout(this.#freezeIdle, FREEZE_AFTER_IDLE_MS);
  }

  readonly #freezeIdle = (): void => {
    this.#freezeTimer = undefined;
    if (this.#state !== 'idle') return;
    this.#confined?.freeze();
    this.#frozen = true;
  };

  #thaw(): void {
    this.#freezeTimer?.cancel();
    this.#freezeTimer = undefined;
    if (!this.#frozen) return;
    this.#frozen = false;
    this.#confined?.thaw();
  }

  async #onResponse(requestId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const current = this.#acceptAnswer(requestId, req, res);
    if (current === undefined) return;
    const mode = headerValue(req, RESPONSE_MODE_HEADER);
    if (mode !== undefined && mode !== STREAMING) {
      req.resume();
      const errorMessage = `Invalid response mode header value: ${mode.slice(0, 100)}. Valid values: ${STREAMING}.`;
      send(res, 400, { errorMessage, errorType: 'Runtime.InvalidResponseModeHeader' });
      this.#answer(current, 'error', 'Runtime.InvalidResponseModeHeader', functionErrorPayload('Runtime.InvalidResponseModeHeader', errorMessage));
      return;
    }
    if (mode === STREAMING && current.request.streamResponse === true) return this.#streamResponse(current, req, res);
    // Buffered, or streamed to a caller who wants it whole (Invoke): collected within the buffered limit.
    const body = await readLimitedBody(req, MAX_RESPONSE_BYTES);
    if (this.#current !== current || current.answeredAt !== undefined) return void send(res, 400, invalidRequestId());
    if (body === undefined) return this.#oversize(current, res, MAX_RESPONSE_BYTES);
    send(res, 202, { status: 'OK' });
    const failed = mode === STREAMING ? trailerFailure(req) : undefined;
    if (failed !== undefined) this.#answer(current, 'error', failed.errorType, failed.body);
    else this.#answer(current, 'success', undefined, body);
  }

  /** Hands the caller the body as the runtime writes it; the invocation is answered when it ends. */
  #streamResponse(current: Current, req: IncomingMessage, res: ServerResponse): void {
    const open = openStream(headerValue(req, 'content-type') ?? 'application/octet-stream');
    current.streaming = open;
    current.resolveResult({ payload: Buffer.alloc(0), outcome: 'success', stream: open.stream });
    feed(req, open, MAX_STREAMED_RESPONSE_BYTES, () => this.#oversize(current, res, MAX_STREAMED_RESPONSE_BYTES));
    req.once('end', () => {
      // Already over: timed out, crashed, or over the size limit.
      if (this.#current !== current || current.answeredAt !== undefined) return;
      send(res, 202, { status: 'OK' });
      const failed = trailerFailure(req);
      if (failed !== undefined) this.#answer(current, 'error', failed.errorType, failed.body);
      else this.#answer(current, 'success', undefined, Buffer.alloc(0));
    });
  }

  #oversize(current: Current, res: ServerResponse, limit: number): void {
    send(res, 413, { errorMessage: `Exceeded maximum allowed payload size (${limit} bytes).`, errorType: 'RequestEntityTooLarge' });
    const errorMessage = `Response payload size exceeded maximum allowed payload size (${limit} bytes).`;
    this.#answer(current, 'oversize', 'Function.ResponseSizeTooLarge', functionErrorPayload('Function.ResponseSizeTooLarge', errorMessage));
  }

  async #onError(requestId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const current = this.#acceptAnswer(requestId, req, res);
    if (current === undefined) return;
    const body = (await readLimitedBody(req, ERROR_BODY_LIMIT)) ?? functionErrorPayload('Runtime.Unknown', 'The error reported by the runtime was too large.');
    if (this.#current !== current || current.answeredAt !== undefined) return void send(res, 400, invalidRequestId());
    send(res, 202, { status: 'OK' });
    const errorType = headerValue(req, 'lambda-runtime-function-error-type');
    this.#answer(current, 'error', errorType, body);
  }

  async #onInitError(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readLimitedBody(req, ERROR_BODY_LIMIT)) ?? functionErrorPayload('Runtime.Unknown', 'init error too large');
    if (!STARTING.has(this.#state)) {
      return send(res, 403, { errorMessage: `State transition from ${this.#state} to InitError failed for runtime.`, errorType: 'InvalidStateTransition' });
    }
    send(res, 202, { status: 'OK' });
    const errorType = headerValue(req, 'lambda-runtime-function-error-type') ?? 'Runtime.Unknown';
    this.#failStart(new InitFailure(errorType, body));
  }

  /** Checks that a posted answer is for this environment's current, unanswered invocation. */
  #acceptAnswer(requestId: string, req: IncomingMessage, res: ServerResponse): Current | undefined {
    const current = this.#current;
    // A stream under way is the answer: a second one is refused like an answer already given.
    if (current === undefined || current.request.requestId !== requestId || current.answeredAt !== undefined || current.streaming !== undefined) {
      req.resume();
      send(res, 400, invalidRequestId());
      return undefined;
    }
    return current;
  }

  #answer(current: Current, outcome: Outcome, errorType: string | undefined, payload: Buffer): void {
    current.timer.cancel();
    current.answeredAt = performance.now();
    current.outcome = outcome;
    if (outcome !== 'success') current.statusDetail = errorType === undefined ? 'Status: error' : `Status: error\tError Type: ${errorType}`;
    if (errorType !== undefined) current.errorType = errorType;
    if (current.streaming !== undefined) {
      // The caller has had the stream since it began: what it learns now is how it ended.
      current.streaming.end(outcome === 'success' ? {} : { errorType: errorType ?? 'Runtime.Unknown', errorBody: payload });
      return;
    }
    current.resolveResult(outcome === 'success' ? { payload, outcome } : { payload, outcome, functionError: 'Unhandled' });
  }

  // --- failures ------------------------------------------------------------------------------

  #onTimeout(): void {
    const current = this.#current;
    if (current === undefined || current.answeredAt !== undefined) return;
    const seconds = (this.spec.timeoutMs / 1000).toFixed(2);
    const { requestId } = current.request;
    this.#log.write(`${new Date(this.#options.clock.now()).toISOString()} ${requestId} Task timed out after ${seconds} seconds`, current);
    this.#answer(
      current,
      'timeout',
      'Sandbox.Timedout',
      functionErrorPayload('Sandbox.Timedout', `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`),
    );
    current.statusDetail = 'Status: timeout';
    const restart = this.#confined?.restartRuntime;
    if (this.#state === 'busy' && restart !== undefined) this.#restartRuntime(current, restart);
    else this.stop();
  }

  /**
   * After a timeout Lambda resets the runtime, not the environment: every process of the function is
   * killed and the runtime starts again (a new INIT: module state is gone) in the same sandbox, whose
   * /tmp is kept. The environment initialises again and then waits for work as before.
   */
  #restartRuntime(current: Current, restart: () => Promise<void>): void {
    this.#current = undefined;
    this.#finishInvocation(current);
    this.#restarting = true;
    this.#move('initialising');
    this.#initStartedAt = performance.now();
    this.#armInitTimer();
    const restarted = restart().catch((error: unknown) => {
      this.stop();
      throw error;
    });
    // Not frozen until the old runtime's processes are gone: frozen, the sandbox's init could not reap them.
    this.#restartPending = true;
    const settled = () => {
      this.#restartPending = false;
      if (this.#state === 'idle' && this.#freezeTimer === undefined && !this.#frozen) this.#armFreeze();
    };
    void restarted.then(settled, settled);
    background(restarted, 'restarting a timed-out runtime', this.#report);
  }

  /** The restarted generic runtime of a pre-started environment gets its function again; its code is still shown. */
  #reassign(res: ServerResponse): void {
    const reassigned = this.#options.launcher.assignment(this.#spec, this.#runtimeApi, this.#logStream).then((environment) => {
      if (this.#state === 'initialising') send(res, 200, { environment });
    });
    reassigned.catch((error: unknown) => this.#failStart(asInitFailure(error)));
  }

  async #onExit(reason: string): Promise<void> {
    // Over its memory limit, the kernel kills the runtime: Lambda reports that as Runtime.OutOfMemory.
    // (An unreadable cgroup must not stop the environment from ending: it is then an ordinary exit.)
    const oomKilled = this.#state !== 'stopped' && (await this.#confined?.oomKilled().catch(() => false));
    const errorType: PlatformErrorType = oomKilled ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
    const current = this.#current;
    if (STARTING.has(this.#state)) {
      this.#failStart(this.#initFailure ?? InitFailure.ofRequest(errorType, exitMessage(reason)));
    } else if (current !== undefined && current.answeredAt === undefined) {
      const { requestId } = current.request;
      const errorMessage = `RequestId: ${requestId} Error: ${exitMessage(reason)}`;
      this.#log.write(errorMessage, current);
      this.#answer(current, 'crash', errorType, functionErrorPayload(errorType, errorMessage));
    }
    this.#finishStopped();
  }

  /** INIT failed: the environment stops, and its start is rejected with `failure`. */
  #failStart(failure: InitFailure): void {
    if (!STARTING.has(this.#state)) return;
    this.#initFailure = failure;
    this.stop();
  }

  /** Who an environment's lifecycle events are about. */
  #names(): { platformId: string; environmentId: string; functionName: string; version: string } {
    return { platformId: this.#options.platformId, environmentId: this.id, functionName: this.spec.functionName, version: this.spec.version };
  }

  #finishStopped(): void {
    if (this.#state === 'stopped') return;
    this.#move('stopped');
    this.#freezeTimer?.cancel();
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined) {
      if (current.answeredAt === undefined) {
        // Stopped by the platform mid-invocation (shutdown): the caller still gets an answer.
        this.#answer(
          current,
          'crash',
          'Runtime.ExitError',
          functionErrorPayload('Runtime.ExitError', `RequestId: ${current.request.requestId} Error: Runtime exited without providing a reason`),
        );
      }
      this.#finishInvocation(current);
    }
    // After any REPORT still waiting for its reading.
    this.#pendingNext?.destroy();
    this.#pendingNext = undefined;
    this.#pendingAssignment?.destroy();
    this.#pendingAssignment = undefined;
    this.#endpoint?.close();
    publish('selfless:env:stop', () => ({ ...this.#names(), invocations: this.#served }));
    this.#options.onStopped(this);
  }

  #kill(): void {
    this.#confined?.kill();
  }

  // --- logs and reports ----------------------------------------------------------------------

  #finishInvocation(current: Current): void {
    current.timer.cancel();
    const outcome = current.outcome ?? 'crash';
    const durationMs = (current.answeredAt ?? performance.now()) - current.startedAt;
    const initMs = current.cold ? this.#initMs : 0;
    // A reading that fails reports 0 MB rather than holding back the REPORT (and the usage record after it).
    const memory = this.#confined?.peakMemoryMb().catch(() => 0) ?? Promise.resolve(0);
    this.#log.enqueue(async () => {
      const maxMemoryMb = await memory;
      const { requestId } = current.request;
      const billedMs = Math.max(1, Math.ceil(durationMs));
      const end = endLine(this.spec, requestId);
      if (end !== undefined) this.#log.emit(end, current);
      const report = reportOf(
        this.spec,
        {
          requestId,
          durationMs,
          billedMs,
          memorySize: this.spec.memorySize,
          maxMemoryMb,
          initMs: current.cold ? initMs : undefined,
          status: current.statusDetail,
          outcome,
          errorType: current.errorType,
        },
        this.#options.clock.now(),
      );
      if (report !== undefined) this.#log.emit(report, current);
      current.resolveReport({ requestId, startMs: current.startMs, durationMs, billedMs, initMs, cold: current.cold, maxMemoryMb, outcome, log: current.log });
      publish('selfless:invoke:end', () => {
        const { memorySize, architecture } = this.spec;
        return { ...this.#names(), requestId, outcome, durationMs, billedMs, memorySize, architecture };
      });
    });
  }
}

function asInitFailure(error: unknown): InitFailure {
  if (error instanceof InitFailure) return error;
  return InitFailure.of('Runtime.Unknown', String(error instanceof Error ? error.message : error));
}
