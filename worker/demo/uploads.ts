import type { Principal } from '../auth/principal';
import {
  AccessDeniedException,
  AlreadyExistsException,
  KMSInvalidStateException,
  NotFoundException,
  ValidationException,
} from '../errors';
import type { StreamedBody } from '../wire/streamed-body';
import { concatenateParts } from './concat-stream';
import { fieldsKey, manifestKey, manifestsPrefix, partKey, partName, partsPrefix, uploadPrefix } from './layout';

/**
 * The demo's drop box for encrypted uploads. It stores and returns opaque
 * ciphertext and decides only who may write (the owner) and who may read
 * (the owner's account). It is shared by the account on purpose: what keeps
 * one user out of another's data is the key policy on their data keys, which
 * is the point the demo makes.
 */
export interface Manifest {
  id: string;
  owner: string;
  /** ISO 8601: when the upload was completed. */
  createdAt: string;
  parts: number;
  fileBytes: number;
  fieldsBytes: number;
}

interface Upload {
  owner: string;
  account: string;
  fieldsBytes: number;
  fieldsEtag: string;
}

/**
 * What the manifest object holds besides its metadata: the fields and the parts as they were on
 * completion, so that neither can be swapped under a completed upload (by an owner's delete racing
 * their own completion, after which anyone may store fields under the freed id).
 */
interface ManifestBody {
  partEtags: string[];
  fieldsEtag: string;
}

// R2's create-only condition: no object may exist at the key.
const CREATE_ONLY = { etagDoesNotMatch: '*' };

const alreadyComplete = (id: string) => new KMSInvalidStateException(`Upload ${id} is already complete.`);

export async function putFields(bucket: R2Bucket, id: string, fields: Uint8Array, principal: Principal): Promise<void> {
  const stored = await bucket.put(fieldsKey(id), fields, {
    onlyIf: CREATE_ONLY,
    customMetadata: { owner: principal.arn, account: principal.account },
  });
  if (!stored) throw new AlreadyExistsException(`Upload ${id} already exists.`);
}

/**
 * Stores one part; storing it again before completion replaces it, so a failed PUT can be retried.
 * The body is opened only after the owner and state checks, so that a caller who may not write
 * cannot make the Worker take a part's worth of bytes, and is told why (403/409, not a size error).
 * A body of declared length streams straight into storage (the Worker holds a chunk at a time);
 * one without (chunked) arrives as bytes, counted and bounded while read.
 */
export async function putPart(
  bucket: R2Bucket,
  id: string,
  part: number,
  openBody: () => StreamedBody | Promise<Uint8Array>,
  principal: Principal,
): Promise<number> {
  await openUpload(bucket, id, principal);
  const body = openBody();
  if (body instanceof Promise) {
    const bytes = await body;
    await bucket.put(partKey(id, part), bytes);
    return bytes.byteLength;
  }
  // Both at once, as the stream flows only while storage reads it. A body that was not as declared
  // fails both; the caller is then told about the body (400), not about the storage's refusal.
  const [received, stored] = await Promise.allSettled([body.received, bucket.put(partKey(id, part), body.stream)]);
  if (received.status === 'rejected') throw received.reason;
  if (stored.status === 'rejected') throw stored.reason;
  return body.bytes;
}

/** Seals the upload: parts 0..parts-1, no gaps and nothing past the end. Once only. */
export async function completeUpload(bucket: R2Bucket, id: string, parts: number, principal: Principal, now = new Date()): Promise<Manifest> {
  const upload = await openUpload(bucket, id, principal);
  const prefix = partsPrefix(id);
  const stored = new Map((await listAll(bucket, prefix)).map((object) => [object.key.slice(prefix.length), object]));
  const partEtags: string[] = [];
  let fileBytes = 0;
  for (let part = 0; part < parts; part++) {
    const object = stored.get(partName(part));
    if (!object) throw new ValidationException(`Upload ${id} has no part ${part}; parts 0 to ${parts - 1} must all be uploaded.`);
    partEtags.push(object.etag);
    fileBytes += object.size;
    stored.delete(partName(part));
  }
  if (stored.size > 0) {
    throw new ValidationException(`Upload ${id} has ${stored.size} part(s) beyond the ${parts} named on completion.`);
  }
  const manifest: Manifest = { id, owner: upload.owner, createdAt: now.toISOString(), parts, fileBytes, fieldsBytes: upload.fieldsBytes };
  const body: ManifestBody = { partEtags, fieldsEtag: upload.fieldsEtag };
  // Create-only, so that of two racing completions exactly one wins.
  const written = await bucket.put(manifestKey(upload.account, id), JSON.stringify(body), {
    onlyIf: CREATE_ONLY,
    customMetadata: toMetadata(manifest),
  });
  if (!written) throw alreadyComplete(id);
  return manifest;
}

