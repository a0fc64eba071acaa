// SDK benchmark (issue 4, acceptance point 5): encrypt and decrypt throughput of this SDK
// (suite 0x0478, raw AES keyring) for 1 KiB, 1 MiB and 64 MiB, buffer and stream API, side by
// side in one process with
//   - raw crypto.subtle AES-256-GCM: one encrypt/decrypt call over the whole buffer (for the
//     stream rows too: the same bytes in one call), the ceiling for a WebCrypto-based SDK;
//   - @aws-crypto/client-node, the official AWS Encryption SDK, same suite
//     (ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY, RawAesKeyringNode), at its defaults
//     (4 KiB frames) and at our frame length;
// then 1 KiB messages with a cached data key (our CachingMaterialsManager + LocalCache against
// the official NodeCachingMaterialsManager + getLocalCryptographicMaterialsCache), and peak
// memory growth while stream-encrypting and stream-decrypting 64 MiB, each in a fresh child
// process (node --expose-gc).
//
// The SDK is imported from its TypeScript sources: esbuild (a devDependency) bundles
// sdk/index.ts into one ES module in a temporary folder when the benchmark starts, so the figures
// are always those of the working tree, with no build step and no stale dist/.
//
// Method: each case warms every implementation up once, then runs REPS rounds in which the
// implementations take turns (so background load hits them alike); the median round counts.
// Small messages run back to back for at least MIN_TIME per sample. MB/s means 10^6 bytes of
// plaintext per second. Stream inputs arrive in 64 KiB chunks (a file read's usual chunk) and
// outputs are consumed and dropped.
//
// Environment: BENCH_SDK_REPS (rounds per case, default 5), BENCH_SDK_LARGE_REPS (rounds for
// 64 MiB, default 5), BENCH_SDK_MIN_TIME (seconds per small-message sample, default 0.15),
// BENCH_SDK_BUDGET (seconds, default 130: past it, remaining cases run one round, so the run stays
// inside run.mjs's hard limit), BENCH_SDK_MEMORY=0 skips the memory children.
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const name = 'sdk';
export const description = 'SDK encrypt/decrypt MB/s vs raw crypto.subtle and @aws-crypto/client-node; stream memory';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [
  { label: '1 KiB', bytes: KiB },
  { label: '1 MiB', bytes: MiB },
  { label: '64 MiB', bytes: 64 * MiB },
];
const CHUNK = 64 * KiB;
/** Messages in flight at once in the concurrent cached 1 KiB rows. */
const CONCURRENT = 16;
const OFFICIAL_DEFAULT_FRAME = 4096;
const CONTEXT = { purpose: 'bench' };
const KEY_NAMESPACE = 'bench';
const KEY_NAME = 'bench-key';
const SUITE = 0x0478;

