/**
 * What the function registry takes: the fields of Lambda's requests, typed (api/ reads them from AWS's
 * wire shapes and checks their JSON types), their values not yet checked against Lambda's rules, which
 * are the registry's. Absent means "not set": a default on create, unchanged on update.
 */

export interface FunctionSettings {
  readonly description?: string;
  readonly timeout?: number;
  readonly memorySize?: number;
  /** Environment.Variables. */
  readonly environment?: Readonly<Record<string, string>>;
  /** EphemeralStorage.Size. */
  readonly ephemeralStorageMb?: number;
  /** LoggingConfig.LogGroup. */
  readonly logGroup?: string;
  /** LoggingConfig.LogFormat and its levels (JSON only). */
  readonly logFormat?: 'Text' | 'JSON';
  readonly applicationLogLevel?: string;
  readonly systemLogLevel?: string;
}

export interface CreateFunctionInput extends FunctionSettings {
  /** A name, partial ARN or ARN, as FunctionName allows. */
  readonly functionName: string;
  readonly role: string;
  readonly runtime?: string;
  readonly handler?: string;
  /** Code.ZipFile, decoded. */
  readonly zip: Buffer;
  readonly architectures?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
}

export interface UpdateConfigurationInput extends FunctionSettings {
  /** Only if the function is still at this revision. */
  readonly revisionId?: string;
  readonly role?: string;
  readonly runtime?: string;
  readonly handler?: string;
}

export interface UpdateCodeInput {
  readonly revisionId?: string;
  readonly zip: Buffer;
  readonly architectures?: readonly string[];
  /** Validate the package and answer as if updated, changing nothing. */
  readonly dryRun?: boolean;
}

export interface PublishVersionInput {
  readonly revisionId?: string;
  /** Only if $LATEST's code is this package (base64 SHA-256, as Lambda shows it). */
  readonly codeSha256?: string;
  readonly description?: string;
}
