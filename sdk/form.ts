/**
 * The form helper: encrypt the text fields and files of a `<form>` or a `FormData` in the client
 * before upload, and reverse it.
 *
 *   const body = await encryptForm(form, { keyring, encryptionContext: { user, form: 'claims' } }); // every field and file
 *   await fetch('/upload', { method: 'POST', body });
 *   const original = await decryptFormData(await response.formData(), { keyring, expectedContext: { user, form: 'claims' }, fields: ['notes'], files: ['scan'] });
 *
 * The result keeps the form's entries, in order, with every chosen entry replaced by an AWS
 * Encryption SDK message: a text field by the message in base64 (a string entry), a file by a
 * File `<name>.enc` of type application/octet-stream holding the message. A manifest entry
 * (`edgekms-manifest`, JSON) goes first and says which entries are encrypted and what they were
 * (field, kind, size, and for files the name, type and lastModified), so decryptFormData restores
 * the form exactly.
 *
 * Binding: each entry's encryption context is the caller's context plus its field name
 * (`edgekms-form-field`), its position in the form (`edgekms-form-entry`) and the SHA-256 of the
 * manifest (`edgekms-form-manifest`, which covers a random per-form id). So an entry cannot be
 * moved to another field, swapped with another entry (of the same name or not), moved into another
 * encrypted form, or described by an altered manifest (another file name or type, entries dropped
 * or added): decryptFormData refuses all of these. Unencrypted fields are not authenticated.
 *
 * Expectations: the manifest says which entries are encrypted, and whoever delivers the form can
 * write a manifest (with `entries: []`, every value is theirs). So decryptFormData does not take the
 * manifest's word for it: the caller says which fields and files must be encrypted (`fields`,
 * `files`) and which may arrive in plaintext (`allowPlaintext`, none by default); a manifest that
 * encrypts nothing, leaves a required field or any other unallowed field in plaintext, or has a
 * plaintext entry under the name of an encrypted one, is refused before any key is asked for.
 * See sdk/README.md, "Form helper", for the memory behaviour and what is visible to the server.
 */
import { type Bytes, fromUtf8, randomBytes, toBase64, utf8 } from './bytes';
import { decrypt } from './decrypt';
import { encrypt } from './encrypt';
import { EdgeKmsError, InvalidArgumentError } from './errors';
import type { Keyring } from './keyring';
import type { EncryptionContext } from './materials';
import { type MaterialsManager, materialsManagerFor } from './materials-manager';
import { decryptStream } from './stream-decrypt';
import { encryptStream } from './stream-encrypt';
import { streamChunkBytes } from './stream-input';
import type { SuiteId } from './suites';

/** The field that carries the manifest; a form to encrypt may not already have one. */
export const FORM_MANIFEST_FIELD = 'edgekms-manifest';
/** Encryption context keys added to each entry; a caller's context may not use this prefix. */
export const FORM_CONTEXT_PREFIX = 'edgekms-form-';
export const FORM_FIELD_CONTEXT_KEY = 'edgekms-form-field';
export const FORM_ENTRY_CONTEXT_KEY = 'edgekms-form-entry';
export const FORM_MANIFEST_CONTEXT_KEY = 'edgekms-form-manifest';
/** Suffix of an encrypted file's name in the encrypted form. */
export const ENCRYPTED_FILE_SUFFIX = '.enc';
/**
 * Message bytes held in JavaScript memory before they are moved into a Blob part: 1 MiB. The
 * collected message is a Blob made of such parts, so the heap holds at most this plus the stream's
 * few frames, whatever the file size.
 */
export const FORM_BLOB_BATCH_BYTES = 1024 * 1024;

/**
 * A form has the wrong shape for the operation: a decrypted form whose manifest is missing,
 * malformed or does not match its entries, or that does not meet the caller's expectations
 * (nothing encrypted, a required field absent or in plaintext, a plaintext field not allowed or
 * beside encrypted entries of its name), a decrypted entry of the wrong size, a field listed in
 * `fields`/`files` that is absent or of the other kind, or a form that already has a manifest field.
 * Cryptographic failures of an entry keep their own classes (ContextMismatchError for an entry
 * that was swapped, moved or belongs to another form; AuthenticationError for a modified one).
 */
