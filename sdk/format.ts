/**
 * The AWS Encryption SDK message format: every byte layout the SDK reads or writes, and nothing
 * else (no cryptography). Version 2 is written and read; version 1 is read only. Spec: aws-encryption-sdk-specification, data-format/
 * (message-header.md, message-body.md, message-body-aad.md, message-footer.md) and
 * framework/structures.md (encryption context serialization).
 *
 *   header  = version(1)=0x02 | suite id(2) | message id(32) | AAD length(2) | AAD
 *             | EDK count(2) | EDKs | content type(1)=0x02 | frame length(4)
 *             | suite data (commit key, 32) | header auth tag(16)
 *   regular = sequence number(4) | IV(12) | ciphertext(frame length) | tag(16)
 *   final   = 0xFFFFFFFF | sequence number(4) | IV(12) | content length(4) | ciphertext | tag(16)
 *   footer  = signature length(2) | DER ECDSA signature          (signed suites only)
 *   header, version 1 (read only) = version(1)=0x01 | type(1)=0x80 | suite id(2) | message id(16)
 *             | AAD length(2) | AAD | EDK count(2) | EDKs | content type(1)=0x02 | reserved(4)=0
 *             | IV length(1)=12 | frame length(4) | header IV(12) | header auth tag(16)
 *     (its frames and footer are laid out as in version 2)
 *
 * All integers are big-endian. Parsers are written for streaming: given the bytes seen so far
 * they return undefined when a field is not complete yet, and throw as soon as a field is known
 * to be invalid, so a hostile header is refused before the rest of it is even read. A header,
 * the one structure of unbounded field count, can also be parsed as it arrives (HeaderParser),
 * each field read once.
 */
import { type Bytes, compareBytes, fromUtf8, utf8 } from './bytes';
import {
  InvalidArgumentError,
  KeyringError,
  MalformedMessageError,
  TooManyEncryptedDataKeysError,
  UnsupportedFormatError,
} from './errors';
import type { EncryptedDataKey, EncryptionContext } from './materials';
import { type AlgorithmSuite, type LegacySuiteId, type SuiteId, findSuite } from './suites';

export const MESSAGE_FORMAT_VERSION = 0x02;
export const MESSAGE_ID_LENGTH = 32;
/** Message format 1, read only: its type byte (customer authenticated encrypted data) and id length. */
export const LEGACY_MESSAGE_FORMAT_VERSION = 0x01;
const LEGACY_MESSAGE_TYPE = 0x80;
const LEGACY_MESSAGE_ID_LENGTH = 16;
export const CONTENT_TYPE_NON_FRAMED = 0x01;
export const CONTENT_TYPE_FRAMED = 0x02;
/** Marks a final frame where a regular frame has its sequence number. */
export const FINAL_FRAME_MARKER = 0xffffffff;
/** Frame lengths and sequence numbers are UInt32 on the wire; 0 is not a valid value of either. */
export const MAX_FRAME_LENGTH = 0xffffffff;
export const MAX_SEQUENCE_NUMBER = 0xffffffff;
const UINT16_MAX = 0xffff;

/** Body AAD content labels (message-body-aad.md). Non-framed bodies are not written or read. */
const REGULAR_FRAME_LABEL = utf8('AWSKMSEncryptionClient Frame');
const FINAL_FRAME_LABEL = utf8('AWSKMSEncryptionClient Final Frame');

/** The parsed, public view of a message header. */
export interface MessageHeader {
  readonly version: typeof MESSAGE_FORMAT_VERSION | typeof LEGACY_MESSAGE_FORMAT_VERSION;
  readonly suiteId: SuiteId | LegacySuiteId;
  /** 32 bytes (version 2) or 16 (version 1). */
  readonly messageId: Uint8Array;
  readonly encryptionContext: EncryptionContext;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  readonly contentType: typeof CONTENT_TYPE_FRAMED;
  readonly frameLength: number;
  /** The algorithm suite data: the commit key (version 2); empty in version 1. */
  readonly suiteData: Uint8Array;
  /** Bytes the header occupies, authentication tag included. */
  readonly headerLength: number;
}

