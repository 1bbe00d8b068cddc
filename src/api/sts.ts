import type { Caller } from '../auth/index.js';
import { AwsError } from '../core/index.js';
import { route, type RequestContext, type Route } from './http.js';
import { queryParams, queryReply } from './query.js';

/** STS (AWS Query protocol): who the caller is. AssumeRole comes with execution-role credentials. */
export function stsRoutes(): Route[] {
  const handler = (ctx: RequestContext) => {
    const action = queryParams(ctx).get('Action') ?? '';
    if (action !== 'GetCallerIdentity') throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    const caller = ctx.caller!;
    return queryReply('sts', action, { UserId: userIdOf(caller), Account: caller.accountId, Arn: caller.principalArn }, ctx.requestId);
  };
  const options = { service: 'sts', action: (ctx: RequestContext) => `sts:${queryParams(ctx).get('Action') ?? ''}` };
  return [route('POST', '/', 'STS', handler, options), route('GET', '/', 'STS', handler, options)];
}

/** STS's UserId: the account id for the root, the user's id, or `ROLEID:session` for a role session. */
function userIdOf(caller: Caller): string {
  const { identity } = caller;
  if (identity.kind === 'user') return identity.userId;
  if (identity.kind === 'role') return `${identity.roleId}:${identity.sessionName}`;
  return caller.accountId;
}