export class FormError extends EdgeKmsError {
  override name = 'FormError';
  /** The field concerned, when there is one. */
  readonly field: string | undefined;

  constructor(message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}

/** An HTMLFormElement, typed structurally so that these types need no DOM library (Workers, Node). */
export interface FormElementLike {
  readonly elements: unknown;
  readonly action: string;
  readonly method: string;
}

export type FormInput = FormData | FormElementLike;

export interface EncryptFormOptions {
  /** A keyring, or a materials manager (e.g. a CachingMaterialsManager). */
  readonly keyring: Keyring | MaterialsManager;
  /** Bound to every entry (e.g. the user and the form); the keys `edgekms-form-*` are reserved. */
  readonly encryptionContext: EncryptionContext;
  /** Text fields to encrypt (every entry with one of these names); default: every text field. */
  readonly fields?: readonly string[];
  /** File fields to encrypt; default: every file. */
  readonly files?: readonly string[];
  /** 0x0478 (default) or 0x0578. */
  readonly suite?: SuiteId;
  /** Frame length for every entry; default: encrypt's for text, encryptStream's for files. */
  readonly frameLength?: number;
  readonly maxEncryptedDataKeys?: number;
  /** Plaintext bytes encrypted so far out of the total of the chosen entries; monotonic, ends at (total, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DecryptFormOptions {
  readonly keyring: Keyring | MaterialsManager;
  /** Entries every encrypted entry's context must contain (e.g. the user and the form). */
  readonly expectedContext: EncryptionContext;
  /**
   * Text fields that must have arrived encrypted: each must be in the form, and every entry of it
   * an encrypted text entry. Pass what encryptForm was given as `fields`.
   */
  readonly fields?: readonly string[];
  /** File fields that must have arrived encrypted, as `fields` for files. */
  readonly files?: readonly string[];
  /**
   * Fields that may arrive unencrypted (their values are not authenticated: whoever delivered the
   * form chose them). Default: none, so every entry must be encrypted. May not name a field of
   * `fields` or `files`, and never admits a plaintext entry under the name of an encrypted one.
   */
  readonly allowPlaintext?: readonly string[];
  readonly maxEncryptedDataKeys?: number;
  /** Refuse file messages with larger frames; decryptStream's default (1 MiB) unless set. */
  readonly maxFrameLength?: number;
  /** Plaintext bytes decrypted so far out of the manifest's total; monotonic, ends at (total, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

interface TextManifestEntry {
  readonly index: number;
  readonly field: string;
  readonly kind: 'text';
  /** UTF-8 bytes. */
  readonly size: number;
}

interface FileManifestEntry {
  readonly index: number;
  readonly field: string;
  readonly kind: 'file';
  readonly size: number;
  readonly fileName: string;
  readonly type: string;
  readonly lastModified: number;
}

type ManifestEntry = TextManifestEntry | FileManifestEntry;

/** What the `edgekms-manifest` field holds, as JSON. */
export interface FormManifest {
  readonly version: 1;
  /** Random, so that entries of one encrypted form cannot be moved into another. */
  readonly formId: string;
  /** Entries of the original form (the manifest not counted). */
  readonly entryCount: number;
  /** The encrypted entries, by increasing position in the original form. */
  readonly entries: readonly ManifestEntry[];
}

type Entry = [string, string | File];

/**
 * Encrypts the chosen entries of `input` and returns a new FormData: the manifest first, then every
 * entry of the input in order, the chosen ones encrypted. Files are streamed through encryptStream
 * one at a time and collected into Blobs (see FORM_BLOB_BATCH_BYTES); the input is not modified.
 */
export async function encryptForm(input: FormInput, options: EncryptFormOptions): Promise<FormData> {
  const entries = formEntries(input);
  const manager = materialsManagerFor(options.keyring);
  const context = callerContext(options.encryptionContext, 'encryptionContext');
  const chosenText = nameSet(options.fields, 'fields');
  const chosenFiles = nameSet(options.files, 'files');
  checkChoices(entries, chosenText, chosenFiles);

  const manifestEntries: ManifestEntry[] = [];
  entries.forEach(([field, value], index) => {
    if (field === FORM_MANIFEST_FIELD) throw new FormError(`the form already has a "${FORM_MANIFEST_FIELD}" field`, field);
    if (typeof value === 'string') {
      if (chosenText === undefined || chosenText.has(field)) manifestEntries.push({ index, field, kind: 'text', size: utf8(value).byteLength });
    } else if (chosenFiles === undefined || chosenFiles.has(field)) {
      const { name, type, size, lastModified } = value;
      manifestEntries.push({ index, field, kind: 'file', size, fileName: name, type, lastModified });
    }
  });
  const manifest: FormManifest = { version: 1, formId: toBase64(randomBytes(16)), entryCount: entries.length, entries: manifestEntries };
  const manifestJson = JSON.stringify(manifest);
  const digest = await manifestDigest(manifestJson);

  const total = manifestEntries.reduce((sum, entry) => sum + entry.size, 0);
  const progress = progressReporter(total, options.onProgress);
  const encrypted = new Map<number, string | File>();
  for (const entry of manifestEntries) {
    const encryptionContext = entryContext(context, entry, digest);
    const messageOptions = { encryptionContext, suite: options.suite, frameLength: options.frameLength, maxEncryptedDataKeys: options.maxEncryptedDataKeys };
    const value = entries[entry.index]![1];
    if (entry.kind === 'text') {
      const { ciphertext } = await encrypt(manager, value as string, messageOptions);
      encrypted.set(entry.index, toBase64(ciphertext));
      progress.add(entry.size);
    } else {
      const file = value as File;
      let read = 0;
      const counter = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          const bytes = streamChunkBytes(chunk, 'file');
          read += bytes.byteLength;
          if (read > entry.size) throw new FormError(`file "${entry.fileName}" grew while it was read`, entry.field);
          progress.add(bytes.byteLength);
          controller.enqueue(bytes);
        },
      });
      const message = await collectBlob(file.stream().pipeThrough(counter).pipeThrough(encryptStream(manager, messageOptions)), 'application/octet-stream');
      if (read !== entry.size) throw new FormError(`file "${entry.fileName}" changed size while it was read`, entry.field);
      encrypted.set(entry.index, new File([message], entry.fileName + ENCRYPTED_FILE_SUFFIX, { type: 'application/octet-stream' }));
    }
  }
  progress.end();

  const out = new FormData();
  out.append(FORM_MANIFEST_FIELD, manifestJson);
  entries.forEach(([field, value], index) => appendEntry(out, field, encrypted.get(index) ?? value));
  return out;
}

