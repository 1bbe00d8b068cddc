import type { AccessKeyMetadata, Caller, ManagedPolicy } from '../auth/index.js';
import type { PolicyHolder } from '../auth/policy-holder.js';
import { pageByName } from '../auth/iam-names.js';
import { tagPage, type IamTag } from '../auth/iam-tags.js';
import { AwsError, type GroupRecord, type PolicyHolderRecord, type RoleRecord, type UserRecord } from '../core/index.js';
import type { RequestContext, Route } from './http.js';
import { route } from './http.js';
import { memberList, queryParams, queryReply, requiredParam, type XmlValue } from './query.js';
import type { Services } from './services.js';

/** Requests to IAM carry policies; IAM's own limit on a policy document is 128 KiB. */
const IAM_BODY_LIMIT = 512 * 1024;

type Operation = (params: URLSearchParams, s: Services, caller: Caller | undefined) => Promise<Record<string, XmlValue> | undefined>;

/** The policies of roles, users and groups, operated on alike: inline (Put/Get/Delete/List…Policy) and managed (Attach/Detach/ListAttached…Policies). */
function permissionOperations(
  kind: 'Role' | 'User' | 'Group',
  holder: (s: Services) => { readonly permissions: PolicyHolder<PolicyHolderRecord>; canonicalName(name: string): Promise<string> },
): Record<string, Operation> {
  const nameParam = `${kind}Name`;
  return {
    [`Put${kind}Policy`]: async (p, s) => {
      await holder(s).permissions.put(requiredParam(p, nameParam), requiredParam(p, 'PolicyName'), requiredParam(p, 'PolicyDocument'));
      return undefined;
    },
    [`Get${kind}Policy`]: async (p, s) => {
      const name = requiredParam(p, nameParam);
      const policyName = requiredParam(p, 'PolicyName');
      const document = await holder(s).permissions.get(name, policyName);
      return { [nameParam]: await holder(s).canonicalName(name), PolicyName: policyName, PolicyDocument: encodeURIComponent(document) };
    },
    [`Delete${kind}Policy`]: async (p, s) => {
      await holder(s).permissions.delete(requiredParam(p, nameParam), requiredParam(p, 'PolicyName'));
      return undefined;
    },
    [`List${kind}Policies`]: async (p, s) => {
      const page = await holder(s).permissions.list(requiredParam(p, nameParam), pageOptions(p));
      return { PolicyNames: page.items, IsTruncated: page.marker !== undefined, Marker: page.marker };
    },
    [`Attach${kind}Policy`]: async (p, s) => {
      await holder(s).permissions.attach(requiredParam(p, nameParam), requiredParam(p, 'PolicyArn'));
      return undefined;
    },
    [`Detach${kind}Policy`]: async (p, s) => {
      await holder(s).permissions.detach(requiredParam(p, nameParam), requiredParam(p, 'PolicyArn'));
      return undefined;
    },
    [`ListAttached${kind}Policies`]: async (p, s) => {
      const pathPrefix = p.get('PathPrefix');
      return attachedXml(
        await holder(s).permissions.attached(requiredParam(p, nameParam), { ...(pathPrefix === null ? {} : { pathPrefix }), ...pageOptions(p) }),
      );
    },
  };
}