/** A header as the decryptor needs it: the fields plus the exact bytes the tag authenticates. */
export interface ParsedHeader {
  readonly header: MessageHeader;
  readonly suite: AlgorithmSuite;
  /** The whole header (body, IV in version 1, tag): a copy, of which every byte field is a view. */
  readonly bytes: Bytes;
  readonly body: Bytes;
  /** The IV of the header tag: all zeros in version 2, stored in the header in version 1. */
  readonly authIv: Bytes;
  readonly authTag: Bytes;
}

export interface HeaderFields {
  readonly suite: AlgorithmSuite;
  readonly messageId: Uint8Array;
  readonly encryptionContext: EncryptionContext;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  readonly frameLength: number;
  readonly commitKey: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Thrown inside a parse when the input ends before a field does; parsers turn it into undefined. */
const INCOMPLETE = Symbol('incomplete');

// Big-endian by hand, like writeUint32: a DataView costs more than the read on these short
// paths, and makes a small on-heap array move its bytes off-heap first.
function readUint16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! * 0x100_0000 + ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!);
}

class Reader {
  offset: number;

  /**
   * @param complete whether `bytes` is known to hold the whole structure: then running out of
   *   bytes means a malformed structure rather than "wait for more input".
   */
  constructor(
    private readonly bytes: Bytes,
    offset: number,
    private readonly complete: boolean,
    private readonly what: string,
  ) {
    this.offset = offset;
  }

