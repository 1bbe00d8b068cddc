import {
  pageAfter,
  AwsError,
  checkRange,
  invalidParameter,
  newRevisionId,
  parseFunctionName,
  resolveQualifier,
  checkNewFunctionName,
  resourceConflict,
  resourceNotFound,
  functionArn,
  type Clock,
  type FunctionRecord,
  type Partition,
} from '../core/index.js';
import type { ControlStore } from '../store/index.js';
import type { ChangeFeed } from './changes.js';
import { codeSha256Base64, type CodeRepository } from './code-store.js';
import { validateZip } from './code-package.js';
import { Mutex } from '../core/index.js';
import { resolveRuntime, type RuntimeSpec } from './runtimes.js';
import type { CreateFunctionInput, FunctionSettings, PublishVersionInput, UpdateCodeInput, UpdateConfigurationInput } from './function-inputs.js';
import { checkArchitectures, checkEnvironment, checkMemory, checkTags, checkTimeout } from './validate.js';

export interface RegistryOptions {
  readonly store: ControlStore;
  /** Where each durable change is published (FunctionCreated, FunctionUpdated, VersionPublished, …). */
  readonly changes: ChangeFeed;
  readonly code: CodeRepository;
  readonly partition: Partition;
  readonly clock: Clock;
  readonly allowDeprecatedRuntimes: boolean;
  readonly hostArchitecture: 'x86_64' | 'arm64';
  /** The account's concurrency limit (Lambda's default: 1,000) and this host's memory, for PutFunctionConcurrency. */
  readonly accountConcurrency: number;
  readonly hostMemoryMb: number;
  /** Refuses (throws) a runtime this host cannot run, e.g. a Python version with no interpreter. */
  readonly checkRuntimeAvailable: (runtime: RuntimeSpec) => Promise<void>;
  /** Refuses (throws) a role that does not exist or that Lambda may not assume. */
  readonly checkRoleAssumable: (roleArn: string, functionArn: string) => Promise<void>;
}

export interface ListPage {
  readonly functions: FunctionRecord[];
  readonly nextMarker?: string;
}

/**
 * The function registry: validation and storage of functions and their code. Keeps every function in
 * memory so the invoke path never reads the database; all changes go through here and are announced.
 */
export class FunctionRegistry {
  readonly #options: RegistryOptions;
  readonly #cache = new Map<string, FunctionRecord>();
  /** Published versions: function name → version number → immutable record. */
  readonly #versions = new Map<string, Map<string, FunctionRecord>>();
  readonly #mutex = new Mutex();
  /** Names the aliases that point at a version (deleting it is refused then); set by the alias registry. */
  #aliasesOf: (functionName: string, version: string) => string[] = () => [];
  #reservedTotal = 0;

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  async load(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.#options.store.listFunctions(after, 1000);
      for (const record of page) {
        this.#cache.set(record.name, record);
        this.#reservedTotal += record.reservedConcurrency ?? 0;
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]!.name;
    }
    for (const version of await this.#options.store.listVersions()) this.#versionsOf(version.name).set(version.version!, version);
    // A crash after an environment's last use of a package, or between storing a new zip and recording
    // it, leaves a package nothing refers to: nothing would ever remove it later.
    const referenced = new Set<string>();
    for (const record of this.#cache.values()) referenced.add(record.codeSha256);
    for (const versions of this.#versions.values()) for (const record of versions.values()) referenced.add(record.codeSha256);
    await this.#options.code.sweep(referenced);
  }

  /** The sum of every function's reserved concurrency (what the unreserved pool cannot use). */
  reservedTotal(): number {
    return this.#reservedTotal;
  }

  /**
   * The account's unreserved concurrency and the minimum it must keep: 100 of Lambda's 1,000, scaled to
   * the configured account limit.
   */
  unreservedPool(): { unreserved: number; minimum: number } {
    const { accountConcurrency } = this.#options;
    return { unreserved: accountConcurrency - this.#reservedTotal, minimum: Math.ceil(accountConcurrency / 10) };
  }

  /**
   * PutFunctionConcurrency. Reservations may not eat into the unreserved minimum (100 of Lambda's 1,000,
   * scaled to the configured account limit), nor ask for more environments than this host's memory holds.
   */
  putConcurrency(nameParam: string, value: number): Promise<FunctionRecord> {
    return this.#mutex.run(async () => {
      const ref = parseFunctionName(nameParam, this.#options.partition, 140);
      if (ref.qualifier !== undefined) {
        throw invalidParameter(
          'This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.',
        );
      }
      const current = this.#cache.get(ref.name);
      // AWS names the function it looked for by its $LATEST ARN here.
      if (current === undefined) throw this.notFound(ref.name, '$LATEST');
      checkRange('reservedConcurrentExecutions', value, 0, Number.MAX_SAFE_INTEGER);
      const { accountConcurrency, hostMemoryMb } = this.#options;
      const { minimum } = this.unreservedPool();
      const others = this.#reservedTotal - (current.reservedConcurrency ?? 0);
      if (accountConcurrency - others - value < minimum) {
        throw new AwsError(
          'InvalidParameterValueException',
          `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${minimum}].`,
          { untyped: true },
        );
      }
      if (value * current.memorySize > hostMemoryMb) {
        throw invalidParameter(
          `Specified ReservedConcurrentExecutions (${value}) of ${current.memorySize} MB environments needs ${value * current.memorySize} MB; this host has ${hostMemoryMb} MB.`,
        );
      }
      await this.#store({ ...current, reservedConcurrency: value }, current);
      this.#reservedTotal = others + value;
      return this.#cache.get(current.name)!;
    });
  }

  deleteConcurrency(nameParam: string): Promise<void> {
    return this.#mutex.run(async () => {
      const current = this.#requireUnqualified(nameParam, 140);
      if (current.reservedConcurrency === undefined) return;
      const { reservedConcurrency, ...rest } = current;
      await this.#store(rest, current);
      this.#reservedTotal -= reservedConcurrency;
    });
  }

