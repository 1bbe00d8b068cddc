import type { FunctionUrlInput } from '../control/index.js';
import type { FunctionUrlCors, FunctionUrlRecord } from '../core/index.js';
import { functionUrlOf } from './function-url-hosts.js';
import { jsonBody, nextMarker, pageParams, route, type RequestContext, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';
import { expectBoolean, expectInteger, expectObject, expectString, optional, type Body } from './wire.js';

/** Create/Get/Update/Delete/ListFunctionUrlConfig(s): https://docs.aws.amazon.com/lambda/latest/dg/API_CreateFunctionUrlConfig.html */
export function functionUrlRoutes(s: Services): Route[] {
  const path = '/2021-10-31/functions/{FunctionName}/url';
  const qualifier = (query: URLSearchParams) => query.get('Qualifier') ?? undefined;
  const resource = functionInPath(s.partition);
  /** A create's answer has no LastModifiedTime, and InvokeMode only when the request gave one (as recorded from AWS). */
  const shape = (ctx: RequestContext, record: FunctionUrlRecord, created?: { invokeModeGiven: boolean }) => ({
    FunctionUrl: functionUrlOf(record.urlId, s.partition.region, ctx.origin),
    FunctionArn: s.functionUrls.functionArnOf(record),
    AuthType: record.authType,
    ...(record.cors === undefined ? {} : { Cors: corsShape(record.cors) }),
    CreationTime: record.creationTime,
    ...(created === undefined ? { LastModifiedTime: record.lastModifiedTime } : {}),
    ...(created === undefined || created.invokeModeGiven ? { InvokeMode: record.invokeMode } : {}),
  });
  return [
    route(
      'POST',
      path,
      'CreateFunctionUrlConfig',
      async (ctx) => {
        const input = urlInput(jsonBody(ctx));
        const record = await s.functionUrls.create(ctx.params.FunctionName!, qualifier(ctx.query), input);
        return { status: 201, body: shape(ctx, record, { invokeModeGiven: input.invokeMode !== undefined }) };
      },
      { resource },
    ),
    route(
      'GET',
      path,
      'GetFunctionUrlConfig',
      (ctx) => ({ status: 200, body: shape(ctx, s.functionUrls.get(ctx.params.FunctionName!, qualifier(ctx.query))) }),
      {
        resource,
      },
    ),
    route(
      'PUT',
      path,
      'UpdateFunctionUrlConfig',
      async (ctx) => {
        const record = await s.functionUrls.update(ctx.params.FunctionName!, qualifier(ctx.query), urlInput(jsonBody(ctx)));
        return { status: 200, body: shape(ctx, record) };
      },
      { resource },
    ),
    route(
      'DELETE',
      path,
      'DeleteFunctionUrlConfig',
      async (ctx) => {
        await s.functionUrls.delete(ctx.params.FunctionName!, qualifier(ctx.query));
        return { status: 204 };
      },
      { resource },
    ),
    route(
      'GET',
      '/2021-10-31/functions/{FunctionName}/urls',
      'ListFunctionUrlConfigs',
      (ctx) => {
        const { marker, maxItems } = pageParams(ctx, 50);
        const { configs, nextMarker: next } = s.functionUrls.list(ctx.params.FunctionName!, marker, maxItems);
        return { status: 200, body: { FunctionUrlConfigs: configs.map((record) => shape(ctx, record)), ...nextMarker(next) } };
      },
      { resource },
    ),
  ];
}

function urlInput(body: Body): FunctionUrlInput {
  const authType = optional(body, 'AuthType', expectString);
  const invokeMode = optional(body, 'InvokeMode', expectString);
  const cors = body.Cors === null ? null : optional(body, 'Cors', (field, value) => corsInput(expectObject(field, value)));
  return {
    ...(authType === undefined ? {} : { authType }),
    ...(invokeMode === undefined ? {} : { invokeMode }),
    ...(cors === undefined ? {} : { cors }),
  };
}

function corsInput(body: Body): FunctionUrlCors {
  const strings = (field: string, value: unknown) => {
    if (!Array.isArray(value)) return [expectString(field, value)];
    return value.map((member, i) => expectString(`${field}[${i}]`, member));
  };
  const members = {
    allowCredentials: optional(body, 'AllowCredentials', expectBoolean),
    allowHeaders: optional(body, 'AllowHeaders', strings),
    allowMethods: optional(body, 'AllowMethods', strings),
    allowOrigins: optional(body, 'AllowOrigins', strings),
    exposeHeaders: optional(body, 'ExposeHeaders', strings),
    maxAge: optional(body, 'MaxAge', expectInteger),
  };
  return Object.fromEntries(Object.entries(members).filter(([, v]) => v !== undefined)) as FunctionUrlCors;
}

function corsShape(cors: FunctionUrlCors): Record<string, unknown> {
  const shape: Record<string, unknown> = {
    AllowCredentials: cors.allowCredentials,
    AllowHeaders: cors.allowHeaders,
    AllowMethods: cors.allowMethods,
    AllowOrigins: cors.allowOrigins,
    ExposeHeaders: cors.exposeHeaders,
    MaxAge: cors.maxAge,
  };
  return Object.fromEntries(Object.entries(shape).filter(([, v]) => v !== undefined));
}