/**
 * Reverses encryptForm: returns a FormData equal to the original form (text restored as strings,
 * files as Files with their original name, type and lastModified), or throws. The manifest is
 * checked against the entries and against the caller's expectations (`fields`, `files`,
 * `allowPlaintext`) before any key is asked for; then each entry is decrypted with the caller's
 * expected context plus its field, position and the manifest's digest. Nothing is returned unless
 * every encrypted entry decrypted and verified.
 */
export async function decryptFormData(formData: FormData, options: DecryptFormOptions): Promise<FormData> {
  if (!(formData instanceof FormData)) throw new InvalidArgumentError('decryptFormData expects a FormData');
  const manager = materialsManagerFor(options.keyring);
  const expected = callerContext(options.expectedContext, 'expectedContext');
  const expectations = formExpectations(options);

  const all = [...formData.entries()] as Entry[];
  const manifestEntries = all.filter(([field]) => field === FORM_MANIFEST_FIELD);
  if (manifestEntries.length !== 1) {
    throw new FormError(manifestEntries.length === 0 ? `no "${FORM_MANIFEST_FIELD}" field: not a form written by encryptForm` : `more than one "${FORM_MANIFEST_FIELD}" field`);
  }
  const manifestJson = manifestEntries[0]![1];
  if (typeof manifestJson !== 'string') throw new FormError(`the "${FORM_MANIFEST_FIELD}" field must be text`, FORM_MANIFEST_FIELD);
  const manifest = parseManifest(manifestJson);
  const entries = all.filter(([field]) => field !== FORM_MANIFEST_FIELD);
  checkManifestAgainstEntries(manifest, entries);
  checkExpectations(manifest, entries, expectations);
  const digest = await manifestDigest(manifestJson);

  const total = manifest.entries.reduce((sum, entry) => sum + entry.size, 0);
  const progress = progressReporter(total, options.onProgress);
  const decrypted = new Map<number, string | File>();
  for (const entry of manifest.entries) {
    const expectedContext = entryContext(expected, entry, digest);
    const value = entries[entry.index]![1];
    if (entry.kind === 'text') {
      const { plaintext } = await decrypt(manager, value as string, { expectedContext, maxEncryptedDataKeys: options.maxEncryptedDataKeys });
      if (plaintext.byteLength !== entry.size) throw new FormError(`field "${entry.field}" decrypted to ${plaintext.byteLength} bytes, the manifest says ${entry.size}`, entry.field);
      const text = fromUtf8(plaintext);
      if (text === undefined) throw new FormError(`field "${entry.field}" did not decrypt to UTF-8 text`, entry.field);
      decrypted.set(entry.index, text);
      progress.add(entry.size);
    } else {
      let written = 0;
      const counter = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          written += chunk.byteLength;
          if (written > entry.size) throw new FormError(`file "${entry.fileName}" decrypted to more than the manifest's ${entry.size} bytes`, entry.field);
          progress.add(chunk.byteLength);
          controller.enqueue(chunk);
        },
      });
      const stream = (value as File)
        .stream()
        .pipeThrough(decryptStream(manager, { expectedContext, maxEncryptedDataKeys: options.maxEncryptedDataKeys, maxFrameLength: options.maxFrameLength }))
        .pipeThrough(counter);
      const plaintext = await collectBlob(stream, entry.type);
      if (written !== entry.size) throw new FormError(`file "${entry.fileName}" decrypted to ${written} bytes, the manifest says ${entry.size}`, entry.field);
      decrypted.set(entry.index, new File([plaintext], entry.fileName, { type: entry.type, lastModified: entry.lastModified }));
    }
  }
  progress.end();

  const out = new FormData();
  entries.forEach(([field, value], index) => appendEntry(out, field, decrypted.get(index) ?? value));
  return out;
}

