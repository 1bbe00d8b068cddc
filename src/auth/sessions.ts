import { AwsError, type Clock, type RoleRecord } from '../core/index.js';
import type { AccessKeyRecord } from './authorize.js';
import { randomIamId } from './iam-names.js';
import type { Signer } from './secret-box.js';

/** Temporary credentials for a role session, as STS hands them out. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** ms since the epoch. */
  readonly expiration: number;
  /** `arn:aws:sts::123456789012:assumed-role/ROLE/SESSION` */
  readonly assumedRoleArn: string;
  /** `ROLEID:SESSION` */
  readonly assumedRoleId: string;
}

/** What a session token carries, signed. */
interface TokenClaims {
  readonly k: string;
  readonly a: string;
  readonly r: string;
  readonly n: string;
  readonly i: string;
  readonly s: string;
  readonly x: number;
}

/**
 * Role sessions (AssumeRole, and the credentials each execution environment gets) without a table of
 * sessions: the token carries who the session is and when it ends, signed with a key derived from the
 * root secret, and the session's secret key is derived from its key id. Any process holding the root
 * secret can check a session, and nothing is written per session. Revoking is by the role: a deleted
 * role's sessions keep authenticating but hold no permissions.
 */
export class RoleSessions {
  constructor(
    private readonly signer: Signer,
    private readonly clock: Clock,
  ) {}

  issue(role: RoleRecord, accountId: string, sessionName: string, durationSeconds: number): SessionCredentials {
    const accessKeyId = `ASIA${randomIamId(16)}`;
    const expiration = this.clock.now() + durationSeconds * 1000;
    const claims: TokenClaims = { k: accessKeyId, a: accountId, r: role.arn, n: role.roleName, i: role.roleId, s: sessionName, x: expiration };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return {
      accessKeyId,
      secretAccessKey: this.#secretOf(accessKeyId),
      sessionToken: `${body}.${this.signer.sign(`token:${body}`).toString('base64url')}`,
      expiration,
      assumedRoleArn: sessionArn(accountId, role.roleName, sessionName),
      assumedRoleId: `${role.roleId}:${sessionName}`,
    };
  }

  /**
   * The session a temporary key and its token stand for; undefined when the token is not one of ours
   * or not this key's. An expired one is refused with AWS's ExpiredTokenException.
   */
  lookup(accessKeyId: string, sessionToken: string): AccessKeyRecord | undefined {
    const dot = sessionToken.indexOf('.');
    if (dot < 0) return undefined;
    const body = sessionToken.slice(0, dot);
    if (!this.signer.verify(`token:${body}`, Buffer.from(sessionToken.slice(dot + 1), 'base64url'))) return undefined;
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
    if (claims.k !== accessKeyId) return undefined;
    if (claims.x <= this.clock.now()) throw new AwsError('ExpiredTokenException', 'The security token included in the request is expired');
    return {
      secretAccessKey: this.#secretOf(accessKeyId),
      accountId: claims.a,
      principalArn: sessionArn(claims.a, claims.n, claims.s),
      identity: { kind: 'role', roleName: claims.n, roleArn: claims.r, roleId: claims.i, sessionName: claims.s },
    };
  }

  #secretOf(accessKeyId: string): string {
    return this.signer.sign(`secret:${accessKeyId}`).toString('base64').slice(0, 40);
  }
}

const sessionArn = (accountId: string, roleName: string, sessionName: string) => `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
