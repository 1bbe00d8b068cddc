import { createHash } from 'node:crypto';
import { AwsError, Mutex, type Clock, type ManagedPolicyRecord, type Partition } from '../core/index.js';
import type { IdentityStore } from '../store/index.js';
import { AWS_MANAGED_POLICIES } from './aws-managed-policies.js';
import { checkPolicyDocument } from './policy-document.js';
import { checkIamPath, checkMaxItems, iamValidation, type Page, randomIamId } from './iam-names.js';

/** A managed policy as IAM answers it: a customer's (stored) or one of AWS's (built in, read-only). */
export type ManagedPolicy = Omit<ManagedPolicyRecord, 'nextVersion' | 'tags'> & { readonly awsManaged: boolean };

export interface CreatePolicyInput {
  readonly policyName: string;
  readonly policyDocument: string;
  readonly path?: string;
  readonly description?: string;
  readonly tags?: ManagedPolicyRecord['tags'];
}

const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const MAX_VERSIONS = 5;
const AWS_POLICY_PREFIX = 'arn:aws:iam::aws:policy/';

/** AWS's managed policies, by ARN, with stable ids. */
const AWS_POLICIES: ReadonlyMap<string, ManagedPolicy> = new Map(
  Object.entries(AWS_MANAGED_POLICIES).map(([key, p]) => {
    const arn = `${AWS_POLICY_PREFIX}${key}`;
    const slash = key.lastIndexOf('/');
    const created = Date.parse(p.createDate);
    const policy: ManagedPolicy = {
      policyName: key.slice(slash + 1),
      policyId: `ANPA${createHash('sha256').update(arn).digest('hex').slice(0, 17).toUpperCase()}`,
      arn,
      path: slash === -1 ? '/' : `/${key.slice(0, slash)}/`,
      createDate: created,
      updateDate: created,
      defaultVersionId: p.versionId,
      versions: [{ versionId: p.versionId, document: JSON.stringify(p.document), createDate: created }],
      awsManaged: true,
    };
    return [arn, policy];
  }),
);

/**
 * Managed policies: the customer's own (CreatePolicy, up to five versions, one the default) and AWS's
 * managed policies Lambda users attach, read-only. `writes` is shared with Roles, so that attaching a
 * policy and deleting it never interleave.
 */
export class ManagedPolicies {
  constructor(
    private readonly store: IdentityStore,
    private readonly partition: Partition,
    private readonly clock: Clock,
    private readonly writes: Mutex,
  ) {}

