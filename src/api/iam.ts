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
    return { Roles: page.roles.map(roleXml), IsTruncated: page.marker !== undefined, Marker: page.marker };
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
    return { PolicyNames: page.names, IsTruncated: page.marker !== undefined, Marker: page.marker };
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
