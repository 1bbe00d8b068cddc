import { functionArn, parseFunctionName, type Partition } from '../core/index.js';
import { jsonBody, type RequestContext } from './http.js';

/**
 * The ARN authorize() is asked about for an operation on the function in the path (qualified by the
 * name's own qualifier or `Qualifier`). Lenient: a name that does not parse still names a resource, and
 * the handler answers with its validation error.
 */
export const functionInPath =
  (partition: Partition) =>
  (ctx: RequestContext): string =>
    functionResource(partition, ctx.params.FunctionName ?? '', ctx.query.get('Qualifier') ?? undefined);

/** CreateFunction's resource: the function its body names. */
export const functionInBody =
  (partition: Partition) =>
  (ctx: RequestContext): string => {
    const name = jsonBody(ctx).FunctionName;
    return typeof name === 'string' ? functionResource(partition, name) : '*';
  };

/** The tagging operations name their resource by ARN in the path. */
export const arnInPath = (ctx: RequestContext): string => ctx.params.Resource ?? '*';

function functionResource(partition: Partition, name: string, qualifier?: string): string {
  try {
    const ref = parseFunctionName(name, partition);
    return functionArn(partition, ref.name, ref.qualifier ?? qualifier);
  } catch {
    return functionArn(partition, name, qualifier);
  }
}
