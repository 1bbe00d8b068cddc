import { randomBytes } from 'node:crypto';
import { AwsError, type Clock, type Partition, type RoleRecord } from '../core/index.js';
import type { IdentityStore } from '../store/index.js';

export interface CreateRoleInput {
  readonly roleName: string;
  readonly assumeRolePolicyDocument: string;
  readonly path?: string;
  readonly description?: string;
  readonly maxSessionDuration?: number;
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const POLICY_MAX = 131_072;

/**
 * IAM roles: what a function runs as (its `Role`), and whom the role trusts to assume it. Names are
 * unique regardless of case, as in IAM; the trust policy is kept as the text it was given.
 */
export class Roles {
  constructor(
    private readonly store: IdentityStore,
    private readonly partition: Partition,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateRoleInput): Promise<RoleRecord> {
    checkName(input.roleName);
    const path = input.path ?? '/';
    if (path.length > 512 || !PATH.test(path)) {
      throw validation('path', path, 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)');
    }
    if (input.description !== undefined && input.description.length > 1000) {
      throw validation('description', input.description, 'Member must have length less than or equal to 1000');
    }
    const maxSessionDuration = input.maxSessionDuration ?? 3600;
    if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43_200) {
      throw validation(
        'maxSessionDuration',
        String(input.maxSessionDuration),
        'Member must have value less than or equal to 43200 and greater than or equal to 3600',
      );
    }
    const tags = input.tags ?? [];
    if (tags.length > 50) throw validation('tags', `${tags.length} tags`, 'Member must have length less than or equal to 50');
    checkTrustPolicy(input.assumeRolePolicyDocument);
    const record: RoleRecord = {
      roleName: input.roleName,
      roleId: `AROA${randomId(17)}`,
      arn: `arn:aws:iam::${this.partition.accountId}:role${path}${input.roleName}`,
      path,
      createDate: this.clock.now(),
      assumeRolePolicyDocument: input.assumeRolePolicyDocument,
      ...(input.description === undefined ? {} : { description: input.description }),
      maxSessionDuration,
      tags,
    };
    if (!(await this.store.insertRole(record))) throw new AwsError('EntityAlreadyExists', `Role with name ${input.roleName} already exists.`);
    return record;
  }

  async get(roleName: string): Promise<RoleRecord> {
    checkName(roleName);
    const record = await this.store.getRole(roleName);
    if (record === undefined) throw new AwsError('NoSuchEntity', `The role with name ${roleName} cannot be found.`);
    return record;
  }

  /** Roles by name, from after `marker` (a role name), at most `maxItems`. */
  async list(options: { pathPrefix?: string; marker?: string; maxItems?: number }): Promise<{ roles: RoleRecord[]; marker?: string }> {
    const maxItems = options.maxItems ?? 100;
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
      throw validation('maxItems', String(options.maxItems), 'Member must have value less than or equal to 1000 and greater than or equal to 1');
    }
    const prefix = options.pathPrefix ?? '/';
    const all = (await this.store.listRoles()).filter((r) => r.path.startsWith(prefix));
    const start = options.marker === undefined ? 0 : all.findIndex((r) => r.roleName.toLowerCase() > options.marker!.toLowerCase());
    const from = start === -1 ? all.length : start;
    const roles = all.slice(from, from + maxItems);
    return from + maxItems < all.length ? { roles, marker: roles[roles.length - 1]!.roleName } : { roles };
  }

  /** Refused while functions still run as the role (`inUseBy` names them). */
  async delete(roleName: string, inUseBy: readonly string[]): Promise<void> {
    const record = await this.get(roleName);
    if (inUseBy.length > 0) {
      throw new AwsError('DeleteConflict', `Cannot delete entity, must change the role of the functions using it first: ${inUseBy.slice(0, 10).join(', ')}.`);
    }
    if (!(await this.store.deleteRole(record.roleName))) throw new AwsError('NoSuchEntity', `The role with name ${roleName} cannot be found.`);
  }

  async updateAssumeRolePolicy(roleName: string, document: string): Promise<void> {
    const record = await this.get(roleName);
    checkTrustPolicy(document);
    await this.store.replaceRole({ ...record, assumeRolePolicyDocument: document });
  }
}

function checkName(name: string): void {
  if (!ROLE_NAME.test(name)) {
    throw validation('roleName', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  }
}

function validation(member: string, value: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value '${value.slice(0, 256)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/**
 * The structure a trust policy must have: JSON, statements with an Effect, an Action (or NotAction) and a
 * Principal. The conditions and principals are checked against what the evaluator supports when it lands.
 */
function checkTrustPolicy(document: string): void {
  if (document.length === 0 || document.length > POLICY_MAX)
    throw new AwsError('MalformedPolicyDocument', 'The policy is empty or larger than 131072 characters.');
  let policy: unknown;
  try {
    policy = JSON.parse(document);
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'This policy contains invalid Json');
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  const { Version, Statement } = policy as Record<string, unknown>;
  if (Version !== undefined && Version !== '2012-10-17' && Version !== '2008-10-17') {
    throw new AwsError('MalformedPolicyDocument', 'The policy must contain a valid version string');
  }
  const statements = Array.isArray(Statement) ? Statement : Statement === undefined ? [] : [Statement];
  if (statements.length === 0) throw new AwsError('MalformedPolicyDocument', 'Missing required field Statement');
  for (const statement of statements) {
    if (typeof statement !== 'object' || statement === null || Array.isArray(statement))
      throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
    const s = statement as Record<string, unknown>;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new AwsError('MalformedPolicyDocument', 'Invalid effect: ' + String(s.Effect));
    if (s.Action === undefined && s.NotAction === undefined) throw new AwsError('MalformedPolicyDocument', 'Missing required field Action');
    if (s.Principal === undefined && s.NotPrincipal === undefined) throw new AwsError('MalformedPolicyDocument', 'Missing required field Principal');
  }
}

function randomId(length: number): string {
  let id = '';
  for (const byte of randomBytes(length)) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}
