import { randomBytes } from 'node:crypto';
import {
  AwsError,
  checkRange,
  compositeKey,
  pageAfter,
  parseFunctionName,
  resolveQualifier,
  resourceNotFound,
  validationError,
  functionArn,
  type Clock,
  type FunctionUrlCors,
  type FunctionUrlRecord,
  type Partition,
} from '../core/index.js';
import type { ControlStore } from '../store/index.js';
import type { AliasRegistry } from './aliases.js';
import type { FunctionRegistry } from './registry.js';

/** CreateFunctionUrlConfig / UpdateFunctionUrlConfig's members, typed (api/ reads them from the wire shape). */
export interface FunctionUrlInput {
  readonly authType?: string;
  readonly invokeMode?: string;
  /** Cors as given; on update, `null` (or `{}`) clears it. */
  readonly cors?: FunctionUrlCors | null;
}

const AUTH_TYPES = ['NONE', 'AWS_IAM'] as const;
const INVOKE_MODES = ['BUFFERED', 'RESPONSE_STREAM'] as const;
/** The service model's FunctionUrlQualifier: an alias name, never a version number nor `$LATEST`. */
const QUALIFIER = /^(?!\d+$)[0-9a-zA-Z_-]{1,128}$/;
const QUALIFIER_PATTERN = '((?!^\\d+$)^[0-9a-zA-Z-_]+$)';
const URL_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

const key = (functionName: string, qualifier: string) => compositeKey(functionName, qualifier);

/**
 * Function URLs' configurations (Create/Get/Update/Delete/ListFunctionUrlConfig): one per function
 * (unqualified) and per alias, validated as Lambda does, stored, and held in memory by URL id too,
 * since every request to a URL looks its configuration up by host name.
 */
export class FunctionUrls {
  readonly #byTarget = new Map<string, FunctionUrlRecord>();
  readonly #byId = new Map<string, FunctionUrlRecord>();

  constructor(
    private readonly store: ControlStore,
    private readonly registry: FunctionRegistry,
    private readonly aliases: AliasRegistry,
    private readonly partition: Partition,
    private readonly clock: Clock,
  ) {}

  async load(): Promise<void> {
    for (const record of await this.store.listFunctionUrls()) this.#remember(record);
  }

  /** The URL a request's host names, if any. */
  byId(urlId: string): FunctionUrlRecord | undefined {
    return this.#byId.get(urlId);
  }

  /** A deleted function took its URLs with it (the store dropped them in the same commit). */
  forgetFunction(functionName: string): void {
    for (const record of [...this.#byTarget.values()]) if (record.functionName === functionName) this.#forget(record);
  }

  /** A deleted alias takes its URL with it, as on AWS. */
  async forgetQualifier(functionName: string, qualifier: string): Promise<void> {
    const record = this.#byTarget.get(key(functionName, qualifier));
    if (record === undefined) return;
    await this.store.deleteFunctionUrl(functionName, qualifier);
    this.#forget(record);
  }

  async create(nameParam: string, queryQualifier: string | undefined, input: FunctionUrlInput): Promise<FunctionUrlRecord> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier, functionMissing);
    const authType = checkAuthType(input.authType);
    if (authType === undefined) throw validationError('authType', 'null', 'Member must not be null');
    const invokeMode = checkInvokeMode(input.invokeMode) ?? 'BUFFERED';
    const cors = input.cors === undefined || input.cors === null ? undefined : checkCors(input.cors);
    if (this.#byTarget.has(key(name, qualifier))) {
      throw new AwsError(
        'ResourceConflictException',
        `Failed to create function url config for [functionArn = ${this.#arn(name, qualifier)}]. Error message:  FunctionUrlConfig exists for this Lambda function`,
      );
    }
    const now = urlTimestamp(this.clock.now());
    const record: FunctionUrlRecord = {
      functionName: name,
      qualifier,
      urlId: this.#newUrlId(),
      authType,
      invokeMode,
      ...(cors === undefined ? {} : { cors }),
      creationTime: now,
      lastModifiedTime: now,
    };
    await this.#save(record);
    return record;
  }

  get(nameParam: string, queryQualifier: string | undefined): FunctionUrlRecord {
    const { name, qualifier } = this.#target(nameParam, queryQualifier, configMissing);
    return this.#require(name, qualifier);
  }

