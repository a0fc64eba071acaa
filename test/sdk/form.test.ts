/**
 * The form helper: encryptForm / decryptFormData round trips (text fields, files of many sizes,
 * fields passed through), no plaintext in the encrypted form, and every rearrangement an upload
 * server could try (swapped, moved, modified or dropped entries, an altered manifest, a wrong
 * context) refused. Web platform only: runs in Node, workerd and Chromium.
 */
import { describe, expect, it } from 'vitest';
import {
  ENCRYPTED_FILE_SUFFIX,
  FORM_ENTRY_CONTEXT_KEY,
  FORM_FIELD_CONTEXT_KEY,
  FORM_MANIFEST_FIELD,
  FORM_MANIFEST_CONTEXT_KEY,
  type FormError,
  type FormManifest,
  type Keyring,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
  decrypt,
  decryptFormData,
  encryptForm,
} from '../../sdk/index';
import { expectRejection, expectSameBytes, flipBit, randomBytes, rawKeyring } from './helpers';

const CONTEXT = { user: 'alice', form: 'claims' };
const FRAME = 1024;
const FILE_SIZES = [0, 1, FRAME - 1, FRAME, FRAME + 1, 5 * FRAME + 7];

type Entry = [string, string | File];

function entriesOf(form: FormData): Entry[] {
  return [...form.entries()] as Entry[];
}

async function bytesOf(value: string | Blob): Promise<Uint8Array> {
  return typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(await value.arrayBuffer());
}

/** A form with text fields (one with a repeated name), files of FILE_SIZES and two fields to leave alone. */
function sampleForm(): { form: FormData; files: Map<string, Uint8Array> } {
  const form = new FormData();
  const files = new Map<string, Uint8Array>();
  form.append('title', 'Claim for the broken window at 12 Acacia Avenue');
  form.append('notes', 'Ünïcödé text ✓ with a newline\nand more secret words: hunter2-hunter2');
  form.append('tag', 'first secret tag value');
  form.append('tag', 'second secret tag value');
  form.append('empty', '');
  form.append('visibility', 'public-value-passes');
  FILE_SIZES.forEach((size, i) => {
    const bytes = randomBytes(size);
    const name = `scan-${i}.bin`;
    files.set(name, bytes);
    form.append('attachments', new File([bytes], name, { type: i % 2 === 0 ? 'image/png' : 'application/pdf', lastModified: 1_700_000_000_000 + i }));
  });
  form.append('public-doc', new File([new TextEncoder().encode('public file content')], 'readme.txt', { type: 'text/plain', lastModified: 5 }));
  return { form, files };
}

