export { loadRootKey, readKeyFile, CREDENTIALS_FILE, type AccessKey } from './credentials.js';
export { checkSigV4Head, verifySigV4, type IncomingSignedHead, type IncomingSignedRequest, type PendingSignature, type VerifiedCaller, type SecretLookup } from './sigv4.js';
