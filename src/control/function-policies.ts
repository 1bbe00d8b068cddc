import {
  AwsError,
  compositeKey,
  functionArn,
  invalidParameter,
  newRevisionId,
  parseFunctionName,
  resolveQualifier,
  resourceNotFound,
  validationError,
  type FunctionPolicyRecord,
  type Partition,
} from '../core/index.js';
import type { ControlStore } from '../store/index.js';
import { ALIAS_NAME, aliasNotFound, type AliasRegistry } from './aliases.js';
import type { FunctionRegistry } from './registry.js';

/** AddPermission's members, typed (api/ reads them from Lambda's wire shape). */
export interface AddPermissionInput {
  readonly statementId: string;
  readonly action: string;
  readonly principal: string;
  readonly sourceArn?: string;
  readonly sourceAccount?: string;
  readonly eventSourceToken?: string;
  readonly principalOrgId?: string;
  readonly functionUrlAuthType?: string;
  readonly revisionId?: string;
}

/** Lambda's limit on a function's policy, per qualifier. */
const POLICY_MAX_BYTES = 20_480;
const STATEMENT_ID = /^[a-zA-Z0-9-_.]{1,100}$/;
const ACTION = /^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/;
const SOURCE_ARN = /^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;

const key = (functionName: string, qualifier: string) => compositeKey(functionName, qualifier);

/**
 * Functions' resource-based policies (AddPermission, RemovePermission, GetPolicy): one per function and
 * qualifier, in Lambda's statement format, with a RevisionId of its own. Held in memory too, since the
 * authorizer reads them on every request a principal other than the root makes.
 */
export class FunctionPolicies {
  readonly #cache = new Map<string, FunctionPolicyRecord>();

  constructor(
    private readonly store: ControlStore,
    private readonly registry: FunctionRegistry,
    private readonly aliases: AliasRegistry,
    private readonly partition: Partition,
  ) {}

  async load(): Promise<void> {
    for (const record of await this.store.listFunctionPolicies()) this.#cache.set(key(record.functionName, record.qualifier), record);
  }

