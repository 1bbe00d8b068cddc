import { AwsError } from '../core/index.js';
import { header, jsonBody, type Reply, type RequestContext } from './http.js';
import type { Body } from './wire.js';

export type JsonOperation = (body: Body) => Promise<object> | object;

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * A service spoken in AWS JSON 1.1: `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON body,
 * answered with the operation's JSON output, or a 400 whose `__type` names the error (the protocol's
 * errors are 400 whatever their kind; a fault of the platform's own stays a 500, answered upstream).
 */
export function jsonProtocol(targetPrefix: string, serviceTitle: string, operations: Readonly<Record<string, JsonOperation>>) {
  const prefix = `${targetPrefix}.`;
  const operationOf = (ctx: RequestContext): string => {
    const target = header(ctx, 'x-amz-target') ?? '';
    return target.startsWith(prefix) ? target.slice(prefix.length) : target;
  };
  const handler = async (ctx: RequestContext): Promise<Reply> => {
    const name = operationOf(ctx);
    const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
    try {
      if (operation === undefined) throw new AwsError('UnknownOperationException', `selfless does not serve the ${serviceTitle} operation ${name}.`);
      return { status: 200, headers: { 'Content-Type': CONTENT_TYPE }, body: Buffer.from(JSON.stringify(await operation(jsonBody(ctx)))) };
    } catch (error) {
      if (!(error instanceof AwsError) || error.fault === 'Service') throw error;
      return jsonErrorReply(error);
    }
  };
  return { operationOf, handler };
}

/** A client error as AWS JSON 1.1 answers it: 400, its type in `__type` and in `x-amzn-ErrorType`. */
export function jsonErrorReply(error: AwsError): Reply {
  return {
    status: 400,
    headers: { 'x-amzn-ErrorType': error.code, 'Content-Type': CONTENT_TYPE },
    body: Buffer.from(JSON.stringify({ __type: error.code, message: error.message })),
  };
}
