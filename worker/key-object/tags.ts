import { TagException } from '../errors';
import type { Tag } from './key-record';

const MAX_TAGS = 50;

/** Adds or overwrites tags; AWS KMS reserves the `aws:` prefix and caps a key at 50 tags. */
export function applyTags(existing: Tag[], tags: Tag[]): Tag[] {
  const merged = new Map(existing.map((tag) => [tag.TagKey, tag.TagValue]));
  for (const { TagKey, TagValue } of tags) {
    if (TagKey.toLowerCase().startsWith('aws:')) throw new TagException(`Tag key '${TagKey}' uses the reserved prefix aws:.`);
    merged.set(TagKey, TagValue);
  }
  if (merged.size > MAX_TAGS) throw new TagException(`A key has at most ${MAX_TAGS} tags.`);
  return [...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
}

export function removeTags(existing: Tag[], tagKeys: string[]): Tag[] {
  const removed = new Set(tagKeys);
  return existing.filter((tag) => !removed.has(tag.TagKey));
}
