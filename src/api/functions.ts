import { AwsError, invalidParameter, parseFunctionName, resolveQualifier, type FunctionRecord } from '../core/index.js';
import { jsonBody, nextMarker, pageParams, route, type RequestContext, type Route } from './http.js';
import { functionInBody, functionInPath } from './resources.js';
import type { Services } from './services.js';
import { createFunctionInput, updateCodeInput, updateConfigurationInput } from './function-inputs.js';
import { functionConfiguration } from './shapes.js';

/** CreateFunction requests may reach 70,167,211 bytes (a 50 MB zip in base64), as AWS allows. */
const CREATE_BODY_LIMIT = 70_167_211;

/** Create, read, update, delete and list functions: paths and status codes from the service model. */
export function functionRoutes(s: Services): Route[] {
  const resource = functionInPath(s.partition);
  /** The record a Get* call names: $LATEST, a version, or the version an alias points at. */
  const requireQualified = (name: string, query: URLSearchParams) => {
    const qualifier = resolveQualifier(parseFunctionName(name, s.partition), query.get('Qualifier') ?? undefined);
    const latest = s.registry.require(name, qualifier);
    const record = s.aliases.target(latest.name, qualifier);
    if (record === undefined) throw s.registry.notFound(latest.name, qualifier);
    // Lambda qualifies the ARN as the caller did (an alias, $LATEST), unqualified when they did not.
    return { record, arnQualifier: qualifier ?? '' };
  };
  /** CreateFunction / UpdateFunctionCode with `Publish: true` answer with the version they published. */
  const publishIf = async (body: Record<string, unknown>, record: FunctionRecord) => (body.Publish === true ? s.registry.publish(record.name, {}) : record);

  return [
    route(
      'POST',
      '/2015-03-31/functions',
      'CreateFunction',
      async (ctx) => {
        const body = jsonBody(ctx);
        const record = await publishIf(body, await s.registry.create(createFunctionInput(body)));
        // Even when it published version 1, CreateFunction answers with the unqualified ARN.
        return { status: 201, body: functionConfiguration(record, s.partition, { arnQualifier: '', answering: 'create' }) };
      },
      { bodyLimit: CREATE_BODY_LIMIT, resource: functionInBody(s.partition), alsoAuthorize: passRole },
    ),

    route('GET', '/2015-03-31/functions', 'ListFunctions', (ctx) => {
      const { marker, maxItems } = pageParams(ctx, 50);
      const version = ctx.query.get('FunctionVersion');
      if (version !== null && version !== 'ALL') {
        throw new AwsError(
          'ValidationException',
          `1 validation error detected: Value '${version}' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]`,
        );
      }
      if (ctx.query.get('MasterRegion') !== null) throw invalidParameter('MasterRegion (Lambda@Edge) is not supported by selfless.');
      const page = s.registry.list(marker, maxItems);
      return {
        status: 200,
        body: { Functions: page.functions.map((r) => functionConfiguration(r, s.partition, { forList: true })), ...nextMarker(page.nextMarker) },
      };
    }),

    route(
      'GET',
      '/2015-03-31/functions/{FunctionName}',
      'GetFunction',
      (ctx) => {
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
      },
      { resource },
    ),

    route(
      'GET',
      '/2015-03-31/functions/{FunctionName}/configuration',
      'GetFunctionConfiguration',
      (ctx) => {
        const { record, arnQualifier } = requireQualified(ctx.params.FunctionName!, ctx.query);
        return { status: 200, body: functionConfiguration(record, s.partition, { arnQualifier }) };
      },
      { resource },
    ),

    route(
      'PUT',
      '/2015-03-31/functions/{FunctionName}/code',
      'UpdateFunctionCode',
      async (ctx) => {
        const body = jsonBody(ctx);
        const record = await s.registry.updateCode(ctx.params.FunctionName!, updateCodeInput(body));
        const answered = body.DryRun === true ? record : await publishIf(body, record);
        return { status: 200, body: functionConfiguration(answered, s.partition, answered.version === undefined ? { answering: 'update' } : {}) };
      },
      { bodyLimit: CREATE_BODY_LIMIT, resource },
    ),

    route(
      'PUT',
      '/2015-03-31/functions/{FunctionName}/configuration',
      'UpdateFunctionConfiguration',
      async (ctx) => {
        const record = await s.registry.updateConfiguration(ctx.params.FunctionName!, updateConfigurationInput(jsonBody(ctx)));
        return { status: 200, body: functionConfiguration(record, s.partition, { answering: 'update' }) };
      },
      { resource, alsoAuthorize: passRole },
    ),

    route(
      'DELETE',
      '/2015-03-31/functions/{FunctionName}',
      'DeleteFunction',
      async (ctx) => {
        await s.registry.delete(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined);
        return { status: 204 };
      },
      { resource },
    ),
  ];
}

/**
 * Giving a function a role is passing the role to Lambda: AWS asks `iam:PassRole` on it of the caller
 * (with `iam:PassedToService`), so that lambda:CreateFunction alone cannot run code as any role.
 */
function passRole(ctx: RequestContext): Array<{ action: string; resource: string; conditionValues: Record<string, string> }> {
  const role = jsonBody(ctx).Role;
  return typeof role === 'string' ? [{ action: 'iam:PassRole', resource: role, conditionValues: { 'iam:PassedToService': 'lambda.amazonaws.com' } }] : [];
}