  private need(length: number): void {
    if (this.offset + length <= this.bytes.byteLength) return;
    if (this.complete) throw new MalformedMessageError(`${this.what} is truncated`);
    throw INCOMPLETE;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  u16(): number {
    this.need(2);
    const value = readUint16(this.bytes, this.offset);
    this.offset += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = readUint32(this.bytes, this.offset);
    this.offset += 4;
    return value;
  }

  /** A view, not a copy: callers copy what they keep beyond the input's lifetime. */
  take(length: number): Bytes {
    this.need(length);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  utf8(length: number, field: string): string {
    const text = fromUtf8(this.take(length));
    if (text === undefined) throw new MalformedMessageError(`${field} is not valid UTF-8`);
    return text;
  }

  get atEnd(): boolean {
    return this.offset === this.bytes.byteLength;
  }
}

function orUndefined<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (error === INCOMPLETE) return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Encryption context (framework/structures.md#serialization)

interface EncodedEntry {
  readonly key: Bytes;
  readonly value: Bytes;
}

function encodeContextString(text: unknown, what: string): Bytes {
  if (typeof text !== 'string') throw new InvalidArgumentError(`encryption context ${what} must be a string`);
  const bytes = utf8(text);
  // A lone surrogate would be encoded as U+FFFD, so two different strings could serialize to the
  // same bytes; refuse strings that do not round-trip.
  if (fromUtf8(bytes) !== text) throw new InvalidArgumentError(`encryption context ${what} is not well-formed Unicode`);
  if (bytes.byteLength > UINT16_MAX) throw new InvalidArgumentError(`encryption context ${what} exceeds 65535 bytes`);
  return bytes;
}

/**
 * Serializes a context canonically: entries sorted by the UTF-8 bytes of their keys (not by
 * JavaScript string order, which differs for characters outside the BMP), an empty context as
 * zero bytes. Keyrings use this as AAD, so the same context must always give the same bytes.
 *
 * `legacyLocaleOrder` sorts keys with String#localeCompare instead. Only for reading: it is the
 * order in which the official JavaScript SDK's raw keyrings build their AAD unless configured
 * with `utf8Sorting: true`, and a raw AES keyring tries it when the canonical order fails.
 */
export function serializeEncryptionContext(context: EncryptionContext, legacyLocaleOrder = false): Bytes {
  if (typeof context !== 'object' || context === null) {
    throw new InvalidArgumentError('encryption context must be an object of strings');
  }
  if (!legacyLocaleOrder) {
    const known = canonicalContexts.get(context);
    if (known) return known;
  }
  const pairs = Object.entries(context);
  if (legacyLocaleOrder) pairs.sort(([a], [b]) => a.localeCompare(b));
  const entries: EncodedEntry[] = pairs.map(([key, value]) => ({
    key: encodeContextString(key, 'key'),
    value: encodeContextString(value, `value of "${key}"`),
  }));
  if (entries.length > UINT16_MAX) throw new InvalidArgumentError('encryption context has more than 65535 entries');
  if (!legacyLocaleOrder) entries.sort((a, b) => compareBytes(a.key, b.key));

  let length = entries.length === 0 ? 0 : 2;
  for (const entry of entries) length += 4 + entry.key.byteLength + entry.value.byteLength;
  const out = new Uint8Array(length);
  if (entries.length > 0) writeUint16(out, 0, entries.length);
  let offset = 2;
  for (const { key, value } of entries) {
    writeUint16(out, offset, key.byteLength);
    out.set(key, offset + 2);
    offset += 2 + key.byteLength;
    writeUint16(out, offset, value.byteLength);
    out.set(value, offset + 2);
    offset += 2 + value.byteLength;
  }
  if (!legacyLocaleOrder && canonicalContexts.has(context)) canonicalContexts.set(context, out);
  return out;
}

/**
 * The canonical serialization of each context the SDK built and froze itself (the materials'
 * context, a parsed header's), made at most once: a message serializes its context for a raw
 * keyring's AAD and again for its header, and a parsed header's context again for the unwrap,
 * about 2 µs each in Chromium for one entry (issue 15). Only such objects are remembered: their
 * entries are plain values that can never change, which a caller's object, frozen or not (it may
 * have getters), does not promise. The bytes are shared and out of every caller's reach (for a
 * parsed header, a view of keyFieldsRead's copy), so nobody writes to them.
 */
const canonicalContexts = new WeakMap<EncryptionContext, Bytes | null>();

/** A frozen copy of `context`'s own entries, whose serialization is made once and remembered. */
export function frozenContext(context: EncryptionContext): EncryptionContext {
  const frozen = Object.freeze({ ...context });
  canonicalContexts.set(frozen, null);
  return frozen;
}

/**
 * Parses a serialized context. Entry order is not enforced: older official JavaScript releases
 * sorted keys by string order rather than UTF-8 bytes, and their messages must stay readable.
 * Duplicate keys are refused, since they would make the context ambiguous.
 */
export function parseEncryptionContext(bytes: Bytes): EncryptionContext {
  const { context, canonical } = readEncryptionContext(bytes);
  // A copy: `bytes` is a view of the caller's message, which the caller may reuse.
  canonicalContexts.set(context, canonical ? bytes.slice() : null);
  return context;
}

/** The entries of a serialized context, and whether its keys come in canonical order (so `bytes` are what serializing it gives). */
function readEncryptionContext(bytes: Bytes): { context: EncryptionContext; canonical: boolean } {
  const entries = new Map<string, string>();
  let canonical = true;
  if (bytes.byteLength > 0) {
    const reader = new Reader(bytes, 0, true, 'encryption context');
    const count = reader.u16();
    if (count === 0) throw new MalformedMessageError('encryption context has a length but no entries');
    let previousKey: Bytes | undefined;
    for (let i = 0; i < count; i++) {
      const keyBytes = reader.take(reader.u16());
      const key = fromUtf8(keyBytes);
      if (key === undefined) throw new MalformedMessageError('encryption context key is not valid UTF-8');
      const value = reader.utf8(reader.u16(), 'encryption context value');
      if (entries.has(key)) throw new MalformedMessageError('encryption context has a duplicate key');
      if (previousKey !== undefined && compareBytes(previousKey, keyBytes) >= 0) canonical = false;
      previousKey = keyBytes;
      entries.set(key, value);
    }
    if (!reader.atEnd) throw new MalformedMessageError('encryption context has trailing bytes');
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a plain entry.
  return { context: Object.freeze(Object.fromEntries(entries)), canonical };
}

// ---------------------------------------------------------------------------------------------
// Header (data-format/message-header.md, version 2.0)

function encryptedDataKeyField(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.byteLength > UINT16_MAX) throw new KeyringError(`encrypted data key ${what} exceeds 65535 bytes`);
  return bytes;
}

/** The header body: everything the header authentication tag covers. */
export function serializeHeaderBody(fields: HeaderFields): Bytes {
  const { suite, messageId, encryptedDataKeys, frameLength, commitKey } = fields;
  if (messageId.byteLength !== MESSAGE_ID_LENGTH) throw new InvalidArgumentError('message id must be 32 bytes');
  if (commitKey.byteLength !== suite.commitKeyLength) throw new InvalidArgumentError('commit key has the wrong length');
  assertFrameLength(frameLength);
  const context = serializeEncryptionContext(fields.encryptionContext);
  if (context.byteLength > UINT16_MAX) throw new InvalidArgumentError('serialized encryption context exceeds 65535 bytes');
  if (encryptedDataKeys.length === 0) throw new KeyringError('a message needs at least one encrypted data key');
  if (encryptedDataKeys.length > UINT16_MAX) throw new KeyringError('a message holds at most 65535 encrypted data keys');

  const keys = encryptedDataKeys.map((edk) => ({
    providerId: encryptedDataKeyField(utf8(edk.providerId), 'provider id'),
    providerInfo: encryptedDataKeyField(edk.providerInfo, 'provider info'),
    ciphertext: encryptedDataKeyField(edk.ciphertext, 'ciphertext'),
  }));
  let length = 1 + 2 + MESSAGE_ID_LENGTH + 2 + context.byteLength + 2 + 1 + 4 + commitKey.byteLength;
  for (const key of keys) length += 6 + key.providerId.byteLength + key.providerInfo.byteLength + key.ciphertext.byteLength;

  const out = new Uint8Array(length);
  let offset = 0;
  const putU16Prefixed = (bytes: Uint8Array): void => {
    writeUint16(out, offset, bytes.byteLength);
    out.set(bytes, offset + 2);
    offset += 2 + bytes.byteLength;
  };
  out[offset] = MESSAGE_FORMAT_VERSION;
  writeUint16(out, offset + 1, suite.id);
  out.set(messageId, offset + 3);
  offset += 3 + MESSAGE_ID_LENGTH;
  putU16Prefixed(context);
  writeUint16(out, offset, keys.length);
  offset += 2;
  for (const key of keys) {
    putU16Prefixed(key.providerId);
    putU16Prefixed(key.providerInfo);
    putU16Prefixed(key.ciphertext);
  }
  out[offset] = CONTENT_TYPE_FRAMED;
  writeUint32(out, offset + 1, frameLength);
  out.set(commitKey, offset + 5);
  return out;
}

/**
 * The parsed view of a header this SDK is writing, built from the fields it was serialized from:
 * what parseHeader would return for those bytes (context entries in serialized order, copies of
 * every byte field), without parsing them back.
 */
export function headerFromFields(fields: HeaderFields, headerLength: number): MessageHeader {
  const context = fields.encryptionContext;
  // In the serialized order (UTF-8 bytes of the keys); one key needs no encoding to be in order.
  let keys = Object.keys(context);
  if (keys.length > 1) {
    keys = keys
      .map((key) => ({ key, bytes: utf8(key) }))
      .sort((a, b) => compareBytes(a.bytes, b.bytes))
      .map(({ key }) => key);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a plain entry.
  const encryptionContext = Object.fromEntries(keys.map((key) => [key, context[key]!]));
  return Object.freeze({
    version: MESSAGE_FORMAT_VERSION,
    suiteId: fields.suite.id,
    messageId: fields.messageId.slice(),
    encryptionContext: Object.freeze(encryptionContext),
    encryptedDataKeys: Object.freeze(
      fields.encryptedDataKeys.map((edk) =>
        Object.freeze({ providerId: edk.providerId, providerInfo: edk.providerInfo.slice(), ciphertext: edk.ciphertext.slice() }),
      ),
    ),
    contentType: CONTENT_TYPE_FRAMED,
    frameLength: fields.frameLength,
    suiteData: fields.commitKey.slice(),
    headerLength,
  });
}

export interface ParseHeaderOptions {
  /** Refuse headers with more encrypted data keys than this (spec: client.md). */
  readonly maxEncryptedDataKeys?: number;
  /**
   * Called with the suite as soon as it is read, before the rest of the header; throws to refuse
   * it (decrypt's commitment policy), so a refused message is refused whatever follows.
   */
  readonly checkSuite?: (suite: AlgorithmSuite) => void;
}

/** No limit unless given; when given, a positive integer (spec: client-apis/client.md). */
export function assertMaxEncryptedDataKeys(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new InvalidArgumentError('maxEncryptedDataKeys must be a positive integer');
  }
}

/**
 * Parses a header from the start of `bytes`. Returns undefined if `bytes` ends inside the
 * header; throws if what is there is invalid or unsupported.
 */
export function parseHeader(bytes: Bytes, options: ParseHeaderOptions = {}): ParsedHeader | undefined {
  return new HeaderParser(options).resume(bytes);
}

/**
 * A header parse that stops where its input ends and goes on from there when more has arrived, so
 * a header that arrives in many small chunks is still read once: O(length) however it is cut, where
 * parsing the whole prefix again on every chunk would cost O(length^2) (a hostile sender's header of
 * thousands of small fields, one byte per chunk). Each field is checked as soon as it is read, as by
 * parseHeader.
 */
export class HeaderParser {
  private readonly steps: Generator<number, ParsedHeader, Bytes>;
  private needs: number;
  private result: ParsedHeader | undefined;
  private failure: { error: unknown } | undefined;

  constructor(options: ParseHeaderOptions = {}) {
    this.steps = headerSteps(new GrowingReader(), options);
    this.needs = this.steps.next().value as number;
  }

  /**
   * Bytes, counted from the header's first byte, that resume must be given before the parse can go
   * on: a lower bound on the header's length until the header is complete.
   */
  get needed(): number {
    return this.needs;
  }

  /**
   * Goes on with `prefix`, the bytes seen so far from the header's first byte (at least as many as
   * on the last call; it may be another buffer holding them). Does nothing while `prefix` is shorter
   * than `needed`. Returns the header once complete (views of its own copy of the header, none of
   * `prefix`), undefined while it needs more; throws, then and on any later call, if a field is
   * invalid.
   */
  resume(prefix: Bytes): ParsedHeader | undefined {
    if (this.failure !== undefined) throw this.failure.error;
    if (this.result !== undefined || prefix.byteLength < this.needs) return this.result;
    let step: IteratorResult<number, ParsedHeader>;
    try {
      step = this.steps.next(prefix);
    } catch (error) {
      this.failure = { error };
      throw error;
    }
    if (step.done) this.result = step.value;
    else this.needs = step.value;
    return this.result;
  }
}

/**
 * Reads fields from the start of an input that grows. Reads are plain calls on bytes already in
 * hand; before each, the parse asks `has` and, only when the input is too short, waits with
 * `more`, which yields the length it needs and continues with the longer input it is resumed
 * with. (Reads that were generators themselves cost 4.7 µs per header in Chromium, a tenth of a
 * 1 KiB message's decrypt, for the generator objects alone; issue 15.)
 */
class GrowingReader {
  private bytes: Bytes = new Uint8Array(0);
  offset = 0;

  has(length: number): boolean {
    return this.offset + length <= this.bytes.byteLength;
  }

  *more(length: number): Generator<number, void, Bytes> {
    while (!this.has(length)) this.bytes = yield this.offset + length;
  }

  u8(): number {
    return this.bytes[this.offset++]!;
  }

  u16(): number {
    const value = readUint16(this.bytes, this.offset);
    this.offset += 2;
    return value;
  }

  u32(): number {
    const value = readUint32(this.bytes, this.offset);
    this.offset += 4;
    return value;
  }

  /** A view of the input it was resumed with last: callers copy what they keep across a later read. */
  take(length: number): Bytes {
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  utf8(length: number, field: string): string {
    const text = fromUtf8(this.take(length));
    if (text === undefined) throw new MalformedMessageError(`${field} is not valid UTF-8`);
    return text;
  }

  /** The first `end` bytes of the input it was resumed with last. */
  prefix(end: number): Bytes {
    return this.bytes.subarray(0, end);
  }
}

function* headerSteps(reader: GrowingReader, options: ParseHeaderOptions): Generator<number, ParsedHeader, Bytes> {
  if (!reader.has(1)) yield* reader.more(1);
  const version = reader.u8();
  if (version !== MESSAGE_FORMAT_VERSION && version !== LEGACY_MESSAGE_FORMAT_VERSION) {
    // Both versions' first byte encodes to "A" in base64: a common mistake worth naming.
    if (version === 0x41) throw new MalformedMessageError('not a message: the bytes look base64-encoded');
    throw new MalformedMessageError(`unknown message format version ${version}`);
  }
  const legacy = version === LEGACY_MESSAGE_FORMAT_VERSION;
  if (legacy) {
    if (!reader.has(1)) yield* reader.more(1);
    const type = reader.u8();
    if (type !== LEGACY_MESSAGE_TYPE) throw new MalformedMessageError(`unknown message type 0x${type.toString(16)}`);
  }
  if (!reader.has(2)) yield* reader.more(2);
  const suiteId = reader.u16();
  const suite = findSuite(suiteId);
  if (suite === undefined || suite.messageFormatVersion !== version) {
    throw new UnsupportedFormatError(`unsupported algorithm suite 0x${suiteId.toString(16).padStart(4, '0')} in message format ${version}`);
  }
  options.checkSuite?.(suite);
  const messageIdLength = legacy ? LEGACY_MESSAGE_ID_LENGTH : MESSAGE_ID_LENGTH;
  if (!reader.has(messageIdLength + 2)) yield* reader.more(messageIdLength + 2);
  const messageIdAt = reader.offset;
  reader.take(messageIdLength);
  const contextLength = reader.u16();
  if (!reader.has(contextLength)) yield* reader.more(contextLength);
  const contextAt = reader.offset;
  const { context: encryptionContext, canonical } = readEncryptionContext(reader.take(contextLength));

  if (!reader.has(2)) yield* reader.more(2);
  const keyCount = reader.u16();
  if (keyCount === 0) throw new MalformedMessageError('header has no encrypted data keys');
  const limit = options.maxEncryptedDataKeys;
  if (limit !== undefined && keyCount > limit) {
    throw new TooManyEncryptedDataKeysError(`message has ${keyCount} encrypted data keys; the limit is ${limit}`);
  }
  // Where each key's byte fields are: they become views of the header's copy once it is complete.
  const keyFields: { providerId: string; infoAt: number; infoLength: number; ciphertextAt: number; ciphertextLength: number }[] = [];
  for (let i = 0; i < keyCount; i++) {
    if (!reader.has(2)) yield* reader.more(2);
    const idLength = reader.u16();
    if (!reader.has(idLength + 2)) yield* reader.more(idLength + 2);
    const providerId = reader.utf8(idLength, 'key provider id');
    const infoLength = reader.u16();
    if (!reader.has(infoLength + 2)) yield* reader.more(infoLength + 2);
    const infoAt = reader.offset;
    reader.take(infoLength);
    const ciphertextLength = reader.u16();
    if (!reader.has(ciphertextLength)) yield* reader.more(ciphertextLength);
    keyFields.push({ providerId, infoAt, infoLength, ciphertextAt: reader.offset, ciphertextLength });
    reader.take(ciphertextLength);
  }
  const keysEnd = reader.offset;

  if (!reader.has(1)) yield* reader.more(1);
  const contentType = reader.u8();
  if (contentType === CONTENT_TYPE_NON_FRAMED) throw new UnsupportedFormatError('non-framed message bodies are not supported');
  if (contentType !== CONTENT_TYPE_FRAMED) throw new MalformedMessageError(`unknown content type ${contentType}`);
  if (legacy) {
    if (!reader.has(5)) yield* reader.more(5);
    if (reader.u32() !== 0) throw new MalformedMessageError('reserved header field is not zero');
    const ivLength = reader.u8();
    if (ivLength !== suite.ivLength) throw new MalformedMessageError(`header IV length ${ivLength} does not match the suite's ${suite.ivLength}`);
  }
  if (!reader.has(4)) yield* reader.more(4);
  const frameLength = reader.u32();
  if (frameLength === 0) throw new MalformedMessageError('framed message with a frame length of 0');
  // The rest has a fixed length: suite data, the IV (format 1), the tag.
  const authIvLength = legacy ? suite.ivLength : 0;
  const rest = suite.commitKeyLength + authIvLength + suite.tagLength;
  if (!reader.has(rest)) yield* reader.more(rest);
  const bodyEnd = reader.offset + suite.commitKeyLength;
  const headerLength = bodyEnd + authIvLength + suite.tagLength;

  // One copy of the whole header, so nothing parsed depends on the caller's buffer afterwards (and
  // the tag is checked over the very bytes the fields were read from); each field is a view of it,
  // which costs less than a copy per field (issue 15).
  const bytes = reader.prefix(headerLength).slice();
  const field = (at: number, length: number): Bytes => bytes.subarray(at, at + length);
  // The context and the keys' bytes once more, where no view a caller gets can reach them
  // (keyFieldsRead); the context's bytes are remembered as a view of them (a raw AES keyring's
  // unwrap passes them as its AAD).
  const keyFieldBytes = bytes.slice(contextAt - 2, keysEnd);
  canonicalContexts.set(encryptionContext, canonical ? keyFieldBytes.subarray(2, 2 + contextLength) : null);
  const encryptedDataKeys = Object.freeze(
    keyFields.map(({ providerId, infoAt, infoLength, ciphertextAt, ciphertextLength }) =>
      Object.freeze({ providerId, providerInfo: field(infoAt, infoLength), ciphertext: field(ciphertextAt, ciphertextLength) }),
    ),
  );
  keyFieldsRead.set(encryptedDataKeys, { encryptionContext, bytes: keyFieldBytes });
  const header: MessageHeader = Object.freeze({
    version: legacy ? LEGACY_MESSAGE_FORMAT_VERSION : MESSAGE_FORMAT_VERSION,
    suiteId: suite.id,
    messageId: field(messageIdAt, messageIdLength),
    encryptionContext,
    encryptedDataKeys,
    contentType: CONTENT_TYPE_FRAMED,
    frameLength,
    suiteData: field(bodyEnd - suite.commitKeyLength, suite.commitKeyLength),
    headerLength,
  });
  const authIv = legacy ? field(bodyEnd, authIvLength) : HEADER_IV;
  return { header, suite, bytes, body: field(0, bodyEnd), authIv, authTag: field(bodyEnd + authIvLength, suite.tagLength) };
}

/**
 * The header bytes each parsed header's encrypted data keys and context were read from: the
 * context's length, the context, the key count and the keys, in one run. They determine both
 * exactly, so a caching manager can look up its memo of cache identifiers by them instead of
 * rendering each field (caching/cache-id.ts; issue 15). A copy of their own, which nothing
 * outside this module and the memo can reach: the header's fields are views a caller (or a
 * materials manager between the parser and the cache) could write to, but the frozen context
 * these bytes stand for cannot change, so neither may they.
 */
const keyFieldsRead = new WeakMap<readonly EncryptedDataKey[], { encryptionContext: EncryptionContext; bytes: Bytes }>();

/**
 * The header bytes `encryptedDataKeys` and `encryptionContext` were parsed from, if both are a
 * parsed header's own objects (frozen, so still what was read); undefined for any other pair,
 * such as a manager's request that kept a header's keys but changed its context.
 */
export function parsedKeyFields(encryptedDataKeys: readonly EncryptedDataKey[], encryptionContext: EncryptionContext): Bytes | undefined {
  const read = keyFieldsRead.get(encryptedDataKeys);
  return read?.encryptionContext === encryptionContext ? read.bytes : undefined;
}

// ---------------------------------------------------------------------------------------------
// Body (data-format/message-body.md, message-body-aad.md)

export function assertFrameLength(frameLength: number): void {
  if (!Number.isSafeInteger(frameLength) || frameLength < 1 || frameLength > MAX_FRAME_LENGTH) {
    throw new InvalidArgumentError(`frame length must be an integer from 1 to ${MAX_FRAME_LENGTH}`);
  }
}

/** The IV of frame `sequenceNumber`: the number, big-endian, left-padded with zeros to 12 bytes. */
export function frameIv(sequenceNumber: number): Bytes {
  const iv = new Uint8Array(12);
  writeUint32(iv, 8, sequenceNumber);
  return iv;
}

/** Big-endian, by hand: a DataView per call costs more than the write on these short paths. */
function writeUint16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value & 0xff;
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/** The header tag's IV is all zeros; frame IVs start at 1, so no IV repeats within a message. */
export const HEADER_IV: Bytes = new Uint8Array(12);

/** AAD of one frame: message id | label | sequence number(4) | plaintext length(8). */
export function frameAad(messageId: Uint8Array, final: boolean, sequenceNumber: number, contentLength: number): Bytes {
  const label = final ? FINAL_FRAME_LABEL : REGULAR_FRAME_LABEL;
  const out = new Uint8Array(messageId.byteLength + label.byteLength + 12);
  out.set(messageId, 0);
  out.set(label, messageId.byteLength);
  const offset = messageId.byteLength + label.byteLength;
  writeUint32(out, offset, sequenceNumber);
  // UInt64 as two halves: lengths here never exceed 2^32 - 1, but the field is 8 bytes wide.
  writeUint32(out, offset + 4, Math.floor(contentLength / 0x1_0000_0000));
  writeUint32(out, offset + 8, contentLength >>> 0);
  return out;
}

/** Bytes a frame with `contentLength` bytes of plaintext occupies on the wire. */
export function frameSize(suite: AlgorithmSuite, final: boolean, contentLength: number): number {
  return (final ? 12 : 4) + suite.ivLength + contentLength + suite.tagLength;
}

/**
 * Writes the fields that precede a frame's ciphertext into `target` at `offset` and returns the
 * offset where the ciphertext (followed by its tag) goes.
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  final: boolean,
  sequenceNumber: number,
  contentLength: number,
): number {
  if (final) {
    writeUint32(target, offset, FINAL_FRAME_MARKER);
    offset += 4;
  }
  writeUint32(target, offset, sequenceNumber);
  // The IV: eight zero bytes, then the sequence number (frameIv).
  target.fill(0, offset + 4, offset + 12);
  writeUint32(target, offset + 12, sequenceNumber);
  offset += 16;
  if (final) {
    writeUint32(target, offset, contentLength);
    offset += 4;
  }
  return offset;
}

export interface ParsedFrame {
  readonly final: boolean;
  readonly sequenceNumber: number;
  readonly iv: Bytes;
  /** Plaintext length, which is also the ciphertext length (GCM adds only the tag). */
  readonly contentLength: number;
  /** Ciphertext followed by its tag, as WebCrypto's AES-GCM decrypt takes them. */
  readonly sealed: Bytes;
  /** Offset just past this frame. */
  readonly end: number;
}

/**
 * Parses the frame at `offset`, which must be frame number `expectedSequence`. Returns
 * undefined if `bytes` ends inside the frame.
 */
export function parseFrame(
  bytes: Bytes,
  offset: number,
  parsed: ParsedHeader,
  expectedSequence: number,
): ParsedFrame | undefined {
  return orUndefined(() => {
    const { suite } = parsed;
    const { frameLength } = parsed.header;
    const reader = new Reader(bytes, offset, false, 'frame');
    let sequenceNumber = reader.u32();
    const final = sequenceNumber === FINAL_FRAME_MARKER;
    if (final) sequenceNumber = reader.u32();
    if (sequenceNumber !== expectedSequence) {
      throw new MalformedMessageError(`frame ${sequenceNumber} found where frame ${expectedSequence} belongs`);
    }
    const iv = reader.take(suite.ivLength);
    // The IV is implied by the sequence number; a writer that stored anything else is broken or
    // the field was altered, and GCM does not authenticate the IV field itself.
    if (compareBytes(iv, frameIv(sequenceNumber)) !== 0) throw new MalformedMessageError('frame IV does not match its sequence number');
    const contentLength = final ? reader.u32() : frameLength;
    if (contentLength > frameLength) throw new MalformedMessageError('final frame is longer than the frame length');
    const sealed = reader.take(contentLength + suite.tagLength);
    return { final, sequenceNumber, iv, contentLength, sealed, end: reader.offset };
  });
}

// ---------------------------------------------------------------------------------------------
// Footer (data-format/message-footer.md)

export function serializeFooter(signature: Uint8Array): Bytes {
  if (signature.byteLength > UINT16_MAX) throw new InvalidArgumentError('signature exceeds 65535 bytes');
  const out = new Uint8Array(2 + signature.byteLength);
  new DataView(out.buffer).setUint16(0, signature.byteLength);
  out.set(signature, 2);
  return out;
}

/** Parses the footer at `offset`; undefined if `bytes` ends inside it. */
export function parseFooter(bytes: Bytes, offset: number): { signature: Bytes; end: number } | undefined {
  return orUndefined(() => {
    const reader = new Reader(bytes, offset, false, 'footer');
    const signature = reader.take(reader.u16());
    return { signature, end: reader.offset };
  });
}
