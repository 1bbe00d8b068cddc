import type { Readable } from 'node:stream';

/** What an environment runs: one function version with one configuration. Never shared across functions. */
export interface EnvironmentSpec {
  /** Pool key: environments are reused only for invocations with the same key. */
  readonly key: string;
  readonly functionName: string;
  readonly version: string;
  readonly runtime: string;
  readonly handler: string;
  readonly memorySize: number;
  readonly timeoutMs: number;
  /** Size of the environment's private /tmp (EphemeralStorage). */
  readonly ephemeralStorageMb: number;
  readonly codeDir: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The execution role's ARN: the environment's credentials are a session of it. */
  readonly role: string;
  readonly logGroup: string;
  /** LoggingConfig: Text, or JSON with its levels (the runtime filters the application's). */
  readonly logFormat: 'Text' | 'JSON';
  readonly applicationLogLevel?: string | undefined;
  readonly systemLogLevel?: string | undefined;
  readonly region: string;
  readonly architecture: 'x86_64' | 'arm64';
}

export interface InvocationRequest {
  readonly requestId: string;
  readonly payload: Buffer;
  /** As the caller named it: unqualified, or `:qualifier`. */
  readonly invokedArn: string;
  /** Decoded ClientContext JSON text, sync invokes only. */
  readonly clientContext?: string;
  readonly traceId: string;
  /**
   * The caller takes a streamed answer as it arrives (InvokeWithResponseStream, a streamed function URL):
   * a runtime answering in Lambda's streaming response mode hands it `InvocationResult.stream`. Otherwise
   * a streamed answer is collected, within the buffered limit, as Lambda does for Invoke.
   */
  readonly streamResponse?: boolean;
}

export type Outcome = 'success' | 'error' | 'timeout' | 'crash' | 'init-error' | 'oversize';

/** What the caller of Invoke gets back. */
export interface InvocationResult {
  /** The answer (empty while a `stream` carries it). */
  readonly payload: Buffer;
  /** `Unhandled` whenever the function or the platform reported an error (as AWS answers today). */
  readonly functionError?: 'Unhandled';
  /** Of a streamed answer: `success` when it began; how it ended is `stream.ended`. */
  readonly outcome: Outcome;
  /** A streamed answer, when the caller asked for one (InvocationRequest.streamResponse) and the runtime streamed. */
  readonly stream?: ResponseStream;
}

/** A response as the runtime writes it, with back-pressure: a slow reader slows the runtime, not the server's memory. */
export interface ResponseStream {
  /** The Content-Type the runtime gave its stream (`application/octet-stream` unless it set one). */
  readonly contentType: string;
  readonly body: Readable;
  /**
   * How it ended: without an error, or with one, the function's (reported in Lambda's error trailers
   * after some bytes) or the platform's (a timeout, a crash, the size limit): the bytes sent stand.
   */
  readonly ended: Promise<StreamEnd>;
}

export interface StreamEnd {
  readonly errorType?: string;
  /** The error's JSON (`{"errorType", "errorMessage", …}`), as bytes. */
  readonly errorBody?: Buffer;
}

/** Known once the environment has finished the invocation (its next `/next`, or its end). */
export interface InvocationReport {
  readonly requestId: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly billedMs: number;
  readonly initMs: number;
  readonly cold: boolean;
  readonly maxMemoryMb: number;
  readonly outcome: Outcome;
  /** The invocation's log text, START to REPORT. */
  readonly log: string;
}

export interface Invocation {
  readonly result: Promise<InvocationResult>;
  readonly report: Promise<InvocationReport>;
}

/** Where environments' log lines go: the function's log stream. */
/** Where an environment's lines go: its function, the function's log group, its stream. */
export interface LogDestination {
  readonly functionName: string;
  readonly logGroup: string;
  readonly stream: string;
}

export interface LogSink {
  write(to: LogDestination, timeMs: number, line: string): void;
}

/** A host folder a sandboxed environment sees, read-only, at `target`. */
export interface ReadOnlyBind {
  readonly source: string;
  readonly target: string;
}

/** How a runtime process is started, in the paths the environment sees. */
export interface LaunchPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** What a sandbox must show besides the function's code (ignored for plain processes). */
  readonly binds: ReadOnlyBind[];
}

/** How runtimes are started, for one function or ahead of any (pre-started generic runtimes). */
export interface Launcher {
  /** A runtime for this function. */
  launch(spec: EnvironmentSpec, runtimeApi: string, logStream: string): Promise<LaunchPlan>;
  /** Whether a generic runtime started from this spec's template can later run the function (Node, Python; no exec wrapper). */
  canPrestart(spec: EnvironmentSpec): boolean;
  /** A generic runtime for functions like `template` (same runtime, memory and storage) that loads no code until assigned. */
  prestart(template: EnvironmentSpec, runtimeApi: string): Promise<LaunchPlan>;
  /** The environment variables a pre-started runtime takes on when it is given this function. */
  assignment(spec: EnvironmentSpec, runtimeApi: string, logStream: string): Promise<Record<string, string>>;
}
