import { ValidationException } from '../errors';

/**
 * Where the demo storage keeps things in R2, and the names clients may use.
 *
 *   uploads/<id>/fields             the encrypted form fields; its metadata names the owner
 *   uploads/<id>/parts/00000 …      the encrypted file, in parts
 *   manifests/<account>/<id>        written once, on completion; listing reads only these
 *
 * Manifests sit under the owner's account so that an account's listing never
 * reads another account's entries, and a lookup by id in the caller's own
 * account is the whole same-account check.
 */
export const MAX_FIELDS_BYTES = 1024 * 1024;
export const MAX_PART_BYTES = 8 * 1024 * 1024;
export const MAX_PARTS = 10_000;

// Lowercase only: the client binds the id into its encryption context, so two
// spellings of one id would be two different contexts for the same object.
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PART_NUMBER = /^(0|[1-9]\d{0,3})$/;

export function parseUploadId(raw: string): string {
  if (!UPLOAD_ID.test(raw)) throw new ValidationException('The upload id must be a lowercase UUID.');
  return raw;
}

export function parsePartNumber(raw: string): number {
  if (!PART_NUMBER.test(raw)) throw new ValidationException(`The part number must be an integer from 0 to ${MAX_PARTS - 1}.`);
  return Number(raw);
}

export const fieldsKey = (id: string) => `uploads/${id}/fields`;
export const uploadPrefix = (id: string) => `uploads/${id}/`;
export const partsPrefix = (id: string) => `uploads/${id}/parts/`;
// Zero-padded so that R2's lexicographic listing is also numeric order.
export const partName = (part: number) => String(part).padStart(5, '0');
export const partKey = (id: string, part: number) => `${partsPrefix(id)}${partName(part)}`;
export const manifestsPrefix = (account: string) => `manifests/${account}/`;
export const manifestKey = (account: string, id: string) => `${manifestsPrefix(account)}${id}`;