/** The IAM operations selfless answers (AWS Query protocol, one endpoint, dispatched by `Action`). */
const OPERATIONS: Readonly<Record<string, Operation>> = {
  ...permissionOperations('Role', (s) => ({ permissions: s.roles.permissions, canonicalName: async (n) => (await s.roles.get(n)).roleName })),
  ...permissionOperations('User', (s) => ({ permissions: s.users.permissions, canonicalName: async (n) => (await s.users.get(n)).userName })),
  ...permissionOperations('Group', (s) => ({ permissions: s.groups.permissions, canonicalName: async (n) => (await s.groups.get(n)).groupName })),
  CreateRole: async (p, s) => {
    const maxSessionDuration = p.get('MaxSessionDuration');
    const description = p.get('Description');
    const path = p.get('Path');
    const record = await s.roles.create({
      roleName: requiredParam(p, 'RoleName'),
      assumeRolePolicyDocument: requiredParam(p, 'AssumeRolePolicyDocument'),
      ...(path === null ? {} : { path }),
      ...(description === null ? {} : { description }),
      ...(maxSessionDuration === null ? {} : { maxSessionDuration: Number(maxSessionDuration) }),
      tags: tagsParam(p),
    });
    return { Role: roleXml(record) };
  },
  GetRole: async (p, s) => ({ Role: roleXml(await s.roles.get(requiredParam(p, 'RoleName'))) }),
  ListRoles: async (p, s) => {
    const pathPrefix = p.get('PathPrefix');
    const page = await s.roles.list({ ...(pathPrefix === null ? {} : { pathPrefix }), ...pageOptions(p) });
    return { Roles: page.items.map(roleXml), IsTruncated: page.marker !== undefined, Marker: page.marker };
  },
  DeleteRole: async (p, s) => {
    const name = requiredParam(p, 'RoleName');
    const role = await s.roles.get(name);
    await s.roles.delete(name, s.registry.usingRole(role.arn));
    return undefined;
  },
  CreatePolicy: async (p, s) => {
    const path = p.get('Path');
    const description = p.get('Description');
    const policy = await s.policies.create({
      policyName: requiredParam(p, 'PolicyName'),
      policyDocument: requiredParam(p, 'PolicyDocument'),
      ...(path === null ? {} : { path }),
      ...(description === null ? {} : { description }),
      tags: tagsParam(p),
    });
    return { Policy: policyXml(policy, 0) };
  },
  GetPolicy: async (p, s) => {
    const arn = requiredParam(p, 'PolicyArn');
    return { Policy: policyXml(await s.policies.get(arn), (await s.policies.attachmentCounts()).get(arn) ?? 0) };
  },
  ListPolicies: async (p, s) => {
    const scope = p.get('Scope');
    const pathPrefix = p.get('PathPrefix');
    const counts = await s.policies.attachmentCounts();
    const page = await s.policies.list({
      ...(scope === null ? {} : { scope }),
      ...(pathPrefix === null ? {} : { pathPrefix }),
      ...(p.get('OnlyAttached') === 'true' ? { onlyAttached: (arn: string) => (counts.get(arn) ?? 0) > 0 } : {}),
      ...pageOptions(p),
    });
    return {
      Policies: page.items.map((policy) => policyXml(policy, counts.get(policy.arn) ?? 0)),
      IsTruncated: page.marker !== undefined,
      Marker: page.marker,
    };
  },
  DeletePolicy: async (p, s) => {
    const arn = requiredParam(p, 'PolicyArn');
    await s.policies.delete(arn);
    return undefined;
  },
  GetPolicyVersion: async (p, s) => {
    const arn = requiredParam(p, 'PolicyArn');
    const version = await s.policies.version(arn, requiredParam(p, 'VersionId'));
    return { PolicyVersion: versionXml(version, (await s.policies.get(arn)).defaultVersionId) };
  },
  CreatePolicyVersion: async (p, s) => {
    const arn = requiredParam(p, 'PolicyArn');
    const version = await s.policies.createVersion(arn, requiredParam(p, 'PolicyDocument'), p.get('SetAsDefault') === 'true');
    const { Document: _document, ...rest } = versionXml(version, (await s.policies.get(arn)).defaultVersionId);
    return { PolicyVersion: rest };
  },
  ListPolicyVersions: async (p, s) => {
    const policy = await s.policies.get(requiredParam(p, 'PolicyArn'));
    // Newest first, as IAM lists them; documents are left out of the list.
    const versions = [...policy.versions].reverse().map((v) => {
      const { Document: _document, ...rest } = versionXml(v, policy.defaultVersionId);
      return rest;
    });
    return { Versions: versions, IsTruncated: false };
  },
  DeletePolicyVersion: async (p, s) => {
    await s.policies.deleteVersion(requiredParam(p, 'PolicyArn'), requiredParam(p, 'VersionId'));
    return undefined;
  },
  SetDefaultPolicyVersion: async (p, s) => {
    await s.policies.setDefaultVersion(requiredParam(p, 'PolicyArn'), requiredParam(p, 'VersionId'));
    return undefined;
  },
  TagRole: async (p, s) => {
    await s.roles.retag(requiredParam(p, 'RoleName'), { tags: tagsParam(p) });
    return undefined;
  },
  UntagRole: async (p, s) => {
    await s.roles.retag(requiredParam(p, 'RoleName'), { untag: tagKeysParam(p) });
    return undefined;
  },
  ListRoleTags: async (p, s) => tagsXml((await s.roles.get(requiredParam(p, 'RoleName'))).tags, p),
  TagUser: async (p, s) => {
    await s.users.retag(requiredParam(p, 'UserName'), { tags: tagsParam(p) });
    return undefined;
  },
  UntagUser: async (p, s) => {
    await s.users.retag(requiredParam(p, 'UserName'), { untag: tagKeysParam(p) });
    return undefined;
  },
  ListUserTags: async (p, s) => tagsXml((await s.users.get(requiredParam(p, 'UserName'))).tags, p),
  // selfless has no instance profiles (they are EC2's); Terraform asks before it deletes a role.
  ListInstanceProfilesForRole: async (p, s) => {
    await s.roles.get(requiredParam(p, 'RoleName'));
    return { InstanceProfiles: [], IsTruncated: false };
  },
  UpdateAssumeRolePolicy: async (p, s) => {
    await s.roles.updateAssumeRolePolicy(requiredParam(p, 'RoleName'), requiredParam(p, 'PolicyDocument'));
    return undefined;
  },
  CreateUser: async (p, s) => {
    const path = p.get('Path');
    const record = await s.users.create({
      userName: requiredParam(p, 'UserName'),
      ...(path === null ? {} : { path }),
      tags: tagsParam(p),
    });
    return { User: userXml(record) };
  },
  GetUser: async (p, s, caller) => {
    const name = p.get('UserName') ?? callerUser(s, caller);
    // Without a name, IAM answers for the caller: the root key is the account's root user.
    if (name === undefined) {
      const accountId = caller?.accountId ?? s.partition.accountId;
      return { User: { UserId: accountId, Arn: `arn:aws:iam::${accountId}:root`, CreateDate: new Date(0) } };
    }
    return { User: userXml(await s.users.get(name)) };
  },
  ListUsers: async (p, s) => {
    const pathPrefix = p.get('PathPrefix');
    const page = await s.users.list({ ...(pathPrefix === null ? {} : { pathPrefix }), ...pageOptions(p) });
    return { Users: page.items.map(userXml), IsTruncated: page.marker !== undefined, Marker: page.marker };
  },
  DeleteUser: async (p, s) => {
    await s.users.delete(requiredParam(p, 'UserName'), (user) => s.groups.checkInNoGroup(user.userName));
    return undefined;
  },
  CreateGroup: async (p, s) => {
    const path = p.get('Path');
    return { Group: groupXml(await s.groups.create({ groupName: requiredParam(p, 'GroupName'), ...(path === null ? {} : { path }) })) };
  },
  GetGroup: async (p, s) => {
    const group = await s.groups.get(requiredParam(p, 'GroupName'));
    const members = (await Promise.all(group.users.map((name) => s.users.get(name)))).sort((a, b) =>
      a.userName.toLowerCase().localeCompare(b.userName.toLowerCase()),
    );
    const page = pageByName(members, (u) => u.userName, p.get('Marker') ?? undefined, optionalNumber(p, 'MaxItems'));
    return { Group: groupXml(group), Users: page.items.map(userXml), IsTruncated: page.marker !== undefined, Marker: page.marker };
  },
  ListGroups: async (p, s) => {
    const pathPrefix = p.get('PathPrefix');
    const page = await s.groups.list({ ...(pathPrefix === null ? {} : { pathPrefix }), ...pageOptions(p) });
    return { Groups: page.items.map(groupXml), IsTruncated: page.marker !== undefined, Marker: page.marker };
  },
  ListGroupsForUser: async (p, s) => {
    const page = await s.groups.of(requiredParam(p, 'UserName'), pageOptions(p));
    return { Groups: page.items.map(groupXml), IsTruncated: page.marker !== undefined, Marker: page.marker };
  },
  DeleteGroup: async (p, s) => {
    await s.groups.delete(requiredParam(p, 'GroupName'));
    return undefined;
  },
  AddUserToGroup: async (p, s) => {
    await s.groups.addUser(requiredParam(p, 'GroupName'), requiredParam(p, 'UserName'));
    return undefined;
  },
  RemoveUserFromGroup: async (p, s) => {
    await s.groups.removeUser(requiredParam(p, 'GroupName'), requiredParam(p, 'UserName'));
    return undefined;
  },
  CreateAccessKey: async (p, s, caller) => {
    const key = await s.users.createAccessKey(userParam(p, s, caller));
    return {
      AccessKey: {
        UserName: key.userName,
        AccessKeyId: key.accessKeyId,
        Status: key.status,
        SecretAccessKey: key.secretAccessKey,
        CreateDate: new Date(key.createDate),
      },
    };
  },
  ListAccessKeys: async (p, s, caller) => {
    const userName = userParam(p, s, caller);
    const page = await s.users.listAccessKeys(userName, pageOptions(p));
    return { UserName: userName, AccessKeyMetadata: page.items.map(keyXml), IsTruncated: page.marker !== undefined, Marker: page.marker };
  },
  UpdateAccessKey: async (p, s, caller) => {
    await s.users.updateAccessKey(userParam(p, s, caller), requiredParam(p, 'AccessKeyId'), requiredParam(p, 'Status'));
    return undefined;
  },
  DeleteAccessKey: async (p, s, caller) => {
    await s.users.deleteAccessKey(userParam(p, s, caller), requiredParam(p, 'AccessKeyId'));
    return undefined;
  },
};

