import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, parsePolicy, type AccessRequest, type Decision, type PrincipalFacts } from '../src/auth/policy.js';

/**
 * IAM's evaluation logic as AWS documents it (policy evaluation logic, condition operators, multi-value
 * conditions, policy variables), as a table: each case is a policy (identity, or resource) and a request,
 * with the decision AWS documents for it.
 */
const ACCOUNT = '123456789012';
const OTHER = '999999999999';
const ALICE: PrincipalFacts = { arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT };
const FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders`;

const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (extra: object = {}) => ({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: FN, ...extra });
const deny = (extra: object = {}) => ({ Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: FN, ...extra });

interface Case {
  readonly name: string;
  readonly identity?: readonly object[][];
  readonly resource?: readonly object[];
  readonly request?: Partial<AccessRequest>;
  readonly resourceAccount?: string;
  readonly expect: Decision;
}

const request = (over: Partial<AccessRequest> = {}): AccessRequest => ({
  principal: ALICE,
  action: 'lambda:InvokeFunction',
  resource: FN,
  context: {},
  ...over,
});

/** One condition test: its operator and values over key `k`, against a request whose `k` is `value` (undefined: absent). */
const cond = (name: string, operator: string, values: unknown, value: string | string[] | undefined, expect: Decision): Case => ({
  name: `${operator} ${JSON.stringify(values)} vs ${JSON.stringify(value)}: ${name}`,
  identity: [[allow({ Condition: { [operator]: { k: values } } })]],
  request: { context: value === undefined ? {} : { k: value } },
  expect,
});

const actionCases: Case[] = [
  ['lambda:InvokeFunction', 'lambda:InvokeFunction', 'Allow'],
  ['lambda:invokefunction', 'lambda:InvokeFunction', 'Allow'],
  ['LAMBDA:INVOKEFUNCTION', 'lambda:InvokeFunction', 'Allow'],
  ['lambda:*', 'lambda:InvokeFunction', 'Allow'],
  ['lambda:*', 'lambda:GetFunction', 'Allow'],
  ['*', 'lambda:DeleteFunction', 'Allow'],
  ['lambda:Get*', 'lambda:GetFunction', 'Allow'],
  ['lambda:Get*', 'lambda:GetFunctionConfiguration', 'Allow'],
  ['lambda:Get*', 'lambda:InvokeFunction', 'ImplicitDeny'],
  ['lambda:?etFunction', 'lambda:GetFunction', 'Allow'],
  ['lambda:?etFunction', 'lambda:SetFunction', 'Allow'],
  ['lambda:?etFunction', 'lambda:ResetFunction', 'ImplicitDeny'],
  ['lambda:*Function', 'lambda:DeleteFunction', 'Allow'],
  ['lambda:*Function', 'lambda:ListFunctions', 'ImplicitDeny'],
  ['s3:*', 'lambda:InvokeFunction', 'ImplicitDeny'],
  ['lambda:Invoke', 'lambda:InvokeFunction', 'ImplicitDeny'],
  ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction', 'ImplicitDeny'],
  ['iam:*', 'iam:CreateRole', 'Allow'],
  ['sts:GetCallerIdentity', 'sts:GetCallerIdentity', 'Allow'],
  ['lambda:INVOKE*', 'lambda:InvokeFunction', 'Allow'],
].map(([pattern, action, expect]) => ({
  name: `Action ${pattern} on ${action}`,
  identity: [[{ Effect: 'Allow', Action: pattern, Resource: '*' }]],
  request: { action: action! },
  expect: expect as Decision,
}));

const notActionCases: Case[] = [
  ['lambda:DeleteFunction', 'lambda:InvokeFunction', 'Allow'],
  ['lambda:DeleteFunction', 'lambda:DeleteFunction', 'ImplicitDeny'],
  ['lambda:Delete*', 'lambda:DeleteAlias', 'ImplicitDeny'],
  ['iam:*', 'lambda:GetFunction', 'Allow'],
  ['iam:*', 'iam:PassRole', 'ImplicitDeny'],
].map(([pattern, action, expect]) => ({
  name: `NotAction ${pattern} on ${action}`,
  identity: [[{ Effect: 'Allow', NotAction: pattern, Resource: '*' }]],
  request: { action: action! },
  expect: expect as Decision,
}));

const resourceCases: Case[] = [
  [FN, FN, 'Allow'],
  [`${FN}:1`, FN, 'ImplicitDeny'],
  [FN, `${FN}:1`, 'ImplicitDeny'],
  [`${FN}:*`, `${FN}:prod`, 'Allow'],
  [`${FN}*`, `${FN}:prod`, 'Allow'],
  [`${FN}*`, FN, 'Allow'],
  [`${FN}:*`, FN, 'ImplicitDeny'],
  [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:*`, FN, 'Allow'],
  [`arn:aws:lambda:*:${ACCOUNT}:function:orders`, FN, 'Allow'],
  [`arn:aws:lambda:*:*:function:orders`, FN, 'Allow'],
  [`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:orders`, FN, 'ImplicitDeny'],
  [`arn:aws:lambda:us-east-1:${OTHER}:function:orders`, FN, 'ImplicitDeny'],
  [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:Orders`, FN, 'ImplicitDeny'],
  [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:order?`, FN, 'Allow'],
  [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:order?`, `${FN}x`, 'ImplicitDeny'],
  [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:ord*s`, FN, 'Allow'],
  ['*', FN, 'Allow'],
  ['arn:aws:s3:::bucket/*', FN, 'ImplicitDeny'],
  [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders.v2`, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ordersXv2`, 'ImplicitDeny'],
  [`arn:aws:lambda:us-east-1:${ACCOUNT}:*`, FN, 'Allow'],
].map(([pattern, resource, expect]) => ({
  name: `Resource ${pattern} on ${resource}`,
  identity: [[{ Effect: 'Allow', Action: 'lambda:*', Resource: pattern }]],
  request: { resource: resource! },
  expect: expect as Decision,
}));

