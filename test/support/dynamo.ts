import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Moto } from './moto.js';

const run = promisify(execFile);

/** Runs a boto3 script (a second real AWS client) with `db`, a DynamoDB client on moto; what it prints, trimmed. */
export async function dynamo(moto: Moto, script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('python3', [
    '-c',
    `import boto3, sys
db = boto3.client('dynamodb', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')
${script}`,
    moto.url,
    ...args,
  ]);
  return stdout.trim();
}

/** Creates a table with a numeric hash key `Id` and a stream of `viewType`; its LatestStreamArn. */
export function createStreamedTable(moto: Moto, table: string, viewType: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES'): Promise<string> {
  return dynamo(
    moto,
    `out = db.create_table(TableName=sys.argv[2], KeySchema=[{'AttributeName': 'Id', 'KeyType': 'HASH'}],
  AttributeDefinitions=[{'AttributeName': 'Id', 'AttributeType': 'N'}], BillingMode='PAY_PER_REQUEST',
  StreamSpecification={'StreamEnabled': True, 'StreamViewType': sys.argv[3]})
print(out['TableDescription']['LatestStreamArn'])`,
    table,
    viewType,
  );
}
