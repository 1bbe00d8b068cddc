import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { LAMBDA_TRUST_POLICY } from '../../src/auth/index.js';

export interface Endpoint {
  readonly url: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * Finds or creates the role `name`, trusting Lambda, through IAM as a user would (CreateFunction
 * refuses a role that does not exist), and returns its ARN.
 */
export async function ensureLambdaRole(endpoint: Endpoint, name = 'test'): Promise<string> {
  const iam = new IAMClient({ endpoint: endpoint.url, region: endpoint.region, credentials: endpoint.credentials, maxAttempts: 1 });
  try {
    const found = await iam.send(new GetRoleCommand({ RoleName: name })).catch((error: Error) => {
      if (error.name === 'NoSuchEntityException') return undefined;
      throw error;
    });
    const role = found?.Role ?? (await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }))).Role;
    return role!.Arn!;
  } finally {
    iam.destroy();
  }
}