/** Entries must match exactly: names, order, strings, and files' bytes, names, types, lastModified. */
async function expectSameForm(actual: FormData, expected: FormData): Promise<void> {
  const a = entriesOf(actual);
  const e = entriesOf(expected);
  expect(a.map(([name]) => name)).toEqual(e.map(([name]) => name));
  for (let i = 0; i < e.length; i++) {
    const [, want] = e[i]!;
    const [, got] = a[i]!;
    if (typeof want === 'string') {
      expect(got).toBe(want);
    } else {
      expect(typeof got).not.toBe('string');
      const file = got as File;
      expect(file.name).toBe(want.name);
      expect(file.type).toBe(want.type);
      expect(file.lastModified).toBe(want.lastModified);
      expectSameBytes(await bytesOf(file), await bytesOf(want));
    }
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.byteLength <= haystack.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A copy of `form` with entries rebuilt by `edit` (which gets and returns the entry list). */
function rebuilt(form: FormData, edit: (entries: Entry[]) => Entry[]): FormData {
  const out = new FormData();
  for (const [name, value] of edit(entriesOf(form))) {
    if (typeof value === 'string') out.append(name, value);
    else out.append(name, value, value.name);
  }
  return out;
}

function manifestOf(form: FormData): FormManifest {
  return JSON.parse(form.get(FORM_MANIFEST_FIELD) as string) as FormManifest;
}

const encryptOptions = (extra: Partial<Parameters<typeof encryptForm>[1]> = {}) => ({
  keyring: rawKeyring(),
  encryptionContext: CONTEXT,
  frameLength: FRAME,
  ...extra,
});
const decryptOptions = (extra: Partial<Parameters<typeof decryptFormData>[1]> = {}) => ({
  keyring: rawKeyring(),
  expectedContext: CONTEXT,
  ...extra,
});

describe('encryptForm / decryptFormData', () => {
  it('round-trips text fields, repeated names and files of many sizes; unchosen fields pass through', async () => {
    const { form } = sampleForm();
    const choices = { fields: ['title', 'notes', 'tag', 'empty'], files: ['attachments'] };
    const encrypted = await encryptForm(form, encryptOptions(choices));

    const entries = entriesOf(encrypted);
    expect(entries[0]![0]).toBe(FORM_MANIFEST_FIELD);
    expect(entries.slice(1).map(([name]) => name)).toEqual(entriesOf(form).map(([name]) => name));
    expect(encrypted.get('visibility')).toBe('public-value-passes');
    const publicDoc = encrypted.get('public-doc') as File;
    expect(publicDoc.name).toBe('readme.txt');
    const attachments = encrypted.getAll('attachments') as File[];
    expect(attachments.map((file) => file.name)).toEqual(FILE_SIZES.map((_, i) => `scan-${i}.bin${ENCRYPTED_FILE_SUFFIX}`));
    for (const file of attachments) expect(file.type).toBe('application/octet-stream');

    const manifest = manifestOf(encrypted);
    expect(manifest.entryCount).toBe(entriesOf(form).length);
    expect(manifest.entries.map((entry) => entry.field)).toEqual(['title', 'notes', 'tag', 'tag', 'empty', ...FILE_SIZES.map(() => 'attachments')]);

    await expectSameForm(await decryptFormData(encrypted, decryptOptions({ ...choices, allowPlaintext: ['visibility', 'public-doc'] })), form);
  });

  it('encrypts every text field and file by default, with the signed suite too', async () => {
    const { form } = sampleForm();
    const encrypted = await encryptForm(form, encryptOptions({ suite: SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 }));
    expect(manifestOf(encrypted).entries.length).toBe(entriesOf(form).length);
    expect(encrypted.get('visibility')).not.toBe('public-value-passes');
    await expectSameForm(await decryptFormData(encrypted, decryptOptions()), form);
  });

  it('streams a multi-frame file at the default frame length', async () => {
    const form = new FormData();
    const bytes = randomBytes(3 * 256 * 1024 + 11);
    form.append('big', new File([bytes], 'big.bin', { type: 'application/x-test' }));
    const encrypted = await encryptForm(form, { keyring: rawKeyring(), encryptionContext: CONTEXT });
    const back = await decryptFormData(encrypted, decryptOptions());
    expectSameBytes(await bytesOf(back.get('big') as File), bytes);
  });

  it('each entry is a message bound to the caller context, its field, its position and the manifest', async () => {
    const { form } = sampleForm();
    const encrypted = await encryptForm(form, encryptOptions());
    const { encryptionContext } = await decrypt(rawKeyring(), encrypted.getAll('tag')[1] as string);
    expect(encryptionContext).toMatchObject(CONTEXT);
    expect(encryptionContext[FORM_FIELD_CONTEXT_KEY]).toBe('tag');
    expect(encryptionContext[FORM_ENTRY_CONTEXT_KEY]).toBe('3');
    expect(typeof encryptionContext[FORM_MANIFEST_CONTEXT_KEY]).toBe('string');
  });

  it('leaves no plaintext bytes of an encrypted field or file in the encrypted form', async () => {
    const { form, files } = sampleForm();
    const encrypted = await encryptForm(form, encryptOptions({ fields: ['title', 'notes', 'tag'], files: ['attachments'] }));
    const encryptedBytes = await Promise.all(entriesOf(encrypted).map(([, value]) => bytesOf(value)));
    const secrets: Uint8Array[] = [];
    for (const name of ['title', 'notes', 'tag']) {
      for (const value of form.getAll(name) as string[]) secrets.push(new TextEncoder().encode(value));
    }
    secrets.push(new TextEncoder().encode('hunter2'), new TextEncoder().encode('secret tag'));
    for (const bytes of files.values()) {
      // Every 16-byte window start of each file, a few per file (random data: a 16-byte match is no coincidence).
      for (let offset = 0; offset + 16 <= bytes.byteLength; offset += Math.max(16, Math.floor(bytes.byteLength / 8))) {
        secrets.push(bytes.subarray(offset, offset + 16));
      }
    }
    for (const secret of secrets) {
      for (const haystack of encryptedBytes) expect(indexOf(haystack, secret)).toBe(-1);
    }
    // The fields left alone are there in the clear.
    expect(encrypted.get('visibility')).toBe('public-value-passes');
  });

  it('reports monotonic progress ending at the total of the chosen entries', async () => {
    const { form } = sampleForm();
    const calls: [number, number][] = [];
    await encryptForm(form, encryptOptions({ fields: ['title'], files: ['attachments'], onProgress: (done, total) => calls.push([done, total]) }));
    const total = new TextEncoder().encode(form.get('title') as string).byteLength + FILE_SIZES.reduce((a, b) => a + b, 0);
    expect(calls.length).toBeGreaterThan(2);
    expect(calls[0]).toEqual([0, total]);
    expect(calls.at(-1)).toEqual([total, total]);
    for (let i = 1; i < calls.length; i++) {
      expect(calls[i]![1]).toBe(total);
      expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0]);
    }

    const empty = new FormData();
    empty.append('x', 'y');
    const none: [number, number][] = [];
    await encryptForm(empty, encryptOptions({ files: [], fields: [], onProgress: (done, total) => none.push([done, total]) }));
    expect(none.at(-1)).toEqual([0, 0]);
  });

  describe('refuses', () => {
    it('two encrypted text fields whose values were swapped', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions());
      const swapped = rebuilt(encrypted, (entries) => {
        const title = entries.findIndex(([name]) => name === 'title');
        const notes = entries.findIndex(([name]) => name === 'notes');
        const value = entries[title]![1];
        entries[title] = ['title', entries[notes]![1]];
        entries[notes] = ['notes', value];
        return entries;
      });
      await expectRejection(decryptFormData(swapped, decryptOptions()), 'ContextMismatchError');
    });

    it('two encrypted files of the same field swapped (same name, same size)', async () => {
      const form = new FormData();
      form.append('docs', new File([randomBytes(100)], 'a.bin'));
      form.append('docs', new File([randomBytes(100)], 'b.bin'));
      const encrypted = await encryptForm(form, encryptOptions());
      const swapped = rebuilt(encrypted, (entries) => [entries[0]!, entries[2]!, entries[1]!]);
      await expectRejection(decryptFormData(swapped, decryptOptions()), 'ContextMismatchError');
    });

    it('whole entries (name and value) swapped: the manifest no longer matches', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions());
      const swapped = rebuilt(encrypted, (entries) => [entries[0]!, entries[2]!, entries[1]!, ...entries.slice(3)]);
      await expectRejection(decryptFormData(swapped, decryptOptions()), 'FormError');
    });

    it('a tampered file entry', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions());
      const target = 1 + entriesOf(form).findIndex(([, value]) => typeof value !== 'string' && value.size === 5 * FRAME + 7);
      const file = entriesOf(encrypted)[target]![1] as File;
      const message = new Uint8Array(await file.arrayBuffer());
      for (const index of [10, Math.floor(message.byteLength / 2), message.byteLength - 1]) {
        const bad = rebuilt(encrypted, (entries) => entries.map((entry, i) => (i === target ? [entry[0], new File([flipBit(message, index)], file.name)] : entry)));
        const error = await expectRejection(decryptFormData(bad, decryptOptions()));
        expect(['AuthenticationError', 'MalformedMessageError', 'CommitmentMismatchError', 'NoDecryptableKeyError']).toContain(error.name);
      }
      const frameBit = rebuilt(encrypted, (entries) => entries.map((entry, i) => (i === target ? [entry[0], new File([flipBit(message, message.byteLength - 20)], file.name)] : entry)));
      await expectRejection(decryptFormData(frameBit, decryptOptions()), 'AuthenticationError');
    });

    it('a tampered text entry', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions());
      const message = Uint8Array.from(atob(encrypted.get('title') as string), (c) => c.charCodeAt(0));
      const tampered = btoa(String.fromCharCode(...flipBit(message, message.byteLength - 1)));
      const bad = rebuilt(encrypted, (entries) => entries.map(([name, value]) => [name, name === 'title' ? tampered : value]));
      await expectRejection(decryptFormData(bad, decryptOptions()), 'AuthenticationError');
    });

    it('a wrong or missing expected context entry', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions());
      await expectRejection(decryptFormData(encrypted, decryptOptions({ expectedContext: { user: 'mallory', form: 'claims' } })), 'ContextMismatchError');
      await expectRejection(decryptFormData(encrypted, decryptOptions({ expectedContext: { ...CONTEXT, extra: 'x' } })), 'ContextMismatchError');
    });

    it('an entry moved in from another encrypted form of the same user', async () => {
      const form = new FormData();
      form.append('note', 'one');
      const first = await encryptForm(form, encryptOptions());
      const second = await encryptForm(form, encryptOptions());
      const mixed = rebuilt(first, (entries) => [entries[0]!, ['note', second.get('note')!]]);
      await expectRejection(decryptFormData(mixed, decryptOptions()), 'ContextMismatchError');
    });

    it('an altered manifest (another file name or type)', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions());
      const manifest = manifestOf(encrypted);
      const renamed = { ...manifest, entries: manifest.entries.map((entry) => (entry.kind === 'file' ? { ...entry, fileName: 'evil.html', type: 'text/html' } : entry)) };
      const bad = rebuilt(encrypted, (entries) => [[FORM_MANIFEST_FIELD, JSON.stringify(renamed)], ...entries.slice(1)]);
      await expectRejection(decryptFormData(bad, decryptOptions()), 'ContextMismatchError');
    });

    it('a missing, duplicated or malformed manifest, or entries dropped or added', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions());
      await expectRejection(decryptFormData(rebuilt(encrypted, (e) => e.slice(1)), decryptOptions()), 'FormError');
      await expectRejection(decryptFormData(rebuilt(encrypted, (e) => [e[0]!, ...e]), decryptOptions()), 'FormError');
      await expectRejection(decryptFormData(rebuilt(encrypted, (e) => [[FORM_MANIFEST_FIELD, '{"version":1'], ...e.slice(1)]), decryptOptions()), 'FormError');
      await expectRejection(decryptFormData(rebuilt(encrypted, (e) => e.slice(0, -1)), decryptOptions()), 'FormError');
      await expectRejection(decryptFormData(rebuilt(encrypted, (e) => [...e, ['added', 'x']]), decryptOptions()), 'FormError');
      // An encrypted entry dropped from the manifest (and the count kept): it would pass through as
      // ciphertext, but the manifest's digest no longer matches the remaining entries' contexts.
      // Refused before any key is asked for, since that entry is not allowed in plaintext; and were
      // it allowed, the remaining entries would still not decrypt.
      const manifest = manifestOf(encrypted);
      const fewer = { ...manifest, entries: manifest.entries.slice(1) };
      const withFewer = rebuilt(encrypted, (e) => [[FORM_MANIFEST_FIELD, JSON.stringify(fewer)], ...e.slice(1)]);
      await expectRejection(decryptFormData(withFewer, decryptOptions()), 'FormError');
      await expectRejection(decryptFormData(withFewer, decryptOptions({ allowPlaintext: ['title'] })), 'ContextMismatchError');
    });

    it('bad choices and reserved names when encrypting', async () => {
      const { form } = sampleForm();
      await expectRejection(encryptForm(form, encryptOptions({ fields: ['tilte'] })), 'FormError');
      await expectRejection(encryptForm(form, encryptOptions({ fields: ['attachments'] })), 'FormError');
      await expectRejection(encryptForm(form, encryptOptions({ files: ['title'] })), 'FormError');
      await expectRejection(encryptForm(form, encryptOptions({ encryptionContext: { [FORM_FIELD_CONTEXT_KEY]: 'x' } })), 'InvalidArgumentError');
      const withManifest = new FormData();
      withManifest.append(FORM_MANIFEST_FIELD, '{}');
      await expectRejection(encryptForm(withManifest, encryptOptions()), 'FormError');
      await expectRejection(encryptForm({} as FormData, encryptOptions()), 'InvalidArgumentError');
    });
  });

  describe("refuses a form that does not meet the reader's expectations, whatever its manifest says", () => {
    /** What the sample form's reader requires encrypted, and the two fields it lets through. */
    const REQUIRED = { fields: ['title', 'notes', 'tag', 'empty'], files: ['attachments'] };
    const PUBLIC = { allowPlaintext: ['visibility', 'public-doc'] };
    const SERVER_TEXT = 'chosen by the server';

    /** The test keyring, counting unwraps: these forms must be refused before any key is asked for. */
    function countingKeyring(): { keyring: Keyring; unwraps: () => number } {
      const inner = rawKeyring();
      let unwraps = 0;
      const keyring: Keyring = {
        onEncrypt: (materials) => inner.onEncrypt(materials),
        onDecrypt: (materials, edks) => {
          unwraps++;
          return inner.onDecrypt(materials, edks);
        },
      };
      return { keyring, unwraps: () => unwraps };
    }

    it('a stripped manifest (nothing encrypted) carrying the server\'s own values', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions(REQUIRED));
      const stripped = rebuilt(encrypted, (entries) => [
        [FORM_MANIFEST_FIELD, JSON.stringify({ ...manifestOf(encrypted), entries: [] })],
        ...entries.slice(1).map(([name, value]): Entry => [name, typeof value === 'string' ? SERVER_TEXT : new File([SERVER_TEXT], value.name)]),
      ]);
      const { keyring, unwraps } = countingKeyring();
      const everyName = [...new Set(entriesOf(form).map(([name]) => name))];
      for (const expectations of [{}, { ...REQUIRED, ...PUBLIC }, { allowPlaintext: everyName }]) {
        const error = await expectRejection(decryptFormData(stripped, decryptOptions({ keyring, ...expectations })), 'FormError');
        if (!('fields' in expectations)) expect(error.message).toMatch(/no encrypted entry|not in allowPlaintext/);
      }
      expect(unwraps()).toBe(0);
    });

    it('a swapped manifest: another genuine form of the user in which a required field is plaintext or of the other kind', async () => {
      const { form } = sampleForm();
      // Same user, same context, encrypted and consistent: every message in it would decrypt.
      const filesOnly = await encryptForm(form, encryptOptions({ fields: [], files: ['attachments'] }));
      const served = rebuilt(filesOnly, (entries) => entries.map(([name, value]): Entry => [name, name === 'notes' ? SERVER_TEXT : value]));
      const { keyring, unwraps } = countingKeyring();
      const error = await expectRejection(decryptFormData(served, decryptOptions({ keyring, ...REQUIRED, ...PUBLIC })), 'FormError');
      expect((error as FormError).field).toBe('title');
      await expectRejection(decryptFormData(served, decryptOptions({ keyring })), 'FormError');
      // A form whose "attachments" are text: encrypted, but not the files the reader requires.
      const textAttachments = new FormData();
      textAttachments.append('attachments', 'a text value');
      const wrongKind = await encryptForm(textAttachments, encryptOptions());
      await expectRejection(decryptFormData(wrongKind, decryptOptions({ keyring, files: ['attachments'] })), 'FormError');
      expect(unwraps()).toBe(0);
    });

    it('a manifest claiming fewer encrypted entries than required', async () => {
      // A genuine form without the "notes" field: nothing in it is inconsistent.
      const { form } = sampleForm();
      const withoutNotes = rebuilt(form, (entries) => entries.filter(([name]) => name !== 'notes'));
      const others = { fields: REQUIRED.fields.filter((name) => name !== 'notes'), files: REQUIRED.files };
      const encrypted = await encryptForm(withoutNotes, encryptOptions(others));
      const { keyring, unwraps } = countingKeyring();
      const error = await expectRejection(decryptFormData(encrypted, decryptOptions({ keyring, ...REQUIRED, ...PUBLIC })), 'FormError');
      expect((error as FormError).field).toBe('notes');
      expect(unwraps()).toBe(0);
      // A reader that does not require "notes" reads it.
      await expectSameForm(await decryptFormData(encrypted, decryptOptions({ ...others, ...PUBLIC })), withoutNotes);
    });

    it('a plaintext entry smuggled in next to encrypted ones', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions(REQUIRED));
      // The manifest lists only encrypted entries, so renaming a plaintext one changes no digest.
      const renamed = (to: string) =>
        rebuilt(encrypted, (entries) => entries.map(([name, value]): Entry => (name === 'visibility' ? [to, SERVER_TEXT] : [name, value])));
      const { keyring, unwraps } = countingKeyring();
      for (const options of [{ ...REQUIRED, ...PUBLIC }, PUBLIC, { allowPlaintext: ['title', 'tag', 'public-doc'] }]) {
        await expectRejection(decryptFormData(renamed('title'), decryptOptions({ keyring, ...options })), 'FormError');
        await expectRejection(decryptFormData(renamed('tag'), decryptOptions({ keyring, ...options })), 'FormError');
      }
      await expectRejection(decryptFormData(renamed('is-admin'), decryptOptions({ keyring, ...REQUIRED, ...PUBLIC })), 'FormError');
      expect(unwraps()).toBe(0);
      // The form as it was written decrypts with the same expectations.
      await expectSameForm(await decryptFormData(encrypted, decryptOptions({ ...REQUIRED, ...PUBLIC })), form);
    });

    it('contradictory expectations', async () => {
      const { form } = sampleForm();
      const encrypted = await encryptForm(form, encryptOptions());
      await expectRejection(decryptFormData(encrypted, decryptOptions({ fields: ['title'], allowPlaintext: ['title'] })), 'InvalidArgumentError');
      await expectRejection(decryptFormData(encrypted, decryptOptions({ files: ['attachments'], allowPlaintext: ['attachments'] })), 'InvalidArgumentError');
      await expectRejection(decryptFormData(encrypted, decryptOptions({ fields: ['attachments'], files: ['attachments'] })), 'InvalidArgumentError');
      await expectRejection(decryptFormData(encrypted, decryptOptions({ allowPlaintext: 'visibility' as never })), 'InvalidArgumentError');
    });
  });

  const hasDocument = typeof document !== 'undefined';
  it.skipIf(!hasDocument)('takes an HTMLFormElement (needs a DOM: skipped in Node and workerd)', async () => {
    const element = document.createElement('form');
    element.innerHTML = '<input name="who" value="alice secret name"><textarea name="story">a long secret story</textarea><input type="file" name="upload"><input name="plain" value="keep me">';
    const bytes = randomBytes(3000);
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'photo.jpg', { type: 'image/jpeg' }));
    (element.querySelector('input[type=file]') as HTMLInputElement).files = transfer.files;
    document.body.append(element);
    try {
      const encrypted = await encryptForm(element, encryptOptions({ fields: ['who', 'story'] }));
      expect(encrypted.get('plain')).toBe('keep me');
      expect(encrypted.get('who')).not.toBe('alice secret name');
      const back = await decryptFormData(encrypted, decryptOptions({ fields: ['who', 'story'], files: ['upload'], allowPlaintext: ['plain'] }));
      await expectSameForm(back, new FormData(element));
      expectSameBytes(await bytesOf(back.get('upload') as File), bytes);
    } finally {
      element.remove();
    }
  });
});
