import { randomUUID } from 'node:crypto';
import {
  AwsError,
  background,
  functionArn,
  invalidParameter,
  newRequestId,
  parseFunctionName,
  resolveQualifier,
  type Clock,
  type FunctionRecord,
  type InvocationTrigger,
  type Partition,
  type ReportError,
} from '../core/index.js';
import type { AliasRegistry, CodeRepository, FunctionRegistry } from '../control/index.js';
import type { InvocationHistory, UsageMeter } from '../metering/index.js';
import type { ConcurrencyLimiter } from './concurrency.js';
import type { EnvironmentPool, EnvironmentSpec, InvocationResult, ResponseStream } from '../runtime/index.js';

/** Lambda's sync request payload limit, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html */
export const MAX_SYNC_PAYLOAD_BYTES = 6_291_456;
/** Base64 ClientContext limit from the service model (`X-Amz-Client-Context`). */
const MAX_CLIENT_CONTEXT_BYTES = 3583;
/** Lambda returns the last 4 KB of the invocation's log for `X-Amz-Log-Type: Tail`. */
const LOG_TAIL_BYTES = 4096;

export interface SyncInvokeInput {
  readonly functionName: string;
  readonly qualifier?: string | undefined;
  readonly payload: Buffer;
  readonly logTail: boolean;
  /** The X-Amz-Client-Context header: base64 of a JSON object. */
  readonly clientContext?: string | undefined;
  readonly requestId?: string;
  /** Take a streamed answer as it arrives (see InvocationRequest.streamResponse). */
  readonly streamResponse?: boolean;
  /** What started it, for the invocation history: `api` unless said. */
  readonly trigger?: InvocationTrigger;
}

export interface SyncInvokeOutput {
  readonly requestId: string;
  /** The answer; empty when `stream` carries it. */
  readonly payload: Buffer;
  /** The answer as the runtime streams it, when asked for and the runtime streamed. */
  readonly stream?: ResponseStream;
  readonly executedVersion: string;
  readonly functionError?: string;
  /** Base64 of the last 4 KB of the log, when asked for. */
  readonly logResult?: string;
  /** A streamed answer's log tail, when asked for: known once the stream has ended. */
  readonly streamLogResult?: Promise<string>;
}

export interface InvokeServiceOptions {
  readonly registry: FunctionRegistry;
  readonly aliases: AliasRegistry;
  readonly code: CodeRepository;
  readonly pool: EnvironmentPool;
  readonly usage: UsageMeter;
  readonly history?: InvocationHistory;
  readonly partition: Partition;
  readonly clock: Clock;
  readonly gate: ConcurrencyLimiter;
  readonly onError: ReportError;
}

/**
 * The invoke entry points: resolve the target, check the request, run it through the pool, meter it.
 * Payloads stay bytes: they are checked to be JSON, never rewritten.
 */
export class InvokeService {
  readonly #o: InvokeServiceOptions;
  readonly #specs = new WeakMap<FunctionRecord, EnvironmentSpec>();

  constructor(options: InvokeServiceOptions) {
    this.#o = options;
  }

