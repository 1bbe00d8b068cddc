/**
 * The error types the platform itself reports for a function, in Lambda's words. (A runtime reports its
 * own as well, `Runtime.ImportModuleError` say, which pass through untouched.)
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-retries.html and the Runtime API's error types.
 */
export const PLATFORM_ERROR_TYPES = {
  /** The runtime process ended without answering (or before its init finished). */
  'Runtime.ExitError': 'the runtime exited',
  /** The runtime was killed over its memory limit. */
  'Runtime.OutOfMemory': 'the runtime ran out of memory',
  /** The entrypoint could not be run (a `provided` function's bootstrap missing or not executable). */
  'Runtime.InvalidEntrypoint': 'the entrypoint could not be run',
  /** What a runtime reported could not be read (too large), or the platform failed to start it. */
  'Runtime.Unknown': 'an unknown runtime error',
  /** The invocation or the init ran past its timeout. */
  'Sandbox.Timedout': 'the function timed out',
  /** The runtime answered in a response mode other than Lambda's (`Lambda-Runtime-Function-Response-Mode: streaming`). */
  'Runtime.InvalidResponseModeHeader': 'the runtime sent an unknown response mode',
  /** The function's response was over the 6 MB limit (200 MB streamed). */
  'Function.ResponseSizeTooLarge': 'the response was too large',
} as const;

export type PlatformErrorType = keyof typeof PLATFORM_ERROR_TYPES;

/** The payload Lambda answers a failed invocation with: `{"errorType": ..., "errorMessage": ...}`, as bytes. */
export function functionErrorPayload(errorType: PlatformErrorType, errorMessage: string): Buffer {
  return Buffer.from(JSON.stringify({ errorType, errorMessage }));
}

/** An environment that failed to become ready, with the error its first invocation answers. */
export class InitFailure extends Error {
  constructor(
    readonly errorType: string,
    readonly payload: Buffer,
    /** Said of the invocation it fails, as Lambda says a runtime's exit: `RequestId: <id> Error: <message>`. */
    private readonly perRequest?: { readonly errorType: PlatformErrorType; readonly errorMessage: string },
  ) {
    super(`${errorType}: ${payload.toString('utf8')}`);
  }

  static of(errorType: PlatformErrorType, errorMessage: string): InitFailure {
    return new InitFailure(errorType, functionErrorPayload(errorType, errorMessage));
  }

  /** A failure each invocation it fails reports under its own request id. */
  static ofRequest(errorType: PlatformErrorType, errorMessage: string): InitFailure {
    return new InitFailure(errorType, functionErrorPayload(errorType, errorMessage), { errorType, errorMessage });
  }

  /** The payload the invocation `requestId` answers with. */
  payloadFor(requestId: string): Buffer {
    if (this.perRequest === undefined) return this.payload;
    return functionErrorPayload(this.perRequest.errorType, `RequestId: ${requestId} Error: ${this.perRequest.errorMessage}`);
  }
}

/** How Lambda words a runtime's exit: a clean exit gave no reason; anything else is an error. */
export function exitMessage(reason: string): string {
  return reason === 'exit status 0' ? 'Runtime exited without providing a reason' : `Runtime exited with error: ${reason}`;
}
