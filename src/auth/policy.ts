import { AwsError } from '../core/index.js';
import { conditionHolds, globMatch, substitute, unsupportedOperator, type ConditionTest, type RequestContextValues } from './conditions.js';

/** Who a statement's Principal names: `*` (anyone), or AWS principals (ARNs, account ids), services, federated identities. */
export interface PrincipalSet {
  readonly any: boolean;
  readonly aws: readonly string[];
  readonly service: readonly string[];
  readonly federated: readonly string[];
}

export interface Statement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  readonly principal?: PrincipalSet;
  readonly notPrincipal?: PrincipalSet;
  readonly conditions: readonly ConditionTest[];
}

export interface Policy {
  readonly version: '2012-10-17' | '2008-10-17';
  readonly statements: readonly Statement[];
}

/** What the policy is for: a trust policy and a resource policy name principals; an identity policy names resources instead. */
export type PolicyKind = 'trust' | 'identity' | 'resource';

/** The caller, as policies match it. */
export interface PrincipalFacts {
  /** `arn:aws:iam::123456789012:user/alice`, `…:root`, `arn:aws:sts::…:assumed-role/R/S`; a service's name (`s3.amazonaws.com`). */
  readonly arn: string;
  readonly accountId?: string;
  /** Set for AWS services invoking on their own behalf. */
  readonly service?: boolean;
  /** For a role session, its role's ARN (with the role's path, which the session ARN leaves out). */
  readonly roleArn?: string;
}

export interface AccessRequest {
  readonly principal: PrincipalFacts;
  readonly action: string;
  readonly resource: string;
  readonly context: RequestContextValues;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

const POLICY_MAX = 131_072;
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition']);

/**
 * A policy document read as IAM reads it, refused with MalformedPolicyDocument where IAM would refuse
 * it — or where it uses something selfless does not evaluate (an unknown condition operator, an
 * unknown element), which is refused rather than ignored.
 */
export function parsePolicy(document: string, kind: PolicyKind): Policy {
  if (document.length === 0 || document.length > POLICY_MAX) malformed(`The policy is empty or larger than ${POLICY_MAX} characters.`);
  let json: unknown;
  try {
    json = JSON.parse(document);
  } catch {
    malformed('This policy contains invalid Json');
  }
  if (!isObject(json)) malformed('Syntax errors in policy.');
  for (const key of Object.keys(json)) if (!['Version', 'Id', 'Statement'].includes(key)) malformed(`Syntax errors in policy: unknown element ${key}.`);
  const version = json.Version ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') malformed('The policy must contain a valid version string');
  const raw = Array.isArray(json.Statement) ? json.Statement : json.Statement === undefined ? [] : [json.Statement];
  if (raw.length === 0) malformed('Missing required field Statement');
  return { version, statements: raw.map((s) => parseStatement(s, kind)) };
}

function parseStatement(raw: unknown, kind: PolicyKind): Statement {
  if (!isObject(raw)) malformed('Syntax errors in policy.');
  for (const key of Object.keys(raw)) if (!STATEMENT_KEYS.has(key)) malformed(`Syntax errors in policy: unknown element ${key}.`);
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') malformed(`Invalid effect: ${String(raw.Effect)}`);
  const both = (a: string, b: string) => raw[a] !== undefined && raw[b] !== undefined;
  if (both('Action', 'NotAction') || both('Resource', 'NotResource') || both('Principal', 'NotPrincipal')) malformed('Syntax errors in policy.');
  const action = optionalStrings(raw.Action, 'Action');
  const notAction = optionalStrings(raw.NotAction, 'NotAction');
  if (action === undefined && notAction === undefined) malformed('Missing required field Action');
  for (const a of [...(action ?? []), ...(notAction ?? [])]) {
    if (a !== '*' && !/^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/.test(a)) malformed(`Actions/Condition can contain only one colon: ${a}`);
  }
  const resource = optionalStrings(raw.Resource, 'Resource');
  const notResource = optionalStrings(raw.NotResource, 'NotResource');
  const principal = raw.Principal === undefined ? undefined : parsePrincipal(raw.Principal);
  const notPrincipal = raw.NotPrincipal === undefined ? undefined : parsePrincipal(raw.NotPrincipal);
  const names = principal !== undefined || notPrincipal !== undefined;
  if (kind === 'identity') {
    if (names) malformed('Policy document should not specify a principal.');
    if (resource === undefined && notResource === undefined) malformed('Missing required field Resource');
  } else if (!names) malformed('Missing required field Principal');
  return {
    ...(typeof raw.Sid === 'string' ? { sid: raw.Sid } : {}),
    effect: raw.Effect,
    ...(action === undefined ? {} : { action }),
    ...(notAction === undefined ? {} : { notAction }),
    ...(resource === undefined ? {} : { resource }),
    ...(notResource === undefined ? {} : { notResource }),
    ...(principal === undefined ? {} : { principal }),
    ...(notPrincipal === undefined ? {} : { notPrincipal }),
    conditions: parseConditions(raw.Condition),
  };
}

function parsePrincipal(raw: unknown): PrincipalSet {
  if (raw === '*') return { any: true, aws: [], service: [], federated: [] };
  if (!isObject(raw)) malformed('Invalid principal in policy');
  for (const key of Object.keys(raw)) if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(key)) malformed(`Invalid principal in policy: ${key}`);
  if (raw.CanonicalUser !== undefined) malformed('Invalid principal in policy: CanonicalUser principals are not supported by selfless');
  const aws = optionalStrings(raw.AWS, 'Principal') ?? [];
  for (const p of aws)
    if (p !== '*' && !/^\d{12}$/.test(p) && !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/.test(p)) malformed(`Invalid principal in policy: "AWS":"${p}"`);
  return {
    any: aws.includes('*'),
    aws,
    service: optionalStrings(raw.Service, 'Principal') ?? [],
    federated: optionalStrings(raw.Federated, 'Principal') ?? [],
  };
}

