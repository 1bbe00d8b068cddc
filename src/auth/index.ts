export { loadRootKey, readKeyFile, CREDENTIALS_FILE, type AccessKey } from './credentials.js';
export { verifySigV4, type IncomingSignedRequest, type VerifiedCaller, type SecretLookup } from './sigv4.js';