/**
 * The ARN IAM authorizes an operation on: the role, user or policy it names (with the entity's path
 * when it exists), the caller itself for key operations without UserName, else `*`.
 */
async function iamResource(p: URLSearchParams, s: Services, caller: Caller | undefined): Promise<string> {
  const account = s.partition.accountId;
  const policyArn = p.get('PolicyArn');
  const roleName = p.get('RoleName');
  const groupName = p.get('GroupName');
  const userName = p.get('UserName') ?? (/AccessKey/.test(p.get('Action') ?? '') ? callerUser(s, caller) : undefined);
  const path = p.get('Path') ?? '/';
  // A user or role operation names that entity even when it also names a policy (AttachRolePolicy is on the role).
  if (roleName !== null) return (await s.roles.get(roleName).catch(() => undefined))?.arn ?? `arn:aws:iam::${account}:role${path}${roleName}`;
  if (groupName !== null) return (await s.groups.get(groupName).catch(() => undefined))?.arn ?? `arn:aws:iam::${account}:group${path}${groupName}`;
  if (userName !== undefined) return (await s.users.get(userName).catch(() => undefined))?.arn ?? `arn:aws:iam::${account}:user${path}${userName}`;
  if (policyArn !== null) return policyArn;
  const policyName = p.get('PolicyName');
  if (policyName !== null) return `arn:aws:iam::${account}:policy${path}${policyName}`;
  return '*';
}