/** The issue's targets. */
export const TARGETS = {
  streamVsRaw: 0.8,
  streamVsOfficialDefault: 10,
  streamVsOfficialEqual: 1.5,
  cachedSmallVsOfficial: 3,
  streamMemoryMiB: 32,
};

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function envNumber(key, fallback) {
  const raw = process.env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench: ${key}=${raw} is not a positive number`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Loading both libraries

/**
 * Bundles sdk/index.ts with esbuild into a temporary ES module and imports it. Dependencies
 * (@noble/*, idb) are bundled in, so the file works wherever it is written. Returns the module
 * and the bundle's path (for child processes) and a cleanup function.
 */
export async function loadSdk() {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'edgekms-bench-'));
  const outfile = join(dir, 'edgekms.mjs');
  await build({
    entryPoints: [join(ROOT, 'sdk/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'error',
    tsconfig: join(ROOT, 'tsconfig.sdk.json'),
  });
  const sdk = await import(pathToFileURL(outfile).href);
  return { sdk, bundle: outfile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function loadOfficial() {
  const official = await import('@aws-crypto/client-node');
  const client = official.buildClient(official.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  return { official, client };
}

function wrappingKey() {
  const key = new Uint8Array(32);
  for (let i = 0; i < 32; i++) key[i] = (i * 37 + 11) & 0xff;
  return key;
}

function ourKeyring(sdk) {
  return new sdk.RawAesKeyring({ keyNamespace: KEY_NAMESPACE, keyName: KEY_NAME, wrappingKey: wrappingKey() });
}

function officialKeyring(official) {
  return new official.RawAesKeyringNode({
    keyNamespace: KEY_NAMESPACE,
    keyName: KEY_NAME,
    unencryptedMasterKey: wrappingKey(),
    wrappingSuite: official.RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    utf8Sorting: true,
  });
}

const OFFICIAL_SUITE = (official) => official.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;

function randomData(size) {
  const data = new Uint8Array(size);
  randomFillSync(data);
  return data;
}

// ---------------------------------------------------------------------------------------------
// Streams, as a caller would use them

/** A web ReadableStream giving `data` in CHUNK-byte views (no copies). */
function webSource(data, chunk = CHUNK) {
  let offset = 0;
  return new ReadableStream(
    {
      pull(controller) {
        if (offset >= data.byteLength) {
          controller.close();
          return;
        }
        const end = Math.min(offset + chunk, data.byteLength);
        controller.enqueue(data.subarray(offset, end));
        offset = end;
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads a web ReadableStream to its end; returns the byte count, or the bytes if `keep`. */
async function webDrain(readable, keep = false) {
  const reader = readable.getReader();
  let total = 0;
  const parts = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (keep) parts.push(value);
  }
  return keep ? concat(parts, total) : total;
}

function nodeSource(data, chunk = CHUNK) {
  return Readable.from(
    (function* chunks() {
      for (let offset = 0; offset < data.byteLength; offset += chunk) {
        yield Buffer.from(data.buffer, data.byteOffset + offset, Math.min(chunk, data.byteLength - offset));
      }
    })(),
    { objectMode: false },
  );
}

async function nodeDrain(duplex, data, keep = false) {
  let total = 0;
  const parts = [];
  await pipeline(
    nodeSource(data),
    duplex,
    new Writable({
      write(chunk, _encoding, callback) {
        total += chunk.byteLength;
        if (keep) parts.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        callback();
      },
    }),
  );
  return keep ? concat(parts, total) : total;
}

function concat(parts, total) {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function sameBytes(a, b) {
  return a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

// ---------------------------------------------------------------------------------------------
// Implementations: each gives encrypt(data) and decrypt(message) for one API, plus prepare(data)
// which makes the message its decrypt reads.

function implementations({ sdk, official, client }, { rawKey }) {
  const ours = ourKeyring(sdk);
  const theirs = officialKeyring(official);
  const theirSuite = OFFICIAL_SUITE(official);
  const raw = {
    id: 'raw',
    label: 'crypto.subtle',
    encrypt: async (data) => new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: RAW_IV }, rawKey, data)),
    decrypt: async (message) => new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: RAW_IV }, rawKey, message)),
  };
  const oursBuffer = (frameLength) => ({
    encrypt: async (data) => (await sdk.encrypt(ours, data, { encryptionContext: CONTEXT, suite: SUITE, frameLength })).ciphertext,
    decrypt: async (message) => (await sdk.decrypt(ours, message)).plaintext,
  });
  const oursStream = (frameLength) => ({
    encrypt: (data, keep) => webDrain(webSource(data).pipeThrough(sdk.encryptStream(ours, { encryptionContext: CONTEXT, suite: SUITE, frameLength })), keep),
    decrypt: (message, keep) => webDrain(webSource(message).pipeThrough(sdk.decryptStream(ours)), keep),
  });
  const theirsBuffer = (frameLength) => ({
    encrypt: async (data) => (await client.encrypt(theirs, data, { encryptionContext: CONTEXT, suiteId: theirSuite, frameLength })).result,
    decrypt: async (message) => (await client.decrypt(theirs, message)).plaintext,
  });
  const theirsStream = (frameLength) => ({
    encrypt: (data, keep) => nodeDrain(client.encryptStream(theirs, { encryptionContext: CONTEXT, suiteId: theirSuite, frameLength }), data, keep),
    decrypt: (message, keep) => nodeDrain(client.decryptUnsignedMessageStream(theirs), message, keep),
  });
  return { raw, oursBuffer, oursStream, theirsBuffer, theirsStream };
}

const RAW_IV = new Uint8Array(12).fill(7);

// ---------------------------------------------------------------------------------------------
// Timing

/** MB/s of one sample: `fn` run back to back until at least `minTime` seconds passed. */
async function sample(fn, input, bytes, minTime) {
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    await fn(input);
    count++;
    elapsed = (performance.now() - started) / 1000;
  } while (elapsed < minTime);
  return (count * bytes) / elapsed / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One case: the contenders (id -> { fn, input }) take turns, REPS rounds after one warm-up each
 * (64 MiB cases skip the warm-up: the 1 MiB cases ran the same code just before).
 * Returns id -> { mbps (median), samples }.
 */
async function measureCase(contenders, bytes, { reps, minTime, warmup = true, deadline = Infinity }) {
  const ids = Object.keys(contenders);
  if (warmup) for (const id of ids) await sample(contenders[id].fn, contenders[id].input, bytes, 0);
  const samples = Object.fromEntries(ids.map((id) => [id, []]));
  // Past the deadline (the run's time budget), a case stops after its first round.
  for (let round = 0; round < reps && (round === 0 || Date.now() < deadline); round++) {
    // Rotate the starting contender each round.
    for (let k = 0; k < ids.length; k++) {
      const id = ids[(k + round) % ids.length];
      samples[id].push(await sample(contenders[id].fn, contenders[id].input, bytes, minTime));
    }
  }
  return Object.fromEntries(ids.map((id) => [id, { mbps: median(samples[id]), samples: samples[id].map((v) => Number(v.toFixed(2))) }]));
}

// ---------------------------------------------------------------------------------------------
// Memory: one child process per measurement

async function memoryChild([impl, op, frameLengthText, bundle, mode]) {
  // mode 'gc': a full GC every 1 MiB of input, so the peak shows what is live (held by the
  // pipeline) rather than garbage the collector has not reclaimed yet.
  const collectEvery = mode === 'gc' ? MiB / CHUNK : Infinity;
  let chunks = 0;
  const frameLength = Number(frameLengthText);
  const size = 64 * MiB;
  const gc = globalThis.gc;
  if (typeof gc !== 'function') throw new Error('memory child needs --expose-gc');
  const template = randomData(CHUNK);
  let sdk;
  let official;
  let client;
  if (impl === 'edgekms') sdk = await import(pathToFileURL(bundle).href);
  else ({ official, client } = await loadOfficial());

  // For decryption, the message is made first and held: it is part of the baseline.
  let message;
  if (op === 'decrypt') {
    const plaintext = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += CHUNK) plaintext.set(template, offset);
    if (impl === 'edgekms') message = (await sdk.encrypt(ourKeyring(sdk), plaintext, { encryptionContext: CONTEXT, frameLength })).ciphertext;
    else message = (await client.encrypt(officialKeyring(official), plaintext, { encryptionContext: CONTEXT, suiteId: OFFICIAL_SUITE(official), frameLength })).result;
  }
  gc();
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed + base.external;
  const probe = () => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    const heap = m.heapUsed + m.external;
    if (heap > peakHeap) peakHeap = heap;
  };
  const timer = setInterval(probe, 5);

  // Plaintext is produced as it is read (a fresh 64 KiB chunk each time), so the only 64 MiB
  // object is the decryption input; outputs are counted and dropped.
  let produced = 0;
  const nextPlaintextChunk = () => {
    if (produced >= size) return null;
    produced += CHUNK;
    if (++chunks % collectEvery === 0) gc();
    probe();
    return template.slice();
  };
  let offset = 0;
  const nextMessageChunk = () => {
    if (offset >= message.byteLength) return null;
    const end = Math.min(offset + CHUNK, message.byteLength);
    const chunk = message.subarray(offset, end);
    offset = end;
    if (++chunks % collectEvery === 0) gc();
    probe();
    return chunk;
  };
  const next = op === 'encrypt' ? nextPlaintextChunk : nextMessageChunk;
  let out = 0;
  const started = performance.now();
  if (impl === 'edgekms') {
    const keyring = ourKeyring(sdk);
    const source = new ReadableStream(
      {
        pull(controller) {
          const chunk = next();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
    const transform = op === 'encrypt' ? sdk.encryptStream(keyring, { encryptionContext: CONTEXT, frameLength }) : sdk.decryptStream(keyring);
    await source.pipeThrough(transform).pipeTo(
      new WritableStream({
        write(chunk) {
          out += chunk.byteLength;
          probe();
        },
      }),
    );
  } else {
    const keyring = officialKeyring(official);
    const transform =
      op === 'encrypt'
        ? client.encryptStream(keyring, { encryptionContext: CONTEXT, suiteId: OFFICIAL_SUITE(official), frameLength })
        : client.decryptUnsignedMessageStream(keyring);
    await pipeline(
      new Readable({
        read() {
          const chunk = next();
          this.push(chunk === null ? null : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        },
      }),
      transform,
      new Writable({
        write(chunk, _encoding, callback) {
          out += chunk.byteLength;
          probe();
          callback();
        },
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  probe();
  process.stdout.write(
    `${JSON.stringify({
      impl,
      op,
      frameLength,
      mode: mode === 'gc' ? 'gc' : 'plain',
      outputBytes: out,
      seconds,
      rssGrowthMiB: (peakRss - base.rss) / MiB,
      heapGrowthMiB: (peakHeap - (base.heapUsed + base.external)) / MiB,
    })}\n`,
  );
}

function runMemoryChild(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', SELF, '--memory-child', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`memory child ${args.slice(0, 3).join(' ')} exited with ${code}: ${stderr.trim()}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The benchmark

const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '—');