// ---------------------------------------------------------------------------------------------

function formEntries(input: FormInput): Entry[] {
  if (typeof FormData !== 'undefined' && input instanceof FormData) return [...input.entries()] as Entry[];
  // Looked up when called, never at module load, so the SDK imports where there is no DOM.
  const FormElement = (globalThis as { HTMLFormElement?: abstract new () => unknown }).HTMLFormElement;
  if (FormElement !== undefined && input instanceof FormElement) {
    // The DOM's FormData(form) constructor; typed loosely so that non-DOM type libraries accept it.
    const FormDataOfForm = FormData as unknown as new (form: unknown) => FormData;
    return [...new FormDataOfForm(input).entries()] as Entry[];
  }
  throw new InvalidArgumentError('encryptForm expects a FormData or an HTMLFormElement');
}

/**
 * Appended without a filename argument: given one, a runtime may make a new File of it (workerd
 * does, with lastModified set to now), while a File alone is kept as it is.
 */
function appendEntry(out: FormData, field: string, value: string | File): void {
  out.append(field, value);
}

function nameSet(names: readonly string[] | undefined, what: string): Set<string> | undefined {
  if (names === undefined) return undefined;
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string')) throw new InvalidArgumentError(`${what} must be an array of field names`);
  return new Set(names);
}

/**
 * A listed name must be present and of its kind: a typo ("SSN" for "ssn") must not leave the real
 * field in plaintext silently, nor may a text field listed as a file be passed through.
 */
