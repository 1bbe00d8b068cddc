import { parsePolicy, type PolicyKind } from './policy.js';

/** Refuses a document IAM would refuse (or one using what selfless does not evaluate) with MalformedPolicyDocument, before it is stored. */
export function checkPolicyDocument(document: string, kind: PolicyKind): void {
  parsePolicy(document, kind);
}