export async function run(options = {}) {
  const { log = console.error } = options;
  const { fixed, table, writeResults } = await import('./report.mjs');
  const reps = Math.round(envNumber('BENCH_SDK_REPS', 5));
  const largeReps = Math.round(envNumber('BENCH_SDK_LARGE_REPS', 5));
  const minTime = envNumber('BENCH_SDK_MIN_TIME', 0.15);
  const budget = envNumber('BENCH_SDK_BUDGET', 130);
  const started = Date.now();

  const { sdk, bundle, cleanup } = await loadSdk();
  try {
    const { official, client } = await loadOfficial();
    const rawKey = await crypto.subtle.importKey('raw', randomData(32), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    const impl = implementations({ sdk, official, client }, { rawKey });
    const bufferFrame = sdk.DEFAULT_FRAME_LENGTH;
    const streamFrame = sdk.DEFAULT_STREAM_FRAME_LENGTH;
    log(`sdk: SDK bundled from sdk/index.ts with esbuild; frame lengths: buffer ${bufferFrame}, stream ${streamFrame}; ${reps} rounds (${largeReps} for 64 MiB), median`);

    // Cases: [api, our frame length]. The buffer API also at the stream frame length, since its
    // default (the spec's 4 KiB) is what the official SDK uses too.
    const apis = [
      { api: 'buffer', frame: bufferFrame, ours: impl.oursBuffer, theirs: impl.theirsBuffer },
      { api: 'buffer', frame: streamFrame, ours: impl.oursBuffer, theirs: impl.theirsBuffer, extra: true },
      { api: 'stream', frame: streamFrame, ours: impl.oursStream, theirs: impl.theirsStream },
    ];

    const rows = [];
    let failed = false;
    let shortened = false;
    // The time budget for the throughput cases, leaving room for the cached and memory runs.
    const deadline = started + budget * 1000 - 35_000;
    for (const size of SIZES) {
      const data = randomData(size.bytes);
      const rawMessage = await impl.raw.encrypt(data);
      for (const { api, frame, ours, theirs, extra } of apis) {
        if (extra && size.bytes <= frame) continue; // one frame either way: same as the default row
        // buffer* rows reuse the official 4 KiB figure of the buffer row (the same configuration).
        const contenders = {
          raw: impl.raw,
          ours: ours(frame),
          ...(extra ? {} : { officialDefault: theirs(OFFICIAL_DEFAULT_FRAME) }),
          ...(frame !== OFFICIAL_DEFAULT_FRAME ? { officialEqual: theirs(frame) } : {}),
        };
        // Messages for the decrypt runs, each checked to round-trip once (through the API measured).
        const messages = { raw: rawMessage };
        for (const id of Object.keys(contenders)) {
          if (id === 'raw') continue;
          const message = api === 'buffer' ? await contenders[id].encrypt(data) : await contenders[id].encrypt(data, true);
          const back = api === 'buffer' ? await contenders[id].decrypt(message) : await contenders[id].decrypt(message, true);
          if (!sameBytes(back, data)) {
            failed = true;
            log(`sdk: ${id} ${api} ${size.label} did not round-trip`);
          }
          messages[id] = message;
        }
        for (const op of ['encrypt', 'decrypt']) {
          const entries = Object.fromEntries(
            Object.entries(contenders).map(([id, c]) => [id, { fn: c[op], input: op === 'encrypt' ? data : messages[id] }]),
          );
          const large = size.bytes >= 64 * MiB;
          const result = await measureCase(entries, size.bytes, { reps: large ? largeReps : reps, minTime: large ? 0 : minTime, warmup: !large, deadline });
          if (extra) result.officialDefault = rows.find((r) => r.bytes === size.bytes && r.api === api && r.op === op && r.frameLength === bufferFrame).officialDefaultResult;
          const officialEqual = result.officialEqual ?? result.officialDefault;
          const rounds = result.ours.samples.length;
          if (rounds < (large ? largeReps : reps)) shortened = true;
          rows.push({
            size: size.label,
            bytes: size.bytes,
            api,
            op,
            frameLength: frame,
            raw: result.raw.mbps,
            ours: result.ours.mbps,
            rounds,
            officialDefault: result.officialDefault.mbps,
            officialDefaultResult: result.officialDefault,
            officialEqual: officialEqual.mbps,
            vsRaw: ratio(result.ours.mbps, result.raw.mbps),
            vsOfficialDefault: ratio(result.ours.mbps, result.officialDefault.mbps),
            vsOfficialEqual: ratio(result.ours.mbps, officialEqual.mbps),
            samples: Object.fromEntries(Object.entries(result).map(([id, r]) => [id, r.samples])),
          });
          log(`sdk: ${size.label} ${api} (${frame / KiB} KiB frames) ${op} done`);
        }
      }
    }

    // 1 KiB with a cached data key (buffer API, default frame length).
    const cached = [];
    {
      const data = randomData(KiB);
      const ourManager = new sdk.CachingMaterialsManager({
        keyring: ourKeyring(sdk),
        cache: new sdk.LocalCache({ capacity: 100 }),
        maxAge: 10 * 60_000,
      });
      const theirManager = new official.NodeCachingMaterialsManager({
        backingMaterials: officialKeyring(official),
        cache: official.getLocalCryptographicMaterialsCache(100),
        maxAge: 10 * 60_000,
        maxMessagesEncrypted: 2 ** 32,
        maxBytesEncrypted: Number.MAX_SAFE_INTEGER,
      });
      const theirSuite = OFFICIAL_SUITE(official);
      const oursCached = {
        encrypt: async (d) => (await sdk.encrypt(ourManager, d, { encryptionContext: CONTEXT, suite: SUITE })).ciphertext,
        decrypt: async (m) => (await sdk.decrypt(ourManager, m)).plaintext,
      };
      const theirsCached = {
        encrypt: async (d) => (await client.encrypt(theirManager, d, { encryptionContext: CONTEXT, suiteId: theirSuite })).result,
        decrypt: async (m) => (await client.decrypt(theirManager, m)).plaintext,
      };
      const messages = { raw: await impl.raw.encrypt(data), ours: await oursCached.encrypt(data), official: await theirsCached.encrypt(data) };
      if (!sameBytes(await oursCached.decrypt(messages.ours), data) || !sameBytes(await theirsCached.decrypt(messages.official), data)) {
        failed = true;
        log('sdk: cached 1 KiB did not round-trip');
      }
      // Sequential messages (the verdict), then CONCURRENT messages at once: WebCrypto calls
      // overlap on libuv's threads, the official SDK's node:crypto calls run on the main thread.
      const concurrently = (fn) => (input) => Promise.all(Array.from({ length: CONCURRENT }, () => fn(input)));
      for (const [op, concurrency] of [['encrypt', 1], ['decrypt', 1], ['encrypt', CONCURRENT], ['decrypt', CONCURRENT]]) {
        const wrap = concurrency === 1 ? (fn) => fn : concurrently;
        const contenders = {
          raw: { fn: wrap(impl.raw[op]), input: op === 'encrypt' ? data : messages.raw },
          ours: { fn: wrap(oursCached[op]), input: op === 'encrypt' ? data : messages.ours },
          official: { fn: wrap(theirsCached[op]), input: op === 'encrypt' ? data : messages.official },
        };
        const result = await measureCase(contenders, KiB * concurrency, { reps, minTime, deadline: deadline + 10_000 });
        cached.push({
          op,
          concurrency,
          raw: result.raw.mbps,
          ours: result.ours.mbps,
          official: result.official.mbps,
          oursOpsPerSecond: (result.ours.mbps * 1e6) / KiB,
          officialOpsPerSecond: (result.official.mbps * 1e6) / KiB,
          vsRaw: ratio(result.ours.mbps, result.raw.mbps),
          vsOfficial: ratio(result.ours.mbps, result.official.mbps),
          samples: Object.fromEntries(Object.entries(result).map(([id, r]) => [id, r.samples])),
        });
      }
      log('sdk: cached 1 KiB done');
    }

    // Peak memory growth, each in a fresh process.
    const memory = [];
    if (process.env.BENCH_SDK_MEMORY !== '0') {
      for (const [who, frame, mode] of [
        ['edgekms', streamFrame, 'plain'],
        ['edgekms', streamFrame, 'gc'],
        ['official', OFFICIAL_DEFAULT_FRAME, 'plain'],
      ]) {
        for (const op of ['encrypt', 'decrypt']) {
          try {
            memory.push(await runMemoryChild([who, op, String(frame), bundle, mode]));
          } catch (error) {
            failed = true;
            log(`sdk: ${error.message}`);
          }
        }
      }
      log('sdk: memory done');
    }

    // Verdicts.
    const stream64 = rows.filter((r) => r.bytes === 64 * MiB && r.api === 'stream');
    const verdicts = [];
    const verdict = (label, value, target, unit = 'x', higherIsBetter = true) => {
      const pass = Number.isFinite(value) && (higherIsBetter ? value >= target : value < target);
      verdicts.push({ label, value, target, unit, pass });
      return pass;
    };
    for (const r of stream64) {
      verdict(`64 MiB stream ${r.op} vs raw crypto.subtle >= ${TARGETS.streamVsRaw}x`, r.vsRaw, TARGETS.streamVsRaw);
      verdict(`64 MiB stream ${r.op} vs official at defaults (4 KiB) >= ${TARGETS.streamVsOfficialDefault}x`, r.vsOfficialDefault, TARGETS.streamVsOfficialDefault);
      verdict(`64 MiB stream ${r.op} vs official at ${r.frameLength / KiB} KiB frames >= ${TARGETS.streamVsOfficialEqual}x`, r.vsOfficialEqual, TARGETS.streamVsOfficialEqual);
    }
    for (const c of cached.filter((c) => c.concurrency === 1)) verdict(`1 KiB cached ${c.op} vs official cached >= ${TARGETS.cachedSmallVsOfficial}x`, c.vsOfficial, TARGETS.cachedSmallVsOfficial);
    for (const m of memory.filter((m) => m.impl === 'edgekms' && m.mode === 'plain')) {
      verdict(`64 MiB stream ${m.op} peak RSS growth < ${TARGETS.streamMemoryMiB} MiB`, m.rssGrowthMiB, TARGETS.streamMemoryMiB, 'MiB', false);
    }
    const below = verdicts.some((v) => !v.pass) || (process.env.BENCH_SDK_MEMORY !== '0' && memory.filter((m) => m.impl === 'edgekms' && m.mode === 'plain').length < 2);

    // Report.
    const out = [];
    out.push('', `SDK: suite 0x0478, raw AES keyring; MB/s = 10^6 plaintext bytes/s, median of ${reps} rounds (${largeReps} for 64 MiB)`);
    out.push(`edgekms frame: buffer ${bufferFrame / KiB} KiB (default), stream ${streamFrame / KiB} KiB (default), "buffer*" rows: buffer API at ${streamFrame / KiB} KiB; official default frame 4 KiB, "official =frame" at edgekms's frame`);
    out.push('crypto.subtle: one AES-256-GCM call over the whole buffer (stream rows: the same bytes in one call); streams fed in 64 KiB chunks');
    out.push(
      table(
        ['size', 'api', 'op', 'subtle', 'edgekms', 'official 4K', 'official =frame', 'vs subtle', 'vs off. 4K', 'vs off. =frame'],
        rows.map((r) => [
          r.size,
          r.api === 'buffer' && r.frameLength !== bufferFrame ? 'buffer*' : r.api,
          r.op,
          fixed(r.raw),
          fixed(r.ours),
          fixed(r.officialDefault),
          r.frameLength === OFFICIAL_DEFAULT_FRAME ? '(same)' : fixed(r.officialEqual),
          x(r.vsRaw),
          x(r.vsOfficialDefault),
          r.frameLength === OFFICIAL_DEFAULT_FRAME ? '(same)' : x(r.vsOfficialEqual),
        ]),
      ),
    );
    out.push('', `1 KiB messages, cached data key (buffer API; CachingMaterialsManager + LocalCache vs NodeCachingMaterialsManager + local cache); one at a time (the verdict) and ${CONCURRENT} at once`);
    out.push(
      table(
        ['op', 'in flight', 'subtle MB/s', 'edgekms MB/s', 'official MB/s', 'edgekms msg/s', 'official msg/s', 'vs subtle', 'vs official'],
        cached.map((c) => [c.op, c.concurrency, fixed(c.raw), fixed(c.ours), fixed(c.official), fixed(c.oursOpsPerSecond, 0), fixed(c.officialOpsPerSecond, 0), x(c.vsRaw), x(c.vsOfficial)]),
      ),
    );
    if (memory.length > 0) {
      out.push('', 'Peak memory growth, 64 MiB stream (fresh node --expose-gc process each; growth over the post-GC baseline; decrypt input held before the baseline;');
      out.push('"forced each MiB": gc() every 1 MiB of input, so the peak is what the pipeline holds, not uncollected garbage; the verdict uses "as usual")');
      out.push(
        table(
          ['library', 'frame', 'op', 'GC', 'RSS MiB', 'heap+external MiB', 'MB/s'],
          memory.map((m) => [m.impl, `${m.frameLength / KiB} KiB`, m.op, m.mode === 'gc' ? 'forced each MiB' : 'as usual', fmt(m.rssGrowthMiB), fmt(m.heapGrowthMiB), fmt((64 * MiB) / m.seconds / 1e6)]),
        ),
      );
    }
    if (shortened) out.push('', `note: the time budget (BENCH_SDK_BUDGET=${budget} s) ran out, so some cases ran fewer rounds (see "rounds" in sdk.json); the machine was probably busy`);
    out.push('', 'Targets (issue 4):');
    for (const v of verdicts) out.push(`  ${v.pass ? 'PASS ' : 'BELOW'}  ${v.label}: ${Number.isFinite(v.value) ? (v.unit === 'MiB' ? `${v.value.toFixed(1)} MiB` : `${v.value.toFixed(2)}x`) : '—'}`);
    console.log(out.join('\n'));

    for (const r of rows) delete r.officialDefaultResult;
    const results = {
      name,
      date: new Date().toISOString(),
      node: process.version,
      method: {
        reps,
        largeReps,
        minTimeSeconds: minTime,
        mbps: '10^6 plaintext bytes per second, median of rounds',
        streamChunkBytes: CHUNK,
        sdkImport: 'sdk/index.ts bundled with esbuild at run time',
        memory: 'peak growth over a post-GC baseline in a fresh node --expose-gc process, sampled every 5 ms and at every chunk; RSS and heapUsed+external',
      },
      frameLengths: { buffer: bufferFrame, stream: streamFrame, officialDefault: OFFICIAL_DEFAULT_FRAME },
      throughput: rows,
      cached,
      memory,
      targets: TARGETS,
      verdicts,
      failed,
      below,
      elapsedSeconds: (Date.now() - started) / 1000,
    };
    log(`sdk: results written to ${writeResults('sdk.json', results)} after ${results.elapsedSeconds.toFixed(1)} s`);
    return { name, failed, below, results };
  } finally {
    cleanup();
  }
}

if (process.argv[1] === SELF && process.argv[2] === '--memory-child') {
  memoryChild(process.argv.slice(3)).catch((error) => {
    console.error(error.stack ?? error);
    process.exit(1);
  });
} else if (process.argv[1] === SELF) {
  run().then(
    (outcome) => {
      process.exitCode = outcome.failed ? 1 : 0;
    },
    (error) => {
      console.error(error.stack ?? error);
      process.exitCode = 1;
    },
  );
}