/** Every completed upload of the caller's account, newest first. */
export async function listUploads(bucket: R2Bucket, principal: Principal): Promise<Manifest[]> {
  const objects = await listAll(bucket, manifestsPrefix(principal.account), ['customMetadata']);
  return objects
    .map((object) => fromMetadata(object.customMetadata ?? {}))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
}

/** The encrypted fields of a completed upload of the caller's account. */
export async function openFields(bucket: R2Bucket, id: string, principal: Principal): Promise<R2ObjectBody> {
  const { fieldsEtag } = await completedManifest(bucket, principal.account, id);
  const fields = await bucket.get(fieldsKey(id), { onlyIf: { etagMatches: fieldsEtag } });
  if (!fields) throw notFound(id);
  // R2 answers a failed condition with the object's metadata and no body.
  if (!('body' in fields)) throw new NotFoundException(`Upload ${id} is no longer as completed: its fields were replaced.`);
  return fields;
}

/** The encrypted file of a completed upload of the caller's account, streamed part by part. */
export async function openFile(bucket: R2Bucket, id: string, principal: Principal): Promise<{ manifest: Manifest; body: ReadableStream<Uint8Array> }> {
  const { manifest, partEtags } = await completedManifest(bucket, principal.account, id);
  const keys = partEtags.map((_, part) => partKey(id, part));
  return { manifest, body: concatenateParts(bucket, keys, partEtags, manifest.fileBytes) };
}

/**
 * Removes the upload, complete or not. The manifest goes first, so the upload
 * leaves the listing at once; the fields go last, so an interrupted delete
 * leaves the ownership record behind and the owner can simply delete again.
 */
export async function deleteUpload(bucket: R2Bucket, id: string, principal: Principal): Promise<void> {
  const upload = await ownedUpload(bucket, id, principal);
  await bucket.delete(manifestKey(upload.account, id));
  const fields = fieldsKey(id);
  const others = (await listAll(bucket, uploadPrefix(id))).map((object) => object.key).filter((key) => key !== fields);
  // R2 deletes at most 1000 keys per call.
  for (let start = 0; start < others.length; start += 1000) await bucket.delete(others.slice(start, start + 1000));
  await bucket.delete(fields);
}

const notFound = (id: string) => new NotFoundException(`No completed upload ${id} in this account.`);

async function ownedUpload(bucket: R2Bucket, id: string, principal: Principal): Promise<Upload> {
  const fields = await bucket.head(fieldsKey(id));
  if (!fields) throw new NotFoundException(`No upload ${id}: its fields are uploaded first.`);
  const owner = fields.customMetadata?.owner ?? '';
  if (owner !== principal.arn) throw new AccessDeniedException(`${principal.arn} is not the owner of upload ${id}.`);
  return { owner, account: fields.customMetadata?.account ?? '', fieldsBytes: fields.size, fieldsEtag: fields.etag };
}

/** The caller's own upload, still open to parts and completion. */
async function openUpload(bucket: R2Bucket, id: string, principal: Principal): Promise<Upload> {
  const upload = await ownedUpload(bucket, id, principal);
  if (await bucket.head(manifestKey(upload.account, id))) throw alreadyComplete(id);
  return upload;
}

async function completedManifest(bucket: R2Bucket, account: string, id: string): Promise<{ manifest: Manifest } & ManifestBody> {
  const object = await bucket.get(manifestKey(account, id));
  if (!object) throw notFound(id);
  const { partEtags, fieldsEtag } = await object.json<ManifestBody>();
  return { manifest: fromMetadata(object.customMetadata ?? {}), partEtags, fieldsEtag };
}

/** Every object under `prefix`: R2 lists at most 1000 per call. */
async function listAll(bucket: R2Bucket, prefix: string, include?: R2ListOptions['include']): Promise<R2Object[]> {
  const objects: R2Object[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, ...(cursor && { cursor }), ...(include && { include }) });
    objects.push(...page.objects);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return objects;
}

// R2 metadata values are strings; the manifest lives there so that a listing needs no GET per upload.
function toMetadata(manifest: Manifest): Record<string, string> {
  return Object.fromEntries(Object.entries(manifest).map(([name, value]) => [name, String(value)]));
}

function fromMetadata(metadata: Record<string, string>): Manifest {
  return {
    id: metadata.id ?? '',
    owner: metadata.owner ?? '',
    createdAt: metadata.createdAt ?? '',
    parts: Number(metadata.parts),
    fileBytes: Number(metadata.fileBytes),
    fieldsBytes: Number(metadata.fieldsBytes),
  };
}
