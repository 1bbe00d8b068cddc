import { jsonBody, nextMarker, pageParams, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';
import { provisionedConcurrencyConfig } from './shapes.js';
import { expectLambdaInteger, required, type Body } from './wire.js';

/** Reserved concurrency of a function, and provisioned concurrency of a version or an alias. */
export function concurrencyRoutes(s: Services): Route[] {
  const resource = functionInPath(s.partition);
  const provisioned = '/2019-09-30/functions/{FunctionName}/provisioned-concurrency';
  return [
    // Note the dates: GetFunctionConcurrency is 2019-09-30, Put and Delete 2017-10-31.
    route(
      'PUT',
      '/2017-10-31/functions/{FunctionName}/concurrency',
      'PutFunctionConcurrency',
      async (ctx) => {
        const value = expectLambdaInteger('ReservedConcurrentExecutions', required(jsonBody(ctx), 'ReservedConcurrentExecutions'));
        const record = await s.registry.putConcurrency(ctx.params.FunctionName!, value);
        return { status: 200, body: { ReservedConcurrentExecutions: record.reservedConcurrency } };
      },
      { resource },
    ),
    route(
      'GET',
      '/2019-09-30/functions/{FunctionName}/concurrency',
      'GetFunctionConcurrency',
      (ctx) => {
        const record = s.registry.require(ctx.params.FunctionName!);
        return { status: 200, body: record.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: record.reservedConcurrency } };
      },
      { resource },
    ),
    route(
      'DELETE',
      '/2017-10-31/functions/{FunctionName}/concurrency',
      'DeleteFunctionConcurrency',
      async (ctx) => {
        await s.registry.deleteConcurrency(ctx.params.FunctionName!);
        return { status: 204 };
      },
      { resource },
    ),

    route(
      'PUT',
      provisioned,
      'PutProvisionedConcurrencyConfig',
      async (ctx) => ({
        status: 202,
        body: provisionedConcurrencyConfig(
          await s.provisioned.put(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined, provisionedRequest(jsonBody(ctx))),
          s.partition,
        ),
      }),
      { resource },
    ),
    // One path for two operations: `List=ALL` lists, `Qualifier=` gets one.
    route(
      'GET',
      provisioned,
      'GetProvisionedConcurrencyConfig',
      (ctx) => {
        if (ctx.query.get('List') === 'ALL') {
          const { marker, maxItems } = pageParams(ctx, 50);
          const page = s.provisioned.list(ctx.params.FunctionName!, marker, maxItems);
          const configs = page.configs.map((c) => provisionedConcurrencyConfig(c, s.partition, { withArn: true }));
          return { status: 200, body: { ProvisionedConcurrencyConfigs: configs, ...nextMarker(page.nextMarker) } };
        }
        return {
          status: 200,
          body: provisionedConcurrencyConfig(s.provisioned.get(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined), s.partition),
        };
      },
      {
        resource,
        action: (ctx) => (ctx.query.get('List') === 'ALL' ? 'lambda:ListProvisionedConcurrencyConfigs' : 'lambda:GetProvisionedConcurrencyConfig'),
      },
    ),
    route(
      'DELETE',
      provisioned,
      'DeleteProvisionedConcurrencyConfig',
      async (ctx) => {
        await s.provisioned.delete(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined);
        return { status: 204 };
      },
      { resource },
    ),
  ];
}

/** PutProvisionedConcurrencyConfig's one member, with Lambda's wording for a wrong type. */
function provisionedRequest(body: Body): number {
  return expectLambdaInteger('ProvisionedConcurrentExecutions', required(body, 'ProvisionedConcurrentExecutions'));
}
