import { createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError, functionArn, parseFunctionName } from '../core/index.js';
import { MAX_EVENT_PAYLOAD_BYTES } from '../invoke/index.js';
import { header, jsonBody, route, type Route } from './http.js';
import { functionInPath } from './resources.js';
import type { Services } from './services.js';

/**
 * Per-function tokens for S3-compatible stores that POST bucket notifications to a webhook (MinIO's
 * webhook target sends S3-format records with `Authorization: Bearer <token>`). A token is derived from
 * the root secret and the function's name, so it needs no storage and survives restarts; it changes
 * with the root key.
 */
export class NotificationTokens {
  readonly #key: Buffer;

  constructor(rootSecret: string) {
    this.#key = createHmac('sha256', rootSecret).update('selfless s3 notification tokens').digest();
  }

  token(functionName: string): string {
    return createHmac('sha256', this.#key).update(functionName).digest('hex');
  }

  verify(functionName: string, authorization: string | undefined): void {
    const presented = Buffer.from(/^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '');
    const expected = Buffer.from(this.token(functionName));
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new AwsError('AccessDeniedException', 'The notification token is missing or not valid for this function.');
    }
  }
}

/** A notification is small; a batch of records from a store stays well under this. */
const NOTIFICATION_BODY_LIMIT = 1024 * 1024;

/**
 * The direct path from an S3-compatible store to a function: the store POSTs its bucket notification,
 * selfless answers once the event is durable in the async queue (so the store's own retry covers a
 * crash before that), and the function is invoked asynchronously with Lambda's S3 event shape.
 */
export function s3NotificationRoutes(s: Services): Route[] {
  const path = '/selfless/v1/functions/{FunctionName}/s3-notifications';
  const resource = functionInPath(s.partition);
  return [
    route(
      'GET',
      path,
      'GetS3NotificationEndpoint',
      (ctx) => {
        const { name } = parseFunctionName(ctx.params.FunctionName!, s.partition);
        if (s.registry.cached(name) === undefined) throw s.registry.notFound(name);
        return {
          status: 200,
          body: {
            url: `${ctx.origin}/selfless/v1/functions/${encodeURIComponent(name)}/s3-notifications`,
            authorization: `Bearer ${s.notificationTokens.token(name)}`,
          },
        };
      },
      { action: 'selfless:GetS3NotificationEndpoint', resource },
    ),
    route(
      'POST',
      path,
      'PostS3Notification',
      async (ctx) => {
        const { name } = parseFunctionName(ctx.params.FunctionName!, s.partition);
        // A SigV4-signed request was checked (and authorized for lambda:InvokeFunction) at the front door;
        // otherwise the token first: whether a function exists is not told to whoever cannot present one.
        if (ctx.caller === undefined) s.notificationTokens.verify(name, header(ctx, 'authorization'));
        const body = jsonBody(ctx);
        if (!Array.isArray(body.Records) || body.Records.length === 0) {
          throw new AwsError('InvalidRequestContentException', 'The notification has no Records: send S3-format bucket notification records.');
        }
        const records: Json[] = body.Records.map((record: unknown) => lambdaS3Record(record, s.partition.region));
        // S3 invokes as s3.amazonaws.com: the function's policy must allow it for each bucket, as on AWS.
        if (ctx.caller === undefined) await checkS3MayInvoke(s, name, new Set(records.map((r) => (r.s3 as { bucket: { name: string } }).bucket.name)));
        await s.async.enqueue({
          functionName: name,
          payload: Buffer.from(JSON.stringify({ Records: records })),
          requestId: ctx.requestId,
          limit: MAX_EVENT_PAYLOAD_BYTES,
          operation: 'Event',
        });
        return { status: 202 };
      },
      { auth: 'sigv4-or-own', action: 'lambda:InvokeFunction', bodyLimit: NOTIFICATION_BODY_LIMIT, resource },
    ),
  ];
}

type Json = Record<string, unknown>;

async function checkS3MayInvoke(s: Services, name: string, buckets: ReadonlySet<string>): Promise<void> {
  const arn = functionArn(s.partition, name);
  for (const bucket of buckets) {
    const context = { 'aws:SourceArn': `arn:aws:s3:::${bucket}`, 'aws:SourceAccount': s.partition.accountId };
    if (await s.serviceAllowed('s3.amazonaws.com', 'lambda:InvokeFunction', arn, context)) continue;
    throw new AwsError(
      'AccessDeniedException',
      `The resource-based policy of ${arn} does not allow s3.amazonaws.com to invoke it for bucket ${bucket}: ` +
        `aws lambda add-permission --function-name ${name} --statement-id s3-${bucket} --action lambda:InvokeFunction --principal s3.amazonaws.com --source-arn arn:aws:s3:::${bucket}`,
    );
  }
}
const object = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {});

/**
 * A store's notification record in Lambda's S3 event shape (https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html):
 * `eventSource` `aws:s3`, the event name without the `s3:` prefix MinIO keeps, the bucket's ARN, and the
 * object key URL-encoded as S3 encodes it (a space as `+`).
 */
function lambdaS3Record(value: unknown, region: string): Json {
  const record = object(value);
  const s3 = object(record.s3);
  const bucket = object(s3.bucket);
  const obj = object(s3.object);
  if (typeof bucket.name !== 'string' || typeof obj.key !== 'string') {
    throw new AwsError('InvalidRequestContentException', 'A notification record has no s3.bucket.name or s3.object.key.');
  }
  const eventName = typeof record.eventName === 'string' ? record.eventName.replace(/^s3:/, '') : 'ObjectCreated:Put';
  return {
    eventVersion: typeof record.eventVersion === 'string' ? record.eventVersion : '2.1',
    eventSource: 'aws:s3',
    awsRegion: typeof record.awsRegion === 'string' && record.awsRegion !== '' ? record.awsRegion : region,
    eventTime: typeof record.eventTime === 'string' ? record.eventTime : new Date().toISOString(),
    eventName,
    userIdentity: object(record.userIdentity),
    requestParameters: object(record.requestParameters),
    responseElements: object(record.responseElements),
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: typeof s3.configurationId === 'string' ? s3.configurationId : 'selfless',
      bucket: { name: bucket.name, ownerIdentity: object(bucket.ownerIdentity), arn: `arn:aws:s3:::${bucket.name}` },
      object: {
        key: s3Key(obj.key),
        ...(typeof obj.size === 'number' ? { size: obj.size } : {}),
        ...(typeof obj.eTag === 'string' ? { eTag: obj.eTag } : {}),
        ...(typeof obj.versionId === 'string' ? { versionId: obj.versionId } : {}),
        ...(typeof obj.sequencer === 'string' ? { sequencer: obj.sequencer } : {}),
      },
    },
  };
}

/** The key as S3 puts it in notifications: URL-encoded, a space as `+`, `/` kept. A key that arrives encoded is decoded first. */
function s3Key(key: string): string {
  let raw = key;
  try {
    raw = decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    // Not encoded after all.
  }
  return encodeURIComponent(raw).replace(/%20/g, '+').replace(/%2F/g, '/');
}
