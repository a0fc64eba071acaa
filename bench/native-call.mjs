// One native-protocol request of a benchmark's set-up (not its measured load): a JSON POST with a
// bearer token, its answer read whole.

/**
 * Resolves with { status, json, text } (json undefined if the body is not JSON). `attempts`: a
 * reused connection the server closed after a load run fails once, so set-up right after a run
 * may make the request again on a new one.
 */
export async function nativeCall(origin, token, path, body, { timeoutMs = 10_000, attempts = 1 } = {}) {
  let response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(`${origin}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      break;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** nativeCall's JSON answer; anything but a 200 with a JSON body fails the benchmark. */
export async function expectNativeOk(origin, token, path, body, options) {
  const { status, json, text } = await nativeCall(origin, token, path, body, options);
  if (status !== 200 || json === undefined) throw new Error(`bench: ${path} answered ${status}: ${text.slice(0, 300)}`);
  return json;
}