  /** A deleted function took its policies with it (the store dropped them in the same commit). */
  forgetFunction(functionName: string): void {
    for (const [k, record] of this.#cache) if (record.functionName === functionName) this.#cache.delete(k);
  }

  /** A deleted version or alias takes its policy with it. */
  async forgetQualifier(functionName: string, qualifier: string): Promise<void> {
    if (!this.#cache.delete(key(functionName, qualifier))) return;
    await this.store.deleteFunctionPolicy(functionName, qualifier);
  }

  /** The policy document that applies to a function ARN (qualified or not), for the authorizer; undefined when none. */
  documentFor(resourceArn: string): string | undefined {
    const match = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:([^:]+)(?::([^:]+))?$/.exec(resourceArn);
    if (match === null) return undefined;
    const record = this.#cache.get(key(match[1]!, match[2] ?? ''));
    return record === undefined ? undefined : document(record);
  }

  add(nameParam: string, queryQualifier: string | undefined, input: AddPermissionInput): Promise<Record<string, unknown>> {
    const ref = parseFunctionName(nameParam, this.partition, 140);
    if (resolveQualifier(ref, queryQualifier) === '$LATEST') throw invalidParameter('We currently do not support adding policies for $LATEST.');
    const { name, qualifier } = this.#target(nameParam, queryQualifier, (n, q) => (q === undefined ? this.registry.notFound(n) : this.#noAlias(n, q)));
    const current = this.#cache.get(key(name, qualifier));
    checkRevision(current, input.revisionId);
    if (!STATEMENT_ID.test(input.statementId))
      throw validationError('statementId', input.statementId, 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)');
    if (!ACTION.test(input.action))
      throw validationError('action', input.action, 'Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])');
    if (current?.statements.some((s) => s.Sid === input.statementId)) {
      throw new AwsError(
        'ResourceConflictException',
        `The statement id (${input.statementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    const statement = this.#statement(name, qualifier, input);
    const record: FunctionPolicyRecord = {
      functionName: name,
      qualifier,
      revisionId: newRevisionId(),
      statements: [...(current?.statements ?? []), statement],
    };
    if (Buffer.byteLength(document(record)) > POLICY_MAX_BYTES) {
      throw new AwsError('PolicyLengthExceededException', 'The final policy size is bigger than the limit.');
    }
    return this.#save(record).then(() => statement);
  }

  async remove(nameParam: string, queryQualifier: string | undefined, statementId: string, revisionId: string | undefined): Promise<void> {
    const { name, qualifier } = this.#target(nameParam, queryQualifier, (n, q) =>
      q === undefined ? resourceNotFound(`No policy found for: ${functionArn(this.partition, n)}`) : this.#noAlias(n, q),
    );
    const current = this.#cache.get(key(name, qualifier));
    if (current === undefined) throw resourceNotFound('No policy is associated with the given resource.');
    checkRevision(current, revisionId);
    if (!current.statements.some((s) => s.Sid === statementId)) {
      throw resourceNotFound(`Statement ${statementId} is not found in resource policy.`);
    }
    const statements = current.statements.filter((s) => s.Sid !== statementId);
    if (statements.length === 0) {
      await this.store.deleteFunctionPolicy(name, qualifier);
      this.#cache.delete(key(name, qualifier));
      return;
    }
    await this.#save({ ...current, statements, revisionId: newRevisionId() });
  }

  get(nameParam: string, queryQualifier: string | undefined): { policy: string; revisionId: string } {
    const { name, qualifier } = this.#target(nameParam, queryQualifier, noPolicy);
    const record = this.#cache.get(key(name, qualifier));
    if (record === undefined) throw noPolicy();
    return { policy: document(record), revisionId: record.revisionId };
  }

  /**
   * The function and qualifier a request names; the function, version or alias must exist, or it is
   * `missing`'s error (AWS words it per operation).
   */
  #target(
    nameParam: string,
    queryQualifier: string | undefined,
    missing: (name: string, qualifier: string | undefined) => AwsError,
  ): { name: string; qualifier: string } {
    const ref = parseFunctionName(nameParam, this.partition, 140);
    const qualifier = resolveQualifier(ref, queryQualifier);
    if (this.registry.cached(ref.name) === undefined) throw missing(ref.name, undefined);
    if (qualifier === undefined) return { name: ref.name, qualifier: '' };
    const exists = qualifier === '$LATEST' || this.registry.version(ref.name, qualifier) !== undefined || this.aliases.get(ref.name, qualifier) !== undefined;
    if (!exists) throw missing(ref.name, qualifier);
    return { name: ref.name, qualifier };
  }

  /** A qualifier that could name an alias is looked for as one; anything else, as a version. */
  #noAlias(name: string, qualifier: string): AwsError {
    if (!ALIAS_NAME.test(qualifier)) return this.registry.notFound(name, qualifier);
    return aliasNotFound(this.partition, name, qualifier);
  }

  /** Lambda's statement for a grant: the principal as IAM names it, the caller's conditions as Lambda writes them. */
  #statement(name: string, qualifier: string, input: AddPermissionInput): Record<string, unknown> {
    const equals: Record<string, string> = {};
    if (input.sourceAccount !== undefined) {
      if (!/^\d{12}$/.test(input.sourceAccount))
        throw validationError('sourceAccount', input.sourceAccount, 'Member must satisfy regular expression pattern: \\d{12}');
      equals['AWS:SourceAccount'] = input.sourceAccount;
    }
    if (input.principalOrgId !== undefined) {
      if (!ORG_ID.test(input.principalOrgId))
        throw validationError('principalOrgID', input.principalOrgId, 'Member must satisfy regular expression pattern: ^o-[a-z0-9]{10,32}$');
      equals['aws:PrincipalOrgID'] = input.principalOrgId;
    }
    if (input.functionUrlAuthType !== undefined) {
      if (input.functionUrlAuthType !== 'NONE' && input.functionUrlAuthType !== 'AWS_IAM') {
        throw validationError('functionUrlAuthType', input.functionUrlAuthType, 'Member must satisfy enum value set: [NONE, AWS_IAM]');
      }
      equals['lambda:FunctionUrlAuthType'] = input.functionUrlAuthType;
    }
    if (input.eventSourceToken !== undefined) equals['lambda:EventSourceToken'] = input.eventSourceToken;
    const condition: Record<string, Record<string, string>> = {};
    if (Object.keys(equals).length > 0) condition.StringEquals = equals;
    if (input.sourceArn !== undefined) {
      if (!SOURCE_ARN.test(input.sourceArn))
        throw validationError(
          'sourceArn',
          input.sourceArn,
          'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)',
        );
      condition.ArnLike = { 'AWS:SourceArn': input.sourceArn };
    }
    return {
      Sid: input.statementId,
      Effect: 'Allow',
      Principal: principalOf(input.principal),
      Action: input.action,
      Resource: functionArn(this.partition, name, qualifier === '' ? undefined : qualifier),
      ...(Object.keys(condition).length === 0 ? {} : { Condition: condition }),
    };
  }

  async #save(record: FunctionPolicyRecord): Promise<void> {
    await this.store.putFunctionPolicy(record);
    this.#cache.set(key(record.functionName, record.qualifier), record);
  }
}

/** A principal as AddPermission takes it (`*`, an account id, an IAM ARN, a service) and as the statement names it. */
function principalOf(principal: string): unknown {
  if (principal === '*') return '*';
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/.test(principal)) return { AWS: principal };
  // Service principals are AWS's own (`s3.amazonaws.com`): AWS refuses `invalid.nonaws.com`.
  if (/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(principal)) return { Service: principal };
  throw invalidParameter('The provided principal was invalid. Please check the principal and try again.');
}

function document(record: FunctionPolicyRecord): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: record.statements });
}

function checkRevision(current: FunctionPolicyRecord | undefined, revisionId: string | undefined): void {
  if (revisionId !== undefined && revisionId !== current?.revisionId) {
    throw new AwsError(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id',
    );
  }
}

/** GetPolicy names nothing, whatever is missing. */
function noPolicy(): AwsError {
  return resourceNotFound('The resource you requested does not exist.');
}
