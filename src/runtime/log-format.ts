/**
 * The largest log event: CloudWatch Logs' limit of 256 KB per event, which Lambda's log lines obey.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
 */
export const MAX_LOG_EVENT_BYTES = 256 * 1024;

/**
 * Splits a process's output into log lines. Each byte is looked at and copied once: a partial line waits
 * in a buffer that grows by doubling (never re-joined and re-scanned per chunk — output without newlines
 * would cost quadratic CPU), and a line longer than MAX_LOG_EVENT_BYTES becomes several events of at
 * most that size, cut between UTF-8 characters, so nothing is lost and no event is oversized.
 */
export class LogLineSplitter {
  #held = Buffer.alloc(0);
  #heldBytes = 0;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxBytes = MAX_LOG_EVENT_BYTES,
  ) {}

  push(chunk: Buffer): void {
    for (let start = 0; start < chunk.length;) {
      const newline = chunk.indexOf(0x0a, start);
      this.#hold(chunk.subarray(start, newline === -1 ? chunk.length : newline));
      if (newline === -1) return;
      this.#emitHeld();
      start = newline + 1;
    }
  }

  flush(): void {
    if (this.#heldBytes > 0) this.#emitHeld();
  }

  #hold(bytes: Buffer): void {
    let rest = bytes;
    while (rest.length > 0) {
      const room = this.maxBytes - this.#heldBytes;
      if (rest.length <= room) {
        this.#append(rest);
        if (this.#heldBytes === this.maxBytes) this.#emitHeld(); // a full event goes out at once
        return;
      }
      const cut = utf8Boundary(rest, room);
      if (cut === 0 && this.#heldBytes > 0) {
        this.#emitHeld(); // the next character does not fit: it starts the next event
        continue;
      }
      const take = cut === 0 ? room : cut; // no character boundary at all: not UTF-8, cut anywhere
      this.#append(rest.subarray(0, take));
      rest = rest.subarray(take);
      this.#emitHeld();
    }
  }

  #append(bytes: Buffer): void {
    const needed = this.#heldBytes + bytes.length;
    if (needed > this.#held.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(needed, this.#held.length * 2, 4096)));
      this.#held.copy(grown, 0, 0, this.#heldBytes);
      this.#held = grown;
    }
    bytes.copy(this.#held, this.#heldBytes);
    this.#heldBytes = needed;
  }

  #emitHeld(): void {
    const line = this.#held.toString('utf8', 0, this.#heldBytes);
    this.#heldBytes = 0;
    // A long line's buffer is not kept for the ordinary short lines after it.
    if (this.#held.length > 16 * 1024) this.#held = Buffer.alloc(0);
    this.emit(line);
  }
}

/** The largest cut ≤ `at` that does not fall inside a UTF-8 character (0 when none does). */
function utf8Boundary(bytes: Buffer, at: number): number {
  let cut = Math.min(at, bytes.length);
  // Continuation bytes are 10xxxxxx: step back to the start of the character they belong to.
  while (cut > 0 && cut < bytes.length && (bytes[cut]! & 0xc0) === 0x80) cut -= 1;
  return cut;
}

export interface ReportFields {
  readonly requestId: string;
  readonly durationMs: number;
  readonly billedMs: number;
  readonly memorySize: number;
  readonly maxMemoryMb: number;
  readonly initMs?: number | undefined;
  /** `Status: timeout`, `Status: error\tError Type: …` on failures, as Lambda appends today. */
  readonly status?: string | undefined;
}

/**
 * Lambda's REPORT line (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html): tab-separated,
 * two decimals, Init Duration only on a cold start, each field followed by a tab.
 */
export function reportLine(f: ReportFields): string {
  let line = `REPORT RequestId: ${f.requestId}\tDuration: ${f.durationMs.toFixed(2)} ms\tBilled Duration: ${f.billedMs} ms\tMemory Size: ${f.memorySize} MB\tMax Memory Used: ${f.maxMemoryMb} MB\t`;
  if (f.initMs !== undefined) line += `Init Duration: ${f.initMs.toFixed(2)} ms\t`;
  if (f.status !== undefined) line += `${f.status}\t`;
  return line;
}

/** How a function's log is written: LoggingConfig's LogFormat and, for JSON, its SystemLogLevel. */
export interface PlatformLogFormat {
  readonly logFormat: 'Text' | 'JSON';
  /** DEBUG, INFO or WARN: platform records below it are not written (JSON only). */
  readonly systemLogLevel?: string | undefined;
}

/** What a REPORT says, in either format. */
export interface ReportRecord extends ReportFields {
  readonly outcome: string;
  readonly errorType?: string | undefined;
}

const SYSTEM_LEVELS: Readonly<Record<string, number>> = { DEBUG: 1, INFO: 2, WARN: 3 };

/** The platform.* records Lambda writes at INFO: dropped when the SystemLogLevel is above it. */
const infoRecordsShown = (f: PlatformLogFormat) => (SYSTEM_LEVELS[f.systemLogLevel ?? 'INFO'] ?? 2) <= SYSTEM_LEVELS.INFO!;

const platformRecord = (type: string, timeMs: number, record: object) => JSON.stringify({ time: new Date(timeMs).toISOString(), type, record });

/**
 * The lines that frame an invocation, in the function's format
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html): Text has
 * START, END and REPORT; JSON has platform.start and platform.report records, and no END line.
 */
export function startLine(f: PlatformLogFormat, requestId: string, version: string, timeMs: number): string | undefined {
  if (f.logFormat === 'Text') return `START RequestId: ${requestId} Version: ${version}`;
  return infoRecordsShown(f) ? platformRecord('platform.start', timeMs, { requestId, version }) : undefined;
}

export function endLine(f: PlatformLogFormat, requestId: string): string | undefined {
  return f.logFormat === 'Text' ? `END RequestId: ${requestId}` : undefined;
}

export function reportOf(f: PlatformLogFormat, r: ReportRecord, timeMs: number): string | undefined {
  if (f.logFormat === 'Text') return reportLine(r);
  if (!infoRecordsShown(f)) return undefined;
  const metrics = {
    durationMs: Number(r.durationMs.toFixed(3)),
    billedDurationMs: r.billedMs,
    memorySizeMB: r.memorySize,
    maxMemoryUsedMB: r.maxMemoryMb,
    ...(r.initMs === undefined ? {} : { initDurationMs: Number(r.initMs.toFixed(3)) }),
  };
  const status = r.outcome === 'success' ? 'success' : r.outcome === 'timeout' ? 'timeout' : 'error';
  return platformRecord('platform.report', timeMs, {
    requestId: r.requestId,
    metrics,
    status,
    ...(r.errorType === undefined || status === 'success' ? {} : { errorType: r.errorType }),
  });
}
