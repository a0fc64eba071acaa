import { TagException } from '../errors';
import type { KeyRecord, Tag } from './key-record';

/**
 * How many objects serve a key (docs/replicas.md): the tag
 * `edgekms:Replicas`, a whole number from 1 to 16, set at CreateKey or by
 * TagResource; without it one object, as before replicas existed.
 */
export const REPLICAS_TAG = 'edgekms:Replicas';
export const MAX_REPLICAS = 16;

/** Throws TagException for a value of the tag that is not a replica count. */
export function requireReplicaTag(tags: readonly Tag[]): void {
  const tag = tags.find((candidate) => candidate.key === REPLICAS_TAG);
  if (tag && parseCount(tag.value) === undefined) {
    throw new TagException(`Tag ${REPLICAS_TAG} must be a whole number from 1 to ${MAX_REPLICAS}; got '${tag.value}'.`);
  }
}

function parseCount(value: string): number | undefined {
  if (!/^[0-9]{1,2}$/.test(value)) return undefined;
  const count = Number(value);
  return count >= 1 && count <= MAX_REPLICAS ? count : undefined;
}

/** The replica count a record asks for; a deleted key (its tags dropped) or none asks for one. */
export function replicaCountOf(record: KeyRecord | undefined): number {
  const tag = record?.tags.find((candidate) => candidate.key === REPLICAS_TAG);
  return (tag && parseCount(tag.value)) ?? 1;
}
