import { AwsError } from '../core/index.js';

/** A trust policy (who may assume a role) names principals; an identity policy (what a role or user may do) names resources instead. */
export type PolicyKind = 'trust' | 'identity';

const POLICY_MAX = 131_072;

/**
 * The structure IAM requires of a policy document before it is stored: JSON, a known Version,
 * statements with an Effect and an Action (or NotAction); a trust policy's statements name a
 * Principal, an identity policy's a Resource and no Principal. Refused as IAM refuses, with
 * MalformedPolicyDocument.
 */
export function checkPolicyDocument(document: string, kind: PolicyKind): void {
  if (document.length === 0 || document.length > POLICY_MAX) malformed(`The policy is empty or larger than ${POLICY_MAX} characters.`);
  let policy: unknown;
  try {
    policy = JSON.parse(document);
  } catch {
    malformed('This policy contains invalid Json');
  }
  if (!isObject(policy)) malformed('Syntax errors in policy.');
  const { Version, Statement } = policy;
  if (Version !== undefined && Version !== '2012-10-17' && Version !== '2008-10-17') malformed('The policy must contain a valid version string');
  const statements = Array.isArray(Statement) ? Statement : Statement === undefined ? [] : [Statement];
  if (statements.length === 0) malformed('Missing required field Statement');
  for (const statement of statements) {
    if (!isObject(statement)) malformed('Syntax errors in policy.');
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') malformed(`Invalid effect: ${String(statement.Effect)}`);
    if (statement.Action === undefined && statement.NotAction === undefined) malformed('Missing required field Action');
    const names = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
    if (kind === 'trust' && !names) malformed('Missing required field Principal');
    if (kind === 'identity') {
      if (names) malformed('Policy document should not specify a principal.');
      if (statement.Resource === undefined && statement.NotResource === undefined) malformed('Missing required field Resource');
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(message: string): never {
  throw new AwsError('MalformedPolicyDocument', message);
}
