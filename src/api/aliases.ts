import { validationError } from '../core/index.js';
import type { AliasSettings, CreateAliasInput, UpdateAliasInput } from '../control/index.js';
import { jsonBody, nextMarker, pageParams, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';
import { aliasConfiguration } from './shapes.js';
import { expectObject, expectString, optional, required, type Body } from './wire.js';

/** CreateAlias, ListAliases, GetAlias, UpdateAlias, DeleteAlias. */
export function aliasRoutes(s: Services): Route[] {
  const resource = functionInPath(s.partition);
  const path = '/2015-03-31/functions/{FunctionName}/aliases';
  return [
    route(
      'POST',
      path,
      'CreateAlias',
      async (ctx) => ({
        status: 201,
        body: aliasConfiguration(await s.aliases.create(ctx.params.FunctionName!, createAliasInput(jsonBody(ctx))), s.partition),
      }),
      { resource },
    ),
    route(
      'GET',
      path,
      'ListAliases',
      (ctx) => {
        const { marker, maxItems } = pageParams(ctx, 50);
        const page = s.aliases.list(ctx.params.FunctionName!, ctx.query.get('FunctionVersion') ?? undefined, marker, maxItems);
        return { status: 200, body: { Aliases: page.aliases.map((a) => aliasConfiguration(a, s.partition)), ...nextMarker(page.nextMarker) } };
      },
      { resource },
    ),
    route(
      'GET',
      `${path}/{Name}`,
      'GetAlias',
      (ctx) => ({
        status: 200,
        body: aliasConfiguration(s.aliases.require(ctx.params.FunctionName!, ctx.params.Name!), s.partition),
      }),
      { resource },
    ),
    route(
      'PUT',
      `${path}/{Name}`,
      'UpdateAlias',
      async (ctx) => ({
        status: 200,
        body: aliasConfiguration(await s.aliases.update(ctx.params.FunctionName!, ctx.params.Name!, updateAliasInput(jsonBody(ctx))), s.partition),
      }),
      { resource },
    ),
    route(
      'DELETE',
      `${path}/{Name}`,
      'DeleteAlias',
      async (ctx) => {
        await s.aliases.delete(ctx.params.FunctionName!, ctx.params.Name!);
        return { status: 204 };
      },
      { resource },
    ),
  ];
}

function createAliasInput(body: Body): CreateAliasInput {
  const name = expectString('Name', required(body, 'Name'));
  return { name, functionVersion: expectString('FunctionVersion', required(body, 'FunctionVersion')), ...aliasSettings(body) };
}

function updateAliasInput(body: Body): UpdateAliasInput {
  return {
    revisionId: optional(body, 'RevisionId', expectString),
    functionVersion: optional(body, 'FunctionVersion', expectString),
    ...aliasSettings(body),
  };
}

function aliasSettings(body: Body): AliasSettings {
  return {
    description: optional(body, 'Description', expectString),
    additionalVersionWeights: optional(body, 'RoutingConfig', (field, value) => {
      const weights = expectObject(field, value).AdditionalVersionWeights ?? {};
      const map = expectObject('RoutingConfig.AdditionalVersionWeights', weights);
      for (const weight of Object.values(map)) {
        if (typeof weight !== 'number') {
          throw validationError(
            'routingConfig.additionalVersionWeights',
            weight,
            'Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]',
          );
        }
      }
      return map as Record<string, number>;
    }),
  };
}
