import type { Caller } from '../auth/index.js';
import { AwsError } from '../core/index.js';
import { route, type RequestContext, type Route } from './http.js';
import { iamValidation } from '../auth/iam-names.js';
import { queryParams, queryReply, requiredParam, type XmlValue } from './query.js';
import type { Services } from './services.js';

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

type Operation = (p: URLSearchParams, s: Services, caller: Caller) => Promise<Record<string, XmlValue>> | Record<string, XmlValue>;

/** STS (AWS Query protocol): who the caller is, and temporary credentials for a role. */
const OPERATIONS: Readonly<Record<string, Operation>> = {
  GetCallerIdentity: (_p, _s, caller) => ({ UserId: userIdOf(caller), Account: caller.accountId, Arn: caller.principalArn }),
  AssumeRole: async (p, s, caller) => {
    // The front door has checked the role's trust policy (and the caller's own policies) already.
    if (caller.identity.kind === 'root') throw new AwsError('AccessDeniedException', 'Roles may not be assumed by root accounts.');
    const roleArn = requiredParam(p, 'RoleArn');
    const sessionName = requiredParam(p, 'RoleSessionName');
    if (!SESSION_NAME.test(sessionName)) throw iamValidation('roleSessionName', sessionName, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
    if (p.get('Policy') !== null || p.get('PolicyArns.member.1') !== null) {
      throw new AwsError('ValidationError', 'Session policies (Policy, PolicyArns) are not supported by selfless; leave them out.');
    }
    const role = await s.roles.byArn(roleArn);
    const duration = Number(p.get('DurationSeconds') ?? 3600);
    if (!Number.isInteger(duration) || duration < 900 || duration > role.maxSessionDuration) {
      throw iamValidation(
        'durationSeconds',
        String(p.get('DurationSeconds')),
        `Member must have value less than or equal to ${role.maxSessionDuration} and greater than or equal to 900`,
      );
    }
    const session = s.sessions.issue(role, s.partition.accountId, sessionName, duration);
    return {
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: new Date(session.expiration),
      },
      AssumedRoleUser: { AssumedRoleId: session.assumedRoleId, Arn: session.assumedRoleArn },
    };
  },
};

export function stsRoutes(s: Services): Route[] {
  const handler = async (ctx: RequestContext) => {
    const params = queryParams(ctx);
    const action = params.get('Action') ?? '';
    const operation = OPERATIONS[action];
    if (operation === undefined) throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    return queryReply('sts', action, await operation(params, s, ctx.caller!), ctx.requestId);
  };
  const options = {
    service: 'sts',
    action: (ctx: RequestContext) => `sts:${queryParams(ctx).get('Action') ?? ''}`,
    // AssumeRole is authorized on the role, whose trust policy is its resource policy.
    resource: (ctx: RequestContext) => queryParams(ctx).get('RoleArn') ?? '*',
  };
  return [route('POST', '/', 'STS', handler, options), route('GET', '/', 'STS', handler, options)];
}

/** STS's UserId: the account id for the root, the user's id, or `ROLEID:session` for a role session. */
function userIdOf(caller: Caller): string {
  const { identity } = caller;
  if (identity.kind === 'user') return identity.userId;
  if (identity.kind === 'role') return `${identity.roleId}:${identity.sessionName}`;
  return caller.accountId;
}