function parseConditions(raw: unknown): ConditionTest[] {
  if (raw === undefined) return [];
  if (!isObject(raw)) malformed('Syntax errors in policy: Condition must be an object.');
  const tests: ConditionTest[] = [];
  for (const [operator, block] of Object.entries(raw)) {
    const why = unsupportedOperator(operator);
    if (why !== undefined) malformed(`Invalid Condition type : ${operator}`);
    if (!isObject(block)) malformed(`Syntax errors in policy: ${operator} must map condition keys to values.`);
    for (const [key, value] of Object.entries(block)) {
      const values = (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'boolean' || typeof v === 'number' ? String(v) : v));
      if (values.some((v) => typeof v !== 'string')) malformed(`Syntax errors in policy: the values of ${key} must be strings.`);
      tests.push({ operator, key, values: values as string[] });
    }
  }
  return tests;
}

function optionalStrings(raw: unknown, element: string): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || list.some((v) => typeof v !== 'string')) malformed(`Syntax errors in policy: ${element} must be a string or a list of strings.`);
  return list as string[];
}

/**
 * AWS's evaluation logic for one account: an explicit Deny in any policy wins; otherwise an Allow from
 * an identity policy or from the resource policy (whose Principal names the caller) allows; otherwise
 * the request is implicitly denied. A resource policy that names the caller's account (`…:root` or the
 * id) delegates to the account's identity policies and allows nothing by itself; one that names the
 * caller's own ARN (or, for a role session, its role) allows on its own. A principal from another
 * account needs both an identity and a resource policy Allow.
 */
