import { AwsError, type Clock, type PolicyHolderRecord, type RoleRecord } from '../core/index.js';
import type { AuthorizationContext, Authorize, Caller } from './authorize.js';
import type { RequestContextValues } from './conditions.js';
import type { Groups } from './groups.js';
import type { ManagedPolicies } from './managed-policies.js';
import { evaluate, parsePolicy, resourceGrant, type Policy, type PolicyKind, type PrincipalFacts } from './policy.js';
import type { Roles } from './roles.js';
import type { Users } from './users.js';

/** A resource's own policy (a function's, from AddPermission), as JSON text; undefined when it has none. */
export type ResourcePolicyLookup = (resourceArn: string) => Promise<string | undefined>;

export interface AuthorizerDeps {
  readonly roles: Roles;
  readonly users: Users;
  readonly groups: Groups;
  readonly policies: ManagedPolicies;
  readonly resourcePolicy: ResourcePolicyLookup;
  readonly clock: Clock;
}

/** Actions AWS allows every authenticated caller, whatever its policies say. */
const ALWAYS_ALLOWED = new Set(['sts:getcalleridentity']);
/** Parsed policy documents by text: the same few documents are asked about on every request. */
const PARSED_CACHE_LIMIT = 2048;

/**
 * AWS's authorization for requests signed by IAM identities: the root key may do anything; a user or
 * a role session is allowed what its identity policies (inline and attached) or the resource's policy
 * allow, and an explicit deny in either wins. Denials carry AWS's AccessDenied wording.
 */
export class PolicyAuthorizer {
  readonly #parsed = new Map<string, Policy>();

  constructor(private readonly deps: AuthorizerDeps) {}

  readonly authorize: Authorize = (action, resource, context) => {
    // The root decides synchronously: it costs the request no extra turn of the event loop.
    if (context.caller.identity.kind === 'root' || ALWAYS_ALLOWED.has(action.toLowerCase())) return undefined;
    return this.#decide(action, resource, context);
  };

