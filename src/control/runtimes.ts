import { Runtime } from '@aws-sdk/client-lambda';
import { AwsError, invalidParameter } from '../core/index.js';

/** A runtime selfless can run: which language and which major version of its interpreter. */
export interface RuntimeSpec {
  readonly id: string;
  readonly family: 'nodejs' | 'python' | 'provided';
  /** The interpreter's major version (Node), absent for OS-only runtimes. */
  readonly major?: number;
  /** The exact interpreter version a Python runtime needs, e.g. `3.12`. */
  readonly pythonVersion?: string;
  /** Set for runtimes AWS has deprecated: creation and update are refused unless the operator allows them. */
  readonly deprecated?: { readonly blockCreate: string; readonly blockUpdate: string };
}

/**
 * Lambda's current Node, Python and OS-only runtimes, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html :
 * nodejs20.x is deprecated (creation blocked from 2026-08-31, updates from 2026-09-30).
 */
const RUNTIMES: ReadonlyMap<string, RuntimeSpec> = new Map(
  (
    [
      { id: 'nodejs24.x', family: 'nodejs', major: 24 },
      { id: 'nodejs22.x', family: 'nodejs', major: 22 },
      { id: 'nodejs20.x', family: 'nodejs', major: 20, deprecated: { blockCreate: '2026-08-31', blockUpdate: '2026-09-30' } },
      ...['3.14', '3.13', '3.12', '3.11', '3.10'].map((v) => ({ id: `python${v}`, family: 'python' as const, pythonVersion: v })),
      // OS-only runtimes: the zip's executable `bootstrap` drives the Runtime API itself.
      { id: 'provided.al2023', family: 'provided' },
      { id: 'provided.al2', family: 'provided' },
    ] satisfies RuntimeSpec[]
  ).map((r) => [r.id, r]),
);

/** Runtimes AWS retired before the ones above; refused outright, as AWS does. */
const RETIRED =
  /^(nodejs(4\.3(-edge)?|6\.10|8\.10|10\.x|12\.x|14\.x|16\.x|18\.x)?|python(2\.7|3\.[6-9])|dotnetcore.*|dotnet6|ruby2\..*|java8|go1\.x|provided)$/;

const KNOWN_RUNTIMES: readonly string[] = Object.values(Runtime);

/**
 * The runtimes AWS lists when it refuses an unknown one, in the order it lists them (a set's order, as
 * recorded from AWS in November 2025: test/parity/aws-recorded-errors.jsonl). It is Lambda's own check,
 * an InvalidParameterValueException, not the model's enum.
 */
const AWS_RUNTIME_SET: readonly string[] = [
  'nodejs20.x',
  'python3.14',
  'provided.al2023',
  'python3.12',
  'python3.13',
  'nodejs24.x',
  'nodejs22.x',
  'java25',
  'python3.10',
  'python3.11',
  'java21',
  'ruby3.3',
  'ruby3.4',
  'ruby3.2',
  'python3.8',
  'python3.9',
  'java17',
  'nodejs16.x',
  'dotnet10',
  'dotnet8',
  'java11',
  'dotnet6',
  'nodejs18.x',
  'provided.al2',
  'java8.al2',
];

export const SUPPORTED_RUNTIMES: readonly string[] = [...RUNTIMES.keys()];

export function deprecatedRuntimeMessage(runtime: string): string {
  return `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`;
}

/**
 * Checks a Runtime parameter of a create or an update and returns what runs it.
 * Never accepts a runtime it cannot honour.
 */
export function resolveRuntime(runtime: string, options: { allowDeprecated: boolean }): RuntimeSpec {
  if (!KNOWN_RUNTIMES.includes(runtime)) {
    throw invalidParameter(
      `Value ${runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${AWS_RUNTIME_SET.join(', ')}] or be a valid ARN`,
    );
  }
  if (RETIRED.test(runtime)) throw invalidParameter(deprecatedRuntimeMessage(runtime));
  const spec = RUNTIMES.get(runtime);
  if (spec === undefined) {
    throw invalidParameter(
      `The runtime ${runtime} is not supported by selfless yet. Supported runtimes: ${SUPPORTED_RUNTIMES.filter((r) => !RUNTIMES.get(r)?.deprecated).join(', ')}.`,
    );
  }
  if (spec.deprecated && !options.allowDeprecated) {
    throw new AwsError('InvalidParameterValueException', deprecatedRuntimeMessage(runtime));
  }
  return spec;
}

export function runtimeSpec(runtime: string): RuntimeSpec | undefined {
  return RUNTIMES.get(runtime);
}
