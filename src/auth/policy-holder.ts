import { AwsError, type Mutex, type PolicyHolderRecord } from '../core/index.js';
import { checkMaxItems, iamValidation, type Page } from './iam-names.js';
import type { ManagedPolicies } from './managed-policies.js';
import { checkPolicyDocument } from './policy-document.js';

/** How a PolicyHolder reads and writes the identity it serves (a role or a user). */
export interface HolderAccess<R extends PolicyHolderRecord> {
  /** `role` or `user`, as IAM's messages name them. */
  readonly noun: string;
  /** The record, or NoSuchEntity. */
  get(name: string): Promise<R>;
  replace(record: R): Promise<void>;
}

const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

/**
 * The permissions of one kind of IAM identity: inline policies (Put/Get/Delete/List…Policy) and the
 * managed policies attached to it (Attach/Detach/ListAttached…Policies). Roles and users hold them alike.
 */
export class PolicyHolder<R extends PolicyHolderRecord> {
  constructor(
    private readonly access: HolderAccess<R>,
    private readonly policies: ManagedPolicies,
    /** Shared by every IAM write: attaching a policy and deleting it never interleave. */
    private readonly writes: Mutex,
  ) {}

  /** An inline policy: added, or replaced under the same name. */
  put(name: string, policyName: string, document: string): Promise<void> {
    return this.writes.run(async () => {
      const record = await this.access.get(name);
      checkPolicyName(policyName);
      checkPolicyDocument(document, 'identity');
      await this.access.replace({ ...record, inlinePolicies: { ...record.inlinePolicies, [policyName]: document } });
    });
  }

  async get(name: string, policyName: string): Promise<string> {
    checkPolicyName(policyName);
    const document = (await this.access.get(name)).inlinePolicies?.[policyName];
    if (document === undefined) throw new AwsError('NoSuchEntity', `The ${this.access.noun} policy with name ${policyName} cannot be found.`);
    return document;
  }

  delete(name: string, policyName: string): Promise<void> {
    return this.writes.run(async () => {
      await this.get(name, policyName);
      const record = await this.access.get(name);
      const { [policyName]: _gone, ...rest } = record.inlinePolicies ?? {};
      await this.access.replace({ ...record, inlinePolicies: rest });
    });
  }

  /** The names of the inline policies, in order, from after `marker`, at most `maxItems`. */
  async list(name: string, options: { marker?: string; maxItems?: number }): Promise<Page<string>> {
    const maxItems = checkMaxItems(options.maxItems);
    const all = Object.keys((await this.access.get(name)).inlinePolicies ?? {}).sort();
    const from = options.marker === undefined ? 0 : all.filter((n) => n <= options.marker!).length;
    const items = all.slice(from, from + maxItems);
    return from + maxItems < all.length ? { items, marker: items[items.length - 1]! } : { items };
  }

  /** A managed policy (the customer's or AWS's) that exists; attaching twice is a no-op, as in IAM. */
  attach(name: string, policyArn: string): Promise<void> {
    return this.writes.run(async () => {
      const record = await this.access.get(name);
      await this.policies.get(policyArn);
      const attached = record.attachedPolicies ?? [];
      if (!attached.includes(policyArn)) await this.access.replace({ ...record, attachedPolicies: [...attached, policyArn] });
    });
  }

  detach(name: string, policyArn: string): Promise<void> {
    return this.writes.run(async () => {
      const record = await this.access.get(name);
      const attached = record.attachedPolicies ?? [];
      if (!attached.includes(policyArn)) throw new AwsError('NoSuchEntity', `Policy ${policyArn} was not found.`);
      await this.access.replace({ ...record, attachedPolicies: attached.filter((a) => a !== policyArn) });
    });
  }

  /** The attached managed policies' ARNs, in the order attached. */
  async attached(name: string, options: { pathPrefix?: string; marker?: string; maxItems?: number }): Promise<Page<string>> {
    const maxItems = checkMaxItems(options.maxItems);
    const prefix = options.pathPrefix ?? '/';
    const all = ((await this.access.get(name)).attachedPolicies ?? []).filter((arn) => policyPath(arn).startsWith(prefix));
    const from = options.marker === undefined ? 0 : all.indexOf(options.marker) + 1;
    const items = all.slice(from, from + maxItems);
    return from + maxItems < all.length ? { items, marker: items[items.length - 1]! } : { items };
  }
}

/** Refused while the identity still has policies, as IAM refuses DeleteRole and DeleteUser. */
export function checkNoPolicies(record: PolicyHolderRecord): void {
  if (Object.keys(record.inlinePolicies ?? {}).length > 0) throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
  if ((record.attachedPolicies ?? []).length > 0) throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.');
}

function checkPolicyName(name: string): void {
  if (!POLICY_NAME.test(name)) throw iamValidation('policyName', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
}

/** The path inside a policy ARN (`arn:aws:iam::aws:policy/service-role/X` → `/service-role/`). */
function policyPath(arn: string): string {
  const resource = arn.slice(arn.indexOf(':policy/') + ':policy'.length);
  return resource.slice(0, resource.lastIndexOf('/') + 1);
}
