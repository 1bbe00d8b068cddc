import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { route, type Route } from '../src/api/http.js';
import { Router } from '../src/api/router.js';
import { AwsError } from '../src/core/index.js';

const answer = (name: string) => () => ({ status: 200, body: { name } });

describe('the front door router', () => {
  const routes: Route[] = [
    route('GET', '/2015-03-31/functions', 'ListFunctions', answer('list')),
    route('GET', '/2015-03-31/functions/{FunctionName}', 'GetFunction', answer('get')),
    route('GET', '/2015-03-31/functions/{FunctionName}/configuration', 'GetFunctionConfiguration', answer('config')),
    route('GET', '/2017-03-31/tags/{ARN}', 'ListTags', answer('tags')),
    route('POST', '/', 'ListUsers', answer('iam'), { service: 'iam' }),
  ];
  const router = new Router(routes);
  const operation = (service: string, method: string, path: string) => router.find(service, method, path)?.route.operation;

  it('routes by the SigV4 service, then method and path', () => {
    assert.equal(operation('lambda', 'GET', '/2015-03-31/functions'), 'ListFunctions');
    assert.equal(operation('lambda', 'GET', '/2015-03-31/functions/f/configuration'), 'GetFunctionConfiguration');
    assert.equal(operation('iam', 'POST', '/'), 'ListUsers');
    assert.equal(operation('lambda', 'POST', '/'), undefined);
    assert.equal(operation('lambda', 'DELETE', '/2015-03-31/functions'), undefined);
    assert.equal(router.serves('iam'), true);
    assert.equal(router.serves('sts'), false);
  });

  it('decodes parameters, takes a trailing slash, and is exact about the rest', () => {
    assert.deepEqual(router.find('lambda', 'GET', '/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af')?.params, {
      ARN: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    });
    assert.deepEqual(router.find('lambda', 'GET', '/2015-03-31/functions/a%2Fb')?.params, { FunctionName: 'a/b' });
    assert.equal(operation('lambda', 'GET', '/2015-03-31/functions/f/'), 'GetFunction');
    assert.equal(operation('lambda', 'GET', '/2015-03-31/Functions/f'), undefined);
    assert.equal(operation('lambda', 'GET', '/2015-03-31//functions/f'), undefined);
    // A tag resource ARN may be 256 characters, more than find-my-way's default parameter length.
    const long = `arn:aws:lambda:us-east-1:000000000000:function:${'x'.repeat(200)}`;
    assert.equal(router.find('lambda', 'GET', `/2017-03-31/tags/${encodeURIComponent(long)}`)?.params.ARN, long);
  });

  it('answers a % escape that does not decode with ValidationException naming the parameter', () => {
    assert.throws(
      () => router.find('lambda', 'GET', '/2015-03-31/functions/%E0%A4%A/configuration'),
      (error: AwsError) => {
        assert.equal(error.code, 'ValidationException');
        assert.match(error.message, /Value '%E0%A4%A' at 'functionName' failed to satisfy constraint: Member must be valid percent-encoded UTF-8/);
        return true;
      },
    );
    assert.throws(() => router.find('lambda', 'GET', '/2015-03-31/%/x'), /at 'path'/);
  });
});
