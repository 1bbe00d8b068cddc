/**
 * Server-side AWS Signature Version 4 verification.
 *
 * The canonicalisation and key derivation are @smithy/signature-v4's: the incoming request is rebuilt
 * as the client saw it (only the headers it signed, the path still percent-encoded, the query decoded)
 * and signed again with the caller's secret. Doing the math with the same code the JS SDK signs with
 * keeps us from drifting from what clients compute; this module only decides what to feed it and
 * turns every way a request can fail into the error AWS would send.
 *
 * Both the `Authorization` header form and presigned URLs (`X-Amz-*` query parameters) are accepted.
 */
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError } from '../core/errors.js';
import { sameSecret } from './secret-box.js';

export interface IncomingSignedRequest {
  method: string;
  /** The request target exactly as received: path still percent-encoded, raw query string. */
  rawUrl: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export interface VerifiedCaller {
  accessKeyId: string;
  /** The region from the credential scope; the caller decides whether it is one it serves. */
  region: string;
  /** `x-amz-security-token` (or `X-Amz-Security-Token` of a presigned URL) as sent. */
  sessionToken?: string;
}

/** The secret of an access key (with the session token the request carries); may throw the AwsError AWS answers (an expired token). */
export type SecretLookup = (accessKeyId: string, sessionToken: string | undefined) => string | undefined;

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const DEFAULT_MAX_SKEW_MS = 5 * 60_000;
const MAX_PRESIGNED_EXPIRES_SECONDS = 7 * 24 * 60 * 60;
const SHA256_HEADER = 'x-amz-content-sha256';
/**
 * SignatureV4 copies the query in time quadratic in its distinct keys (~1 s at 3000, which fits in
 * Node's default 16 KiB request head), and that runs for anyone who knows an access key id. No Lambda
 * operation sends more than a handful; UntagResource's tagKeys top out at the 50-tag limit.
 */
const MAX_QUERY_PARAMETERS = 200;

const Sha256 = Hash.bind(null, 'sha256');

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

type Query = Record<string, string | string[]>;
type HeaderIndex = Map<string, string[]>;

/** What the request claims about its signature, before any of it is checked against a secret. */
interface Claim {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly sessionToken: string | undefined;
  /** Seconds a presigned URL stays valid; undefined for the header form. */
  readonly expiresSeconds: number | undefined;
}

/** A request as its head arrived: what can be checked before any of its body is read. */
export type IncomingSignedHead = Omit<IncomingSignedRequest, 'body'>;

/**
 * A request whose head has passed every check that needs no body. `verify` finishes with the body.
 * When the client declared the payload hash (`x-amz-content-sha256`), the signature itself was checked
 * from the head already (`signatureChecked`), and `verify` only compares the body with that hash.
 */
export interface PendingSignature {
  readonly signatureChecked: boolean;
  verify(body: Uint8Array): Promise<VerifiedCaller>;
}

/**
 * The service a request's credential scope names (`AKID/20261204/us-east-1/lambda/aws4_request`), read
 * without checking anything, so that the front door can pick the API to route to; undefined when the
 * request carries no scope. Whatever it says is checked again, with the rest, by checkSigV4Head.
 */
export function scopeServiceOf(head: Pick<IncomingSignedHead, 'rawUrl' | 'headers'>): string | undefined {
  const authorization = head.headers.authorization;
  const fromHeader = typeof authorization === 'string' ? /Credential=[^/,\s]*\/[^/,\s]*\/[^/,\s]*\/([^/,\s]+)\//.exec(authorization) : null;
  if (fromHeader !== null) return fromHeader[1];
  const fromQuery = /[?&]X-Amz-Credential=[^/&%]*(?:\/|%2F)[^/&%]*(?:\/|%2F)[^/&%]*(?:\/|%2F)([^/&%]+)(?:\/|%2F)/i.exec(head.rawUrl);
  return fromQuery === null ? undefined : fromQuery[1];
}

/**
 * Resolves to the caller when `req` carries a valid signature for `service` made with the secret
 * `lookupSecret` returns; otherwise rejects with the AwsError AWS would answer with.
 */
export async function verifySigV4(
  req: IncomingSignedRequest,
  lookupSecret: SecretLookup,
  options: { now: Date; service?: string; maxSkewMs?: number },
): Promise<VerifiedCaller> {
  return (await checkSigV4Head(req, lookupSecret, options)).verify(req.body);
}

/**
 * Checks everything about a signed request that its head shows — the form of the signature, its
 * scope, that the access key exists, the time, and the signature itself when the payload hash is
 * declared — so that a caller who cannot sign has none of its body read.
 */
export async function checkSigV4Head(
  req: IncomingSignedHead,
  lookupSecret: SecretLookup,
  options: { now: Date; service?: string; maxSkewMs?: number },
): Promise<PendingSignature> {
  const service = options.service ?? 'lambda';
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const { path, rawQuery } = splitTarget(req.rawUrl);
  const query = parseQuery(rawQuery);
  const headers = indexHeaders(req.headers);

  const authorization = headers.get('authorization')?.[0];
  const presigned = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature'].some((name) => name in query);
  let claim: Claim;
  if (authorization !== undefined && authorization !== '') {
    if (presigned) {
      throw incomplete(
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      );
    }
    claim = claimFromHeader(authorization, headers);
  } else if (presigned) {
    claim = claimFromQuery(query);
  } else {
    throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const signingDate = checkScope(claim, service);
  checkAmzHeadersSigned(claim, headers);

  const secretAccessKey = lookupSecret(claim.accessKeyId, claim.sessionToken);
  if (secretAccessKey === undefined) {
    throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  checkTime(claim, signingDate, options.now, maxSkewMs);

  const caller: VerifiedCaller = { accessKeyId: claim.accessKeyId, region: claim.region };
  if (claim.sessionToken !== undefined) caller.sessionToken = claim.sessionToken;
  const signedWith = async (hash: string) =>
    sameSecret(claim.signature, await computeSignature({ method: req.method, path, query, headers, claim, signingDate, secretAccessKey, payloadHash: hash }));

  const declared = headers.get(SHA256_HEADER)?.[0];
  if (declared !== undefined) {
    const hash = declaredHash(declared);
    if (!(await signedWith(hash))) throw invalidSignature(SIGNATURE_MISMATCH);
    return {
      signatureChecked: true,
      async verify(body) {
        if (hash !== UNSIGNED_PAYLOAD && hash !== sha256Hex(body)) {
          throw invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
        return caller;
      },
    };
  }
  // A presigned URL can't know the body: botocore signs UNSIGNED-PAYLOAD, smithy the body's hash.
  if (claim.expiresSeconds !== undefined && (await signedWith(UNSIGNED_PAYLOAD))) {
    return { signatureChecked: true, verify: async () => caller };
  }
  return {
    signatureChecked: false,
    async verify(body) {
      if (await signedWith(sha256Hex(body))) return caller;
      throw invalidSignature(SIGNATURE_MISMATCH);
    },
  };
}

/**
 * Every `x-amz-*` header must be among the signed ones, so that none can be added to a captured request
 * (`X-Amz-Log-Type: Tail` to read its logs, say). The session token is the exception AWS's own test
 * suite makes: a client may add it after signing.
 */
function checkAmzHeadersSigned(claim: Claim, headers: HeaderIndex): void {
  const unsigned = [...headers.keys()].filter((name) => name.startsWith('x-amz-') && name !== 'x-amz-security-token' && !claim.signedHeaders.includes(name));
  if (unsigned.length > 0) {
    throw invalidSignature(`There were headers present in the request which were not signed: ${unsigned.sort().join(', ')}`);
  }
}

function incomplete(message: string): AwsError {
  return new AwsError('IncompleteSignatureException', message);
}

function invalidSignature(message: string): AwsError {
  return new AwsError('InvalidSignatureException', message);
}

function splitTarget(rawUrl: string): { path: string; rawQuery: string } {
  // Absolute-form targets (sent to proxies) carry scheme and authority before the path.
  const target = rawUrl.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/#.*$/s, '');
  const mark = target.indexOf('?');
  const path = mark < 0 ? target : target.slice(0, mark);
  return { path: path === '' ? '/' : path, rawQuery: mark < 0 ? '' : target.slice(mark + 1) };
}

/** Decoded parameters, repeated keys as arrays: the shape SignatureV4 re-encodes canonically. */
function parseQuery(rawQuery: string): Query {
  const query: Query = Object.create(null) as Query;
  const pairs = rawQuery.split('&').filter((pair) => pair !== '');
  if (pairs.length > MAX_QUERY_PARAMETERS) {
    throw incomplete(`The query string has ${pairs.length} parameters; at most ${MAX_QUERY_PARAMETERS} are accepted on a signed request.`);
  }
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A broken escape can't match what the client signed; keep it so the mismatch is reported as one.
    return text;
  }
}

/** Header values by lower-cased name, keeping each occurrence so repeats can be joined canonically. */
function indexHeaders(headers: IncomingSignedRequest['headers']): HeaderIndex {
  const index: HeaderIndex = new Map();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const values = index.get(key) ?? [];
    values.push(...(Array.isArray(value) ? value : [value]));
    index.set(key, values);
  }
  return index;
}

function claimFromHeader(authorization: string, headers: HeaderIndex): Claim {
  const space = authorization.search(/\s/);
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  const params = new Map<string, string>();
  if (algorithm === ALGORITHM) {
    for (const part of authorization.slice(algorithm.length).split(',')) {
      const pair = part.trim();
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq < 0) {
        throw incomplete(`'${pair}' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorization}'.`);
      }
      const key = pair.slice(0, eq);
      if (!params.has(key)) params.set(key, pair.slice(eq + 1));
    }
  } else if (algorithm.startsWith('AWS4-')) {
    throw incomplete(`Unsupported AWS 'algorithm': '${algorithm}'; only '${ALGORITHM}' is accepted. Authorization=${authorization}`);
  }

  const amzDate = headers.get('x-amz-date')?.[0];
  // AWS reports everything missing at once, in this order, for any non-SigV4 scheme too (Bearer, AWS v2).
  const missing = ['Credential', 'Signature', 'SignedHeaders']
    .filter((name) => !params.has(name))
    .map((name) => `Authorization header requires '${name}' parameter. `);
  if (amzDate === undefined) {
    // SignatureV4 always derives the date header itself, so a `Date`-only request can't be rebuilt.
    missing.push(
      headers.has('date')
        ? "Only 'X-Amz-Date' is supported as the signing date, not 'Date'. "
        : "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
    );
  }
  if (missing.length > 0) throw incomplete(`${missing.join('')}Authorization=${authorization}`);

  const signedHeaders = splitSignedHeaders(params.get('SignedHeaders') ?? '');
  // SignatureV4 always puts x-amz-date in the canonical headers; AWS requires it signed anyway.
  if (!signedHeaders.includes('x-amz-date')) {
    throw incomplete("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return {
    ...splitCredential(params.get('Credential') ?? ''),
    signedHeaders,
    signature: params.get('Signature') ?? '',
    amzDate: amzDate ?? '',
    sessionToken: headers.get('x-amz-security-token')?.[0],
    expiresSeconds: undefined,
  };
}

function claimFromQuery(query: Query): Claim {
  const param = (name: string): string | undefined => {
    const value = query[name];
    return typeof value === 'string' ? value : undefined;
  };
  const algorithm = param('X-Amz-Algorithm');
  const credential = param('X-Amz-Credential');
  const signature = param('X-Amz-Signature');
  const amzDate = param('X-Amz-Date');
  const signedHeaders = param('X-Amz-SignedHeaders');
  const expires = param('X-Amz-Expires');
  if (
    algorithm === undefined ||
    credential === undefined ||
    signature === undefined ||
    amzDate === undefined ||
    signedHeaders === undefined ||
    expires === undefined
  ) {
    throw incomplete(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm !== ALGORITHM) throw incomplete(`X-Amz-Algorithm only supports "${ALGORITHM}", not "${algorithm}".`);
  const expiresSeconds = /^\d{1,7}$/.test(expires) ? Number(expires) : Number.NaN;
  if (!(expiresSeconds >= 1 && expiresSeconds <= MAX_PRESIGNED_EXPIRES_SECONDS)) {
    throw incomplete(`X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_SECONDS}, not '${expires}'.`);
  }
  return {
    ...splitCredential(credential),
    signedHeaders: splitSignedHeaders(signedHeaders),
    signature,
    amzDate,
    sessionToken: param('X-Amz-Security-Token'),
    expiresSeconds,
  };
}

function splitSignedHeaders(list: string): string[] {
  return list.split(';').map((name) => name.trim().toLowerCase());
}

function splitCredential(credential: string): Pick<Claim, 'accessKeyId' | 'scopeDate' | 'region' | 'service' | 'terminator'> {
  const parts = credential.split('/');
  if (parts.length !== 5) {
    throw incomplete(`Credential should be '<access key id>/<yyyymmdd>/<region>/<service>/${TERMINATOR}', not '${credential}'.`);
  }
  const [accessKeyId = '', scopeDate = '', region = '', service = '', terminator = ''] = parts;
  return { accessKeyId, scopeDate, region, service, terminator };
}

/** Checks the credential scope and the signing date against each other; returns that date. */
function checkScope(claim: Claim, service: string): Date {
  const signingDate = parseAmzDate(claim.amzDate);
  if (signingDate === undefined) {
    throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${claim.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  if (claim.terminator !== TERMINATOR) {
    throw incomplete(`Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${claim.terminator}'.`);
  }
  if (claim.service !== service) throw incomplete(`Credential should be scoped to correct service: '${service}'. `);
  if (claim.region === '') throw incomplete("Credential should be scoped to a valid region, not ''. ");
  if (claim.scopeDate !== claim.amzDate.slice(0, 8)) {
    throw incomplete(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${claim.scopeDate}' != '${claim.amzDate.slice(0, 8)}', from '${claim.amzDate}'.`,
    );
  }
  if (!claim.signedHeaders.includes('host')) {
    throw incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return signingDate;
}

function checkTime(claim: Claim, signingDate: Date, now: Date, maxSkewMs: number): void {
  const age = now.getTime() - signingDate.getTime();
  const lifetimeMs = claim.expiresSeconds === undefined ? maxSkewMs : claim.expiresSeconds * 1000;
  if (age > lifetimeMs) {
    throw invalidSignature(
      `Signature expired: ${claim.amzDate} is now earlier than ${formatAmzDate(new Date(now.getTime() - lifetimeMs))} (${formatAmzDate(now)} - ${describeDuration(lifetimeMs)}.)`,
    );
  }
  if (-age > maxSkewMs) {
    throw invalidSignature(
      `Signature not yet current: ${claim.amzDate} is still later than ${formatAmzDate(new Date(now.getTime() + maxSkewMs))} (${formatAmzDate(now)} + ${describeDuration(maxSkewMs)}.)`,
    );
  }
}

function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day, hour, minute, second));
  // Date.UTC rolls 20240230 over into March; only a date that formats back unchanged is real.
  return formatAmzDate(date) === text ? date : undefined;
}

function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

function describeDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} sec`;
}

/** The payload hash a client declared in `x-amz-content-sha256`, lower-cased, if it is one we verify. */
function declaredHash(declared: string): string {
  if (declared === UNSIGNED_PAYLOAD) return declared;
  if (/^[0-9a-f]{64}$/i.test(declared)) return declared.toLowerCase();
  // Chunk-signed (STREAMING-*) bodies would need per-chunk verification, which Lambda never uses.
  throw invalidSignature(`x-amz-content-sha256 must be ${UNSIGNED_PAYLOAD} or the hex SHA-256 of the body, not '${declared}'.`);
}

function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

async function computeSignature(input: {
  method: string;
  path: string;
  query: Query;
  headers: HeaderIndex;
  claim: Claim;
  signingDate: Date;
  secretAccessKey: string;
  payloadHash: string;
}): Promise<string> {
  const { claim } = input;
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of claim.signedHeaders) {
    const values = input.headers.get(name);
    // Repeated headers are joined with a bare comma in the canonical form, each value trimmed.
    if (values !== undefined) headers[name] = values.map((value) => value.trim()).join(',');
  }
  // SignatureV4 takes the payload hash from this header when present, so it never hashes the body
  // itself; when the client didn't sign the header it is kept out of the canonical headers below.
  headers[SHA256_HEADER] ??= input.payloadHash;

  const signer = new SignatureV4({
    service: claim.service,
    region: claim.region,
    credentials: { accessKeyId: claim.accessKeyId, secretAccessKey: input.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
  });
  const request = new HttpRequest({
    method: input.method.toUpperCase(),
    protocol: 'http:',
    hostname: input.headers.get('host')?.[0] ?? 'localhost',
    path: input.path,
    query: input.query,
    headers,
  });
  const signed = await signer.sign(request, {
    signingDate: input.signingDate,
    signingRegion: claim.region,
    signingService: claim.service,
    // Lets headers SignatureV4 would skip (user-agent, expect, …) count when the client signed them,
    // and keeps out the ones it adds by itself (x-amz-date for presigned URLs, the payload hash).
    signableHeaders: new Set(claim.signedHeaders),
    unsignableHeaders: new Set([SHA256_HEADER, 'x-amz-date']),
  });
  const signature = /Signature=([0-9a-f]+)$/.exec(String(signed.headers['authorization']))?.[1];
  if (signature === undefined) throw new Error('SignatureV4 returned no signature');
  return signature;
}
