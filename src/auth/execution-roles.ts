import { AwsError, invalidParameter, type Partition } from '../core/index.js';
import type { RequestContextValues } from './conditions.js';
import type { Roles } from './roles.js';

const LAMBDA_SERVICE = 'lambda.amazonaws.com';
/** The trust policy of a role that Lambda may assume: what the console and `selfless deploy` write. */
export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: LAMBDA_SERVICE }, Action: 'sts:AssumeRole' }],
});
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role(\/(?:[\u0021-\u007E]*\/)?)([\w+=,.@-]{1,64})$/;

/** What a function role adopted at start-up was, for the log. */
export interface AdoptedRole {
  readonly roleArn: string;
  readonly outcome: 'created' | 'foreign';
}

/** Whether a service may do an action on a resource, by the resource's policy (PolicyAuthorizer.serviceAllowed). */
export type ServiceAllowed = (service: string, action: string, resource: string, context: RequestContextValues) => Promise<boolean>;

/**
 * Execution roles: the role a function names must exist and trust Lambda to assume it, as Lambda
 * checks on CreateFunction and UpdateFunctionConfiguration.
 */
export class ExecutionRoles {
  constructor(
    private readonly roles: Roles,
    private readonly partition: Partition,
    private readonly serviceAllowed: ServiceAllowed,
  ) {}

  /** Throws Lambda's InvalidParameterValueException unless `roleArn` names a role that trusts lambda.amazonaws.com. */
  async checkAssumable(roleArn: string, functionArn: string): Promise<void> {
    // A role that does not exist has no trust policy, so nothing allows it.
    const context = { 'aws:SourceAccount': this.partition.accountId, 'aws:SourceArn': functionArn };
    if (!(await this.serviceAllowed(LAMBDA_SERVICE, 'sts:AssumeRole', roleArn, context))) {
      throw invalidParameter('The role defined for the function cannot be assumed by Lambda.');
    }
  }

  /**
   * Gives the roles that functions name but IAM does not hold (a data dir from before roles were
   * checked) a trust policy for Lambda, so those functions keep running with credentials. A role of
   * another account cannot be made here: its functions run without credentials, as before.
   */
  async adoptMissing(roleArns: Iterable<string>): Promise<AdoptedRole[]> {
    const adopted: AdoptedRole[] = [];
    for (const roleArn of new Set(roleArns)) {
      if ((await this.roles.byArn(roleArn).catch(() => undefined)) !== undefined) continue;
      const parts = ROLE_ARN.exec(roleArn);
      if (parts === null || parts[1] !== this.partition.accountId) {
        adopted.push({ roleArn, outcome: 'foreign' });
        continue;
      }
      try {
        await this.roles.create({
          roleName: parts[3]!,
          path: parts[2]!,
          assumeRolePolicyDocument: LAMBDA_TRUST_POLICY,
          description: 'Created by selfless for functions that named it before roles were checked',
        });
        adopted.push({ roleArn, outcome: 'created' });
      } catch (error) {
        // Another node of a cluster made it first; a role of that name with another path stays as it is.
        if (!(error instanceof AwsError && error.code === 'EntityAlreadyExists')) throw error;
      }
    }
    return adopted;
  }
}
