/**
 * Context entries that are authenticated but not stored (spec: client-apis/encrypt.md and
 * decrypt.md, "encryption context to only authenticate"): the header stores the context minus the
 * materials' required keys, and the header tag's AAD is the header body followed by the
 * serialized required entries, so a reader who does not supply them again cannot authenticate the
 * header. With no required keys both are exactly the plain format.
 */
import { type Bytes, concatBytes } from './bytes';
import { frozenContext, serializeEncryptionContext } from './format';
import type { EncryptionContext } from './materials';

/** The entries a header stores: all but the required keys. */
export function storedContext(context: EncryptionContext, requiredKeys: readonly string[] | undefined): EncryptionContext {
  if (requiredKeys === undefined || requiredKeys.length === 0) return context;
  return frozenContext(Object.fromEntries(Object.entries(context).filter(([key]) => !requiredKeys.includes(key))));
}

/** The header tag's AAD: the header body, then the serialized required entries, if any. */
export function headerAuthAad(body: Bytes, context: EncryptionContext, requiredKeys: readonly string[] | undefined): Bytes {
  if (requiredKeys === undefined || requiredKeys.length === 0) return body;
  const required = Object.fromEntries(requiredKeys.map((key) => [key, context[key]!]));
  return concatBytes([body, serializeEncryptionContext(required)]);
}
