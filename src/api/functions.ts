import { AwsError, invalidParameter, parseFunctionName, resolveQualifier, type FunctionRecord } from '../core/index.js';
import { jsonBody, pageParams, route, type Route } from './http.js';
import type { Services } from './services.js';
import { functionConfiguration } from './shapes.js';

/** CreateFunction requests may reach 70,167,211 bytes (a 50 MB zip in base64), as AWS allows. */
const CREATE_BODY_LIMIT = 70_167_211;

/** The function control plane: paths and status codes from the service model. */
export function functionRoutes(s: Services): Route[] {
  const qualifierOf = (name: string, query: URLSearchParams) => {
    const wanted = resolveQualifier(parseFunctionName(name, s.partition), query.get('Qualifier') ?? undefined);
    return wanted;
  };
  /** The record a Get* call names: $LATEST, a version, or the version an alias points at. */
  const requireQualified = (name: string, query: URLSearchParams) => {
    const qualifier = qualifierOf(name, query);
    const latest = s.registry.require(name, qualifier);
    const record = s.aliases.target(latest.name, qualifier);
    if (record === undefined) throw s.registry.notFound(latest.name, qualifier);
    // Lambda qualifies the ARN as the caller did (an alias, $LATEST), unqualified when they did not.
    return { record, arnQualifier: qualifier ?? '' };
  };
  /** CreateFunction / UpdateFunctionCode with `Publish: true` answer with the version they published. */
  const publishIf = async (body: Record<string, unknown>, record: FunctionRecord) =>
    body.Publish === true ? s.registry.publish(record.name, {}) : record;

  return [
    route('POST', '/2015-03-31/functions', async (ctx) => {
      const body = jsonBody(ctx);
      const record = await publishIf(body, await s.registry.create(body));
      // Even when it published version 1, CreateFunction answers with the unqualified ARN.
      return { status: 201, body: functionConfiguration(record, s.partition, { arnQualifier: '' }) };
    }, { bodyLimit: CREATE_BODY_LIMIT, operation: 'CreateFunction' }),

    route('GET', '/2015-03-31/functions', (ctx) => {
      const { marker, maxItems } = pageParams(ctx, 50);
      const version = ctx.query.get('FunctionVersion');
      if (version !== null && version !== 'ALL') {
        throw new AwsError('ValidationException', `1 validation error detected: Value '${version}' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]`);
      }
      if (ctx.query.get('MasterRegion') !== null) throw invalidParameter('MasterRegion (Lambda@Edge) is not supported by selfless.');
      const page = s.registry.list(marker, maxItems);
      return {
        status: 200,
        body: {
          Functions: page.functions.map((r) => functionConfiguration(r, s.partition, { forList: true })),
          ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }),
        },
      };
    }),

    route('GET', '/2015-03-31/functions/{FunctionName}', (ctx) => {
      const { record, arnQualifier } = requireQualified(ctx.params.FunctionName!, ctx.query);
      const tags = Object.keys(record.tags).length > 0 ? { Tags: record.tags } : {};
      const reserved = s.registry.cached(record.name)?.reservedConcurrency;
      const concurrency = reserved === undefined ? {} : { Concurrency: { ReservedConcurrentExecutions: reserved } };
      return {
        status: 200,
        body: {
          Configuration: functionConfiguration(record, s.partition, { arnQualifier }),
          Code: { RepositoryType: 'S3', Location: s.codeLinks.url(ctx.origin, record.codeSha256) },
          ...tags,
          ...concurrency,
        },
      };
    }),

    route('GET', '/2015-03-31/functions/{FunctionName}/configuration', (ctx) => {
      const { record, arnQualifier } = requireQualified(ctx.params.FunctionName!, ctx.query);
      return { status: 200, body: functionConfiguration(record, s.partition, { arnQualifier }) };
    }),

    route('PUT', '/2015-03-31/functions/{FunctionName}/code', async (ctx) => {
      const body = jsonBody(ctx);
      const record = await s.registry.updateCode(ctx.params.FunctionName!, body);
      return { status: 200, body: functionConfiguration(body.DryRun === true ? record : await publishIf(body, record), s.partition) };
    }, { bodyLimit: CREATE_BODY_LIMIT, operation: 'UpdateFunctionCode' }),

    route('PUT', '/2015-03-31/functions/{FunctionName}/configuration', async (ctx) => {
      const record = await s.registry.updateConfiguration(ctx.params.FunctionName!, jsonBody(ctx));
      return { status: 200, body: functionConfiguration(record, s.partition) };
    }),

    route('DELETE', '/2015-03-31/functions/{FunctionName}', async (ctx) => {
      await s.registry.delete(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined);
      return { status: 204 };
    }),

    // Versions: PublishVersion and ListVersionsByFunction.
    route('POST', '/2015-03-31/functions/{FunctionName}/versions', async (ctx) => ({
      status: 201,
      body: functionConfiguration(await s.registry.publish(ctx.params.FunctionName!, jsonBody(ctx)), s.partition),
    })),

    route('GET', '/2015-03-31/functions/{FunctionName}/versions', (ctx) => {
      const { marker, maxItems } = pageParams(ctx, 50);
      const latest = s.registry.require(ctx.params.FunctionName!);
      const all = s.registry.versions(latest.name);
      const start = marker === undefined ? 0 : all.findIndex((r) => (r.version ?? '$LATEST') === marker) + 1;
      const page = start <= 0 && marker !== undefined ? [] : all.slice(start, start + maxItems);
      const more = page.length > 0 && start + maxItems < all.length;
      return {
        status: 200,
        body: {
          // Every entry qualified, $LATEST included.
          Versions: page.map((r) => functionConfiguration(r, s.partition, { forList: true, arnQualifier: r.version ?? '$LATEST' })),
          ...(more ? { NextMarker: page[page.length - 1]!.version ?? '$LATEST' } : {}),
        },
      };
    }),

    // Aliases.
    route('POST', '/2015-03-31/functions/{FunctionName}/aliases', async (ctx) => ({
      status: 201,
      body: s.aliases.shape(await s.aliases.create(ctx.params.FunctionName!, jsonBody(ctx))),
    })),
    route('GET', '/2015-03-31/functions/{FunctionName}/aliases', (ctx) => {
      const { marker, maxItems } = pageParams(ctx, 50);
      const page = s.aliases.list(ctx.params.FunctionName!, ctx.query.get('FunctionVersion') ?? undefined, marker, maxItems);
      return { status: 200, body: { Aliases: page.aliases.map((a) => s.aliases.shape(a)), ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }) } };
    }),
    route('GET', '/2015-03-31/functions/{FunctionName}/aliases/{Name}', (ctx) => ({
      status: 200,
      body: s.aliases.shape(s.aliases.require(ctx.params.FunctionName!, ctx.params.Name!)),
    })),
    route('PUT', '/2015-03-31/functions/{FunctionName}/aliases/{Name}', async (ctx) => ({
      status: 200,
      body: s.aliases.shape(await s.aliases.update(ctx.params.FunctionName!, ctx.params.Name!, jsonBody(ctx))),
    })),
    route('DELETE', '/2015-03-31/functions/{FunctionName}/aliases/{Name}', async (ctx) => {
      await s.aliases.delete(ctx.params.FunctionName!, ctx.params.Name!);
      return { status: 204 };
    }),

    // Reserved concurrency (note the dates: Get is 2019-09-30, Put and Delete 2017-10-31).
    route('PUT', '/2017-10-31/functions/{FunctionName}/concurrency', async (ctx) => {
      const record = await s.registry.putConcurrency(ctx.params.FunctionName!, jsonBody(ctx));
      return { status: 200, body: { ReservedConcurrentExecutions: record.reservedConcurrency } };
    }),
    route('GET', '/2019-09-30/functions/{FunctionName}/concurrency', (ctx) => {
      const record = s.registry.require(ctx.params.FunctionName!);
      return { status: 200, body: record.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: record.reservedConcurrency } };
    }),
    route('DELETE', '/2017-10-31/functions/{FunctionName}/concurrency', async (ctx) => {
      await s.registry.deleteConcurrency(ctx.params.FunctionName!);
      return { status: 204 };
    }),

    // Provisioned concurrency, on a version or an alias.
    route('PUT', '/2019-09-30/functions/{FunctionName}/provisioned-concurrency', async (ctx) => ({
      status: 202,
      body: await s.provisioned.put(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined, jsonBody(ctx)),
    })),
    route('GET', '/2019-09-30/functions/{FunctionName}/provisioned-concurrency', (ctx) => {
      if (ctx.query.get('List') === 'ALL') {
        const { marker, maxItems } = pageParams(ctx, 50);
        const page = s.provisioned.list(ctx.params.FunctionName!, marker, maxItems);
        return { status: 200, body: { ProvisionedConcurrencyConfigs: page.configs, ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }) } };
      }
      return { status: 200, body: s.provisioned.get(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined) };
    }),
    route('DELETE', '/2019-09-30/functions/{FunctionName}/provisioned-concurrency', async (ctx) => {
      await s.provisioned.delete(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined);
      return { status: 204 };
    }),

    route('GET', '/2016-08-19/account-settings', () => {
      const all = s.registry.list(undefined, Number.MAX_SAFE_INTEGER).functions;
      return {
        status: 200,
        body: {
          // Quotas from https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
          AccountLimit: {
            TotalCodeSize: 80_530_636_800,
            CodeSizeUnzipped: 262_144_000,
            CodeSizeZipped: 52_428_800,
            ConcurrentExecutions: s.accountConcurrency,
            UnreservedConcurrentExecutions: s.accountConcurrency - s.registry.reservedTotal(),
          },
          AccountUsage: { TotalCodeSize: all.reduce((sum, r) => sum + r.codeSize, 0), FunctionCount: all.length },
        },
      };
    }),

    route('POST', '/2017-03-31/tags/{ARN}', async (ctx) => {
      const body = jsonBody(ctx);
      if (body.Tags === undefined) throw new AwsError('ValidationException', "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
      await s.registry.tag(ctx.params.ARN!, body.Tags);
      return { status: 204 };
    }),

    route('DELETE', '/2017-03-31/tags/{ARN}', async (ctx) => {
      await s.registry.untag(ctx.params.ARN!, ctx.query.getAll('tagKeys'));
      return { status: 204 };
    }),

    route('GET', '/2017-03-31/tags/{ARN}', (ctx) => ({ status: 200, body: { Tags: s.registry.listTags(ctx.params.ARN!) } })),
  ];
}
