/**
 * Encrypt-before-upload. The text fields become one message, the file another (streamed, so its
 * size does not matter); both are encrypted in this tab under a data key from the user's key, and
 * only the ciphertext is sent. The upload id is chosen here because the context binds it.
 */
import { DEFAULT_STREAM_FRAME_LENGTH, encrypt, encryptStream } from '../../sdk/index';
import { blobSlices } from './blob-slices';
import { completeUpload, deleteUpload, putFields, type UploadManifest } from './demo-api';
import { byId, el, formatBytes } from './dom';
import { clearError, showError } from './feedback';
import { meter } from './hashing';
import { encryptingKeyring } from './kms';
import { MAX_UPLOAD_BYTES, partUploader } from './part-uploader';
import { progress } from './progress';
import { session } from './session';
import { uploadContext } from './upload-context';

/** What the fields message holds, in JSON; the file's name and type are secrets too. */
export interface UploadedFields {
  readonly title: string;
  readonly message: string;
  readonly file: { readonly name: string; readonly type: string; readonly size: number } | null;
}

export class NoKeyError extends Error {
  override name = 'NoKeyError';
}

export class FileTooLargeError extends Error {
  override name = 'FileTooLargeError';
}

/** Why an upload is stopped when its user signs out: nothing is reported to the next user. */
const SIGNED_OUT = new DOMException('signed out', 'AbortError');

export interface UploadForm {
  /** Stops a running upload (on sign-out: its remaining requests would carry the next user's token). */
  cancel(): void;
}

export function createUploadForm(keyArn: () => string | undefined, onUploaded: (manifest: UploadManifest) => void): UploadForm {
  const form = byId<HTMLFormElement>('upload-form');
  const submit = byId<HTMLButtonElement>('upload-submit');
  const cancel = byId<HTMLButtonElement>('upload-cancel');
  const bar = byId<HTMLProgressElement>('upload-progress');
  const status = byId('upload-status');
  let running: AbortController | undefined;

  cancel.addEventListener('click', () => running?.abort(new DOMException('upload cancelled', 'AbortError')));

  async function upload(): Promise<void> {
    const key = keyArn();
    if (!key) throw new NoKeyError('Create your key (in “Your key”) before uploading.');
    const { user } = session();
    const id = crypto.randomUUID();
    const data = new FormData(form);
    const picked = data.get('file');
    // An empty file input still submits a nameless, empty File.
    const file = picked instanceof File && picked.name !== '' ? picked : undefined;
    const fields: UploadedFields = {
      title: String(data.get('title') ?? ''),
      message: String(data.get('message') ?? ''),
      file: file ? { name: file.name, type: file.type, size: file.size } : null,
    };
    if (file && file.size > MAX_UPLOAD_BYTES) {
      throw new FileTooLargeError(`The demo storage takes files up to ${formatBytes(MAX_UPLOAD_BYTES)}; this one is ${formatBytes(file.size)}.`);
    }
    const keyring = encryptingKeyring(key);
    const signal = running!.signal;

    status.textContent = 'Encrypting the form…';
    const sealed = await encrypt(keyring, JSON.stringify(fields), { encryptionContext: uploadContext(user, id, 'fields') });
    await putFields(id, sealed.ciphertext, signal);
    let parts = 0;
    let digest: string | undefined;
    if (file) {
      const shown = progress(bar, status, 'Encrypting and uploading', file.size);
      const uploader = partUploader(id, signal);
      const metered = meter((bytes) => shown.update(bytes));
      try {
        await blobSlices(file, DEFAULT_STREAM_FRAME_LENGTH)
          .pipeThrough(metered.stream)
          .pipeThrough(encryptStream(keyring, { encryptionContext: uploadContext(user, id, 'file') }))
          .pipeTo(uploader.writable, { signal });
      } catch (error) {
        shown.fail();
        // Nothing incomplete is ever listed; removing the parts already sent is housekeeping.
        await deleteUpload(id).catch(() => undefined);
        throw error;
      }
      parts = uploader.parts();
      digest = metered.digest();
    }
    const manifest = await completeUpload(id, parts, signal);
    signal.throwIfAborted();
    bar.value = 1;
    status.replaceChildren(
      `Uploaded ${fields.title ? `“${fields.title}”` : 'the form'}: ${formatBytes(manifest.fieldsBytes + manifest.fileBytes)} of ciphertext`,
      ...(digest ? [' · SHA-256 of the file ', el('code', { 'data-testid': 'upload-sha256' }, digest)] : []),
    );
    status.dataset.uploadId = manifest.id;
    form.reset();
    onUploaded(manifest);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (running) return;
    running = new AbortController();
    submit.disabled = true;
    cancel.hidden = false;
    clearError();
    delete status.dataset.uploadId;
    try {
      await upload();
    } catch (error) {
      if (running?.signal.reason === SIGNED_OUT) return;
      showError(error, 'encrypt and upload the form');
      status.textContent = 'Nothing was uploaded.';
    } finally {
      running = undefined;
      submit.disabled = false;
      cancel.hidden = true;
    }
  });
  return {
    cancel() {
      running?.abort(SIGNED_OUT);
      form.reset();
      bar.hidden = true;
      status.textContent = '';
    },
  };
}
