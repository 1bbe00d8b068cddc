import { jsonBody, nextMarker, pageParams, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';

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
        const record = await s.registry.putConcurrency(ctx.params.FunctionName!, jsonBody(ctx));
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
        body: await s.provisioned.put(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined, jsonBody(ctx)),
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
          return { status: 200, body: { ProvisionedConcurrencyConfigs: page.configs, ...nextMarker(page.nextMarker) } };
        }
        return { status: 200, body: s.provisioned.get(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined) };
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
