import { randomBytes, randomUUID } from 'node:crypto';

export const newRequestId = (): string => randomUUID();
export const newRevisionId = (): string => randomUUID();

/** 32 lowercase hex characters, as in Lambda's log stream names. */
export const newHexId = (bytes = 16): string => randomBytes(bytes).toString('hex');
