import { Hash } from '@smithy/hash-node';

/** The SHA-256 constructor SignatureV4 expects. */
export const Sha256 = Hash.bind(null, 'sha256');
