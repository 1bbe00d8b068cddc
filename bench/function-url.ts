import { AddPermissionCommand, CreateFunctionUrlConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { createEchoFunction, invokeTarget, measure, NODE_ECHO, type LoadPlan, type Run, type Target } from './scenarios.js';
import type { PlatformInfo } from './server.js';
import { nodeZip } from '../test/support/zip.js';

/** Function URL requests against Invoke API calls of the same function, at the same concurrency. */
export interface FunctionUrlRun {
  readonly url: Run;
  readonly invoke: Run;
}

/**
 * One function for both paths: invoked through the Invoke API it echoes the payload; through its URL it
 * answers the request body as the response body — the same bytes back either way.
 */
const URL_ECHO = {
  ...NODE_ECHO,
  zip: () =>
    nodeZip(
      "exports.handler = async (e) => (e.requestContext?.http ? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: e.body } : e);\n",
    ),
};

/** Creates the function and a public (AuthType NONE) URL for it; answers the URL's path form on the API port. */
export async function createUrlEcho(lambda: LambdaClient, platform: PlatformInfo, name: string): Promise<URL> {
  await createEchoFunction(lambda, name, URL_ECHO);
  const { FunctionUrl } = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'NONE' }));
  await lambda.send(
    new AddPermissionCommand({ FunctionName: name, StatementId: 'public', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }),
  );
  // The path form: a load client on 127.0.0.1 needs no resolver for `*.localhost`.
  const urlId = new URL(FunctionUrl!).hostname.split('.')[0]!;
  return new URL(`/lambda-url/${urlId}/`, platform.url);
}

export const functionUrlTarget = (url: URL, pid?: number): Target => ({
  label: 'function URL',
  url,
  ...(pid === undefined ? {} : { pid }),
  headers: async () => ({ 'content-type': 'application/json' }),
});

/** Both paths to the one function, one after the other with the same plan. */
export async function urlVsInvoke(platform: PlatformInfo, name: string, url: URL, plan: LoadPlan, pid?: number): Promise<FunctionUrlRun> {
  const viaUrl = await measure(functionUrlTarget(url, pid), plan);
  const viaInvoke = await measure(invokeTarget(platform, name, pid), plan);
  return { url: viaUrl, invoke: viaInvoke };
}
