import { readFileSync } from 'node:fs';

/** One line of aws-recorded-errors.jsonl: a request and what real AWS Lambda answered (see README.md). */
export interface Recording {
  readonly kind: 'error' | 'success';
  readonly test: string;
  readonly key: string | null;
  readonly operation: string | null;
  readonly request: Record<string, unknown>;
  readonly requestNote?: string;
  readonly note?: string;
  readonly status: number | null;
  readonly code?: string;
  readonly message?: string | null;
  /** The 'Value … failed to satisfy constraint' clauses of a many-error answer whose order AWS's recording lost. */
  readonly errors?: readonly string[] | null;
  readonly bodyKeys: readonly string[] | null;
  readonly stale?: boolean;
  readonly statusInferred?: boolean;
  readonly messageReconstructed?: boolean;
  /** Invoke answers (aws-recorded-invoke.jsonl): the X-Amz-Function-Error and X-Amz-Executed-Version headers, null when absent. */
  readonly functionError?: string | null;
  readonly executedVersion?: string | null;
  /** Whether X-Amz-Log-Result was there. */
  readonly logResult?: boolean;
  /** The answer's payload, parsed, with the recording's placeholders; `payloadRaw` when it is not an object. */
  readonly payload?: unknown;
  readonly payloadRaw?: string | null;
  /** A throttle's Reason member. */
  readonly reason?: string;
}

export interface RecordedLine extends Recording {
  /** `test#key`, unique: how scenarios are named in the report and in the tables of marked ones. */
  readonly id: string;
}

/** The recordings' files: the API's errors and shapes, then invocations and the reads the first left out. */
const FILES = ['aws-recorded-errors.jsonl', 'aws-recorded-invoke.jsonl'];

export function loadRecordings(): RecordedLine[] {
  const text = FILES.map((file) => readFileSync(new URL(`../../../test/parity/${file}`, import.meta.url), 'utf8')).join('\n');
  const seen = new Map<string, number>();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const recording = JSON.parse(line) as Recording;
      const base = `${recording.test.replace(/^Test\w+::/, '')}#${recording.key ?? recording.operation ?? 'unnamed'}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      return { ...recording, id: n === 1 ? base : `${base}~${n}` };
    });
}