/** The user a key operation names; without UserName, IAM acts on the calling user. */
function userParam(p: URLSearchParams, s: Services, caller: Caller | undefined): string {
  const name = p.get('UserName') ?? callerUser(s, caller);
  if (name === undefined) {
    throw new AwsError('ValidationError', "The root key comes from selfless's configuration; name the user whose access keys these are (UserName).");
  }
  return name;
}

function callerUser(s: Services, caller: Caller | undefined): string | undefined {
  return caller === undefined ? undefined : s.users.ownerOf(caller.accessKeyId);
}

function tagsParam(p: URLSearchParams): IamTag[] {
  return memberList(p, 'Tags').map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
}

function tagKeysParam(p: URLSearchParams): string[] {
  return memberList(p, 'TagKeys').map((item) => item[''] ?? '');
}

function tagsXml(tags: readonly IamTag[], p: URLSearchParams): Record<string, XmlValue> {
  const page = tagPage(tags, p.get('Marker') ?? undefined, optionalNumber(p, 'MaxItems'));
  return { Tags: page.items.map((t) => ({ Key: t.key, Value: t.value })), IsTruncated: page.marker !== undefined, Marker: page.marker };
}

function attachedXml(page: { items: string[]; marker?: string }): Record<string, XmlValue> {
  return {
    AttachedPolicies: page.items.map((arn) => ({ PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn })),
    IsTruncated: page.marker !== undefined,
    Marker: page.marker,
  };
}

