import { ValidationException } from '../errors';

/**
 * A request body of at most `limit` bytes. The declared Content-Length is
 * checked first to refuse early, and the bytes are counted as they arrive,
 * since a chunked body declares nothing and a declared length is a claim.
 */
export async function readBoundedBody(request: Request, limit: number, what: string): Promise<Uint8Array> {
  const tooLarge = () => new ValidationException(`${what} exceeds ${limit} bytes.`);
  if (Number(request.headers.get('content-length') ?? 0) > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
