/**
 * Where the browser allows it (the File System Access API: Chromium on the desktop), a decrypted
 * file is written straight to a file the user picks, a chunk at a time, so a large download never
 * sits in the tab or in a Blob. Elsewhere the page collects a Blob (blob-collector.ts).
 */
interface SaveFilePicker {
  showSaveFilePicker(options: { suggestedName: string }): Promise<{ createWritable(): Promise<WritableStream<Uint8Array>> }>;
}

export function canSaveToDisk(): boolean {
  return typeof (globalThis as Partial<SaveFilePicker>).showSaveFilePicker === 'function';
}

/** Asks where to save (needs the click that called it), then gives a stream into that file. */
export async function pickDiskFile(suggestedName: string): Promise<WritableStream<Uint8Array>> {
  const handle = await (globalThis as unknown as SaveFilePicker).showSaveFilePicker({ suggestedName });
  return handle.createWritable();
}