/** Marker and MaxItems, as IAM's List operations take them. */
function pageOptions(p: URLSearchParams): { marker?: string; maxItems?: number } {
  const marker = p.get('Marker');
  const maxItems = optionalNumber(p, 'MaxItems');
  return { ...(marker === null ? {} : { marker }), ...(maxItems === undefined ? {} : { maxItems }) };
}

function optionalNumber(p: URLSearchParams, name: string): number | undefined {
  const value = p.get(name);
  return value === null ? undefined : Number(value);
}

export function iamRoutes(s: Services): Route[] {
  const handler = async (ctx: RequestContext) => {
    const params = queryParams(ctx);
    const action = params.get('Action') ?? '';
    const operation = OPERATIONS[action];
    if (operation === undefined) throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    return queryReply('iam', action, await operation(params, s, ctx.caller), ctx.requestId);
  };
  const options = {
    service: 'iam',
    action: (ctx: RequestContext) => `iam:${queryParams(ctx).get('Action') ?? ''}`,
    resource: (ctx: RequestContext) => iamResource(queryParams(ctx), s, ctx.caller),
    bodyLimit: IAM_BODY_LIMIT,
  };
  return [route('POST', '/', 'IAM', handler, options), route('GET', '/', 'IAM', handler, options)];
}

function policyXml(p: ManagedPolicy, attachments: number): Record<string, XmlValue> {
  return {
    PolicyName: p.policyName,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: p.description,
    CreateDate: new Date(p.createDate),
    UpdateDate: new Date(p.updateDate),
  };
}

function versionXml(v: ManagedPolicy['versions'][number], defaultVersionId: string): Record<string, XmlValue> {
  return {
    Document: encodeURIComponent(v.document),
    VersionId: v.versionId,
    IsDefaultVersion: v.versionId === defaultVersionId,
    CreateDate: new Date(v.createDate),
  };
}

/** A role as IAM answers it; policy documents go out URL-encoded, as IAM sends them. */
function roleXml(r: RoleRecord): Record<string, XmlValue> {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: new Date(r.createDate),
    AssumeRolePolicyDocument: encodeURIComponent(r.assumeRolePolicyDocument),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    Tags: r.tags.length === 0 ? undefined : r.tags.map((t) => ({ Key: t.key, Value: t.value })),
  };
}

function groupXml(g: GroupRecord): Record<string, XmlValue> {
  return { Path: g.path, GroupName: g.groupName, GroupId: g.groupId, Arn: g.arn, CreateDate: new Date(g.createDate) };
}

function userXml(u: UserRecord): Record<string, XmlValue> {
  return {
    Path: u.path,
    UserName: u.userName,
    UserId: u.userId,
    Arn: u.arn,
    CreateDate: new Date(u.createDate),
    Tags: u.tags.length === 0 ? undefined : u.tags.map((t) => ({ Key: t.key, Value: t.value })),
  };
}

function keyXml(k: AccessKeyMetadata): Record<string, XmlValue> {
  return { UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: new Date(k.createDate) };
}
