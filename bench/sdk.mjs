// SDK benchmark (issue 15): this SDK against raw WebCrypto and the official AWS Encryption SDK,
// as ratios measured in one run, in Node and then in workerd; `npm run bench -- browser`
// (browser.mjs) runs the same cases in Chromium. The cases are in sdk-cases.mjs (the same file
// in every runtime): 64 MiB streams against raw WebCrypto making calls of the same frame length
// and the official SDK, 1 KiB messages uncached and cached, a cache hit against no cache with
// each keyring, the signed suite 0x0578, and the buffer API's frame length. Then peak memory
// growth while stream-encrypting and stream-decrypting 64 MiB, each in a fresh child process
// (node --expose-gc).
//
// The SDK is imported from its TypeScript sources: esbuild (a devDependency) bundles sdk/index.ts
// into one ES module when the benchmark starts, so the figures are always those of the working
// tree. In Node the bundle resolves the `node` condition as the package does for Node (the
// node:crypto AES-GCM module, sdk/node-build.mjs); in workerd it is the WebCrypto build.
//
// Method: see measureCases in sdk-cases.mjs. MB/s means 10^6 bytes of plaintext per second.
//
// Environment: BENCH_SDK_REPS (rounds per case, default 11), BENCH_SDK_LARGE_REPS (rounds for
// 64 MiB, default 9), BENCH_SDK_MIN_TIME (seconds per small-message sample, default 0.1),
// BENCH_SDK_RUNTIMES (default "node,workerd"), BENCH_SDK_MEMORY=0 skips the memory children,
// BENCH_SDK_NODE_BUILD=portable runs Node on the WebCrypto build (what browsers and Workers get),
// BENCH_SDK_GROUPS (e.g. "stream,signed"; default all) measures only those case groups.
import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { officialNode } from './official-node.mjs';
import { CONTEXT, MiB, KiB, TARGETS, caseGroups, defineCases, describeCases, measureCases, piecesStream, randomData, rawFramedStream, runContender, webDrain, webSource, wrappingKeyBytes } from './sdk-cases.mjs';

export const name = 'sdk';
export const description = 'SDK vs raw WebCrypto and @aws-crypto/client-node, in Node and workerd; stream memory';

const CHUNK = 64 * KiB;
const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Generous: two runtimes of cases, then the memory children, on a busy machine. */
export const timeoutSeconds = () => 900;

