/**
 * The AWS managed policies Lambda users attach, with their statements as AWS publishes them (the
 * default version's document, by the policy's path and name under arn:aws:iam::aws:policy/).
 */
export interface AwsManagedPolicy {
  readonly versionId: string;
  readonly createDate: string;
  readonly document: { readonly Version: string; readonly Statement: readonly unknown[] };
}

export const AWS_MANAGED_POLICIES: Readonly<Record<string, AwsManagedPolicy>> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    versionId: 'v1',
    createDate: '2015-04-09T15:03:43Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: '*',
        },
      ],
    },
  },
  'service-role/AWSLambdaRole': {
    versionId: 'v1',
    createDate: '2015-02-06T18:41:28Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['lambda:InvokeFunction'],
          Resource: ['*'],
        },
      ],
    },
  },
  'service-role/AWSLambdaSQSQueueExecutionRole': {
    versionId: 'v1',
    createDate: '2018-06-14T21:50:45Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: '*',
        },
      ],
    },
  },
  'service-role/AWSLambdaKinesisExecutionRole': {
    versionId: 'v2',
    createDate: '2018-11-19T20:09:24Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'kinesis:DescribeStream',
            'kinesis:DescribeStreamSummary',
            'kinesis:GetRecords',
            'kinesis:GetShardIterator',
            'kinesis:ListShards',
            'kinesis:ListStreams',
            'kinesis:SubscribeToShard',
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:PutLogEvents',
          ],
          Resource: '*',
        },
      ],
    },
  },
  'service-role/AWSLambdaDynamoDBExecutionRole': {
    versionId: 'v1',
    createDate: '2015-04-09T15:09:29Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
            'dynamodb:ListStreams',
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:PutLogEvents',
          ],
          Resource: '*',
        },
      ],
    },
  },
  AWSLambda_ReadOnlyAccess: {
    versionId: 'v2',
    createDate: '2023-07-27T17:32:05Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'cloudformation:DescribeStacks',
            'cloudformation:ListStacks',
            'cloudformation:ListStackResources',
            'cloudwatch:GetMetricData',
            'cloudwatch:ListMetrics',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
            'kms:ListAliases',
            'iam:GetPolicy',
            'iam:GetPolicyVersion',
            'iam:GetRole',
            'iam:GetRolePolicy',
            'iam:ListAttachedRolePolicies',
            'iam:ListRolePolicies',
            'iam:ListRoles',
            'logs:DescribeLogGroups',
            'lambda:Get*',
            'lambda:List*',
            'states:DescribeStateMachine',
            'states:ListStateMachines',
            'tag:GetResources',
            'xray:GetTraceSummaries',
            'xray:BatchGetTraces',
          ],
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Action: [
            'logs:DescribeLogStreams',
            'logs:GetLogEvents',
            'logs:FilterLogEvents',
            'logs:StartQuery',
            'logs:StopQuery',
            'logs:DescribeQueries',
            'logs:GetLogGroupFields',
            'logs:GetLogRecord',
            'logs:GetQueryResults',
          ],
          Resource: 'arn:aws:logs:*:*:log-group:/aws/lambda/*',
        },
      ],
    },
  },
  AWSLambda_FullAccess: {
    versionId: 'v5',
    createDate: '2026-02-11T22:18:56Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Action: [
            'cloudformation:DescribeStacks',
            'cloudformation:ListStackResources',
            'cloudwatch:ListMetrics',
            'cloudwatch:GetMetricData',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
            'kms:DescribeKey',
            'kms:ListAliases',
            'iam:GetPolicy',
            'iam:GetPolicyVersion',
            'iam:GetRole',
            'iam:GetRolePolicy',
            'iam:ListAttachedRolePolicies',
            'iam:ListRolePolicies',
            'iam:ListRoles',
            'lambda:*',
            'logs:DescribeLogGroups',
            'states:DescribeStateMachine',
            'states:ListStateMachines',
            'tag:GetResources',
            'xray:GetTraceSummaries',
            'xray:BatchGetTraces',
          ],
          Resource: '*',
          Effect: 'Allow',
        },
        {
          Action: 'iam:PassRole',
          Resource: '*',
          Effect: 'Allow',
          Condition: {
            StringEquals: {
              'iam:PassedToService': 'lambda.amazonaws.com',
            },
          },
        },
        {
          Action: ['logs:DescribeLogStreams', 'logs:GetLogEvents', 'logs:FilterLogEvents', 'logs:StartLiveTail', 'logs:StopLiveTail'],
          Resource: 'arn:aws:logs:*:*:log-group:/aws/lambda/*',
          Effect: 'Allow',
        },
        {
          Action: 'iam:CreateServiceLinkedRole',
          Resource: 'arn:aws:iam::*:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda',
          Effect: 'Allow',
          Condition: {
            StringEquals: {
              'iam:AWSServiceName': 'lambda.amazonaws.com',
            },
          },
        },
      ],
    },
  },
};
