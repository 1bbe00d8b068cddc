import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AddPermissionCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { readLogs, waitFor } from './support/async.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { signedFetch } from './support/signed-fetch.js';
import { nodeZip } from './support/zip.js';

const MARKER = 'S3EVENT ';
/** What MinIO's webhook target POSTs for a new object (S3-format records, MinIO's own eventSource and names). */
const minioNotification = (key: string) => ({
  EventName: 's3:ObjectCreated:Put',
  Key: `photos/${key}`,
  Records: [
    {
      eventVersion: '2.0',
      eventSource: 'minio:s3',
      awsRegion: '',
      eventTime: '2026-12-04T10:00:00.000Z',
      eventName: 's3:ObjectCreated:Put',
      userIdentity: { principalId: 'minioadmin' },
      requestParameters: { principalId: 'minioadmin', region: '', sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': '17E0', 'x-minio-origin-endpoint': 'http://127.0.0.1:9000' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'Config',
        bucket: { name: 'photos', ownerIdentity: { principalId: 'minioadmin' }, arn: 'arn:aws:s3:::photos' },
        object: { key: encodeURIComponent(key), size: 10, eTag: 'abc', contentType: 'image/jpeg', sequencer: '17E0' },
      },
    },
  ],
});

describe('S3-compatible stores notifying a function directly (webhook)', () => {
  let t: TestPlatform;
  let endpoint: { url: string; authorization: string };
  const post = (body: unknown, authorization?: string) =>
    fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(body),
    });

  before(async () => {
    t = await startPlatform();
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'thumbnails',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip(`exports.handler = async (event) => { console.log(${JSON.stringify(MARKER)} + JSON.stringify(event)); };`) },
      }),
    );
    // As on AWS, S3 may invoke a function only where the function's policy lets it, per bucket.
    await t.client.send(
      new AddPermissionCommand({
        FunctionName: 'thumbnails',
        StatementId: 's3-photos',
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceArn: 'arn:aws:s3:::photos',
        SourceAccount: t.platform.config.accountId,
      }),
    );
    const res = await signedFetch(t.platform, 'GET', '/selfless/v1/functions/thumbnails/s3-notifications');
    assert.equal(res.status, 200);
    endpoint = (await res.json()) as typeof endpoint;
  });
  after(() => t?.stop());

  it('hands out the endpoint and a per-function token, signed callers only', async () => {
    assert.equal(endpoint.url, `${t.platform.url}/selfless/v1/functions/thumbnails/s3-notifications`);
    assert.match(endpoint.authorization, /^Bearer [0-9a-f]{64}$/);
    assert.equal((await fetch(endpoint.url)).status, 403, 'the GET needs a signature');
  });

  it('invokes the function asynchronously with Lambda’s S3 event shape, once the event is durable', async () => {
    const res = await post(minioNotification('summer trip/beach day.jpg'), endpoint.authorization);
    assert.equal(res.status, 202);
    const event = await waitFor('the S3 event', async () => {
      const line = (await readLogs(t.platform, 'thumbnails')).find((e) => e.message.includes(MARKER));
      return line === undefined ? undefined : (JSON.parse(line.message.slice(line.message.indexOf(MARKER) + MARKER.length)) as any);
    });
    const [record] = event.Records;
    assert.equal(record.eventSource, 'aws:s3');
    assert.equal(record.eventName, 'ObjectCreated:Put');
    assert.equal(record.awsRegion, 'us-east-1');
    assert.equal(record.s3.bucket.name, 'photos');
    assert.equal(record.s3.bucket.arn, 'arn:aws:s3:::photos');
    assert.equal(record.s3.object.key, 'summer+trip/beach+day.jpg', 'URL-encoded as S3 does: a space as +, / kept');
    assert.equal(record.s3.object.size, 10);
  });

  it('takes a SigV4-signed POST instead of the token, and refuses a bad signature', async () => {
    const path = '/selfless/v1/functions/thumbnails/s3-notifications';
    const signed = await signedFetch(t.platform, 'POST', path, {
      body: JSON.stringify(minioNotification('signed.jpg')),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(signed.status, 202);
    await waitFor('the signed notification’s event', async () =>
      (await readLogs(t.platform, 'thumbnails')).some((e) => e.message.includes(MARKER) && e.message.includes('"key":"signed.jpg"')) ? true : undefined,
    );
    const forged = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amz-date': '20261204T100000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${t.platform.rootKey.accessKeyId}/20261204/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
      body: JSON.stringify(minioNotification('forged.jpg')),
    });
    assert.equal(forged.status, 403);
    assert.notEqual(forged.headers.get('x-amzn-errortype'), null);
  });

  it("refuses a notification the function's policy does not allow s3.amazonaws.com to send for that bucket (403), queueing nothing", async () => {
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'unpermitted',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await nodeZip('exports.handler = async () => 1;') },
      }),
    );
    const own = (await (await signedFetch(t.platform, 'GET', '/selfless/v1/functions/unpermitted/s3-notifications')).json()) as typeof endpoint;
    const send = () =>
      fetch(own.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: own.authorization },
        body: JSON.stringify(minioNotification('a.jpg')),
      });
    const denied = await send();
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('x-amzn-errortype'), 'AccessDeniedException');
    assert.match(
      ((await denied.json()) as { Message?: string; message?: string }).Message ?? '',
      /does not allow s3\.amazonaws\.com to invoke it for bucket photos: aws lambda add-permission/,
    );
    // Another bucket's permission is not this one's.
    const addFor = (bucket: string) =>
      t.client.send(
        new AddPermissionCommand({
          FunctionName: 'unpermitted',
          StatementId: `s3-${bucket}`,
          Action: 'lambda:InvokeFunction',
          Principal: 's3.amazonaws.com',
          SourceArn: `arn:aws:s3:::${bucket}`,
        }),
      );
    await addFor('videos');
    assert.equal((await send()).status, 403);
    assert.equal(await t.platform.async.depth('unpermitted'), 0, 'nothing was queued');
    await addFor('photos');
    assert.equal((await send()).status, 202);
  });

  it('refuses a missing or wrong token (403) and a body without records (400), invoking nothing', async () => {
    assert.equal((await post(minioNotification('x.jpg'))).status, 403);
    assert.equal((await post(minioNotification('x.jpg'), 'Bearer 0000')).status, 403);
    // Another function's token does not open this one.
    const other = await signedFetch(t.platform, 'GET', '/selfless/v1/functions/thumbnails/s3-notifications');
    assert.equal(other.status, 200);
    const wrongFunction = await fetch(`${t.platform.url}/selfless/v1/functions/other/s3-notifications`, {
      method: 'POST',
      headers: { authorization: endpoint.authorization, 'content-type': 'application/json' },
      body: JSON.stringify(minioNotification('x.jpg')),
    });
    assert.equal(wrongFunction.status, 403);
    const empty = await post({ EventName: 's3:ObjectCreated:Put' }, endpoint.authorization);
    assert.equal(empty.status, 400);
    assert.equal(empty.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
  });
});
