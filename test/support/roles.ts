import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { LAMBDA_TRUST_POLICY } from '../../src/auth/index.js';

export interface Endpoint {
  readonly url: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** AWS's execution policies for event sources: CreateEventSourceMapping checks the function's role may read its source. */
const READ_EVERY_SOURCE = ['AWSLambdaSQSQueueExecutionRole', 'AWSLambdaKinesisExecutionRole', 'AWSLambdaDynamoDBExecutionRole'];

/**
 * Finds or creates the role `name`, trusting Lambda and allowed to read every kind of event source,
 * through IAM as a user would (CreateFunction refuses a role that does not exist), and returns its ARN.
 */
export async function ensureLambdaRole(endpoint: Endpoint, name = 'test'): Promise<string> {
  const iam = new IAMClient({ endpoint: endpoint.url, region: endpoint.region, credentials: endpoint.credentials, maxAttempts: 1 });
  try {
    const found = await iam.send(new GetRoleCommand({ RoleName: name })).catch((error: Error) => {
      if (error.name === 'NoSuchEntityException') return undefined;
      throw error;
    });
    if (found?.Role !== undefined) return found.Role.Arn!;
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }));
    for (const policy of READ_EVERY_SOURCE)
      await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: `arn:aws:iam::aws:policy/service-role/${policy}` }));
    return Role!.Arn!;
  } finally {
    iam.destroy();
  }
}