function checkChoices(entries: readonly Entry[], text: Set<string> | undefined, files: Set<string> | undefined): void {
  const check = (names: Set<string> | undefined, kind: 'text' | 'file'): void => {
    for (const name of names ?? []) {
      const values = entries.filter(([field]) => field === name).map(([, value]) => value);
      if (values.length === 0) throw new FormError(`the form has no field "${name}" (listed in ${kind === 'text' ? 'fields' : 'files'})`, name);
      for (const value of values) {
        if ((typeof value === 'string') !== (kind === 'text')) {
          throw new FormError(`field "${name}" is ${typeof value === 'string' ? 'text' : 'a file'}, but is listed in ${kind === 'text' ? 'fields' : 'files'}`, name);
        }
      }
    }
  };
  check(text, 'text');
  check(files, 'file');
}

function callerContext(context: EncryptionContext, what: string): EncryptionContext {
  if (typeof context !== 'object' || context === null) throw new InvalidArgumentError(`${what} must be an object of strings`);
  for (const key of Object.keys(context)) {
    if (key.startsWith(FORM_CONTEXT_PREFIX)) throw new InvalidArgumentError(`${what} keys starting with "${FORM_CONTEXT_PREFIX}" are reserved for the form helper`);
  }
  return context;
}

function entryContext(context: EncryptionContext, entry: ManifestEntry, digest: string): EncryptionContext {
  return {
    ...context,
    [FORM_FIELD_CONTEXT_KEY]: entry.field,
    [FORM_ENTRY_CONTEXT_KEY]: String(entry.index),
    [FORM_MANIFEST_CONTEXT_KEY]: digest,
  };
}

/** SHA-256 of the manifest exactly as carried, in base64. */
async function manifestDigest(json: string): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(json))));
}

function parseManifest(json: string): FormManifest {
  const fail = (why: string): never => {
    throw new FormError(`malformed manifest: ${why}`, FORM_MANIFEST_FIELD);
  };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return fail('not JSON');
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!isObject(value)) return fail('not an object');
  if (value.version !== 1) return fail(`unsupported version ${String(value.version)}`);
  if (typeof value.formId !== 'string') return fail('formId');
  if (!isCount(value.entryCount)) return fail('entryCount');
  if (!Array.isArray(value.entries)) return fail('entries');
  const entries: ManifestEntry[] = [];
  let previous = -1;
  for (const entry of value.entries as unknown[]) {
    if (!isObject(entry)) return fail('an entry is not an object');
    const { index, field, kind, size } = entry;
    if (!isCount(index) || index <= previous || index >= value.entryCount) return fail('entry positions must increase and lie inside the form');
    if (typeof field !== 'string' || !isCount(size)) return fail(`entry ${index}`);
    previous = index;
    if (kind === 'text') {
      entries.push({ index, field, kind, size });
    } else if (kind === 'file') {
      const { fileName, type, lastModified } = entry;
      if (typeof fileName !== 'string' || typeof type !== 'string' || typeof lastModified !== 'number' || !Number.isFinite(lastModified)) return fail(`entry ${index}`);
      entries.push({ index, field, kind, size, fileName, type, lastModified });
    } else {
      return fail(`entry ${index} has an unknown kind`);
    }
  }
  return { version: 1, formId: value.formId, entryCount: value.entryCount, entries };
}

function checkManifestAgainstEntries(manifest: FormManifest, entries: readonly Entry[]): void {
  if (entries.length !== manifest.entryCount) {
    throw new FormError(`the form has ${entries.length} entries besides the manifest, the manifest says ${manifest.entryCount}`, FORM_MANIFEST_FIELD);
  }
  for (const entry of manifest.entries) {
    const [field, value] = entries[entry.index]!;
    if (field !== entry.field) throw new FormError(`entry ${entry.index} is field "${field}", the manifest says "${entry.field}"`, field);
    if ((typeof value === 'string') !== (entry.kind === 'text')) {
      throw new FormError(`entry ${entry.index} ("${field}") is ${typeof value === 'string' ? 'text' : 'a file'}, the manifest says ${entry.kind}`, field);
    }
  }
}

/** What the caller of decryptFormData requires of a form, whatever its manifest says. */
interface FormExpectations {
  readonly text: ReadonlySet<string>;
  readonly files: ReadonlySet<string>;
  readonly plaintext: ReadonlySet<string>;
}