  async #decide(action: string, resource: string, context: AuthorizationContext): Promise<void> {
    const { caller } = context;
    const identity = await this.#identityPolicies(caller);
    const resourceText = await this.deps.resourcePolicy(resource);
    const resourcePolicy = resourceText === undefined ? undefined : this.#parse(resourceText, 'resource');
    const request = { principal: principalFacts(caller), action, resource, context: this.#contextValues(caller, context) };
    let decision = evaluate(request, identity, resourcePolicy, accountOf(resource));
    const who = `User: ${caller.principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
    // Assuming a role needs its trust policy to name the caller, whatever the caller's own policies allow.
    if (decision !== 'ExplicitDeny' && action.toLowerCase() === 'sts:assumerole') {
      const grant = resourcePolicy === undefined ? 'none' : resourceGrant(request, resourcePolicy);
      decision = grant === 'direct' ? 'Allow' : grant === 'account' ? evaluate(request, identity) : 'ImplicitDeny';
    }
    if (decision === 'Allow') return;
    if (decision === 'ExplicitDeny') {
      const where = evaluate(request, identity) === 'ExplicitDeny' ? 'an identity-based policy' : 'a resource-based policy';
      throw new AwsError('AccessDeniedException', `${who} with an explicit deny in ${where}`);
    }
    throw new AwsError('AccessDeniedException', `${who} because no identity-based policy allows the ${action} action`);
  }

  /**
   * Whether an AWS service acting on its own behalf (`s3.amazonaws.com` delivering a bucket's
   * notification, `lambda.amazonaws.com` assuming an execution role) may do `action` on `resource`:
   * only the resource's policy can say so. `context` carries `aws:SourceArn` / `aws:SourceAccount`.
   */
  async serviceAllowed(service: string, action: string, resource: string, context: RequestContextValues): Promise<boolean> {
    const text = await this.deps.resourcePolicy(resource);
    if (text === undefined) return false;
    const request = { principal: { arn: service, service: true }, action, resource, context };
    return evaluate(request, [], this.#parse(text, resource.includes(':role/') ? 'trust' : 'resource'), accountOf(resource)) === 'Allow';
  }

  /**
   * Whether anyone at all, unsigned (a public function URL's caller), may do `action` on `resource`:
   * only the resource's policy can say so, and only by naming every principal (`"*"`).
   */
  async publicAllowed(action: string, resource: string, context: RequestContextValues): Promise<boolean> {
    const text = await this.deps.resourcePolicy(resource);
    if (text === undefined) return false;
    // Judged like a service principal (the resource policy alone speaks), under a name no statement uses.
    const request = { principal: { arn: 'anonymous', service: true }, action, resource, context };
    return evaluate(request, [], this.#parse(text, 'resource'), accountOf(resource)) === 'Allow';
  }

  /**
   * Whether a role's own policies allow it `action` on `resource`, as a session of the role would be
   * judged by the service that holds the resource (whose resource policy selfless cannot see).
   */
  async roleAllows(role: RoleRecord, action: string, resource: string): Promise<boolean> {
    const accountId = role.arn.split(':')[4]!;
    const request = {
      principal: { arn: role.arn, accountId, roleArn: role.arn },
      action,
      resource,
      context: {
        'aws:PrincipalArn': role.arn,
        'aws:PrincipalAccount': accountId,
        'aws:PrincipalType': 'AssumedRole',
        'aws:CurrentTime': new Date(this.deps.clock.now()).toISOString(),
      },
    };
    return evaluate(request, await this.#policiesOf(role)) === 'Allow';
  }

  /** The caller's identity policies: its inline policies and the default versions of those attached. */
  async #identityPolicies(caller: Caller): Promise<Policy[]> {
    const { identity } = caller;
    let holder: PolicyHolderRecord | undefined;
    try {
      if (identity.kind === 'user') holder = await this.deps.users.get(identity.userName);
      else if (identity.kind === 'role') holder = await this.deps.roles.get(identity.roleName);
    } catch (error) {
      // An identity deleted since its credentials were issued holds no permissions.
      if (error instanceof AwsError && error.code === 'NoSuchEntity') return [];
      throw error;
    }
    if (holder === undefined) return [];
    // A user also has the policies of each group it is in.
    const groups = identity.kind === 'user' ? await this.deps.groups.withMember(identity.userName) : [];
    return (await Promise.all([holder, ...groups].map((h) => this.#policiesOf(h)))).flat();
  }

  async #policiesOf(holder: PolicyHolderRecord): Promise<Policy[]> {
    const documents = Object.values(holder.inlinePolicies ?? {});
    for (const arn of holder.attachedPolicies ?? []) {
      const policy = await this.deps.policies.get(arn).catch(() => undefined);
      const document = policy?.versions.find((v) => v.versionId === policy.defaultVersionId)?.document;
      if (document !== undefined) documents.push(document);
    }
    return documents.map((d) => this.#parse(d, 'identity'));
  }

  #parse(document: string, kind: PolicyKind): Policy {
    const key = `${kind}\n${document}`;
    let policy = this.#parsed.get(key);
    if (policy === undefined) {
      policy = parsePolicy(document, kind);
      if (this.#parsed.size >= PARSED_CACHE_LIMIT) this.#parsed.clear();
      this.#parsed.set(key, policy);
    }
    return policy;
  }

  /** The global condition keys AWS sets on every request, as far as selfless knows them. */
  #contextValues(caller: Caller, context: AuthorizationContext): RequestContextValues {
    const now = this.deps.clock.now();
    const { identity } = caller;
    const sourceIp = context.sourceIp?.replace(/^::ffff:/, '');
    return {
      'aws:CurrentTime': new Date(now).toISOString(),
      'aws:EpochTime': String(Math.floor(now / 1000)),
      'aws:SourceIp': sourceIp,
      'aws:SecureTransport': 'false',
      'aws:PrincipalAccount': caller.accountId,
      'aws:PrincipalArn': identity.kind === 'role' ? identity.roleArn : caller.principalArn,
      'aws:PrincipalType': identity.kind === 'user' ? 'User' : identity.kind === 'role' ? 'AssumedRole' : 'Account',
      'aws:username': identity.kind === 'user' ? identity.userName : undefined,
      'aws:userid': identity.kind === 'user' ? identity.userId : identity.kind === 'role' ? `${identity.roleId}:${identity.sessionName}` : caller.accountId,
      ...(caller.sessionToken === undefined ? {} : { 'aws:MultiFactorAuthPresent': 'false' }),
      ...context.conditionValues,
    };
  }
}

function principalFacts(caller: Caller): PrincipalFacts {
  const { identity } = caller;
  return { arn: caller.principalArn, accountId: caller.accountId, ...(identity.kind === 'role' ? { roleArn: identity.roleArn } : {}) };
}

/** The account an ARN belongs to (its fifth field); undefined for `*` and for ARNs without one (IAM's own `aws` policies). */
function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}