const notResourceCases: Case[] = [
  [FN, FN, 'ImplicitDeny'],
  [FN, `${FN}-admin`, 'Allow'],
  [`${FN}*`, `${FN}-admin`, 'ImplicitDeny'],
  ['arn:aws:s3:::*', FN, 'Allow'],
].map(([pattern, resource, expect]) => ({
  name: `NotResource ${pattern} on ${resource}`,
  identity: [[{ Effect: 'Allow', Action: 'lambda:*', NotResource: pattern }]],
  request: { resource: resource! },
  expect: expect as Decision,
}));

const combinationCases: Case[] = [
  { name: 'no policy at all: implicit deny', expect: 'ImplicitDeny' },
  {
    name: 'condition keys match regardless of case (Lambda writes AWS:SourceArn)',
    identity: [[allow({ Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::uploads' } } })]],
    request: { context: { 'aws:SourceArn': 'arn:aws:s3:::uploads' } },
    expect: 'Allow',
  },
  {
    name: 'a policy variable matches its key regardless of case',
    identity: [[allow({ Resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:\${AWS:Username}` })]],
    request: { resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:alice`, context: { 'aws:username': 'alice' } },
    expect: 'Allow',
  },
  { name: 'an empty set of identity policies', identity: [], expect: 'ImplicitDeny' },
  { name: 'allow', identity: [[allow()]], expect: 'Allow' },
  { name: 'deny alone', identity: [[deny()]], expect: 'ExplicitDeny' },
  { name: 'allow and deny in one policy: deny wins', identity: [[allow(), deny()]], expect: 'ExplicitDeny' },
  { name: 'allow and deny in two policies: deny wins', identity: [[allow()], [deny()]], expect: 'ExplicitDeny' },
  { name: 'a deny for another action does not deny', identity: [[allow(), deny({ Action: 'lambda:DeleteFunction' })]], expect: 'Allow' },
  { name: 'a deny for another resource does not deny', identity: [[allow(), deny({ Resource: `${FN}-x` })]], expect: 'Allow' },
  { name: 'a deny with a wildcard action denies', identity: [[allow(), deny({ Action: 'lambda:*' })]], expect: 'ExplicitDeny' },
  { name: 'a deny whose condition fails does not deny', identity: [[allow(), deny({ Condition: { StringEquals: { k: 'x' } } })]], expect: 'Allow' },
  {
    name: 'a deny whose condition holds denies',
    identity: [[allow(), deny({ Condition: { StringEquals: { k: 'x' } } })]],
    request: { context: { k: 'x' } },
    expect: 'ExplicitDeny',
  },
  { name: 'an allow whose condition fails allows nothing', identity: [[allow({ Condition: { StringEquals: { k: 'x' } } })]], expect: 'ImplicitDeny' },
  {
    name: 'a deny with NotAction covering everything else',
    identity: [[allow(), { Effect: 'Deny', NotAction: 'lambda:Get*', Resource: '*' }]],
    expect: 'ExplicitDeny',
  },
  {
    name: 'a deny with NotAction excluding the action',
    identity: [[allow(), { Effect: 'Deny', NotAction: 'lambda:Invoke*', Resource: '*' }]],
    expect: 'Allow',
  },
  { name: 'a deny with NotResource excluding the resource', identity: [[allow(), { Effect: 'Deny', Action: '*', NotResource: FN }]], expect: 'Allow' },
  { name: 'identity deny beats a resource policy allow', identity: [[deny()]], resource: [allow({ Principal: { AWS: ALICE.arn } })], expect: 'ExplicitDeny' },
  { name: 'resource policy deny beats an identity allow', identity: [[allow()]], resource: [deny({ Principal: '*' })], expect: 'ExplicitDeny' },
  {
    name: 'several conditions in one statement are ANDed (both hold)',
    identity: [[allow({ Condition: { StringEquals: { a: '1', b: '2' } } })]],
    request: { context: { a: '1', b: '2' } },
    expect: 'Allow',
  },
  {
    name: 'several conditions in one statement are ANDed (one fails)',
    identity: [[allow({ Condition: { StringEquals: { a: '1', b: '2' } } })]],
    request: { context: { a: '1', b: '3' } },
    expect: 'ImplicitDeny',
  },
  {
    name: 'several operators are ANDed',
    identity: [[allow({ Condition: { StringEquals: { a: '1' }, NumericLessThan: { n: '5' } } })]],
    request: { context: { a: '1', n: '7' } },
    expect: 'ImplicitDeny',
  },
  {
    name: 'several operators are ANDed (all hold)',
    identity: [[allow({ Condition: { StringEquals: { a: '1' }, NumericLessThan: { n: '5' } } })]],
    request: { context: { a: '1', n: '3' } },
    expect: 'Allow',
  },
];

const conditionCases: Case[] = [
  cond('equal', 'StringEquals', 'abc', 'abc', 'Allow'),
  cond('case matters', 'StringEquals', 'abc', 'ABC', 'ImplicitDeny'),
  cond('one of several values (OR)', 'StringEquals', ['x', 'abc'], 'abc', 'Allow'),
  cond('none of the values', 'StringEquals', ['x', 'y'], 'abc', 'ImplicitDeny'),
  cond('absent key fails', 'StringEquals', 'abc', undefined, 'ImplicitDeny'),
  cond('no wildcards in StringEquals', 'StringEquals', 'a*', 'abc', 'ImplicitDeny'),
  cond('different', 'StringNotEquals', 'abc', 'xyz', 'Allow'),
  cond('same', 'StringNotEquals', 'abc', 'abc', 'ImplicitDeny'),
  cond('several values are NOR: matches one', 'StringNotEquals', ['abc', 'def'], 'def', 'ImplicitDeny'),
  cond('several values are NOR: matches none', 'StringNotEquals', ['abc', 'def'], 'xyz', 'Allow'),
  cond('absent key holds for a negated operator', 'StringNotEquals', 'abc', undefined, 'Allow'),
  cond('ignoring case', 'StringEqualsIgnoreCase', 'abc', 'ABC', 'Allow'),
  cond('ignoring case, different', 'StringEqualsIgnoreCase', 'abc', 'abd', 'ImplicitDeny'),
  cond('ignoring case, same', 'StringNotEqualsIgnoreCase', 'abc', 'ABC', 'ImplicitDeny'),
  cond('ignoring case, different', 'StringNotEqualsIgnoreCase', 'abc', 'xyz', 'Allow'),
  cond('prefix wildcard', 'StringLike', 'ab*', 'abc', 'Allow'),
  cond('single-character wildcard', 'StringLike', 'a?c', 'abc', 'Allow'),
  cond('single-character wildcard, too long', 'StringLike', 'a?c', 'abbc', 'ImplicitDeny'),
  cond('is case-sensitive', 'StringLike', 'AB*', 'abc', 'ImplicitDeny'),
  cond('absent key fails', 'StringLike', '*', undefined, 'ImplicitDeny'),
  cond('matching', 'StringNotLike', 'ab*', 'abc', 'ImplicitDeny'),
  cond('not matching', 'StringNotLike', 'x*', 'abc', 'Allow'),
  cond('absent key holds', 'StringNotLike', 'x*', undefined, 'Allow'),
  cond('equal numbers', 'NumericEquals', '10', '10', 'Allow'),
  cond('equal numbers, other spelling', 'NumericEquals', '10', '10.0', 'Allow'),
  cond('different numbers', 'NumericEquals', '10', '11', 'ImplicitDeny'),
  cond('not a number', 'NumericEquals', '10', 'ten', 'ImplicitDeny'),
  cond('different', 'NumericNotEquals', '10', '11', 'Allow'),
  cond('same', 'NumericNotEquals', '10', '10', 'ImplicitDeny'),
  cond('less', 'NumericLessThan', '10', '9', 'Allow'),
  cond('not less when equal', 'NumericLessThan', '10', '10', 'ImplicitDeny'),
  cond('equal counts', 'NumericLessThanEquals', '10', '10', 'Allow'),
  cond('greater', 'NumericLessThanEquals', '10', '11', 'ImplicitDeny'),
  cond('greater', 'NumericGreaterThan', '10', '11', 'Allow'),
  cond('not greater when equal', 'NumericGreaterThan', '10', '10', 'ImplicitDeny'),
  cond('equal counts', 'NumericGreaterThanEquals', '10', '10', 'Allow'),
  cond('less', 'NumericGreaterThanEquals', '10', '9', 'ImplicitDeny'),
  cond('absent key fails', 'NumericGreaterThanEquals', '10', undefined, 'ImplicitDeny'),
  cond('same instant', 'DateEquals', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'Allow'),
  cond('same instant, epoch seconds', 'DateEquals', '2026-01-01T00:00:00Z', '1767225600', 'Allow'),
  cond('different instant', 'DateEquals', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 'ImplicitDeny'),
  cond('different', 'DateNotEquals', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 'Allow'),
  cond('before', 'DateLessThan', '2026-06-01T00:00:00Z', '2026-01-01T00:00:00Z', 'Allow'),
  cond('after', 'DateLessThan', '2026-06-01T00:00:00Z', '2026-12-01T00:00:00Z', 'ImplicitDeny'),
  cond('same instant counts', 'DateLessThanEquals', '2026-06-01T00:00:00Z', '2026-06-01T00:00:00Z', 'Allow'),
  cond('after', 'DateGreaterThan', '2026-06-01T00:00:00Z', '2026-12-01T00:00:00Z', 'Allow'),
  cond('before', 'DateGreaterThan', '2026-06-01T00:00:00Z', '2026-01-01T00:00:00Z', 'ImplicitDeny'),
  cond('same instant counts', 'DateGreaterThanEquals', '2026-06-01T00:00:00Z', '2026-06-01T00:00:00Z', 'Allow'),
  cond('not a date', 'DateGreaterThan', '2026-06-01T00:00:00Z', 'soon', 'ImplicitDeny'),
  cond('true', 'Bool', 'true', 'true', 'Allow'),
  cond('true as a JSON boolean', 'Bool', true, 'true', 'Allow'),
  cond('false vs true', 'Bool', 'true', 'false', 'ImplicitDeny'),
  cond('absent key fails', 'Bool', 'false', undefined, 'ImplicitDeny'),
  cond('inside the network', 'IpAddress', '203.0.113.0/24', '203.0.113.7', 'Allow'),
  cond('outside the network', 'IpAddress', '203.0.113.0/24', '198.51.100.7', 'ImplicitDeny'),
  cond('one of several networks', 'IpAddress', ['10.0.0.0/8', '203.0.113.0/24'], '203.0.113.7', 'Allow'),
  cond('a single address', 'IpAddress', '203.0.113.7/32', '203.0.113.7', 'Allow'),
  cond('IPv6 inside', 'IpAddress', '2001:db8::/32', '2001:db8::1', 'Allow'),
  cond('IPv6 outside', 'IpAddress', '2001:db8::/32', '2001:db9::1', 'ImplicitDeny'),
  cond('IPv4 address against an IPv6 network', 'IpAddress', '2001:db8::/32', '203.0.113.7', 'ImplicitDeny'),
  cond('outside', 'NotIpAddress', '203.0.113.0/24', '198.51.100.7', 'Allow'),
  cond('inside', 'NotIpAddress', '203.0.113.0/24', '203.0.113.7', 'ImplicitDeny'),
  cond('same ARN', 'ArnEquals', FN, FN, 'Allow'),
  cond('ARN pattern, wildcard account part', 'ArnLike', 'arn:aws:lambda:*:*:function:orders', FN, 'Allow'),
  cond('ARN pattern, wildcard resource', 'ArnLike', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:*`, FN, 'Allow'),
  cond('ARN pattern, other service', 'ArnLike', 'arn:aws:s3:::*', FN, 'ImplicitDeny'),
  cond('a value that is no ARN', 'ArnLike', 'arn:aws:lambda:*:*:function:*', 'orders', 'ImplicitDeny'),
  cond('S3 bucket ARN', 'ArnLike', 'arn:aws:s3:::photos', 'arn:aws:s3:::photos', 'Allow'),
  cond('S3 bucket ARN, other bucket', 'ArnLike', 'arn:aws:s3:::photos', 'arn:aws:s3:::videos', 'ImplicitDeny'),
  cond('other ARN', 'ArnNotEquals', FN, `${FN}-x`, 'Allow'),
  cond('matching ARN', 'ArnNotLike', 'arn:aws:lambda:*:*:*', FN, 'ImplicitDeny'),
  cond('absent key holds', 'ArnNotLike', 'arn:aws:lambda:*:*:*', undefined, 'Allow'),
  cond('present and equal', 'StringEqualsIfExists', 'abc', 'abc', 'Allow'),
  cond('present and different', 'StringEqualsIfExists', 'abc', 'xyz', 'ImplicitDeny'),
  cond('absent passes', 'StringEqualsIfExists', 'abc', undefined, 'Allow'),
  cond('absent passes', 'NumericLessThanIfExists', '5', undefined, 'Allow'),
  cond('present and too large', 'NumericLessThanIfExists', '5', '9', 'ImplicitDeny'),
  cond('absent passes', 'ArnLikeIfExists', 'arn:aws:s3:::photos', undefined, 'Allow'),
  cond('absent passes', 'BoolIfExists', 'true', undefined, 'Allow'),
  cond('present and false', 'BoolIfExists', 'true', 'false', 'ImplicitDeny'),
  cond('true: the key is absent', 'Null', 'true', undefined, 'Allow'),
  cond('true: the key is present', 'Null', 'true', 'x', 'ImplicitDeny'),
  cond('false: the key is present', 'Null', 'false', 'x', 'Allow'),
  cond('false: the key is absent', 'Null', 'false', undefined, 'ImplicitDeny'),
  cond('one value matches', 'ForAnyValue:StringEquals', ['a', 'b'], ['b', 'z'], 'Allow'),
  cond('no value matches', 'ForAnyValue:StringEquals', ['a', 'b'], ['y', 'z'], 'ImplicitDeny'),
  cond('absent key fails', 'ForAnyValue:StringEquals', ['a'], undefined, 'ImplicitDeny'),
  cond('empty list fails', 'ForAnyValue:StringEquals', ['a'], [], 'ImplicitDeny'),
  cond('wildcards', 'ForAnyValue:StringLike', ['team-*'], ['x', 'team-core'], 'Allow'),
  cond('every value allowed', 'ForAllValues:StringEquals', ['a', 'b', 'c'], ['a', 'c'], 'Allow'),
  cond('one value not allowed', 'ForAllValues:StringEquals', ['a', 'b'], ['a', 'z'], 'ImplicitDeny'),
  cond('absent key passes', 'ForAllValues:StringEquals', ['a'], undefined, 'Allow'),
  cond('empty list passes', 'ForAllValues:StringEquals', ['a'], [], 'Allow'),
  cond('wildcards', 'ForAllValues:StringLike', ['team-*'], ['team-a', 'team-b'], 'Allow'),
  cond('negated: no value matches any', 'ForAllValues:StringNotEquals', ['x'], ['a', 'b'], 'Allow'),
  cond('negated: one value matches', 'ForAnyValue:StringNotEquals', ['a'], ['a'], 'ImplicitDeny'),
  cond('negated: one value does not match', 'ForAnyValue:StringNotEquals', ['a'], ['a', 'b'], 'Allow'),
  cond('a multi-valued key with a plain operator: any value', 'StringEquals', 'b', ['a', 'b'], 'Allow'),
];

const variableCases: Case[] = [
  {
    name: 'a policy variable in a Resource: the caller’s own function',
    identity: [[{ Effect: 'Allow', Action: 'lambda:*', Resource: `arn:aws:lambda:*:*:function:\${aws:username}-*` }]],
    request: { resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:alice-api`, context: { 'aws:username': 'alice' } },
    expect: 'Allow',
  },
  {
    name: 'a policy variable in a Resource: someone else’s function',
    identity: [[{ Effect: 'Allow', Action: 'lambda:*', Resource: `arn:aws:lambda:*:*:function:\${aws:username}-*` }]],
    request: { resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:bob-api`, context: { 'aws:username': 'alice' } },
    expect: 'ImplicitDeny',
  },
  {
    name: 'a policy variable without a value matches nothing',
    identity: [[{ Effect: 'Allow', Action: 'lambda:*', Resource: `arn:aws:lambda:*:*:function:\${aws:username}-*` }]],
    request: { resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:-api` },
    expect: 'ImplicitDeny',
  },
  {
    name: 'a policy variable in a condition value',
    identity: [[allow({ Condition: { StringEquals: { owner: '${aws:username}' } } })]],
    request: { context: { owner: 'alice', 'aws:username': 'alice' } },
    expect: 'Allow',
  },
  {
    name: '${*} is a literal asterisk',
    identity: [[allow({ Condition: { StringLike: { k: 'a${*}' } } })]],
    request: { context: { k: 'a*' } },
    expect: 'Allow',
  },
  {
    name: '${*} is no wildcard',
    identity: [[allow({ Condition: { StringLike: { k: 'a${*}' } } })]],
    request: { context: { k: 'abc' } },
    expect: 'ImplicitDeny',
  },
  cond('aws:CurrentTime before a date (a time-boxed grant)', 'DateLessThan', '2027-01-01T00:00:00Z', '2026-12-04T10:00:00Z', 'Allow'),
];

const S3: PrincipalFacts = { arn: 's3.amazonaws.com', service: true };
const resourceCases2: Case[] = [
  {
    name: 'a service principal allowed by the function’s policy, SourceArn matching',
    resource: [allow({ Principal: { Service: 's3.amazonaws.com' }, Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::photos' } } })],
    request: { principal: S3, context: { 'AWS:SourceArn': 'arn:aws:s3:::photos' } },
    expect: 'Allow',
  },
  {
    name: 'a service principal, another bucket',
    resource: [allow({ Principal: { Service: 's3.amazonaws.com' }, Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::photos' } } })],
    request: { principal: S3, context: { 'AWS:SourceArn': 'arn:aws:s3:::videos' } },
    expect: 'ImplicitDeny',
  },
  {
    name: 'a service principal, SourceAccount required and matching',
    resource: [allow({ Principal: { Service: 's3.amazonaws.com' }, Condition: { StringEquals: { 'AWS:SourceAccount': ACCOUNT } } })],
    request: { principal: S3, context: { 'AWS:SourceAccount': ACCOUNT } },
    expect: 'Allow',
  },
  {
    name: 'a service principal, no SourceAccount in the request',
    resource: [allow({ Principal: { Service: 's3.amazonaws.com' }, Condition: { StringEquals: { 'AWS:SourceAccount': ACCOUNT } } })],
    request: { principal: S3 },
    expect: 'ImplicitDeny',
  },
  { name: 'another service principal', resource: [allow({ Principal: { Service: 'sns.amazonaws.com' } })], request: { principal: S3 }, expect: 'ImplicitDeny' },
  {
    name: 'a service principal is not an AWS account principal',
    resource: [allow({ Principal: { AWS: ACCOUNT } })],
    request: { principal: S3 },
    expect: 'ImplicitDeny',
  },
  { name: 'Principal * admits a service', resource: [allow({ Principal: '*' })], request: { principal: S3 }, expect: 'Allow' },
  { name: 'identity policies do not speak for services', identity: [[allow()]], request: { principal: S3 }, expect: 'ImplicitDeny' },
  { name: 'the resource policy names the caller (same account): allowed on its own', resource: [allow({ Principal: { AWS: ALICE.arn } })], expect: 'Allow' },
  { name: 'the resource policy names someone else', resource: [allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/bob` } })], expect: 'ImplicitDeny' },
  {
    name: 'the resource policy names the account: it delegates to identity policies, none allow',
    resource: [allow({ Principal: { AWS: ACCOUNT } })],
    expect: 'ImplicitDeny',
  },
  {
    name: 'the resource policy names the account root ARN: delegates, none allow',
    resource: [allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } })],
    expect: 'ImplicitDeny',
  },
  { name: 'the account named, and the identity policy allows', identity: [[allow()]], resource: [allow({ Principal: { AWS: ACCOUNT } })], expect: 'Allow' },
  { name: 'Principal * (same account) allows on its own', resource: [allow({ Principal: '*' })], expect: 'Allow' },
  { name: 'Principal {"AWS": "*"} allows on its own', resource: [allow({ Principal: { AWS: '*' } })], expect: 'Allow' },
  {
    name: 'another account’s caller: the resource policy alone is not enough',
    resource: [allow({ Principal: { AWS: OTHER } })],
    request: { principal: { arn: `arn:aws:iam::${OTHER}:user/carol`, accountId: OTHER } },
    resourceAccount: ACCOUNT,
    expect: 'ImplicitDeny',
  },
  {
    name: 'another account’s caller: identity and resource policy both allow',
    identity: [[allow()]],
    resource: [allow({ Principal: { AWS: OTHER } })],
    request: { principal: { arn: `arn:aws:iam::${OTHER}:user/carol`, accountId: OTHER } },
    resourceAccount: ACCOUNT,
    expect: 'Allow',
  },
  {
    name: 'another account’s caller: identity policy alone is not enough',
    identity: [[allow()]],
    request: { principal: { arn: `arn:aws:iam::${OTHER}:user/carol`, accountId: OTHER } },
    resourceAccount: ACCOUNT,
    expect: 'ImplicitDeny',
  },
  {
    name: 'another account’s caller: the resource policy names a third account',
    identity: [[allow()]],
    resource: [allow({ Principal: { AWS: '111111111111' } })],
    request: { principal: { arn: `arn:aws:iam::${OTHER}:user/carol`, accountId: OTHER } },
    resourceAccount: ACCOUNT,
    expect: 'ImplicitDeny',
  },
  {
    name: 'a role session matches its role named in a resource policy',
    resource: [allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app` } })],
    request: { principal: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/orders`, accountId: ACCOUNT } },
    expect: 'Allow',
  },
  {
    name: 'a role session with a path matches its role (given its ARN)',
    resource: [allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/service/app` } })],
    request: { principal: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/orders`, accountId: ACCOUNT, roleArn: `arn:aws:iam::${ACCOUNT}:role/service/app` } },
    expect: 'Allow',
  },
  {
    name: 'a role session does not match another role',
    resource: [allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/other` } })],
    request: { principal: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/orders`, accountId: ACCOUNT } },
    expect: 'ImplicitDeny',
  },
  { name: 'NotPrincipal excludes the caller from a deny', identity: [[allow()]], resource: [deny({ NotPrincipal: { AWS: ALICE.arn } })], expect: 'Allow' },
  {
    name: 'NotPrincipal denies everyone else',
    identity: [[allow()]],
    resource: [deny({ NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/bob` } })],
    expect: 'ExplicitDeny',
  },
  {
    name: 'a resource statement without Resource applies to its resource',
    resource: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Principal: { AWS: ALICE.arn } }],
    expect: 'Allow',
  },
  { name: 'a resource statement for another action', resource: [allow({ Principal: '*', Action: 'lambda:GetFunction' })], expect: 'ImplicitDeny' },
  {
    name: 'the root principal, named by its ARN',
    resource: [allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } })],
    request: { principal: { arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT } },
    expect: 'Allow',
  },
  {
    name: 'FunctionUrlAuthType condition on a public URL grant',
    resource: [allow({ Principal: '*', Action: 'lambda:InvokeFunctionUrl', Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } })],
    request: { action: 'lambda:InvokeFunctionUrl', context: { 'lambda:FunctionUrlAuthType': 'NONE' } },
    expect: 'Allow',
  },
  {
    name: 'FunctionUrlAuthType condition, other auth type',
    resource: [allow({ Principal: '*', Action: 'lambda:InvokeFunctionUrl', Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } })],
    request: { action: 'lambda:InvokeFunctionUrl', context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
    expect: 'ImplicitDeny',
  },
];

