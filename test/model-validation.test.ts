import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateInput } from '../src/api/model-validation.js';
import { allRoutes } from '../src/api/server.js';
import type { Services } from '../src/api/index.js';
import type { Route } from '../src/api/http.js';

test('the service model words its checks as AWS does: maps, lists of enums, numbers, required members', () => {
  assert.deepEqual(
    validateInput('CreateAlias', { FunctionName: 'f', Name: 'a', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 2 } } }),
    [
      "Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]",
    ],
  );
  assert.deepEqual(validateInput('CreateFunction', { FunctionName: 'f', Role: 'r1', Code: {}, Architectures: ['X86_64'] }), [
    "Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
    "Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
  ]);
  assert.deepEqual(validateInput('PutProvisionedConcurrencyConfig', { FunctionName: 'f', Qualifier: '1', ProvisionedConcurrentExecutions: 0 }), [
    "Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1",
  ]);
  assert.deepEqual(validateInput('UntagResource', { Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f' }), [
    "Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
  ]);
  // A sensitive member's value stays out of the message, as AWS leaves it out.
  assert.deepEqual(
    validateInput('CreateFunction', { FunctionName: 'f', Role: 'arn:aws:iam::000000000000:role/r', Code: {}, Environment: { Variables: { '1x': 'secret' } } }),
    [
      "Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
    ],
  );
  assert.deepEqual(validateInput('GetFunction', { FunctionName: 'my-function' }), []);
});

test("every Lambda route serves its model operation's method and path", () => {
  const model = JSON.parse(readFileSync(new URL('../../model/lambda.json', import.meta.url), 'utf8')) as {
    operations: Record<string, { method: string; uri: string }>;
  };
  // The selfless API (its own actions) shares the service name; it is not Lambda's and has no model.
  const selflessOwn = (r: Route) => r.path.startsWith('/selfless/') || (typeof r.action === 'string' && r.action.startsWith('selfless:'));
  const lambdaRoutes = allRoutes({} as Services).filter((r) => r.service === 'lambda' && !selflessOwn(r));
  assert.ok(lambdaRoutes.length > 40);
  for (const route of lambdaRoutes) {
    const name = route.operation === 'InvokeFunction' ? 'Invoke' : route.operation;
    const operation = model.operations[name];
    assert.ok(operation !== undefined, `${route.operation} is not in the model`);
    assert.equal(`${route.method} ${route.path}`, `${operation.method} ${operation.uri}`, route.operation);
  }
});
