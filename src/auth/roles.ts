import { AwsError, Mutex, type Clock, type Partition, type RoleRecord } from '../core/index.js';
import type { IdentityStore } from '../store/index.js';
import { checkIamPath, iamValidation, pageByName, randomIamId, type Page } from './iam-names.js';
import type { ManagedPolicies } from './managed-policies.js';
import { checkPolicyDocument } from './policy-document.js';
import { retagged, type TagChange } from './iam-tags.js';
import { checkNoPolicies, PolicyHolder } from './policy-holder.js';

export interface CreateRoleInput {
  readonly roleName: string;
  readonly assumeRolePolicyDocument: string;
  readonly path?: string;
  readonly description?: string;
  readonly maxSessionDuration?: number;
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * IAM roles: what a function runs as (its `Role`), and whom the role trusts to assume it. Names are
 * unique regardless of case, as in IAM; the trust policy is kept as the text it was given.
 */
export class Roles {
  /** Changes are read-modify-write of one record: one at a time, shared with every IAM write. */
  readonly #mutex: Mutex;
  /** The role's inline and attached policies (PutRolePolicy, AttachRolePolicy, …). */
  readonly permissions: PolicyHolder<RoleRecord>;

  constructor(
    private readonly store: IdentityStore,
    private readonly partition: Partition,
    private readonly clock: Clock,
    policies: ManagedPolicies,
    writes: Mutex,
  ) {
    this.#mutex = writes;
    this.permissions = new PolicyHolder({ noun: 'role', get: (name) => this.get(name), replace: (r) => this.store.replaceRole(r) }, policies, writes);
  }

  async create(input: CreateRoleInput): Promise<RoleRecord> {
    checkName(input.roleName);
    const path = checkIamPath(input.path);
    if (input.description !== undefined && input.description.length > 1000) {
      throw iamValidation('description', input.description, 'Member must have length less than or equal to 1000');
    }
    const maxSessionDuration = input.maxSessionDuration ?? 3600;
    if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43_200) {
      throw iamValidation(
        'maxSessionDuration',
        String(input.maxSessionDuration),
        'Member must have value less than or equal to 43200 and greater than or equal to 3600',
      );
    }
    const tags = input.tags ?? [];
    if (tags.length > 50) throw iamValidation('tags', `${tags.length} tags`, 'Member must have length less than or equal to 50');
    checkPolicyDocument(input.assumeRolePolicyDocument, 'trust');
    const record: RoleRecord = {
      roleName: input.roleName,
      roleId: `AROA${randomIamId(17)}`,
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

  /** The role an ARN names (its path included), or NoSuchEntity. */
  async byArn(arn: string): Promise<RoleRecord> {
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    const record = /^arn:aws[a-z-]*:iam::\d{12}:role\//.test(arn) && ROLE_NAME.test(name) ? await this.store.getRole(name) : undefined;
    if (record === undefined || record.arn !== arn) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`);
    return record;
  }

  /** Roles by name, from after `marker` (a role name), at most `maxItems`. */
  async list(options: { pathPrefix?: string; marker?: string; maxItems?: number }): Promise<Page<RoleRecord>> {
    const prefix = options.pathPrefix ?? '/';
    const all = (await this.store.listRoles()).filter((r) => r.path.startsWith(prefix));
    return pageByName(all, (r) => r.roleName, options.marker, options.maxItems);
  }

  /** Refused while functions still run as the role (`inUseBy` names them). */
  delete(roleName: string, inUseBy: readonly string[]): Promise<void> {
    return this.#mutex.run(async () => {
      const record = await this.get(roleName);
      checkNoPolicies(record);
      if (inUseBy.length > 0) {
        throw new AwsError('DeleteConflict', `Cannot delete entity, must change the role of the functions using it first: ${inUseBy.slice(0, 10).join(', ')}.`);
      }
      if (!(await this.store.deleteRole(record.roleName))) throw new AwsError('NoSuchEntity', `The role with name ${roleName} cannot be found.`);
    });
  }

  /** TagRole (`tags` given) or UntagRole (`untag` given). */
  retag(roleName: string, change: TagChange): Promise<void> {
    return this.#mutex.run(async () => {
      const record = await this.get(roleName);
      await this.store.replaceRole({ ...record, tags: retagged(record.tags, change) });
    });
  }

  updateAssumeRolePolicy(roleName: string, document: string): Promise<void> {
    return this.#mutex.run(async () => {
      const record = await this.get(roleName);
      checkPolicyDocument(document, 'trust');
      await this.store.replaceRole({ ...record, assumeRolePolicyDocument: document });
    });
  }
}

function checkName(name: string): void {
  if (!ROLE_NAME.test(name)) {
    throw iamValidation('roleName', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  }
}
