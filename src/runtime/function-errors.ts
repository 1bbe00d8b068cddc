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
  ) {
    super(`${errorType}: ${payload.toString('utf8')}`);
  }

  static of(errorType: PlatformErrorType, errorMessage: string): InitFailure {
    return new InitFailure(errorType, functionErrorPayload(errorType, errorMessage));
  }
}
