export { loadRootKey, readKeyFile, CREDENTIALS_FILE, type AccessKey } from './credentials.js';
export {
  checkSigV4Head,
  verifySigV4,
  type IncomingSignedHead,
  type IncomingSignedRequest,
  type PendingSignature,
  type VerifiedCaller,
  type SecretLookup,
  scopeServiceOf,
} from './sigv4.js';
export {
  callerOf,
  rootPrincipalArn,
  type AccessKeyLookup,
  type AccessKeyRecord,
  type AuthorizationContext,
  type Authorize,
  type Caller,
  type Identity,
} from './authorize.js';
export { Roles, type CreateRoleInput } from './roles.js';
export { ManagedPolicies, type ManagedPolicy, type CreatePolicyInput } from './managed-policies.js';
export { Users, type AccessKeyMetadata, type CreateUserInput, type NewAccessKey } from './users.js';
export { SecretBox, Signer, sameSecret } from './secret-box.js';
export { PolicyAuthorizer, type ResourcePolicyLookup } from './authorizer.js';
export { RoleSessions, type SessionCredentials } from './sessions.js';
export { ExecutionRoles, LAMBDA_TRUST_POLICY, type AdoptedRole, type ServiceAllowed } from './execution-roles.js';
export { Groups } from './groups.js';