const cases = [
  ...actionCases,
  ...notActionCases,
  ...resourceCases,
  ...notResourceCases,
  ...combinationCases,
  ...conditionCases,
  ...variableCases,
  ...resourceCases2,
];

describe('policy evaluation, as AWS documents it', () => {
  it(`has at least 200 decision cases (${cases.length})`, () => assert.ok(cases.length >= 200, `${cases.length} cases`));
  for (const c of cases) {
    it(c.name, () => {
      const identity = (c.identity ?? []).map((statements) => parsePolicy(policy(...statements), 'identity'));
      const resource = c.resource === undefined ? undefined : parsePolicy(policy(...c.resource), 'resource');
      assert.equal(evaluate(request(c.request), identity, resource, c.resourceAccount), c.expect);
    });
  }
});

describe('policy documents refused when written', () => {
  const refused: Array<[string, string, 'identity' | 'resource' | 'trust', RegExp]> = [
    ['not JSON', '{', 'identity', /invalid Json/],
    ['no Statement', '{"Version":"2012-10-17"}', 'identity', /Missing required field Statement/],
    ['a bad Version', policy(allow()).replace('2012-10-17', '2020-01-01'), 'identity', /valid version/],
    ['an unknown Effect', policy(allow({ Effect: 'Maybe' })), 'identity', /Invalid effect/],
    ['no Action', policy({ Effect: 'Allow', Resource: '*' }), 'identity', /Missing required field Action/],
    ['no Resource in an identity policy', policy({ Effect: 'Allow', Action: '*' }), 'identity', /Missing required field Resource/],
    ['a Principal in an identity policy', policy(allow({ Principal: '*' })), 'identity', /should not specify a principal/],
    ['no Principal in a trust policy', policy({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'trust', /Missing required field Principal/],
    ['Action and NotAction together', policy(allow({ NotAction: 'x:y' })), 'identity', /Syntax errors/],
    ['an unknown condition operator', policy(allow({ Condition: { StringSortOf: { k: 'v' } } })), 'identity', /Invalid Condition type : StringSortOf/],
    ['IfExists on Null', policy(allow({ Condition: { NullIfExists: { k: 'true' } } })), 'identity', /Invalid Condition type/],
    ['an unknown statement element', policy(allow({ Effects: 'Allow' })), 'identity', /unknown element Effects/],
    ['an action with two colons', policy(allow({ Action: 'lambda:a:b' })), 'identity', /only one colon/],
    ['a malformed AWS principal', policy(allow({ Principal: { AWS: 'alice' } })), 'resource', /Invalid principal/],
    ['a CanonicalUser principal', policy(allow({ Principal: { CanonicalUser: 'abc' } })), 'resource', /not supported by selfless/],
  ];
  for (const [name, document, kind, message] of refused) {
    it(name, () =>
      assert.throws(
        () => parsePolicy(document, kind),
        (error: Error) => error.name === 'MalformedPolicyDocument' && message.test(error.message),
      ),
    );
  }
});
