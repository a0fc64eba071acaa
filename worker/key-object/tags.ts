import { TagException } from '../errors';
import { paginate, type Page } from '../wire/pagination';
import type { Tag } from './key-record';
import { requireReplicaTag } from './replica-count';

const MAX_TAGS = 50;

/** Adds or overwrites tags; AWS KMS reserves the `aws:` prefix and caps a key at 50 tags. */
export function applyTags(existing: Tag[], tags: Tag[]): Tag[] {
  // AWS KMS refuses a request that names a tag key twice rather than keep either value.
  if (new Set(tags.map((tag) => tag.key)).size !== tags.length) throw new TagException('Duplicate tag keys');
  const merged = new Map(existing.map((tag) => [tag.key, tag.value]));
  for (const { key, value } of tags) {
    if (key.toLowerCase().startsWith('aws:')) throw new TagException(`Tag key '${key}' uses the reserved prefix aws:.`);
    merged.set(key, value);
  }
  if (merged.size > MAX_TAGS) throw new TagException(`A key has at most ${MAX_TAGS} tags.`);
  const applied = [...merged].map(([key, value]) => ({ key, value }));
  requireReplicaTag(applied);
  return applied;
}

export function removeTags(existing: Tag[], tagKeys: string[]): Tag[] {
  const removed = new Set(tagKeys);
  return existing.filter((tag) => !removed.has(tag.key));
}

/** ListResourceTags pages through the tags in key order. */
export function tagPage(tags: Tag[], limit: number | undefined, marker: string | undefined): Page<Tag> {
  const sorted = [...tags].sort((a, b) => (a.key < b.key ? -1 : 1));
  return paginate(sorted, (tag) => tag.key, limit, marker);
}
