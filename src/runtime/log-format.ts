/** Splits a stream of text into lines, holding a partial line until its end arrives. */
export class LogLineSplitter {
  #partial = '';

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: string): void {
    const text = this.#partial + chunk;
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.emit(line);
  }

  flush(): void {
    if (this.#partial !== '') this.emit(this.#partial);
    this.#partial = '';
  }
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