export function evaluate(request: AccessRequest, identityPolicies: readonly Policy[], resourcePolicy?: Policy, resourceAccount?: string): Decision {
  // A service acting on its own behalf has no identity policies: only the resource's policy speaks for it.
  const identity = request.principal.service === true ? [] : identityPolicies.flatMap((p) => p.statements.filter((s) => statementApplies(s, request, false)));
  const resource = (resourcePolicy?.statements ?? []).filter((s) => statementApplies(s, request, true));
  if ([...identity, ...resource].some((s) => s.effect === 'Deny')) return 'ExplicitDeny';
  const identityAllows = identity.some((s) => s.effect === 'Allow');
  const resourceAllows = resource.some((s) => s.effect === 'Allow' && !namesOnlyTheAccount(s, request.principal));
  const sameAccount = resourceAccount === undefined || request.principal.accountId === resourceAccount || request.principal.service === true;
  if (sameAccount) return identityAllows || resourceAllows ? 'Allow' : 'ImplicitDeny';
  const resourceTrustsAccount = resource.some((s) => s.effect === 'Allow');
  return identityAllows && resourceTrustsAccount ? 'Allow' : 'ImplicitDeny';
}

/**
 * How a resource policy's Allow statements name the caller for a request (explicit denies aside):
 * directly (its ARN, or its role for a role session), only through its account, or not at all. A
 * role's trust policy must name the caller one way or the other; through the account, the caller's
 * identity policies must allow too.
 */
export function resourceGrant(request: AccessRequest, policy: Policy): 'direct' | 'account' | 'none' {
  const allows = policy.statements.filter((s) => s.effect === 'Allow' && statementApplies(s, request, true));
  if (allows.length === 0) return 'none';
  return allows.some((s) => !namesOnlyTheAccount(s, request.principal)) ? 'direct' : 'account';
}

function statementApplies(s: Statement, request: AccessRequest, resourcePolicy: boolean): boolean {
  const actionMatches = (list: readonly string[]) => list.some((a) => globMatch(a, request.action, true));
  if (s.action !== undefined && !actionMatches(s.action)) return false;
  if (s.notAction !== undefined && actionMatches(s.notAction)) return false;
  const resourceMatches = (list: readonly string[]) =>
    list.some((r) => {
      const pattern = substitute(r, request.context);
      return pattern !== undefined && globMatch(pattern, request.resource, false);
    });
  // A resource policy's statement may leave Resource out: it is about the resource it is attached to.
  if (s.resource !== undefined && !resourceMatches(s.resource)) return false;
  if (s.notResource !== undefined && resourceMatches(s.notResource)) return false;
  if (resourcePolicy) {
    if (s.principal !== undefined && !principalMatches(s.principal, request.principal)) return false;
    if (s.notPrincipal !== undefined && principalMatches(s.notPrincipal, request.principal)) return false;
  }
  return s.conditions.every((test) => conditionHolds(test, request.context));
}

/** Whether a Principal element names the caller: itself, its role (for a role session), its account, or anyone. */
export function principalMatches(set: PrincipalSet, caller: PrincipalFacts): boolean {
  if (caller.service === true) return set.any || set.service.includes(caller.arn);
  if (set.any) return true;
  const role = caller.roleArn ?? roleOfSession(caller.arn);
  return set.aws.some(
    (p) =>
      p === caller.arn ||
      (role !== undefined && p === role) ||
      (caller.accountId !== undefined && (p === caller.accountId || p === `arn:aws:iam::${caller.accountId}:root`)),
  );
}

function namesOnlyTheAccount(s: Statement, caller: PrincipalFacts): boolean {
  if (s.principal === undefined || s.principal.any || caller.service === true) return false;
  const role = caller.roleArn ?? roleOfSession(caller.arn);
  const direct = s.principal.aws.some((p) => p === caller.arn || (role !== undefined && p === role));
  // The root itself named by its ARN is named directly.
  return !direct && caller.arn !== `arn:aws:iam::${caller.accountId}:root`;
}

/** `arn:aws:sts::123:assumed-role/R/session` → `arn:aws:iam::123:role/R` (a role's path is not in the session ARN). */
function roleOfSession(arn: string): string | undefined {
  const match = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  return match === null ? undefined : `arn:${match[1]}:iam::${match[2]}:role/${match[3]}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(message: string): never {
  throw new AwsError('MalformedPolicyDocument', message);
}