  create(input: CreatePolicyInput): Promise<ManagedPolicy> {
    return this.writes.run(async () => {
      if (!POLICY_NAME.test(input.policyName))
        throw iamValidation('policyName', input.policyName, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
      const path = checkIamPath(input.path);
      if (input.description !== undefined && input.description.length > 1000) {
        throw iamValidation('description', input.description, 'Member must have length less than or equal to 1000');
      }
      checkPolicyDocument(input.policyDocument, 'identity');
      const now = this.clock.now();
      const record: ManagedPolicyRecord = {
        policyName: input.policyName,
        policyId: `ANPA${randomIamId(17)}`,
        arn: `arn:aws:iam::${this.partition.accountId}:policy${path}${input.policyName}`,
        path,
        ...(input.description === undefined ? {} : { description: input.description }),
        createDate: now,
        updateDate: now,
        defaultVersionId: 'v1',
        versions: [{ versionId: 'v1', document: input.policyDocument, createDate: now }],
        nextVersion: 2,
        tags: input.tags ?? [],
      };
      if (!(await this.store.insertPolicy(record))) {
        throw new AwsError('EntityAlreadyExists', `A policy called ${input.policyName} already exists. Duplicate names are not allowed.`);
      }
      return customer(record);
    });
  }

  async get(arn: string): Promise<ManagedPolicy> {
    const found = AWS_POLICIES.get(arn) ?? (await this.store.getPolicy(arn).then((r) => (r === undefined ? undefined : customer(r))));
    if (found === undefined) throw new AwsError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
    return found;
  }

  async version(arn: string, versionId: string): Promise<ManagedPolicy['versions'][number]> {
    const version = (await this.get(arn)).versions.find((v) => v.versionId === versionId);
    if (version === undefined) throw new AwsError('NoSuchEntity', `Policy ${arn} version ${versionId} does not exist or is not attachable.`);
    return version;
  }

  createVersion(arn: string, document: string, setAsDefault: boolean): Promise<ManagedPolicy['versions'][number]> {
    return this.writes.run(async () => {
      const record = await this.#own(arn);
      checkPolicyDocument(document, 'identity');
      if (record.versions.length >= MAX_VERSIONS) {
        throw new AwsError(
          'LimitExceeded',
          'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.',
        );
      }
      const now = this.clock.now();
      const version = { versionId: `v${record.nextVersion}`, document, createDate: now };
      await this.store.replacePolicy({
        ...record,
        versions: [...record.versions, version],
        nextVersion: record.nextVersion + 1,
        updateDate: now,
        defaultVersionId: setAsDefault ? version.versionId : record.defaultVersionId,
      });
      return version;
    });
  }

  deleteVersion(arn: string, versionId: string): Promise<void> {
    return this.writes.run(async () => {
      const record = await this.#own(arn);
      await this.version(arn, versionId);
      if (versionId === record.defaultVersionId) throw new AwsError('DeleteConflict', 'Cannot delete the default version of a policy.');
      await this.store.replacePolicy({ ...record, versions: record.versions.filter((v) => v.versionId !== versionId) });
    });
  }

  setDefaultVersion(arn: string, versionId: string): Promise<void> {
    return this.writes.run(async () => {
      const record = await this.#own(arn);
      await this.version(arn, versionId);
      await this.store.replacePolicy({ ...record, defaultVersionId: versionId, updateDate: this.clock.now() });
    });
  }

  /** Refused while attached to a role or user, or while it has versions besides the default, as IAM refuses it. */
  delete(arn: string): Promise<void> {
    return this.writes.run(async () => {
      const record = await this.#own(arn);
      if (((await this.attachmentCounts()).get(arn) ?? 0) > 0) throw new AwsError('DeleteConflict', 'Cannot delete a policy attached to entities.');
      if (record.versions.length > 1) {
        throw new AwsError(
          'DeleteConflict',
          "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        );
      }
      await this.store.deletePolicy(arn);
    });
  }

  /** ListPolicies: AWS's and the customer's (Scope), by name, paginated by name. */
  async list(options: {
    scope?: string;
    pathPrefix?: string;
    onlyAttached?: (arn: string) => boolean;
    marker?: string;
    maxItems?: number;
  }): Promise<Page<ManagedPolicy>> {
    const scope = options.scope ?? 'All';
    if (!['All', 'AWS', 'Local'].includes(scope)) throw iamValidation('scope', scope, 'Member must satisfy enum value set: [All, AWS, Local]');
    const maxItems = checkMaxItems(options.maxItems);
    const local = scope === 'AWS' ? [] : (await this.store.listPolicies()).map(customer);
    const aws = scope === 'Local' ? [] : [...AWS_POLICIES.values()];
    const all = [...aws, ...local]
      .filter((p) => p.path.startsWith(options.pathPrefix ?? '/') && (options.onlyAttached?.(p.arn) ?? true))
      .sort((a, b) => (a.policyName.toLowerCase() < b.policyName.toLowerCase() ? -1 : 1));
    const from = options.marker === undefined ? 0 : all.filter((p) => p.policyName.toLowerCase() <= options.marker!.toLowerCase()).length;
    const items = all.slice(from, from + maxItems);
    return from + maxItems < all.length ? { items, marker: items[items.length - 1]!.policyName } : { items };
  }

  /** How many roles and users each managed policy is attached to (AttachmentCount; ListPolicies OnlyAttached). */
  async attachmentCounts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const holders = [...(await this.store.listRoles()), ...(await this.store.listUsers()), ...(await this.store.listGroups())];
    for (const arn of holders.flatMap((h) => h.attachedPolicies ?? [])) counts.set(arn, (counts.get(arn) ?? 0) + 1);
    return counts;
  }

  /** A policy this account may change: AWS's own are not. */
  async #own(arn: string): Promise<ManagedPolicyRecord> {
    if (AWS_POLICIES.has(arn)) throw new AwsError('AccessDeniedException', `AWS managed policy ${arn} cannot be changed.`);
    const record = await this.store.getPolicy(arn);
    if (record === undefined) throw new AwsError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
    return record;
  }
}

function customer(record: ManagedPolicyRecord): ManagedPolicy {
  const { nextVersion: _next, tags: _tags, ...rest } = record;
  return { ...rest, awsManaged: false };
}
