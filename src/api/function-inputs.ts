import { invalidParameter, validationError } from '../core/index.js';
import type { CreateFunctionInput, FunctionSettings, PublishVersionInput, UpdateCodeInput, UpdateConfigurationInput } from '../control/index.js';
import { expectInteger, expectObject, expectString, expectStringMap, optional, refuseUnsupported, required, type Body } from './wire.js';

/** CreateFunction, UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion bodies, read into the registry's inputs. */

/** Parameters AWS accepts that selfless cannot honour yet; each is refused by name when set. */
const UNSUPPORTED_CONFIG = ['VpcConfig', 'Layers', 'KMSKeyArn', 'DeadLetterConfig', 'FileSystemConfigs', 'ImageConfig', 'CodeSigningConfigArn'] as const;

export function createFunctionInput(body: Body): CreateFunctionInput {
  const functionName = expectString('FunctionName', required(body, 'FunctionName'));
  refuseCommon(body);
  if (body.PackageType !== undefined && body.PackageType !== 'Zip') {
    throw invalidParameter('PackageType Image (container images) is not supported by selfless yet.');
  }
  const role = expectString('Role', required(body, 'Role'));
  return {
    functionName,
    role,
    runtime: optional(body, 'Runtime', expectString),
    handler: optional(body, 'Handler', expectString),
    zip: zipFromCode(required(body, 'Code')),
    architectures: optional(body, 'Architectures', architectures),
    tags: optional(body, 'Tags', expectStringMap),
    ...settings(body),
  };
}

export function updateConfigurationInput(body: Body): UpdateConfigurationInput {
  const revisionId = optional(body, 'RevisionId', expectString);
  refuseCommon(body);
  return {
    revisionId,
    role: optional(body, 'Role', expectString),
    runtime: optional(body, 'Runtime', expectString),
    handler: optional(body, 'Handler', expectString),
    ...settings(body),
  };
}

export function updateCodeInput(body: Body): UpdateCodeInput {
  const revisionId = optional(body, 'RevisionId', expectString);
  if (body.S3Bucket !== undefined || body.S3Key !== undefined || body.S3ObjectVersion !== undefined) {
    throw invalidParameter('Code from S3 (S3Bucket/S3Key) is not supported by selfless yet: upload the zip with ZipFile.');
  }
  if (body.ImageUri !== undefined) throw invalidParameter('ImageUri (container images) is not supported by selfless yet.');
  if (body.ZipFile === undefined) throw invalidParameter('Please provide a source for function code.');
  return { revisionId, zip: decodeZip(body.ZipFile), architectures: optional(body, 'Architectures', architectures), dryRun: body.DryRun === true };
}

export function publishVersionInput(body: Body): PublishVersionInput {
  return {
    revisionId: optional(body, 'RevisionId', expectString),
    codeSha256: optional(body, 'CodeSha256', expectString),
    description: optional(body, 'Description', expectString),
  };
}

/** The settings CreateFunction and UpdateFunctionConfiguration share. */
function settings(body: Body): FunctionSettings {
  return {
    description: optional(body, 'Description', expectString),
    timeout: optional(body, 'Timeout', expectInteger),
    memorySize: optional(body, 'MemorySize', expectInteger),
    environment: optional(body, 'Environment', (field, value) => {
      const variables = expectObject(field, value).Variables ?? {};
      return expectStringMap('Environment.Variables', variables);
    }),
    ephemeralStorageMb: optional(body, 'EphemeralStorage', (field, value) => expectInteger('EphemeralStorage.Size', expectObject(field, value).Size)),
    ...loggingConfig(body),
  };
}

function refuseCommon(body: Body): void {
  refuseUnsupported(body, UNSUPPORTED_CONFIG);
  const tracing = body.TracingConfig === undefined ? undefined : expectObject('TracingConfig', body.TracingConfig).Mode;
  if (tracing !== undefined && tracing !== 'PassThrough') throw invalidParameter('TracingConfig Mode Active (X-Ray) is not supported by selfless yet.');
  const snapStart = body.SnapStart === undefined ? undefined : expectObject('SnapStart', body.SnapStart).ApplyOn;
  if (snapStart !== undefined && snapStart !== 'None') throw invalidParameter('SnapStart is not supported by selfless yet.');
}

/** Architectures: a list of (at most) one enum value; which one the registry decides. */
function architectures(_field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length !== 1) throw validationError('architectures', value, 'Member must have length less than or equal to 1');
  if (typeof value[0] !== 'string') {
    throw validationError('architectures', value, 'Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]');
  }
  return value as string[];
}

/** LoggingConfig's members as given (the model has checked their enums); the control plane combines them. */
function loggingConfig(body: Body): Pick<FunctionSettings, 'logGroup' | 'logFormat' | 'applicationLogLevel' | 'systemLogLevel'> {
  const config = optional(body, 'LoggingConfig', expectObject);
  if (config === undefined) return {};
  const logFormat = optional(config, 'LogFormat', expectString) as 'Text' | 'JSON' | undefined;
  const logGroup = optional(config, 'LogGroup', expectString);
  const applicationLogLevel = optional(config, 'ApplicationLogLevel', expectString);
  const systemLogLevel = optional(config, 'SystemLogLevel', expectString);
  return {
    ...(logGroup === undefined ? {} : { logGroup }),
    ...(logFormat === undefined ? {} : { logFormat }),
    ...(applicationLogLevel === undefined ? {} : { applicationLogLevel }),
    ...(systemLogLevel === undefined ? {} : { systemLogLevel }),
  };
}

function zipFromCode(code: unknown): Buffer {
  const fields = expectObject('Code', code);
  if (fields.ImageUri !== undefined) throw invalidParameter('ImageUri (container images) is not supported by selfless yet.');
  if (fields.S3Bucket !== undefined || fields.S3Key !== undefined) {
    throw invalidParameter('Code from S3 (S3Bucket/S3Key) is not supported by selfless yet: upload the zip with ZipFile.');
  }
  if (fields.ZipFile === undefined) throw invalidParameter('Please provide a source for function code.');
  return decodeZip(fields.ZipFile);
}

/** ZipFile travels base64 inside the JSON body; a body that is not base64 cannot be a zip. */
function decodeZip(value: unknown): Buffer {
  const text = expectString('ZipFile', value);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw invalidParameter('Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
  return Buffer.from(text, 'base64');
}