  async update(nameParam: string, queryQualifier: string | undefined, input: FunctionUrlInput): Promise<FunctionUrlRecord> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier, functionMissing);
    const authType = checkAuthType(input.authType);
    const invokeMode = checkInvokeMode(input.invokeMode);
    const cors = input.cors === undefined ? undefined : input.cors === null ? null : checkCors(input.cors);
    const current = this.#require(name, qualifier);
    const { cors: oldCors, ...rest } = current;
    const keptCors = cors === undefined ? oldCors : cors === null || Object.keys(cors).length === 0 ? undefined : cors;
    const record: FunctionUrlRecord = {
      ...rest,
      ...(authType === undefined ? {} : { authType }),
      ...(invokeMode === undefined ? {} : { invokeMode }),
      ...(keptCors === undefined ? {} : { cors: keptCors }),
      lastModifiedTime: urlTimestamp(this.clock.now()),
    };
    await this.#save(record);
    return record;
  }

  async delete(nameParam: string, queryQualifier: string | undefined): Promise<void> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier, configMissing);
    const record = this.#require(name, qualifier);
    await this.store.deleteFunctionUrl(name, qualifier);
    this.#forget(record);
  }

  list(nameParam: string, marker: string | undefined, maxItems: number): { configs: FunctionUrlRecord[]; nextMarker?: string } {
    const { name } = this.#target(nameParam, undefined, functionMissing);
    const all = [...this.#byTarget.values()].filter((r) => r.functionName === name);
    const { items: configs, nextMarker } = pageAfter(all, (r) => r.qualifier, marker, maxItems);
    return nextMarker === undefined ? { configs } : { configs, nextMarker };
  }

  /** The function ARN a URL's configuration reports: unqualified, or qualified with its alias. */
  functionArnOf(record: FunctionUrlRecord): string {
    return this.#arn(record.functionName, record.qualifier);
  }

  #arn(name: string, qualifier: string): string {
    return functionArn(this.partition, name, qualifier === '' ? undefined : qualifier);
  }

  /**
   * The function and alias a request names: the function must exist, and the alias too, or it is
   * `missing`'s error (AWS words it per operation).
   */
  #target(nameParam: string, queryQualifier: string | undefined, missing: () => AwsError): { name: string; qualifier: string } {
    const ref = parseFunctionName(nameParam, this.partition, 140);
    const qualifier = resolveQualifier(ref, queryQualifier);
    if (qualifier !== undefined && !QUALIFIER.test(qualifier)) {
      throw validationError('qualifier', qualifier, `Member must satisfy regular expression pattern: ${QUALIFIER_PATTERN}`);
    }
    if (this.registry.cached(ref.name) === undefined) throw missing();
    if (qualifier === undefined) return { name: ref.name, qualifier: '' };
    if (this.aliases.get(ref.name, qualifier) === undefined) throw missing();
    return { name: ref.name, qualifier };
  }

  #require(name: string, qualifier: string): FunctionUrlRecord {
    const record = this.#byTarget.get(key(name, qualifier));
    if (record === undefined) throw configMissing();
    return record;
  }

  async #save(record: FunctionUrlRecord): Promise<void> {
    await this.store.putFunctionUrl(record);
    // The function may have been deleted meanwhile: the store then kept nothing, and neither does memory.
    if (this.registry.cached(record.functionName) === undefined) return;
    this.#remember(record);
  }

  #remember(record: FunctionUrlRecord): void {
    this.#byTarget.set(key(record.functionName, record.qualifier), record);
    this.#byId.set(record.urlId, record);
  }

  #forget(record: FunctionUrlRecord): void {
    this.#byTarget.delete(key(record.functionName, record.qualifier));
    this.#byId.delete(record.urlId);
  }

  #newUrlId(): string {
    for (;;) {
      const bytes = randomBytes(32);
      // 36 letters and digits from bytes: the slight bias of the modulo does not matter for a name.
      const id = Array.from(bytes, (b) => URL_ID_ALPHABET[b % URL_ID_ALPHABET.length]).join('');
      if (!this.#byId.has(id)) return id;
    }
  }
}

/** Create, Update and List: the function (or alias) is not there. */
function functionMissing(): AwsError {
  return resourceNotFound('Function does not exist');
}

/** Get and Delete: whatever is missing, the configuration is. */
function configMissing(): AwsError {
  return resourceNotFound('The resource you requested does not exist.');
}

function checkAuthType(value: string | undefined): FunctionUrlRecord['authType'] | undefined {
  if (value === undefined) return undefined;
  if (!(AUTH_TYPES as readonly string[]).includes(value)) {
    throw validationError('authType', value, `Member must satisfy enum value set: [${AUTH_TYPES.join(', ')}]`);
  }
  return value as FunctionUrlRecord['authType'];
}

function checkInvokeMode(value: string | undefined): FunctionUrlRecord['invokeMode'] | undefined {
  if (value === undefined) return undefined;
  if (!(INVOKE_MODES as readonly string[]).includes(value)) {
    throw validationError('invokeMode', value, `Member must satisfy enum value set: [${INVOKE_MODES.join(', ')}]`);
  }
  return value as FunctionUrlRecord['invokeMode'];
}

/** The service model's limits on Cors members; the values are kept as given. */
function checkCors(cors: FunctionUrlCors): FunctionUrlCors {
  const list = (field: string, values: readonly string[] | undefined, maxItems: number, maxLength: number, minLength = 0) => {
    if (values === undefined) return;
    if (values.length > maxItems) throw validationError(`cors.${field}`, values, `Member must have length less than or equal to ${maxItems}`);
    for (const value of values) {
      if (value.length > maxLength || value.length < minLength) {
        const bound = value.length > maxLength ? `less than or equal to ${maxLength}` : `greater than or equal to ${minLength}`;
        throw validationError(`cors.${field}.member`, value, `Member must have length ${bound}`);
      }
    }
  };
  list('allowHeaders', cors.allowHeaders, 100, 1024);
  list('exposeHeaders', cors.exposeHeaders, 100, 1024);
  list('allowMethods', cors.allowMethods, 6, 6);
  list('allowOrigins', cors.allowOrigins, 100, 253, 1);
  if (cors.maxAge !== undefined) checkRange('cors.maxAge', cors.maxAge, 0, 86_400);
  return cors;
}

/** CreationTime / LastModifiedTime as Lambda writes a URL's: `2021-11-08T19:07:41.654146Z`. */
function urlTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}
