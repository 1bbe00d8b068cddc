/**
 * Exit codes are part of the CLI's contract: scripts branch on them, so every failure maps to
 * exactly one of these and nothing else ever leaves the process.
 */
export const EXIT = {
  ok: 0,
  /** The function returned an error, or the server answered with one. */
  failed: 1,
  usage: 2,
  /** No server to talk to, or nothing to sign requests with. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure whose message is already written for the user. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** An error the server sent back, named by its AWS error code as the SDK names its exceptions. */
export class ServerError extends Error {
  constructor(
    code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

// Socket-level failures: the request never got an HTTP answer.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** The network error code behind an SDK or fetch failure, if that is what it was. */
export function networkErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    // Node 20 reports a refused localhost connection as an AggregateError over its ::1 and 127.0.0.1 attempts.
    const inner = (e as { errors?: unknown[] }).errors?.[0];
    e = inner ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the error came with an HTTP answer from the server (SDK service exceptions, our own fetch). */
function answeredByServer(error: unknown): boolean {
  if (error instanceof ServerError) return true;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number';
}

/** What to print (after `error: `) and which exit code to use for any failure of a command. */
export function describeFailure(error: unknown, endpoint?: string): { message: string; exitCode: ExitCode } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  const network = networkErrorCode(error);
  if (network !== undefined && !answeredByServer(error)) {
    return {
      message: `cannot reach selfless at ${endpoint ?? 'the endpoint'} (${network}). Is \`selfless serve\` running? Point the CLI at it with --endpoint-url or SELFLESS_ENDPOINT.`,
      exitCode: EXIT.unreachable,
    };
  }
  if (error instanceof Error) {
    let message = `${error.name}: ${error.message}`;
    if (error.name === 'UnrecognizedClientException' || error.name === 'InvalidSignatureException') {
      message += '\nThe server does not accept these credentials: check SELFLESS_ACCESS_KEY_ID / SELFLESS_SECRET_ACCESS_KEY or --data-dir.';
    }
    return { message, exitCode: EXIT.failed };
  }
  return { message: String(error), exitCode: EXIT.failed };
}
