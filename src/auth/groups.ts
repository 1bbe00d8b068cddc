import { AwsError, type Clock, type GroupRecord, type Mutex, type Partition } from '../core/index.js';
import type { IdentityStore } from '../store/index.js';
import { checkIamPath, iamValidation, pageByName, randomIamId, type Page } from './iam-names.js';
import type { ManagedPolicies } from './managed-policies.js';
import { checkNoPolicies, PolicyHolder } from './policy-holder.js';
import type { Users } from './users.js';

const GROUP_NAME = /^[\w+=,.@-]{1,128}$/;
const MEMBERS_FIRST = 'Cannot delete entity, must remove users from group first.';

/**
 * IAM groups: a user's permissions are its own policies and those of every group it is in. Members
 * are kept on the group, by the user's own spelling of its name; a user in a group cannot be deleted.
 */
export class Groups {
  /** The group's inline and attached policies (PutGroupPolicy, AttachGroupPolicy, …). */
  readonly permissions: PolicyHolder<GroupRecord>;

  constructor(
    private readonly store: IdentityStore,
    private readonly partition: Partition,
    private readonly clock: Clock,
    policies: ManagedPolicies,
    private readonly users: Users,
    private readonly writes: Mutex,
  ) {
    this.permissions = new PolicyHolder({ noun: 'group', get: (name) => this.get(name), replace: (g) => this.store.replaceGroup(g) }, policies, writes);
  }

  create(input: { groupName: string; path?: string }): Promise<GroupRecord> {
    return this.writes.run(async () => {
      checkName(input.groupName);
      const path = checkIamPath(input.path);
      const record: GroupRecord = {
        groupName: input.groupName,
        groupId: `AGPA${randomIamId(17)}`,
        arn: `arn:aws:iam::${this.partition.accountId}:group${path}${input.groupName}`,
        path,
        createDate: this.clock.now(),
        users: [],
      };
      if (!(await this.store.insertGroup(record))) throw new AwsError('EntityAlreadyExists', `Group with name ${input.groupName} already exists.`);
      return record;
    });
  }

  async get(groupName: string): Promise<GroupRecord> {
    checkName(groupName);
    const record = await this.store.getGroup(groupName);
    if (record === undefined) throw new AwsError('NoSuchEntity', `The group with name ${groupName} cannot be found.`);
    return record;
  }

  async list(options: { pathPrefix?: string; marker?: string; maxItems?: number }): Promise<Page<GroupRecord>> {
    const prefix = options.pathPrefix ?? '/';
    const all = (await this.store.listGroups()).filter((g) => g.path.startsWith(prefix));
    return pageByName(all, (g) => g.groupName, options.marker, options.maxItems);
  }

  /** ListGroupsForUser: the groups a user (which must exist) is in, by name. */
  async of(userName: string, options: { marker?: string; maxItems?: number } = {}): Promise<Page<GroupRecord>> {
    const user = await this.users.get(userName);
    return pageByName(await this.withMember(user.userName), (g) => g.groupName, options.marker, options.maxItems);
  }

  /** Every group with `userName` (a user's own spelling, or any case) among its members, by name. */
  async withMember(userName: string): Promise<GroupRecord[]> {
    return (await this.store.listGroups()).filter((g) => isMember(g, userName));
  }

  /** Refused while the group has members or policies, as IAM refuses it. */
  delete(groupName: string): Promise<void> {
    return this.writes.run(async () => {
      const record = await this.get(groupName);
      if (record.users.length > 0) throw new AwsError('DeleteConflict', MEMBERS_FIRST);
      checkNoPolicies(record);
      await this.store.deleteGroup(record.groupName);
    });
  }

  /** AddUserToGroup: adding a member twice changes nothing, as in IAM. */
  addUser(groupName: string, userName: string): Promise<void> {
    return this.writes.run(async () => {
      const group = await this.get(groupName);
      const user = await this.users.get(userName);
      if (!isMember(group, user.userName)) await this.store.replaceGroup({ ...group, users: [...group.users, user.userName] });
    });
  }

  removeUser(groupName: string, userName: string): Promise<void> {
    return this.writes.run(async () => {
      const group = await this.get(groupName);
      const user = await this.users.get(userName);
      if (!isMember(group, user.userName)) throw new AwsError('NoSuchEntity', `The user with name ${userName} cannot be found in group ${group.groupName}.`);
      await this.store.replaceGroup({ ...group, users: group.users.filter((u) => u.toLowerCase() !== user.userName.toLowerCase()) });
    });
  }

  /** For DeleteUser, which IAM refuses while the user is in a group (run inside the shared IAM writes). */
  async checkInNoGroup(userName: string): Promise<void> {
    if ((await this.withMember(userName)).length > 0) throw new AwsError('DeleteConflict', MEMBERS_FIRST);
  }
}

const isMember = (group: GroupRecord, userName: string) => group.users.some((u) => u.toLowerCase() === userName.toLowerCase());

function checkName(name: string): void {
  if (!GROUP_NAME.test(name)) throw iamValidation('groupName', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
}
