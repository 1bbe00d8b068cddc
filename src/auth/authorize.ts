import type { VerifiedCaller } from './sigv4.js';

/** The kind of principal behind an access key, as policies need it. */
export type Identity =
  | { readonly kind: 'root' }
  | { readonly kind: 'user'; readonly userName: string; readonly userId: string }
  | { readonly kind: 'role'; readonly roleName: string; readonly roleArn: string; readonly roleId: string; readonly sessionName: string };

/** Who a verified request comes from: its access key, and the principal and account that key belongs to. */
export interface Caller {
  readonly accessKeyId: string;
  readonly accountId: string;
  /** The principal's ARN as IAM names it in a policy (`arn:aws:iam::123456789012:root` for the root key). */
  readonly principalArn: string;
  readonly identity: Identity;
  /** `x-amz-security-token` as sent, for temporary credentials. */
  readonly sessionToken?: string;
}

/** What the platform knows about an access key: its secret for SigV4 and who it stands for. */
export interface AccessKeyRecord {
  readonly secretAccessKey: string;
  readonly accountId: string;
  readonly principalArn: string;
  readonly identity: Identity;
}

/**
 * The access key a request names, with the session token it carries (temporary keys are valid only
 * with theirs); undefined for a key the platform does not know, or one that is inactive.
 */
export type AccessKeyLookup = (accessKeyId: string, sessionToken: string | undefined) => AccessKeyRecord | undefined;

/** The request facts a policy's conditions may look at, beside the action and resource. */
export interface AuthorizationContext {
  readonly caller: Caller;
  readonly requestId: string;
  /** The client's address as the connection shows it (`aws:SourceIp`). */
  readonly sourceIp: string | undefined;
  /** Condition keys particular to this authorization (`iam:PassedToService` for iam:PassRole). */
  readonly conditionValues?: Readonly<Record<string, string>>;
}

/**
 * The one decision every signed route asks for before it runs: may this caller perform `action`
 * (`lambda:GetFunction`) on `resourceArn` (`*` when the operation names no resource)? Throws the
 * AwsError the caller gets (`AccessDeniedException`) when not.
 */
export type Authorize = (action: string, resourceArn: string, context: AuthorizationContext) => void | Promise<void>;

export function callerOf(verified: VerifiedCaller, key: AccessKeyRecord): Caller {
  const caller = { accessKeyId: verified.accessKeyId, accountId: key.accountId, principalArn: key.principalArn, identity: key.identity };
  return verified.sessionToken === undefined ? caller : { ...caller, sessionToken: verified.sessionToken };
}

/** The principal a root access key stands for. */
export const rootPrincipalArn = (accountId: string) => `arn:aws:iam::${accountId}:root`;
