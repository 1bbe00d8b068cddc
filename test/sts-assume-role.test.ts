import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttachRolePolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { systemScheduler } from '../src/core/index.js';
import { rejectsWith } from './support/assertions.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { Sha256 } from './support/sha256.js';
import { nodeZip } from './support/zip.js';

interface Key {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const trust = (principal: unknown) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });

describe('STS AssumeRole: temporary credentials, decided by the role trust policy, expiring as AWS says', () => {
  let t: TestPlatform;
  let iam: IAMClient;
  let account: string;
  /** How far the platform's clock runs ahead of the machine's; clients are told, so their signatures stay in time. */
  let offsetMs = 0;
  const clients: Array<{ destroy(): void }> = [];
  const config = (key: Key) => ({ region: 'us-east-1', endpoint: t.platform.url, credentials: key, maxAttempts: 1, systemClockOffset: offsetMs });
  const sts = (key: Key) => {
    const client = new STSClient(config(key));
    clients.push(client);
    return client;
  };
  const lambda = (key: Key) => {
    const client = new LambdaClient(config(key));
    clients.push(client);
    return client;
  };
  const roleArn = (name: string) => `arn:aws:iam::${account}:role/${name}`;
  const userKey = async (userName: string, policy?: string): Promise<Key> => {
    await iam.send(new CreateUserCommand({ UserName: userName }));
    if (policy !== undefined) await iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: 'p', PolicyDocument: policy }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  };
  const assume = async (key: Key, role: string, extra: { DurationSeconds?: number } = {}) => {
    const { Credentials, AssumedRoleUser } = await sts(key).send(new AssumeRoleCommand({ RoleArn: roleArn(role), RoleSessionName: 'worker', ...extra }));
    const session: Key = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! };
    return { session, credentials: Credentials!, user: AssumedRoleUser! };
  };
  const mayAssume = (role: string) =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn(role) }] });

  before(async () => {
    t = await startPlatform({}, {}, { clock: { ...systemScheduler, now: () => Date.now() + offsetMs } });
    account = t.platform.config.accountId;
    iam = new IAMClient(config(t.platform.rootKey));
    await iam.send(new CreateRoleCommand({ RoleName: 'reader', AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${account}:root` }) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'reader', PolicyArn: 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess' }));
    await iam.send(new CreateRoleCommand({ RoleName: 'lambda-only', AssumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }) }));
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'f',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip('exports.handler = async () => 1;') },
      }),
    );
  });
  after(async () => {
    for (const client of clients) client.destroy();
    iam?.destroy();
    await t?.stop();
  });

  it("issues session credentials that sign as the assumed role and carry the role's permissions", async () => {
    const key = await userKey('assumer', mayAssume('reader'));
    const { session, credentials, user } = await assume(key, 'reader');
    assert.match(session.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.ok((credentials.Expiration?.getTime() ?? 0) > Date.now() + 3500_000);
    assert.equal(user.Arn, `arn:aws:sts::${account}:assumed-role/reader/worker`);
    assert.match(user.AssumedRoleId ?? '', /^AROA[A-Z2-7]{17}:worker$/);
    const me = await sts(session).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, user.Arn);
    assert.equal(me.UserId, user.AssumedRoleId);
    assert.ok((await lambda(session).send(new ListFunctionsCommand({}))).Functions?.some((f) => f.FunctionName === 'f'));
    await rejectsWith(
      lambda(session).send(new InvokeCommand({ FunctionName: 'f' })),
      'AccessDeniedException',
      403,
      `User: ${user.Arn} is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:${t.platform.config.region}:${account}:function:f because no identity-based policy allows the lambda:InvokeFunction action`,
    );
  });

  it("is refused when the trust policy does not name the caller, whatever the caller's own policies allow", async () => {
    const key = await userKey('hopeful', mayAssume('lambda-only'));
    await rejectsWith(
      sts(key).send(new AssumeRoleCommand({ RoleArn: roleArn('lambda-only'), RoleSessionName: 'try' })),
      'AccessDenied',
      403,
      `User: arn:aws:iam::${account}:user/hopeful is not authorized to perform: sts:AssumeRole on resource: ${roleArn('lambda-only')} because no identity-based policy allows the sts:AssumeRole action`,
    );
    // A trust policy that names only the account needs the caller's own policies to allow it too.
    const without = await userKey('no-policy');
    await rejectsWith(sts(without).send(new AssumeRoleCommand({ RoleArn: roleArn('reader'), RoleSessionName: 'try' })), 'AccessDenied', 403);
  });

  it('a trust policy naming the user itself is enough; the root may not assume roles; bad input is refused', async () => {
    const key = await userKey('named');
    await iam.send(new CreateRoleCommand({ RoleName: 'for-named', AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${account}:user/named` }) }));
    const { user } = await assume(key, 'for-named');
    assert.equal(user.Arn, `arn:aws:sts::${account}:assumed-role/for-named/worker`);
    await rejectsWith(
      sts(t.platform.rootKey).send(new AssumeRoleCommand({ RoleArn: roleArn('reader'), RoleSessionName: 'root' })),
      'AccessDenied',
      403,
      'Roles may not be assumed by root accounts.',
    );
    await rejectsWith(sts(key).send(new AssumeRoleCommand({ RoleArn: roleArn('for-named'), RoleSessionName: 'x' })), 'ValidationError', 400);
    await rejectsWith(
      sts(key).send(new AssumeRoleCommand({ RoleArn: roleArn('for-named'), RoleSessionName: 'long', DurationSeconds: 3601 })),
      'ValidationError',
      400,
    );
  });

  it('a temporary key is valid only with its own token; a tampered token is refused', async () => {
    const key = await userKey('tamper', mayAssume('reader'));
    const a = (await assume(key, 'reader')).session;
    const b = (await assume(key, 'reader')).session;
    const invalid = 'The security token included in the request is invalid.';
    await rejectsWith(
      lambda({ accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey }).send(new ListFunctionsCommand({})),
      'UnrecognizedClientException',
      403,
      invalid,
    );
    await rejectsWith(lambda({ ...a, sessionToken: b.sessionToken }).send(new ListFunctionsCommand({})), 'UnrecognizedClientException', 403, invalid);
    const [body, mac] = a.sessionToken!.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), n: 'admin' })).toString('base64url');
    await rejectsWith(lambda({ ...a, sessionToken: `${forged}.${mac}` }).send(new ListFunctionsCommand({})), 'UnrecognizedClientException', 403, invalid);
    await rejectsWith(sts({ ...a, sessionToken: 'garbage' }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
  });

  it('a presigned URL made with session credentials carries the token, and holds only with it and only until the session ends', async () => {
    const key = await userKey('presigner', mayAssume('reader'));
    const { session } = await assume(key, 'reader', { DurationSeconds: 900 });
    const url = new URL(t.platform.url);
    const presign = async (credentials: Key, expiresIn = 300) => {
      const signer = new SignatureV4({ service: 'lambda', region: 'us-east-1', credentials, sha256: Sha256 });
      const request = new HttpRequest({
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: '/2015-03-31/functions/f',
        headers: { host: url.host },
      });
      const signed = await signer.presign(request, { expiresIn, signingDate: new Date(Date.now() + offsetMs) });
      return `${t.platform.url}${signed.path}?${new URLSearchParams(signed.query as Record<string, string>).toString()}`;
    };
    const presigned = await presign(session);
    assert.match(presigned, /X-Amz-Security-Token=/);
    const ok = await fetch(presigned);
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(((await ok.json()) as { Configuration: { FunctionName: string } }).Configuration.FunctionName, 'f');
    // The same key without its token is not a key at all.
    const tokenless = await fetch(await presign({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }));
    assert.equal(tokenless.status, 403);
    assert.equal(tokenless.headers.get('x-amzn-errortype'), 'UnrecognizedClientException');
    // A URL that outlives the session: refused once the session has ended, whatever its own expiry says.
    const longLived = await presign(session, 3600);
    offsetMs += 901_000;
    try {
      const late = await fetch(longLived);
      assert.equal(late.status, 403);
      assert.equal(late.headers.get('x-amzn-errortype'), 'ExpiredTokenException');
    } finally {
      offsetMs = 0;
    }
  });

  it('after its expiry a session is refused with ExpiredTokenException (ExpiredToken from STS)', async () => {
    const key = await userKey('short', mayAssume('reader'));
    const { session } = await assume(key, 'reader', { DurationSeconds: 900 });
    await lambda(session).send(new ListFunctionsCommand({}));
    offsetMs += 901_000;
    try {
      await rejectsWith(
        lambda(session).send(new ListFunctionsCommand({})),
        'ExpiredTokenException',
        403,
        'The security token included in the request is expired',
      );
      await rejectsWith(sts(session).send(new GetCallerIdentityCommand({})), 'ExpiredToken', 403);
    } finally {
      offsetMs = 0;
    }
  });
});
