import { AwsError } from '../core/index.js';
import { checkMaxItems, iamValidation, type Page } from './iam-names.js';

export interface IamTag {
  readonly key: string;
  readonly value: string;
}

/** IAM's quota of tags per role or user. */
const MAX_TAGS = 50;

/** TagRole / TagUser: each given tag added, or replacing the one whose key matches regardless of case (IAM's keys are). */
function withTags(existing: readonly IamTag[], added: readonly IamTag[]): IamTag[] {
  for (const tag of added) {
    if (tag.key.length < 1 || tag.key.length > 128) throw iamValidation('tags.member.key', tag.key, 'Member must have length between 1 and 128');
    if (tag.value.length > 256) throw iamValidation('tags.member.value', tag.value, 'Member must have length less than or equal to 256');
  }
  const keys = new Set(added.map((t) => t.key.toLowerCase()));
  const tags = [...existing.filter((t) => !keys.has(t.key.toLowerCase())), ...added];
  if (tags.length > MAX_TAGS) throw new AwsError('LimitExceeded', `The number of tags has reached the maximum limit of ${MAX_TAGS}.`);
  return tags;
}

/** UntagRole / UntagUser: keys that are not there are not an error, as in IAM. */
function withoutTags(existing: readonly IamTag[], keys: readonly string[]): IamTag[] {
  const removed = new Set(keys.map((k) => k.toLowerCase()));
  return existing.filter((t) => !removed.has(t.key.toLowerCase()));
}

/** A change of tags: TagRole / TagUser give `tags`, UntagRole / UntagUser give `untag`. */
export interface TagChange {
  readonly tags?: readonly IamTag[];
  readonly untag?: readonly string[];
}

/** The tags after a change. */
export function retagged(existing: readonly IamTag[], change: TagChange): IamTag[] {
  const tags = change.tags === undefined ? [...existing] : withTags(existing, change.tags);
  return change.untag === undefined ? tags : withoutTags(tags, change.untag);
}

/** ListRoleTags / ListUserTags: in the order they were added; the marker is the count already listed. */
export function tagPage(tags: readonly IamTag[], marker: string | undefined, maxItems: number | undefined): Page<IamTag> {
  const limit = checkMaxItems(maxItems);
  const from = marker === undefined ? 0 : Math.max(0, Number.parseInt(marker, 10) || 0);
  const items = tags.slice(from, from + limit);
  return from + limit < tags.length ? { items, marker: String(from + limit) } : { items };
}
