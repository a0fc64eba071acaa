import { SerializationException, ValidationException } from '../errors';

/** JSON bodies of both protocols: binary fields are base64 strings, as in the AWS KMS JSON API. */
const MAX_BODY_BYTES = 256 * 1024;

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? value.toBase64() : value;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? {}, replacer);
}

/** Reads a request body as one JSON object; an empty body is `{}`. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ValidationException(`The request body exceeds ${MAX_BODY_BYTES} bytes.`);
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) throw new ValidationException(`The request body exceeds ${MAX_BODY_BYTES} bytes.`);
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