  /** Lets the alias registry veto deleting a version an alias points at. */
  guardVersions(aliasesOf: (functionName: string, version: string) => string[]): void {
    this.#aliasesOf = aliasesOf;
  }

  /** A function at a version: `$LATEST` or a published number. Aliases are resolved by the alias registry. */
  version(name: string, version: string): FunctionRecord | undefined {
    return version === '$LATEST' ? this.#cache.get(name) : this.#versions.get(name)?.get(version);
  }

  /** $LATEST, then the published versions in order. */
  versions(name: string): FunctionRecord[] {
    const latest = this.#cache.get(name);
    if (latest === undefined) return [];
    return [latest, ...[...(this.#versions.get(name)?.values() ?? [])].sort((a, b) => Number(a.version) - Number(b.version))];
  }

  /**
   * PublishVersion: an immutable snapshot of $LATEST's code and configuration. Publishing when nothing
   * changed since the last version returns that version, as Lambda does.
   */
  publish(nameParam: string, input: PublishVersionInput): Promise<FunctionRecord> {
    return this.#mutex.run(async () => {
      const current = this.#requireUnqualified(nameParam, 140);
      checkRevision(current, input.revisionId);
      if (input.codeSha256 !== undefined) {
        const given = input.codeSha256;
        const actual = codeSha256Base64(current.codeSha256);
        if (given !== actual)
          throw invalidParameter(
            `CodeSHA256 (${given}) is different from current CodeSHA256 in $LATEST (${actual}). Please try again with the CodeSHA256 in $LATEST.`,
          );
      }
      const description = input.description;
      const previous = current.lastVersion === undefined ? undefined : this.#versions.get(current.name)?.get(String(current.lastVersion));
      if (previous !== undefined && current.publishedRevision === current.revisionId) return previous;
      const number = (current.lastVersion ?? 0) + 1;
      const { lastVersion: _last, publishedRevision: _published, reservedConcurrency: _reserved, ...snapshot } = current;
      const version: FunctionRecord = {
        ...snapshot,
        version: String(number),
        description: description ?? current.description,
        lastModifiedMs: this.#options.clock.now(),
        revisionId: newRevisionId(),
      };
      // $LATEST keeps its revision: publishing changes nothing a caller of $LATEST can see.
      const latest: FunctionRecord = { ...current, lastVersion: number, publishedRevision: current.revisionId };
      if (!(await this.#options.store.publishVersion(version, latest, current.revisionId))) throw this.#updateInProgress(current.name);
      this.#cache.set(latest.name, latest);
      this.#versionsOf(current.name).set(version.version!, version);
      this.#options.changes.publish({ type: 'VersionPublished', functionName: current.name, version: version.version! });
      return version;
    });
  }

  #versionsOf(name: string): Map<string, FunctionRecord> {
    let versions = this.#versions.get(name);
    if (versions === undefined) {
      versions = new Map();
      this.#versions.set(name, versions);
    }
    return versions;
  }

  /** Every role a function ($LATEST or a published version) runs as. */
  roleArns(): Set<string> {
    const arns = new Set<string>();
    for (const record of this.#cache.values()) arns.add(record.role);
    for (const versions of this.#versions.values()) for (const record of versions.values()) arns.add(record.role);
    return arns;
  }

  /** The functions ($LATEST or a published version) that run as a role, by name. */
  usingRole(roleArn: string): string[] {
    const names = new Set<string>();
    for (const record of this.#cache.values()) if (record.role === roleArn) names.add(record.name);
    for (const versions of this.#versions.values()) for (const record of versions.values()) if (record.role === roleArn) names.add(record.name);
    return [...names].sort();
  }

  /** The hot-path lookup: memory only. */
  cached(name: string): FunctionRecord | undefined {
    return this.#cache.get(name);
  }

  /** Resolves a FunctionName parameter to a function, or throws ResourceNotFoundException. */
  require(nameParam: string, qualifier?: string): FunctionRecord {
    const { name } = parseFunctionName(nameParam, this.#options.partition);
    const record = this.#cache.get(name);
    if (record === undefined) throw this.notFound(name, qualifier);
    return record;
  }

  notFound(name: string, qualifier?: string): AwsError {
    return resourceNotFound(`Function not found: ${functionArn(this.#options.partition, name, qualifier)}`);
  }

  list(marker: string | undefined, maxItems: number): ListPage {
    const { items: functions, nextMarker } = pageAfter(this.#cache.values(), (r) => r.name, marker, maxItems);
    return nextMarker === undefined ? { functions } : { functions, nextMarker };
  }

  create(input: CreateFunctionInput): Promise<FunctionRecord> {
    return this.#mutex.run(async () => {
      const ref = parseFunctionName(input.functionName, this.#options.partition, 140);
      checkNewFunctionName(input.functionName, ref.name);
      if (ref.qualifier !== undefined) throw invalidParameter('Qualifier is not allowed when creating a function.');
      const role = input.role;
      if (input.runtime === undefined || input.handler === undefined) {
        throw invalidParameter('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
      }
      const runtime = input.runtime;
      const spec = resolveRuntime(runtime, { allowDeprecated: this.#options.allowDeprecatedRuntimes });
      await this.#options.checkRoleAssumable(role, functionArn(this.#options.partition, ref.name));
      const environment = input.environment === undefined ? undefined : checkEnvironment(input.environment);
      const now = this.#options.clock.now();
      const draft = {
        name: ref.name,
        runtime,
        role,
        handler: input.handler,
        description: input.description ?? '',
        timeout: input.timeout === undefined ? 3 : checkTimeout(input.timeout),
        memorySize: input.memorySize === undefined ? 128 : checkMemory(input.memorySize),
        ...(environment === undefined ? {} : { environment }),
        architecture:
          input.architectures === undefined ? this.#options.hostArchitecture : checkArchitectures(input.architectures, this.#options.hostArchitecture),
        ephemeralStorageMb: input.ephemeralStorageMb ?? 512,
        tracingMode: 'PassThrough' as const,
        ...loggingOf(input, undefined),
        logGroup: input.logGroup ?? `/aws/lambda/${ref.name}`,
        lastModifiedMs: now,
        revisionId: newRevisionId(),
        tags: input.tags === undefined ? {} : checkTags(input.tags),
      };
      // This host's own limit, after every rule AWS has: an interpreter it lacks.
      await this.#options.checkRuntimeAvailable(spec);
      if (this.#cache.has(ref.name)) throw resourceConflict(`Function already exist: ${ref.name}`);
      const stored = await this.#options.code.put(input.zip);
      const record: FunctionRecord = { ...draft, codeSha256: stored.sha256, codeSize: stored.size };
      let inserted = false;
      try {
        inserted = await this.#options.store.insertFunction(record);
      } finally {
        if (!inserted) await this.#collectCode(stored.sha256);
      }
      if (!inserted) throw resourceConflict(`Function already exist: ${ref.name}`);
      this.#cache.set(record.name, record);
      this.#options.changes.publish({ type: 'FunctionCreated', functionName: record.name });
      return record;
    });
  }

  updateCode(nameParam: string, input: UpdateCodeInput): Promise<FunctionRecord> {
    return this.#mutex.run(async () => {
      const current = this.#requireUnqualified(nameParam, 140);
      checkRevision(current, input.revisionId);
      const { zip } = input;
      const architecture = input.architectures === undefined ? current.architecture : checkArchitectures(input.architectures, this.#options.hostArchitecture);
      if (input.dryRun === true) {
        await validateZip(zip);
        return { ...current, architecture, codeSize: zip.length };
      }
      const stored = await this.#options.code.put(zip);
      const record: FunctionRecord = {
        ...current,
        architecture,
        codeSha256: stored.sha256,
        codeSize: stored.size,
        lastModifiedMs: this.#options.clock.now(),
        revisionId: newRevisionId(),
      };
      try {
        return await this.#replace(current, record);
      } catch (error) {
        // Not recorded (a concurrent update won): the package just stored may be nobody's.
        if (this.#cache.get(current.name) !== record) await this.#collectCode(stored.sha256);
        throw error;
      }
    });
  }

  updateConfiguration(nameParam: string, input: UpdateConfigurationInput): Promise<FunctionRecord> {
    return this.#mutex.run(async () => {
      const current = this.#requireUnqualified(nameParam, 140);
      checkRevision(current, input.revisionId);
      const runtime = input.runtime ?? current.runtime;
      const spec = input.runtime === undefined ? undefined : resolveRuntime(runtime, { allowDeprecated: this.#options.allowDeprecatedRuntimes });
      const environment = input.environment === undefined ? current.environment : checkEnvironment(input.environment);
      const role = input.role ?? current.role;
      if (input.role !== undefined) await this.#options.checkRoleAssumable(role, functionArn(this.#options.partition, current.name));
      const record: FunctionRecord = {
        ...current,
        runtime,
        role,
        handler: input.handler ?? current.handler,
        description: input.description ?? current.description,
        timeout: input.timeout === undefined ? current.timeout : checkTimeout(input.timeout),
        memorySize: input.memorySize === undefined ? current.memorySize : checkMemory(input.memorySize),
        ...(environment === undefined ? {} : { environment }),
        ephemeralStorageMb: input.ephemeralStorageMb ?? current.ephemeralStorageMb,
        ...loggingOf(input, current),
        logGroup: input.logGroup ?? current.logGroup,
        lastModifiedMs: this.#options.clock.now(),
        revisionId: newRevisionId(),
      };
      // This host's own limit, after every rule AWS has: an interpreter it lacks.
      if (spec !== undefined) await this.#options.checkRuntimeAvailable(spec);
      return this.#replace(current, record);
    });
  }

  delete(nameParam: string, qualifier: string | undefined): Promise<void> {
    return this.#mutex.run(async () => {
      const ref = parseFunctionName(nameParam, this.#options.partition);
      const { name } = ref;
      const version = resolveQualifier(ref, qualifier);
      if (version === '$LATEST') throw invalidParameter('$LATEST version cannot be deleted without deleting the function.');
      if (version !== undefined) return this.#deleteVersion(name, version);
      const record = await this.#options.store.deleteFunction(name);
      if (record === undefined) throw this.notFound(name);
      this.#cache.delete(name);
      this.#reservedTotal -= record.reservedConcurrency ?? 0;
      const versions = [...(this.#versions.get(name)?.values() ?? [])];
      this.#versions.delete(name);
      for (const sha of new Set([record.codeSha256, ...versions.map((v) => v.codeSha256)])) await this.#collectCode(sha);
      this.#options.changes.publish({ type: 'FunctionDeleted', functionName: name });
    });
  }

  async #deleteVersion(name: string, version: string): Promise<void> {
    if (!this.#cache.has(name)) throw this.notFound(name);
    const record = this.#versions.get(name)?.get(version);
    if (record === undefined) throw this.notFound(name, version);
    const aliases = this.#aliasesOf(name, version);
    if (aliases.length > 0) throw resourceConflict(`Unable to delete version because the following aliases reference it: [${aliases.join(', ')}]`);
    await this.#options.store.deleteVersion(name, version);
    this.#versions.get(name)!.delete(version);
    await this.#collectCode(record.codeSha256);
    this.#options.changes.publish({ type: 'VersionDeleted', functionName: name, version });
  }

  /** Tags live on the unqualified function ARN only, as on Lambda. */
  tag(resourceArn: string, tags: Readonly<Record<string, string>>): Promise<void> {
    return this.#mutex.run(async () => {
      const current = this.#requireTaggable(resourceArn);
      if (Object.keys(tags).length === 0) throw invalidParameter('An error occurred and the request cannot be processed.');
      const merged = { ...current.tags, ...checkTags(tags) };
      checkTags(merged);
      await this.#store({ ...current, tags: merged }, current);
    });
  }

  untag(resourceArn: string, keys: readonly string[]): Promise<void> {
    return this.#mutex.run(async () => {
      const current = this.#requireTaggable(resourceArn);
      const tags = Object.fromEntries(Object.entries(current.tags).filter(([k]) => !keys.includes(k)));
      await this.#store({ ...current, tags }, current);
    });
  }

  listTags(resourceArn: string): Readonly<Record<string, string>> {
    return this.#requireTaggable(resourceArn).tags;
  }

  #requireTaggable(resourceArn: string): FunctionRecord {
    const ref = parseFunctionName(resourceArn, this.#options.partition);
    if (ref.qualifier !== undefined) {
      throw invalidParameter('Tags on function aliases and versions are not supported. Please specify a function ARN.');
    }
    return this.require(ref.name);
  }

  #requireUnqualified(nameParam: string, maxLength: number): FunctionRecord {
    const ref = parseFunctionName(nameParam, this.#options.partition, maxLength);
    const record = this.#cache.get(ref.name);
    if (record === undefined) throw this.notFound(ref.name);
    if (ref.qualifier !== undefined && ref.qualifier !== '$LATEST') {
      throw invalidParameter('Only the unqualified function or $LATEST can be updated.');
    }
    return record;
  }

  async #replace(current: FunctionRecord, record: FunctionRecord): Promise<FunctionRecord> {
    await this.#store(record, current);
    if (record.codeSha256 !== current.codeSha256) await this.#collectCode(current.codeSha256);
    this.#options.changes.publish({ type: 'FunctionUpdated', functionName: record.name });
    return record;
  }

  /** Lambda's answer when a stored revision moved under a change (another writer got there first). */
  #updateInProgress(name: string): AwsError {
    return new AwsError(
      'ResourceConflictException',
      `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(this.#options.partition, name)}`,
    );
  }

  async #store(record: FunctionRecord, current: FunctionRecord): Promise<void> {
    const replaced = await this.#options.store.replaceFunction(record, current.revisionId);
    if (!replaced) throw this.#updateInProgress(record.name);
    this.#cache.set(record.name, record);
  }

  /**
   * Lets a code package nothing refers to any more go, so a delete or failed create leaves no orphan. The
   * store keeps it while environments still run it: invocations in flight finish on their code.
   */
  async #collectCode(sha256: string): Promise<void> {
    if ((await this.#options.store.countCodeReferences(sha256)) === 0) await this.#options.code.discard(sha256);
  }
}

function checkRevision(current: FunctionRecord, revisionId: string | undefined): void {
  if (revisionId === undefined) return;
  if (revisionId !== current.revisionId) {
    throw new AwsError(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
    );
  }
}

/**
 * LoggingConfig's format and levels, from what was given over what the function had: JSON has both
 * levels, INFO unless set (as Lambda fills them in); Text has none, and refuses them.
 */
function loggingOf(
  input: Pick<FunctionSettings, 'logFormat' | 'applicationLogLevel' | 'systemLogLevel'>,
  current: FunctionRecord | undefined,
): Pick<FunctionRecord, 'logFormat' | 'applicationLogLevel' | 'systemLogLevel'> {
  const logFormat = input.logFormat ?? current?.logFormat ?? 'Text';
  if (logFormat === 'Text') {
    if (input.applicationLogLevel !== undefined || input.systemLogLevel !== undefined) {
      throw invalidParameter('To set ApplicationLogLevel or SystemLogLevel, LoggingConfig LogFormat must be JSON.');
    }
    return { logFormat };
  }
  return {
    logFormat,
    applicationLogLevel: input.applicationLogLevel ?? current?.applicationLogLevel ?? 'INFO',
    systemLogLevel: input.systemLogLevel ?? current?.systemLogLevel ?? 'INFO',
  };
}