  /**
   * Resolves a FunctionName + Qualifier to the record that runs: $LATEST, a version, or the version an
   * alias routes this invocation to (drawn by its weights).
   */
  resolve(functionName: string, qualifier: string | undefined): { record: FunctionRecord; version: string; invokedArn: string } {
    const ref = parseFunctionName(functionName, this.#o.partition);
    const wanted = resolveQualifier(ref, qualifier);
    // An invoke that finds nothing names what it looked for, $LATEST when no qualifier was given.
    if (this.#o.registry.cached(ref.name) === undefined) throw this.#o.registry.notFound(ref.name, wanted ?? '$LATEST');
    const record = this.#o.aliases.resolve(ref.name, wanted);
    if (record === undefined) throw this.#o.registry.notFound(ref.name, wanted ?? '$LATEST');
    return { record, version: record.version ?? '$LATEST', invokedArn: functionArn(this.#o.partition, ref.name, wanted) };
  }

  async invokeSync(input: SyncInvokeInput): Promise<SyncInvokeOutput> {
    const { record, version, invokedArn } = this.resolve(input.functionName, input.qualifier);
    checkPayload(input.payload);
    const clientContext = decodeClientContext(input.clientContext);
    const requestId = input.requestId ?? newRequestId();
    const spec = this.specOf(record);
    const payload = input.payload.length === 0 ? EMPTY_EVENT : input.payload;
    // Reserved concurrency is the function's, whatever version runs.
    const release = this.#o.gate.acquire(record.name, this.#o.registry.cached(record.name)?.reservedConcurrency);
    let invocation;
    try {
      invocation = this.#o.pool.invoke(spec, {
        requestId,
        payload,
        invokedArn,
        traceId: traceId(this.#o.clock.now()),
        ...(clientContext === undefined ? {} : { clientContext }),
        ...(input.streamResponse === true ? { streamResponse: true } : {}),
      });
    } catch (error) {
      release();
      throw error;
    }
    // The slot is held while the answer is being produced: a streamed one until its last byte.
    void invocation.result
      .then((result) => result.stream?.ended)
      .finally(release)
      .catch(() => undefined);
    const settled = invocation;
    background(
      settled.report.then(async (report) => {
        this.#o.usage.record({
          requestId,
          functionName: record.name,
          version,
          startMs: report.startMs,
          durationMs: report.durationMs,
          billedMs: report.billedMs,
          memoryMb: record.memorySize,
          architecture: record.architecture,
          initMs: report.initMs,
          cold: report.cold,
          outcome: report.outcome,
        });
        if (this.#o.history === undefined) return;
        const errorType = report.outcome === 'success' ? undefined : errorTypeOf(await settled.result.catch(() => undefined));
        this.#o.history.record(
          {
            requestId,
            functionName: record.name,
            version,
            trigger: input.trigger ?? 'api',
            startMs: report.startMs,
            cold: report.cold,
            initMs: report.initMs,
            durationMs: report.durationMs,
            billedMs: report.billedMs,
            memorySize: record.memorySize,
            maxMemoryMb: report.maxMemoryMb,
            outcome: report.outcome,
            ...(errorType === undefined ? {} : { errorType }),
          },
          report.log,
          payload,
        );
      }),
      'recording usage',
      this.#o.onError,
    );
    const result = await invocation.result;
    const output = {
      requestId,
      payload: result.payload,
      executedVersion: version,
      ...(result.functionError ? { functionError: result.functionError } : {}),
      ...(result.stream === undefined ? {} : { stream: result.stream }),
    };
    if (!input.logTail) return output;
    const tail = invocation.report.then((report) => {
      const bytes = Buffer.from(report.log);
      return bytes.subarray(Math.max(0, bytes.length - LOG_TAIL_BYTES)).toString('base64');
    });
    // A stream's log tail is known only once it has ended: its reader waits for it then.
    if (result.stream !== undefined) return { ...output, streamLogResult: tail };
    return { ...output, logResult: await tail };
  }

  /** DryRun: checks the caller may invoke and the target exists, runs nothing. */
  dryRun(functionName: string, qualifier: string | undefined): void {
    this.resolve(functionName, qualifier);
  }

  /** The environment spec of a function record; records are immutable, so one spec per record. */
  specOf(record: FunctionRecord): EnvironmentSpec {
    let spec = this.#specs.get(record);
    if (spec === undefined) {
      spec = {
        key: `${record.name}@${record.version ?? '$LATEST'}@${record.revisionId}`,
        functionName: record.name,
        version: record.version ?? '$LATEST',
        runtime: record.runtime,
        handler: record.handler,
        memorySize: record.memorySize,
        timeoutMs: record.timeout * 1000,
        ephemeralStorageMb: record.ephemeralStorageMb,
        codeDir: this.#o.code.directory(record.codeSha256),
        environment: record.environment ?? {},
        role: record.role,
        logGroup: record.logGroup,
        logFormat: record.logFormat,
        applicationLogLevel: record.applicationLogLevel,
        systemLogLevel: record.systemLogLevel,
        region: this.#o.partition.region,
        architecture: record.architecture,
      };
      this.#specs.set(record, spec);
    }
    return spec;
  }
}

const EMPTY_EVENT = Buffer.from('{}');

export function checkPayload(payload: Buffer): void {
  if (payload.length > MAX_SYNC_PAYLOAD_BYTES) {
    throw new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`);
  }
  if (payload.length === 0) return;
  try {
    JSON.parse(payload.toString('utf8'));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${detail}`);
  }
}

/** The type of the error an invocation answered (its JSON's `errorType`), when it is one that says. */
function errorTypeOf(result: InvocationResult | undefined): string | undefined {
  if (result?.functionError === undefined || result.stream !== undefined) return undefined;
  try {
    const type = (JSON.parse(result.payload.toString('utf8')) as { errorType?: unknown }).errorType;
    return typeof type === 'string' ? type.slice(0, 256) : undefined;
  } catch {
    return undefined;
  }
}

function decodeClientContext(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (header.length > MAX_CLIENT_CONTEXT_BYTES) {
    throw invalidParameter(`Client context must be at most ${MAX_CLIENT_CONTEXT_BYTES} bytes of base64.`);
  }
  const text = Buffer.from(header, 'base64').toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
  } catch {
    throw invalidParameter('Client context must be a valid Base64-encoded JSON object.');
  }
  return text;
}

/** An X-Ray trace header as Lambda passes it (`Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`). */
function traceId(nowMs: number): string {
  // randomUUID draws from a pooled entropy buffer: far cheaper per call than randomBytes.
  const root = randomUUID().replaceAll('-', '').slice(0, 24);
  const parent = randomUUID().replaceAll('-', '').slice(0, 16);
  return `Root=1-${Math.floor(nowMs / 1000).toString(16)}-${root};Parent=${parent};Sampled=0`;
}
