import { SerializationException } from '../errors';
import { readBoundedBody } from './body';

/** JSON bodies of both protocols: binary fields are base64 strings, as in the AWS KMS JSON API. */
const MAX_BODY_BYTES = 256 * 1024;

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? value.toBase64() : value;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? {}, replacer);
}

/** The request body's bytes, refused past MAX_BODY_BYTES (no KMS request comes near it). */
export function readBodyBytes(request: Request): Promise<Uint8Array> {
  return readBoundedBody(request, MAX_BODY_BYTES, 'The request body');
}

/** Reads a request body as one JSON object; an empty body is `{}`. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  return parseJsonObject(new TextDecoder().decode(await readBodyBytes(request)));
}

/** Parses one JSON object; an empty body is `{}`. */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SerializationException('The request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SerializationException('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}