function formExpectations(options: DecryptFormOptions): FormExpectations {
  const text = nameSet(options.fields, 'fields') ?? new Set<string>();
  const files = nameSet(options.files, 'files') ?? new Set<string>();
  const plaintext = nameSet(options.allowPlaintext, 'allowPlaintext') ?? new Set<string>();
  for (const name of plaintext) {
    if (text.has(name) || files.has(name)) throw new InvalidArgumentError(`field "${name}" cannot be both required encrypted and allowed in plaintext`);
  }
  for (const name of text) {
    if (files.has(name)) throw new InvalidArgumentError(`field "${name}" is listed in both fields and files`);
  }
  return { text, files, plaintext };
}

/**
 * The manifest is written by whoever delivered the form, so what it says is encrypted is checked
 * against what the caller requires: otherwise a manifest listing no entries (or fewer) would pass
 * the server's own plaintext off as decrypted values, with no error.
 */
function checkExpectations(manifest: FormManifest, entries: readonly Entry[], expected: FormExpectations): void {
  if (manifest.entries.length === 0) throw new FormError('the manifest lists no encrypted entry: nothing in this form was encrypted', FORM_MANIFEST_FIELD);
  const encryptedAt = new Map(manifest.entries.map((entry) => [entry.index, entry]));
  const encryptedNames = new Set(manifest.entries.map((entry) => entry.field));
  entries.forEach(([field], index) => {
    const entry = encryptedAt.get(index);
    if (entry === undefined) {
      if (expected.text.has(field) || expected.files.has(field)) throw new FormError(`field "${field}" must be encrypted, but entry ${index} is not`, field);
      // Two entries of one name, one decrypted and one not, would reach form.get / getAll alike.
      if (encryptedNames.has(field)) throw new FormError(`field "${field}" has an unencrypted entry (${index}) besides encrypted ones`, field);
      if (!expected.plaintext.has(field)) throw new FormError(`field "${field}" arrived unencrypted and is not in allowPlaintext`, field);
      return;
    }
    if (expected.text.has(field) && entry.kind !== 'text') throw new FormError(`field "${field}" must be encrypted text, the form has a file`, field);
    if (expected.files.has(field) && entry.kind !== 'file') throw new FormError(`field "${field}" must be an encrypted file, the form has text`, field);
  });
  for (const name of [...expected.text, ...expected.files]) {
    if (!encryptedNames.has(name)) throw new FormError(`the form has no field "${name}", which must be encrypted`, name);
  }
}

interface Progress {
  add(bytes: number): void;
  end(): void;
}

function progressReporter(total: number, onProgress: ((done: number, total: number) => void) | undefined): Progress {
  let done = 0;
  onProgress?.(0, total);
  return {
    add(bytes) {
      if (bytes === 0) return;
      done = Math.min(total, done + bytes);
      onProgress?.(done, total);
    },
    end() {
      if (done !== total || total === 0) onProgress?.(total, total);
      done = total;
    },
  };
}

/**
 * Reads a stream into one Blob, moving the bytes into a Blob part every FORM_BLOB_BATCH_BYTES, so
 * JavaScript memory stays at one batch; the Blob parts are referenced, not copied, by the result.
 */
async function collectBlob(stream: ReadableStream<Uint8Array>, type: string): Promise<Blob> {
  const parts: Blob[] = [];
  let batch: Bytes[] = [];
  let batched = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.byteLength === 0) continue;
      batch.push(value as Bytes);
      batched += value.byteLength;
      if (batched >= FORM_BLOB_BATCH_BYTES) {
        const part = new Blob(batch);
        parts.push(part);
        batch = [];
        batched = 0;
        // Backpressure on the Blob's storage: Chromium hands a new Blob's bytes to the browser
        // process asynchronously, the page keeping them meanwhile; reading one byte back waits
        // for that, so at most one batch is pending (measured, 100 MiB: the renderer's peak RSS
        // growth fell from 75-120 MiB to 60-75 MiB, most of which is garbage awaiting GC, as when
        // the file is merely read). Elsewhere it costs next to nothing.
        await part.slice(0, 1).arrayBuffer();
      }
    }
  } catch (error) {
    reader.releaseLock();
    throw error;
  }
  if (batched > 0) parts.push(new Blob(batch));
  return new Blob(parts, { type });
}