function envNumber(key, fallback) {
  const raw = process.env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench: ${key}=${raw} is not a positive number`);
  return value;
}

/**
 * Bundles sdk/index.ts with esbuild into a temporary ES module for Node and imports it.
 * Dependencies (@noble/*, idb) are bundled in. Returns the module, the bundle's path (for child
 * processes) and a cleanup function.
 */
export async function loadSdk() {
  const { build } = await import('esbuild');
  const { nodeBuildPlugin } = await import('../sdk/node-build.mjs');
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
    // BENCH_SDK_NODE_BUILD=portable measures the WebCrypto build in Node instead.
    plugins: process.env.BENCH_SDK_NODE_BUILD === 'portable' ? [] : [nodeBuildPlugin()],
  });
  const sdk = await import(pathToFileURL(outfile).href);
  return { sdk, bundle: outfile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function loadOfficial() {
  const official = await import('@aws-crypto/client-node');
  const client = official.buildClient(official.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  return { official, client };
}

function ourKeyring(sdk) {
  return new sdk.RawAesKeyring({ keyNamespace: 'bench', keyName: 'bench-key', wrappingKey: wrappingKeyBytes() });
}

function officialKeyring(official) {
  return new official.RawAesKeyringNode({
    keyNamespace: 'bench',
    keyName: 'bench-key',
    unencryptedMasterKey: wrappingKeyBytes(),
    wrappingSuite: official.RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    utf8Sorting: true,
  });
}

const OFFICIAL_SUITE = (official) => official.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;

// ---------------------------------------------------------------------------------------------
// Memory: one child process per measurement

async function memoryChild([impl, op, frameLengthText, bundle, mode, messagePath]) {
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
  else if (impl === 'official') ({ official, client } = await loadOfficial());
  // impl 'raw': frame-sized WebCrypto AES-GCM calls in the same web-stream pipeline (the ceiling
  // the speed table measures against), to show what WebCrypto's own outputs cost in memory.
  // impl 'rawNode': the same frames with node:crypto instead, on the main thread. impl 'copy': the
  // same pipeline with no cryptography at all, each frame copied into a buffer of its own for the
  // reader: the floor of any stream that hands out its frames.
  const rawKeyBytes = op === 'decrypt' && mode !== 'prepare' ? new Uint8Array(readFileSync(`${messagePath}.key`)) : randomData(32);
  const floorStream = FLOOR_STREAMS[impl];
  const rawKey = floorStream ? await crypto.subtle.importKey('raw', rawKeyBytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']) : undefined;

  // For decryption, a child of its own ('prepare') makes the message and writes it to a file,
  // which the measuring child reads into one buffer: it is part of the baseline. Made in the
  // measuring process, its garbage (frames, copies) stayed in the allocator as freed memory the
  // stream then reused, so the growth depended on how each contender's message had been made:
  // 3 to 26 MiB for the same pipeline.
  let message;
  if (op === 'decrypt' && mode === 'prepare') {
    const plaintext = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += CHUNK) plaintext.set(template, offset);
    if (impl === 'edgekms') message = (await sdk.encrypt(ourKeyring(sdk), plaintext, { encryptionContext: CONTEXT, frameLength })).ciphertext;
    else if (floorStream) message = await webDrain(webSource(plaintext).pipeThrough(rawFramedStream(rawKey, frameLength, 'encrypt')), true);
    else message = (await client.encrypt(officialKeyring(official), plaintext, { encryptionContext: CONTEXT, suiteId: OFFICIAL_SUITE(official), frameLength })).result;
    writeFileSync(messagePath, message);
    writeFileSync(`${messagePath}.key`, rawKeyBytes);
    process.stdout.write('{}\n');
    return;
  }
  if (op === 'decrypt') {
    const file = readFileSync(messagePath);
    message = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
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
  if (impl === 'edgekms' || floorStream) {
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
    const transform = floorStream
      ? floorStream({ rawKey, rawKeyBytes, frameLength, op })
      : op === 'encrypt'
        ? sdk.encryptStream(ourKeyring(sdk), { encryptionContext: CONTEXT, frameLength })
        : sdk.decryptStream(ourKeyring(sdk));
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

/** The floor contenders' web-stream transforms, none of them the SDK. */
const FLOOR_STREAMS = {
  raw: ({ rawKey, frameLength, op }) => rawFramedStream(rawKey, frameLength, op),
  rawNode: ({ rawKeyBytes, frameLength, op }) => nodeFramedStream(rawKeyBytes, frameLength, op),
  copy: ({ frameLength, op }) => copyFramedStream(op === 'encrypt' ? frameLength : frameLength + 16),
};

/**
 * rawFramedStream's frames (same IVs and AAD, so it reads what that writes) with node:crypto's
 * AES-GCM, one frame at a time on the main thread: each frame's output is the one buffer
 * update() returns (and for encryption the tag, passed on as a second chunk).
 */
function nodeFramedStream(keyBytes, frame, op) {
  const aad = new Uint8Array(32).fill(3);
  let index = 0;
  return piecesStream(op === 'encrypt' ? frame : frame + 16, {
    piece(bytes, controller) {
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setUint32(8, ++index);
      if (op === 'encrypt') {
        const cipher = createCipheriv('aes-256-gcm', keyBytes, iv);
        cipher.setAAD(aad);
        controller.enqueue(cipher.update(bytes));
        cipher.final();
        controller.enqueue(cipher.getAuthTag());
      } else {
        const decipher = createDecipheriv('aes-256-gcm', keyBytes, iv);
        decipher.setAAD(aad);
        decipher.setAuthTag(bytes.subarray(bytes.byteLength - 16));
        const plaintext = decipher.update(bytes.subarray(0, bytes.byteLength - 16));
        decipher.final();
        controller.enqueue(plaintext);
      }
    },
  });
}

/** Frames of `frame` bytes, each copied once into a new buffer the reader gets, and nothing else. */
function copyFramedStream(frame) {
  return piecesStream(frame, { piece: (bytes, controller) => controller.enqueue(bytes.slice()) });
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

/**
 * Node's gc() without starting Node with --expose-gc: the flag set at run time exposes it to
 * contexts made afterwards, and a fresh vm context hands it back.
 */
function nodeGc() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
}

const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

/** Builds, checks and times the cases in one runtime; returns its results and verdicts. */
async function runRuntime(runtime, { sdk, reps, largeReps, minTime, log }) {
  const { formatResults } = await import('./sdk-report.mjs');
  let described;
  let runBatch;
  let failures;
  let close = async () => {};
  let frameLengths;
  // Between timed batches (measureCases): Node's gc(); workerd offers none to the host.
  let collectGarbage;
  if (runtime === 'node') {
    collectGarbage = nodeGc();
    const built = await defineCases({ runtime, sdk, official: await officialNode() });
    described = describeCases(built.cases);
    failures = built.failures;
    frameLengths = built.frameLengths;
    runBatch = (index, contender, count) => runContender(built.cases, index, contender, count);
  } else {
    const { startWorkerdCases } = await import('./sdk-workerd.mjs');
    const started = await startWorkerdCases({ log });
    ({ failures, runBatch, close, frameLengths } = started);
    described = started.cases;
  }
  try {
    for (const failure of failures) log(`sdk: ${runtime}: ${failure}`);
    const results = await measureCases(described, { runBatch, collectGarbage, now: () => performance.now(), reps, largeReps, minTime, groups: caseGroups(process.env.BENCH_SDK_GROUPS), log: (line) => log(`sdk: ${runtime}: ${line}`) });
    const heading = `SDK in ${runtime === 'node' ? `Node ${process.version} (${process.env.BENCH_SDK_NODE_BUILD === 'portable' ? 'WebCrypto build' : 'node:crypto AES-GCM build'})` : 'workerd (WebCrypto build)'}: MB/s = 10^6 plaintext bytes/s, median of ${reps} rounds (${largeReps} for 64 MiB); frames: buffer ${frameLengths.buffer / KiB} KiB, stream ${frameLengths.stream / KiB} KiB`;
    const { lines, verdicts } = formatResults(runtime, results, { heading });
    console.log(lines.join('\n'));
    return { runtime, results, verdicts, failures };
  } finally {
    await close();
  }
}

export async function run(options = {}) {
  const { log = console.error } = options;
  const { table, writeResults } = await import('./report.mjs');
  const reps = Math.round(envNumber('BENCH_SDK_REPS', 11));
  const largeReps = Math.round(envNumber('BENCH_SDK_LARGE_REPS', 9));
  const minTime = envNumber('BENCH_SDK_MIN_TIME', 0.1);
  const runtimes = (process.env.BENCH_SDK_RUNTIMES ?? 'node,workerd').split(',').filter(Boolean);
  const started = Date.now();

  const { sdk, bundle, cleanup } = await loadSdk();
  try {
    log(`sdk: SDK bundled from sdk/index.ts with esbuild; ${reps} rounds (${largeReps} for 64 MiB), median`);
    const perRuntime = [];
    let failed = false;
    for (const runtime of runtimes) {
      const outcome = await runRuntime(runtime, { sdk, reps, largeReps, minTime, log });
      if (outcome.failures.length > 0) failed = true;
      perRuntime.push(outcome);
    }

    // Peak memory growth, each in a fresh process.
    const memory = [];
    const streamFrame = sdk.DEFAULT_STREAM_FRAME_LENGTH;
    if (process.env.BENCH_SDK_MEMORY !== '0') {
      const messageDir = mkdtempSync(join(tmpdir(), 'edgekms-bench-memory-'));
      for (const [who, frame, mode] of [
        ['edgekms', streamFrame, 'plain'],
        ['edgekms', streamFrame, 'gc'],
        ['raw', streamFrame, 'plain'],
        ['rawNode', streamFrame, 'plain'],
        ['copy', streamFrame, 'plain'],
        ['official', 4096, 'plain'],
      ]) {
        for (const op of ['encrypt', 'decrypt']) {
          const messagePath = join(messageDir, `${who}-${op}-${mode}`);
          try {
            if (op === 'decrypt') await runMemoryChild([who, op, String(frame), bundle, 'prepare', messagePath]);
            memory.push(await runMemoryChild([who, op, String(frame), bundle, mode, messagePath]));
          } catch (error) {
            failed = true;
            log(`sdk: ${error.message}`);
          } finally {
            rmSync(messagePath, { force: true });
            rmSync(`${messagePath}.key`, { force: true });
          }
        }
      }
      rmSync(messageDir, { recursive: true, force: true });
      log('sdk: memory done');
    }
    const memoryVerdicts = memory
      .filter((m) => m.impl === 'edgekms' && m.mode === 'plain')
      .map((m) => ({
        op: m.op,
        label: `64 MiB stream ${m.op} peak RSS growth < ${TARGETS.streamMemoryMiB} MiB`,
        value: m.rssGrowthMiB,
        target: TARGETS.streamMemoryMiB,
        pass: m.rssGrowthMiB < TARGETS.streamMemoryMiB,
      }));
    if (memory.length > 0) {
      const out = [''];
      out.push('[node] Peak memory growth, 64 MiB stream (fresh node --expose-gc process each; growth over the post-GC baseline; decrypt input held before the baseline;');
      out.push('"forced each MiB": gc() every 1 MiB of input, so the peak is what the pipeline holds, not uncollected garbage; the verdict uses "as usual";');
      out.push('raw: frame-sized WebCrypto AES-GCM calls in the same web-stream pipeline, no SDK; rawNode: the same frames with node:crypto on the main thread;');
      out.push('copy: the same pipeline with no cryptography, each frame copied into a new buffer for the reader;');
      out.push('encrypt sources make a fresh 64 KiB chunk each, as a file read does)');
      out.push(
        table(
          ['library', 'frame', 'op', 'GC', 'RSS MiB', 'heap+external MiB', 'MB/s'],
          memory.map((m) => [m.impl, `${m.frameLength / KiB} KiB`, m.op, m.mode === 'gc' ? 'forced each MiB' : 'as usual', fmt(m.rssGrowthMiB), fmt(m.heapGrowthMiB), fmt((64 * MiB) / m.seconds / 1e6)]),
        ),
      );
      out.push('', '[node] Memory targets (issue 15):');
      for (const v of memoryVerdicts) {
        // The ceiling: raw WebCrypto calls of the same frame length, in the same pipeline, with no
        // SDK at all. What it grows by is garbage V8 has not collected yet (each frame's output is
        // a new buffer handed to the reader), which no library of such calls can go below.
        // The floors: the same pipeline with raw WebCrypto, with raw node:crypto, and handing out
        // a new buffer per frame with no cryptography. V8 frees a dropped buffer's memory only
        // when it collects, so frames the reader has dropped add up until then. When even the
        // copy row is over the target (at 256 KiB frames about 28 MiB decrypting and 40
        // encrypting, whose source makes a new chunk per read as well), no stream whose frames
        // are buffers the reader may keep can meet it here at that frame length.
        const notes = [];
        for (const [impl, what] of [
          ['raw', 'raw WebCrypto in the same pipeline'],
          ['rawNode', 'raw node:crypto'],
          ['copy', 'no cryptography, a new buffer per frame'],
        ]) {
          const floor = memory.find((m) => m.impl === impl && m.op === v.op && m.mode === 'plain');
          if (floor === undefined) continue;
          const over = floor.rssGrowthMiB >= TARGETS.streamMemoryMiB;
          notes.push(`${what}: ${fmt(floor.rssGrowthMiB)} MiB${over ? (impl === 'copy' ? ', over the target: out of reach at this frame length' : ', itself over the target') : ''}`);
        }
        out.push(`  ${v.pass ? 'PASS ' : 'BELOW'}  ${v.label}: ${fmt(v.value)} MiB${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
      }
      console.log(out.join('\n'));
    }

    const verdicts = [...perRuntime.flatMap((r) => r.verdicts.map((v) => ({ runtime: r.runtime, ...v }))), ...memoryVerdicts.map((v) => ({ runtime: 'node', ...v }))];
    const below = verdicts.some((v) => !v.pass);
    const results = {
      name,
      date: new Date().toISOString(),
      node: process.version,
      method: { reps, largeReps, minTimeSeconds: minTime, mbps: '10^6 plaintext bytes per second, median of rounds' },
      runtimes: perRuntime,
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
