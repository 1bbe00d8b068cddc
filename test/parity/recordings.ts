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
}

export interface RecordedLine extends Recording {
  /** `test#key`, unique: how scenarios are named in the report and in the tables of marked ones. */
  readonly id: string;
}

export function loadRecordings(): RecordedLine[] {
  const text = readFileSync(new URL('../../../test/parity/aws-recorded-errors.jsonl', import.meta.url), 'utf8');
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
