/**
 * AWS Lambda error types, generated from one table.
 *
 * Status codes and the body key that carries the message (`message` or `Message`) follow the
 * botocore service model (`error.httpStatusCode` of each shape); the unmodelled ones
 * (ValidationException, the SigV4 family, RequestEntityTooLargeException, RequestTimeoutException) follow what AWS was
 * recorded sending. Only the API layer serialises these; everything below throws them.
 */

export type ErrorFault = 'User' | 'Service';

interface ErrorSpec {
  readonly status: number;
  readonly fault: ErrorFault;
  /** The JSON key AWS uses for the message in this error's body. */
  readonly messageKey: 'message' | 'Message';
  /** Whether the body carries `Type` (modelled Lambda errors do; the SigV4 family does not). */
  readonly typed: boolean;
}

export const AWS_ERRORS = {
  ResourceNotFoundException: { status: 404, fault: 'User', messageKey: 'Message', typed: true },
  ResourceConflictException: { status: 409, fault: 'User', messageKey: 'message', typed: true },
  ResourceInUseException: { status: 400, fault: 'User', messageKey: 'Message', typed: true },
  InvalidParameterValueException: { status: 400, fault: 'User', messageKey: 'message', typed: true },
  InvalidRequestContentException: { status: 400, fault: 'User', messageKey: 'message', typed: true },
  ValidationException: { status: 400, fault: 'User', messageKey: 'message', typed: false },
  TooManyRequestsException: { status: 429, fault: 'User', messageKey: 'message', typed: true },
  ProvisionedConcurrencyConfigNotFoundException: { status: 404, fault: 'User', messageKey: 'message', typed: true },
  RequestEntityTooLargeException: { status: 413, fault: 'User', messageKey: 'message', typed: true },
  UnsupportedMediaTypeException: { status: 415, fault: 'User', messageKey: 'message', typed: true },
  PreconditionFailedException: { status: 412, fault: 'User', messageKey: 'message', typed: true },
  PolicyLengthExceededException: { status: 400, fault: 'User', messageKey: 'message', typed: true },
  CodeStorageExceededException: { status: 400, fault: 'User', messageKey: 'message', typed: true },
  ServiceException: { status: 500, fault: 'Service', messageKey: 'Message', typed: true },
  ResourceNotReadyException: { status: 502, fault: 'Service', messageKey: 'message', typed: true },
  UnrecognizedClientException: { status: 403, fault: 'User', messageKey: 'message', typed: false },
  InvalidSignatureException: { status: 403, fault: 'User', messageKey: 'message', typed: false },
  IncompleteSignatureException: { status: 403, fault: 'User', messageKey: 'message', typed: false },
  MissingAuthenticationTokenException: { status: 403, fault: 'User', messageKey: 'message', typed: false },
  AccessDeniedException: { status: 403, fault: 'User', messageKey: 'Message', typed: false },
  ExpiredTokenException: { status: 403, fault: 'User', messageKey: 'message', typed: false },
  UnknownOperationException: { status: 404, fault: 'User', messageKey: 'message', typed: false },
  RequestTimeoutException: { status: 408, fault: 'User', messageKey: 'message', typed: false },
  // IAM and STS (AWS Query protocol: the code as the XML error's <Code>, the status as IAM answers it).
  NoSuchEntity: { status: 404, fault: 'User', messageKey: 'Message', typed: true },
  EntityAlreadyExists: { status: 409, fault: 'User', messageKey: 'Message', typed: true },
  DeleteConflict: { status: 409, fault: 'User', messageKey: 'Message', typed: true },
  MalformedPolicyDocument: { status: 400, fault: 'User', messageKey: 'Message', typed: true },
  ValidationError: { status: 400, fault: 'User', messageKey: 'Message', typed: true },
  InvalidAction: { status: 400, fault: 'User', messageKey: 'Message', typed: true },
  LimitExceeded: { status: 409, fault: 'User', messageKey: 'Message', typed: true },
  // EventBridge and EventBridge Scheduler (their service models; EventBridge answers its errors with 400).
  ConflictException: { status: 409, fault: 'User', messageKey: 'Message', typed: false },
  LimitExceededException: { status: 400, fault: 'User', messageKey: 'message', typed: false },
  // CloudWatch Logs (JSON 1.1, answered with 400 like EventBridge).
  InvalidParameterException: { status: 400, fault: 'User', messageKey: 'message', typed: false },
  // CloudWatch (its service model's shape names; each has a Query code, sent as x-amzn-query-error too).
  MissingRequiredParameterException: { status: 400, fault: 'User', messageKey: 'message', typed: false },
  InvalidParameterCombinationException: { status: 400, fault: 'User', messageKey: 'message', typed: false },
  InvalidNextToken: { status: 400, fault: 'User', messageKey: 'message', typed: false },
} as const satisfies Record<string, ErrorSpec>;

export type AwsErrorCode = keyof typeof AWS_ERRORS;

/** An error that reaches the caller as an AWS error response. */
export class AwsError extends Error {
  readonly code: AwsErrorCode;
  readonly status: number;
  readonly fault: ErrorFault;
  /** Extra modelled members for the body, e.g. `Reason` on TooManyRequestsException. */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;

  /** Some of Lambda's answers leave `Type` out of a body that usually has it (as recorded from AWS). */
  readonly untyped: boolean;

  constructor(code: AwsErrorCode, message: string, options: { extra?: Record<string, unknown>; headers?: Record<string, string>; untyped?: boolean } = {}) {
    super(message);
    const spec: ErrorSpec = AWS_ERRORS[code];
    this.name = code;
    this.code = code;
    this.status = spec.status;
    this.fault = spec.fault;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
    this.untyped = options.untyped === true;
  }

  /** The JSON body AWS sends for this error. */
  toBody(): Record<string, unknown> {
    const spec: ErrorSpec = AWS_ERRORS[this.code];
    const body: Record<string, unknown> = {};
    if (spec.typed && !this.untyped) body.Type = this.fault;
    body[spec.messageKey] = this.message;
    return { ...body, ...this.extra };
  }
}

/**
 * A caller's value as an error message shows it: JSON, cut at 256 characters. Never throws — a value
 * nested too deep for JSON.stringify's stack is shown by its kind — so a hostile body cannot turn a 400
 * into a 500.
 */
export function shownValue(value: unknown, max = 256): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? '[…]' : typeof value === 'object' && value !== null ? '{…}' : String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export const resourceNotFound = (message: string) => new AwsError('ResourceNotFoundException', message);
export const invalidParameter = (message: string) => new AwsError('InvalidParameterValueException', message);
export const resourceConflict = (message: string) => new AwsError('ResourceConflictException', message);

/**
 * AWS's ValidationException wording: "1 validation error detected: Value 'x' at 'memorySize' failed to
 * satisfy constraint: Member must have value less than or equal to 10240".
 */
export function validationError(field: string, value: unknown, constraint: string, code: AwsErrorCode = 'ValidationException'): AwsError {
  const shown = typeof value === 'string' ? value : shownValue(value);
  return new AwsError(code, `1 validation error detected: Value '${shown}' at '${field}' failed to satisfy constraint: ${constraint}`);
}

/** A number within AWS's bounds, or the ValidationException AWS sends for it. */
export function checkRange(field: string, value: number, min: number, max: number, code: AwsErrorCode = 'ValidationException'): number {
  if (value < min) throw validationError(field, value, `Member must have value greater than or equal to ${min}`, code);
  if (value > max) throw validationError(field, value, `Member must have value less than or equal to ${max}`, code);
  return value;
}
