import { z } from 'zod';
import { concatBytes } from '../wire/bytes';
import { PROXY_ERROR_NAMES, type ProxyFailure } from './failures';
import { proxyUrl } from './proxy-uri';
import { signedProxyHeaders, type ProxyCredential } from './sign';

/**
 * The client side of the XKS Proxy API v1: a SigV4-signed JSON POST to one of
 * its four operations, the answer checked against the specification's
 * response syntax. Every way a call can fail comes back as a ProxyFailure
 * (failures.ts turns it into the AWS error of the asking operation); nothing
 * of a request or an answer is logged, as both can hold key material.
 */
export interface ProxyConfig {
  endpoint: string;
  path: string;
  credential: ProxyCredential;
  /** The key store's region: the SigV4 scope. */
  region: string;
}

/** The specification's requestMetadata: who asked, for which KMS key, in which request. */
export interface RequestMetadata {
  awsPrincipalArn?: string;
  kmsKeyArn?: string;
  kmsOperation: string;
  kmsRequestId: string;
}

export type ProxyAnswer<T> = { ok: true; value: T } | { ok: false; failure: ProxyFailure };

/**
 * AWS KMS waits 250 ms for a proxy. The local runs this service is tested in
 * share two cores among many processes, so it waits longer: long enough that a
 * loopback proxy under load still answers, short enough that a dead one fails
 * the request quickly (docs/key-origins.md lists the deviation).
 */
export const PROXY_TIMEOUT_MS = 2_000;

const base64 = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    try {
      const bytes = Uint8Array.fromBase64(text);
      if (bytes.length >= min && bytes.length <= max) return bytes;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'not base64 of the expected length' });
    return z.NEVER;
  });

export const HEALTH_ANSWER = z.object({
  xksProxyFleetSize: z.number().int().min(1),
  xksProxyVendor: z.string(),
  xksProxyModel: z.string(),
  ekmVendor: z.string(),
  ekmFleetDetails: z.array(z.object({ id: z.string(), model: z.string(), healthStatus: z.enum(['ACTIVE', 'DEGRADED', 'UNAVAILABLE']) })).min(1).max(10),
});

export const METADATA_ANSWER = z.object({
  keySpec: z.string(),
  keyUsage: z.array(z.string()).max(10),
  keyStatus: z.string(),
});

export const ENCRYPT_ANSWER = z.object({
  ciphertext: base64(0, 6144),
  initializationVector: base64(12, 16).refine((iv) => iv.length === 12 || iv.length === 16),
  authenticationTag: base64(16, 16),
  ciphertextMetadata: base64(0, 20).optional(),
});

export const DECRYPT_ANSWER = z.object({ plaintext: base64(0, 6144) });

const PROXY_ERROR = z.object({ errorName: z.string() });

/**
 * The largest answer read: a decrypt of the largest inner ciphertext, base64,
 * with room for the JSON around it. A proxy sending more is not speaking the
 * API, and is not allowed to fill the Directory object's memory.
 */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The answer's JSON, read at most MAX_ANSWER_BYTES far; throws on more, or on what is not JSON. */
async function readJson(response: Response): Promise<unknown> {
  const reader = response.body?.getReader();
  if (!reader) throw new SyntaxError('no body');
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new SyntaxError('answer too long');
    }
    chunks.push(value);
  }
  return JSON.parse(new TextDecoder().decode(concatBytes(chunks)));
}

async function failureOf(response: Response): Promise<ProxyFailure> {
  try {
    const parsed = PROXY_ERROR.safeParse(await readJson(response));
    if (parsed.success && PROXY_ERROR_NAMES.has(parsed.data.errorName)) return parsed.data.errorName as ProxyFailure;
  } catch {
    // not JSON
  }
  return 'Malformed';
}

export async function callProxy<S extends z.ZodType>(
  config: ProxyConfig,
  api: string,
  payload: Record<string, unknown>,
  answer: S,
): Promise<ProxyAnswer<z.output<S>>> {
  const url = proxyUrl(config.endpoint, config.path, api);
  const body = JSON.stringify(payload);
  const headers = await signedProxyHeaders(url, body, config.credential, config.region);
  let response: Response;
  try {
    // A redirect would carry a signed request somewhere the store does not name: never followed.
    response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(PROXY_TIMEOUT_MS) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { ok: false, failure: timedOut ? 'TimedOut' : 'Unreachable' };
  }
  if (response.status !== 200) return { ok: false, failure: await failureOf(response) };
  try {
    const parsed = answer.safeParse(await readJson(response));
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, failure: 'Malformed' };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { ok: false, failure: timedOut ? 'TimedOut' : 'Malformed' };
  }
}
