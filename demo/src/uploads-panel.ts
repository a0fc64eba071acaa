/**
 * The shared list of uploads, and opening one: download its ciphertext, decrypt it here with the
 * signed-in user's identity, and show it. Whether that works is the owner's key policy's call.
 */
import { decrypt, decryptStream } from '../../sdk/index';
import { deleteUpload, fetchFields, fetchFile, listUploads, type UploadManifest } from './demo-api';
import { byId, el, formatBytes, formatTime } from './dom';
import { onClick } from './feedback';
import { meter } from './hashing';
import { decryptingKeyring } from './kms';
import { blobCollector } from './blob-collector';
import { canSaveToDisk, pickDiskFile } from './disk-sink';
import { progress } from './progress';
import { session } from './session';
import type { UploadedFields } from './upload-form';
import { uploadContext, userOf } from './upload-context';

export interface UploadsPanel {
  refresh(): Promise<void>;
  /** Forgets the list and what was opened (on sign-out, so the next user does not see it). */
  clear(): void;
}

export function createUploadsPanel(onChange: () => void): UploadsPanel {
  const rows = byId('uploads');
  const opened = byId('opened');
  let savedUrl: string | undefined;
  // One open at a time. close() aborts it, so a download still running when the user signs out
  // or opens another upload stops, and renders nothing afterwards.
  let opening: AbortController | undefined;

  function close(): void {
    opening?.abort(new DOMException('closed', 'AbortError'));
    opening = undefined;
    if (savedUrl) URL.revokeObjectURL(savedUrl);
    savedUrl = undefined;
    opened.hidden = true;
    opened.replaceChildren();
  }

  async function open(manifest: UploadManifest, signal: AbortSignal): Promise<void> {
    const owner = userOf(manifest.owner);
    const keyring = decryptingKeyring(session().account);
    opened.hidden = false;
    opened.replaceChildren(el('p', { class: 'muted' }, `Decrypting the upload of ${owner}…`));
    const fieldsMessage = await decrypt(keyring, await fetchFields(manifest.id, signal), {
      expectedContext: uploadContext(owner, manifest.id, 'fields'),
    });
    signal.throwIfAborted();
    const fields = JSON.parse(new TextDecoder().decode(fieldsMessage.plaintext)) as UploadedFields;
    const fileLine = el('p', {});
    opened.replaceChildren(
      el('h3', { 'data-testid': 'opened-title' }, fields.title || '(untitled)'),
      el('p', { class: 'pre', 'data-testid': 'opened-message' }, fields.message),
      el('p', { class: 'muted' }, `Encrypted by ${owner}; the encryption context (owner, form, upload) was checked.`),
      fileLine,
    );
    if (!fields.file) return;
    const bar = el('progress', { max: '1', value: '0' });
    const status = el('span', { class: 'muted' });
    fileLine.replaceChildren(bar, ' ', status);
    const bytesShown = progress(bar, status, 'Downloading and decrypting', fields.file.size);
    const metered = meter((bytes) => bytesShown.update(bytes));
    const saved = blobCollector();
    try {
      await (await fetchFile(manifest.id, signal))
        .pipeThrough(decryptStream(keyring, { expectedContext: uploadContext(owner, manifest.id, 'file') }))
        .pipeThrough(metered.stream)
        .pipeTo(saved.writable, { signal });
    } catch (error) {
      bytesShown.fail();
      throw error;
    }
    signal.throwIfAborted();
    // Always an opaque type: a blob URL has this page's origin, so a stored "text/html" opened
    // from the link would run as this page.
    savedUrl = URL.createObjectURL(saved.blob());
    fileLine.replaceChildren(
      el('a', { href: savedUrl, download: fields.file.name, 'data-testid': 'opened-save' }, `Save ${fields.file.name}`),
      ` (${formatBytes(fields.file.size)}${fields.file.type ? `, ${fields.file.type}` : ''}) · SHA-256 `,
      el('code', { 'data-testid': 'opened-sha256' }, metered.digest()),
    );
    if (canSaveToDisk()) fileLine.append(' ', diskButton(manifest, owner, fields.file.name, fields.file.size, signal));
  }

  /** Downloads and decrypts the file again, straight into a file the user picks: no Blob. */
  function diskButton(manifest: UploadManifest, owner: string, name: string, size: number, signal: AbortSignal): HTMLElement {
    const button = el('button', { type: 'button', class: 'link', 'data-testid': 'opened-save-to-disk' }, 'Decrypt to disk…');
    const line = el('span', {}, button);
    onClick(button, `save ${name} to disk`, async () => {
      const file = await pickDiskFile(name);
      const keyring = decryptingKeyring(session().account);
      const bar = el('progress', { max: '1', value: '0' });
      const status = el('span', { class: 'muted' });
      line.replaceChildren(button, ' ', bar, ' ', status);
      const shown = progress(bar, status, 'Decrypting to disk', size);
      const metered = meter((bytes) => shown.update(bytes));
      try {
        // A failed check aborts the file stream, and an aborted file is discarded, not left half-written.
        await (await fetchFile(manifest.id, signal))
          .pipeThrough(decryptStream(keyring, { expectedContext: uploadContext(owner, manifest.id, 'file') }))
          .pipeThrough(metered.stream)
          .pipeTo(file, { signal });
      } catch (error) {
        shown.fail();
        throw error;
      }
      status.replaceChildren(`Saved ${name} to disk · SHA-256 `, el('code', { 'data-testid': 'opened-disk-sha256' }, metered.digest()));
    });
    return line;
  }

  function row(manifest: UploadManifest): HTMLTableRowElement {
    const mine = manifest.owner === session().principal;
    const openButton = el('button', { type: 'button', 'data-testid': `open-${manifest.id}` }, 'Open');
    const deleteButton = el('button', { type: 'button', class: 'danger', 'data-testid': `delete-${manifest.id}` }, 'Delete');
    onClick(openButton, `decrypt ${userOf(manifest.owner)}'s upload`, async () => {
      close();
      const mine = new AbortController();
      opening = mine;
      try {
        await open(manifest, mine.signal);
      } catch (error) {
        // A newer open or a sign-out replaced this one: it has nothing left to report.
        if (mine.signal.aborted) return;
        close();
        throw error;
      }
    });
    onClick(deleteButton, 'delete the upload', async () => {
      await deleteUpload(manifest.id);
      close();
      await refresh();
      onChange();
    });
    return el(
      'tr',
      { 'data-upload-id': manifest.id },
      el('td', {}, mine ? `${userOf(manifest.owner)} (you)` : userOf(manifest.owner)),
      el('td', {}, formatTime(manifest.createdAt)),
      el('td', {}, formatBytes(manifest.fieldsBytes + manifest.fileBytes)),
      el('td', { class: 'actions' }, openButton, mine && deleteButton),
    );
  }

  // Refreshes overlap (after an upload, and on the button); only the latest may render.
  let latest = 0;

  async function refresh(): Promise<void> {
    const run = ++latest;
    const uploads = await listUploads();
    if (run !== latest) return;
    rows.replaceChildren(
      ...(uploads.length > 0 ? uploads.map(row) : [el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'No uploads yet.'))]),
    );
  }

  onClick(byId<HTMLButtonElement>('uploads-refresh'), 'list the uploads', refresh);
  function clear(): void {
    latest++;
    rows.replaceChildren();
    close();
  }

  return { refresh, clear };
}
