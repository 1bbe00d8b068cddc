import type { ManagedPolicy } from '../auth/index.js';
import { AwsError, type RoleRecord } from '../core/index.js';
import type { RequestContext, Route } from './http.js';
import { route } from './http.js';
import { memberList, queryParams, queryReply, requiredParam, type XmlValue } from './query.js';
import type { Services } from './services.js';

/** Requests to IAM carry policies; IAM's own limit on a policy document is 128 KiB. */
const IAM_BODY_LIMIT = 512 * 1024;

type Operation = (params: URLSearchParams, s: Services) => Promise<Record<string, XmlValue> | undefined>;

/** The IAM operations selfless answers (AWS Query protocol, one endpoint, dispatched by `Action`). */
const OPERATIONS: Readonly<Record<string, Operation>> = {
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
      tags: memberList(p, 'Tags').map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
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
  PutRolePolicy: async (p, s) => {
    await s.roles.putPolicy(requiredParam(p, 'RoleName'), requiredParam(p, 'PolicyName'), requiredParam(p, 'PolicyDocument'));
    return undefined;
  },
  GetRolePolicy: async (p, s) => {
    const roleName = requiredParam(p, 'RoleName');
    const policyName = requiredParam(p, 'PolicyName');
    const document = await s.roles.getPolicy(roleName, policyName);
    return { RoleName: (await s.roles.get(roleName)).roleName, PolicyName: policyName, PolicyDocument: encodeURIComponent(document) };
  },
  DeleteRolePolicy: async (p, s) => {
    await s.roles.deletePolicy(requiredParam(p, 'RoleName'), requiredParam(p, 'PolicyName'));
    return undefined;
  },
  ListRolePolicies: async (p, s) => {
    const page = await s.roles.listPolicies(requiredParam(p, 'RoleName'), pageOptions(p));
    return { PolicyNames: page.items, IsTruncated: page.marker !== undefined, Marker: page.marker };
  },
  CreatePolicy: async (p, s) => {
    const path = p.get('Path');
    const description = p.get('Description');
    const policy = await s.policies.create({
      policyName: requiredParam(p, 'PolicyName'),
      policyDocument: requiredParam(p, 'PolicyDocument'),
      ...(path === null ? {} : { path }),
      ...(description === null ? {} : { description }),
      tags: memberList(p, 'Tags').map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
    });
    return { Policy: policyXml(policy, 0) };
  },
  GetPolicy: async (p, s) => {
    const arn = requiredParam(p, 'PolicyArn');
    return { Policy: policyXml(await s.policies.get(arn), await s.roles.attachments(arn)) };
  },
  ListPolicies: async (p, s) => {
    const scope = p.get('Scope');
    const pathPrefix = p.get('PathPrefix');
    const attached = await s.roles.attachedAnywhere();
    const counts = new Map<string, number>();
    const page = await s.policies.list({
      ...(scope === null ? {} : { scope }),
      ...(pathPrefix === null ? {} : { pathPrefix }),
      ...(p.get('OnlyAttached') === 'true' ? { onlyAttached: (arn: string) => attached.has(arn) } : {}),
      ...pageOptions(p),
    });
    for (const policy of page.items) counts.set(policy.arn, await s.roles.attachments(policy.arn));
    return {
      Policies: page.items.map((policy) => policyXml(policy, counts.get(policy.arn) ?? 0)),
      IsTruncated: page.marker !== undefined,
      Marker: page.marker,
    };
  },
  DeletePolicy: async (p, s) => {
    const arn = requiredParam(p, 'PolicyArn');
    await s.policies.delete(arn, () => s.roles.attachments(arn));
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
  AttachRolePolicy: async (p, s) => {
    await s.roles.attachPolicy(requiredParam(p, 'RoleName'), requiredParam(p, 'PolicyArn'));
    return undefined;
  },
  DetachRolePolicy: async (p, s) => {
    await s.roles.detachPolicy(requiredParam(p, 'RoleName'), requiredParam(p, 'PolicyArn'));
    return undefined;
  },
  ListAttachedRolePolicies: async (p, s) => {
    const pathPrefix = p.get('PathPrefix');
    const page = await s.roles.attachedPolicies(requiredParam(p, 'RoleName'), { ...(pathPrefix === null ? {} : { pathPrefix }), ...pageOptions(p) });
    return {
      AttachedPolicies: page.items.map((arn) => ({ PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn })),
      IsTruncated: page.marker !== undefined,
      Marker: page.marker,
    };
  },
  UpdateAssumeRolePolicy: async (p, s) => {
    await s.roles.updateAssumeRolePolicy(requiredParam(p, 'RoleName'), requiredParam(p, 'PolicyDocument'));
    return undefined;
  },
};

/** Marker and MaxItems, as IAM's List operations take them. */
function pageOptions(p: URLSearchParams): { marker?: string; maxItems?: number } {
  const marker = p.get('Marker');
  const maxItems = p.get('MaxItems');
  return { ...(marker === null ? {} : { marker }), ...(maxItems === null ? {} : { maxItems: Number(maxItems) }) };
}

export function iamRoutes(s: Services): Route[] {
  const handler = async (ctx: RequestContext) => {
    const params = queryParams(ctx);
    const action = params.get('Action') ?? '';
    const operation = OPERATIONS[action];
    if (operation === undefined) throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    return queryReply('iam', action, await operation(params, s), ctx.requestId);
  };
  const options = { service: 'iam', action: (ctx: RequestContext) => `iam:${queryParams(ctx).get('Action') ?? ''}`, bodyLimit: IAM_BODY_LIMIT };
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
