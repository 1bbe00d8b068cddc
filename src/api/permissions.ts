import type { AddPermissionInput } from '../control/index.js';
import { jsonBody, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';
import { expectString, optional, required, type Body } from './wire.js';

/** AddPermission, RemovePermission, GetPolicy: a function's resource-based policy, per qualifier. */
export function permissionRoutes(s: Services): Route[] {
  const resource = functionInPath(s.partition);
  const path = '/2015-03-31/functions/{FunctionName}/policy';
  const qualifier = (query: URLSearchParams) => query.get('Qualifier') ?? undefined;
  return [
    route(
      'POST',
      path,
      'AddPermission',
      async (ctx) => {
        const statement = await s.functionPolicies.add(ctx.params.FunctionName!, qualifier(ctx.query), addPermissionInput(jsonBody(ctx)));
        return { status: 201, body: { Statement: JSON.stringify(statement) } };
      },
      { resource },
    ),
    route(
      'GET',
      path,
      'GetPolicy',
      (ctx) => {
        const { policy, revisionId } = s.functionPolicies.get(ctx.params.FunctionName!, qualifier(ctx.query));
        return { status: 200, body: { Policy: policy, RevisionId: revisionId } };
      },
      { resource },
    ),
    route(
      'DELETE',
      `${path}/{StatementId}`,
      'RemovePermission',
      async (ctx) => {
        await s.functionPolicies.remove(ctx.params.FunctionName!, qualifier(ctx.query), ctx.params.StatementId!, ctx.query.get('RevisionId') ?? undefined);
        return { status: 204 };
      },
      { resource },
    ),
  ];
}

function addPermissionInput(body: Body): AddPermissionInput {
  const member = (name: string) => optional(body, name, expectString);
  const given = {
    sourceArn: member('SourceArn'),
    sourceAccount: member('SourceAccount'),
    eventSourceToken: member('EventSourceToken'),
    principalOrgId: member('PrincipalOrgID'),
    functionUrlAuthType: member('FunctionUrlAuthType'),
    revisionId: member('RevisionId'),
  };
  return {
    statementId: expectString('StatementId', required(body, 'StatementId')),
    action: expectString('Action', required(body, 'Action')),
    principal: expectString('Principal', required(body, 'Principal')),
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
  };
}
